import { describe, expect, it } from 'vitest'
import {
  applyEvent,
  cloneState,
  createClusterState,
  currentLeader,
  nodeIdsFor,
  MAX_APPLIED_HISTORY,
  type ClusterState
} from '@renderer/model/cluster-state'
import type { TraceEvent } from '@shared/trace'
import { eventBuilder, put } from '../events'

function fold(events: TraceEvent[], ids = nodeIdsFor(3)): ClusterState {
  const s = createClusterState(ids)
  for (const e of events) applyEvent(s, e)
  return s
}

describe('applyEvent', () => {
  it('tracks role, term, leader and votes', () => {
    const ev = eventBuilder()
    const s = fold([
      ev(1, { kind: 'proc', node: 'n1', action: 'start', pid: 10 }),
      ev(5, { kind: 'vote', node: 'n2', candidate: 'n1', term: 1, granted: true, preVote: false }),
      ev(6, { kind: 'role', node: 'n1', role: 'leader', term: 1, leader: 'n1' }),
      ev(7, { kind: 'role', node: 'n2', role: 'follower', term: 1, leader: 'n1' })
    ])
    expect(s.nodes.n1!.status).toBe('running')
    expect(s.nodes.n1!.role).toBe('leader')
    expect(s.nodes.n2!.votedFor).toBe('n1')
    expect(s.nodes.n2!.currentTerm).toBe(1)
    expect(currentLeader(s)).toBe('n1')
    expect(s.terms).toEqual([{ t: 6, term: 1, leader: 'n1' }])
    expect(s.t).toBe(7)
    expect(s.eventCount).toBe(4)
  })

  it('a pre-vote changes neither term nor vote', () => {
    const ev = eventBuilder()
    const s = fold([
      ev(1, { kind: 'vote', node: 'n2', candidate: 'n3', term: 4, granted: true, preVote: true })
    ])
    expect(s.nodes.n2!.currentTerm).toBe(0)
    expect(s.nodes.n2!.votedFor).toBeNull()
  })

  it('appends, overwrites a conflicting suffix and truncates', () => {
    const ev = eventBuilder()
    const s = fold([
      ev(1, { kind: 'append', node: 'n1', entries: [put(1, 1, 'a', '1'), put(2, 1, 'b', '2')] }),
      ev(2, { kind: 'append', node: 'n1', entries: [put(3, 1, 'c', '3')] }),
      // A new leader's entry at index 2 replaces 2 and everything after it.
      ev(3, { kind: 'append', node: 'n1', entries: [put(2, 2, 'x', '9')] })
    ])
    expect(s.nodes.n1!.log.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2]
    ])
    applyEvent(s, ev(4, { kind: 'truncate', node: 'n1', fromIndex: 2 }))
    expect(s.nodes.n1!.log.map((e) => e.index)).toEqual([1])
  })

  it('applies puts and successful cas to the state machine, skips duplicates and failed cas', () => {
    const ev = eventBuilder()
    const cas = (index: number, from: string, to: string) =>
      ({ op: 'cas', key: 'a', from, to, client: 'c', seq: index }) as const
    const s = fold([
      ev(1, {
        kind: 'apply',
        node: 'n1',
        index: 1,
        term: 1,
        command: { op: 'noop' },
        result: null
      }),
      ev(2, { kind: 'apply', node: 'n1', ...put(2, 1, 'a', '1'), result: {} }),
      ev(3, {
        kind: 'apply',
        node: 'n1',
        index: 3,
        term: 1,
        command: cas(3, '1', '2'),
        result: { swapped: true }
      }),
      ev(4, {
        kind: 'apply',
        node: 'n1',
        index: 4,
        term: 1,
        command: cas(4, '1', '7'),
        result: { swapped: false }
      }),
      // A duplicate write: the state machine returned null and ignored it.
      ev(5, { kind: 'apply', node: 'n1', ...put(5, 1, 'a', 'dup'), result: null })
    ])
    expect(s.nodes.n1!.kv).toEqual({ a: '2' })
    expect(s.nodes.n1!.lastApplied).toBe(5)
    expect(s.nodes.n1!.applied).toHaveLength(5)
  })

  it('a crash loses volatile state but keeps the log; recover cuts it to what was on disk', () => {
    const ev = eventBuilder()
    const s = fold([
      ev(1, { kind: 'proc', node: 'n2', action: 'start' }),
      ev(2, { kind: 'append', node: 'n2', entries: [put(1, 1, 'a', '1'), put(2, 1, 'b', '2')] }),
      ev(3, { kind: 'commit', node: 'n2', commitIndex: 1, term: 1 }),
      ev(4, { kind: 'apply', node: 'n2', ...put(1, 1, 'a', '1'), result: {} }),
      ev(5, { kind: 'timer', node: 'n2', ms: 200 }),
      ev(6, { kind: 'proc', node: 'n2', action: 'crash', signal: 'SIGKILL' })
    ])
    const n2 = s.nodes.n2!
    expect(n2.status).toBe('crashed')
    expect(n2.commitIndex).toBe(0)
    expect(n2.kv).toEqual({})
    expect(n2.timer).toBeNull()
    expect(n2.log).toHaveLength(2)
    expect(s.faultPeriods).toEqual([{ start: 6, end: null, label: 'n2 down' }])
    applyEvent(s, ev(9, { kind: 'proc', node: 'n2', action: 'restart' }))
    applyEvent(
      s,
      ev(10, {
        kind: 'recover',
        node: 'n2',
        currentTerm: 1,
        votedFor: 'n1',
        lastIndex: 1,
        lastTerm: 1,
        repaired: null
      })
    )
    expect(n2.status).toBe('running')
    expect(n2.log).toHaveLength(1)
    expect(n2.votedFor).toBe('n1')
    expect(s.faultPeriods).toEqual([{ start: 6, end: 9, label: 'n2 down' }])
  })

  it('an exit the lab asked for keeps crashed or stopped; one nobody asked for is exited', () => {
    const ev = eventBuilder()
    const s = fold([
      ev(1, { kind: 'proc', node: 'n1', action: 'crash', signal: 'SIGKILL' }),
      ev(2, { kind: 'proc', node: 'n1', action: 'exit', code: null, signal: 'SIGKILL' }),
      ev(3, { kind: 'proc', node: 'n2', action: 'stop' }),
      ev(4, { kind: 'proc', node: 'n2', action: 'exit', code: 0, signal: null }),
      ev(5, { kind: 'proc', node: 'n3', action: 'exit', code: 1, signal: null, unexpected: true })
    ])
    expect([s.nodes.n1!.status, s.nodes.n2!.status, s.nodes.n3!.status]).toEqual([
      'crashed',
      'stopped',
      'exited'
    ])
    expect(s.faultPeriods.map((p) => p.label)).toEqual(['n1 down', 'n2 down', 'n3 down'])
  })

  it('pause and resume', () => {
    const ev = eventBuilder()
    const s = fold([
      ev(1, { kind: 'proc', node: 'n1', action: 'pause' }),
      ev(2, { kind: 'proc', node: 'n1', action: 'resume' })
    ])
    expect(s.nodes.n1!.status).toBe('running')
    expect(s.faultPeriods).toEqual([{ start: 1, end: 2, label: 'n1 paused' }])
  })

  it('takes leader nextIndex/matchIndex from status events', () => {
    const ev = eventBuilder()
    const s = fold([
      ev(1, {
        kind: 'status',
        node: 'n1',
        role: 'leader',
        currentTerm: 3,
        votedFor: 'n1',
        leader: 'n1',
        commitIndex: 4,
        lastApplied: 4,
        lastLogIndex: 5,
        lastLogTerm: 3,
        nextIndex: { n2: 6, n3: 3 },
        matchIndex: { n2: 5, n3: 2 }
      })
    ])
    expect(s.nodes.n1!.matchIndex).toEqual({ n2: 5, n3: 2 })
    expect(s.nodes.n1!.nextIndex).toEqual({ n2: 6, n3: 3 })
    expect(s.nodes.n1!.commitIndex).toBe(4)
    expect(s.nodes.n1!.status).toBe('running')
  })

  it('network faults accumulate until heal, which closes the fault period', () => {
    const ev = eventBuilder()
    const s = fold([
      ev(1, { kind: 'fault', action: 'partition', groups: [['n1'], ['n2', 'n3']] }),
      ev(2, { kind: 'fault', action: 'link', from: 'n2', to: 'n3', link: { loss: 0.5 } }),
      ev(3, { kind: 'fault', action: 'link', from: 'n2', to: 'n3', link: { delayMs: 40 } })
    ])
    expect(s.network.groups).toEqual([['n1'], ['n2', 'n3']])
    expect(s.network.links['n2>n3']).toEqual({ loss: 0.5, delayMs: 40 })
    expect(s.faultPeriods).toEqual([{ start: 1, end: null, label: 'network fault' }])
    applyEvent(s, ev(8, { kind: 'fault', action: 'heal' }))
    expect(s.network).toEqual({ groups: null, isolated: [], links: {} })
    expect(s.faultPeriods[0]!.end).toBe(8)
  })

  it('pairs message sends with deliveries and drops', () => {
    const ev = eventBuilder()
    const msg = { from: 'n1', to: 'n2', type: 'AppendEntries', term: 1, size: 90 } as const
    const s = fold([
      ev(1, { kind: 'net', action: 'send', msgId: 1, ...msg }),
      ev(2, { kind: 'net', action: 'send', msgId: 2, ...msg }),
      ev(3, { kind: 'net', action: 'deliver', msgId: 1, ...msg, delayMs: 2 }),
      ev(4, { kind: 'net', action: 'drop', msgId: 2, ...msg, reason: 'loss' })
    ])
    expect(s.messages.map((m) => [m.msgId, m.deliveredAt, m.droppedAt, m.reason])).toEqual([
      [1, 3, null, null],
      [2, null, 4, 'loss']
    ])
  })

  it('records client operations and counts them per second with latencies', () => {
    const ev = eventBuilder()
    const s = fold([
      ev(100, {
        kind: 'invoke',
        client: 'c1',
        opId: 1,
        input: { op: 'put', key: 'a', value: '1' }
      }),
      ev(110, { kind: 'invoke', client: 'c2', opId: 1, input: { op: 'get', key: 'a' } }),
      ev(130, { kind: 'complete', client: 'c1', opId: 1, status: 'ok', output: {}, by: 'n1' }),
      ev(1200, { kind: 'complete', client: 'c2', opId: 1, status: 'info', error: 'timeout' })
    ])
    expect(s.ops[0]).toMatchObject({ client: 'c1', ret: 130, status: 'ok', by: 'n1' })
    expect(s.ops[1]).toMatchObject({ client: 'c2', ret: 1200, status: 'info', error: 'timeout' })
    expect(s.opsBuckets).toEqual([
      { t: 0, ok: 1, failed: 0, latencies: [30] },
      { t: 1000, ok: 0, failed: 1, latencies: [] }
    ])
  })

  it('samples commit index per node at most every 100 ms, keeping the newest value', () => {
    const ev = eventBuilder()
    const s = fold([
      ev(0, { kind: 'commit', node: 'n1', commitIndex: 1, term: 1 }),
      ev(10, { kind: 'commit', node: 'n1', commitIndex: 2, term: 1 }),
      ev(20, { kind: 'commit', node: 'n1', commitIndex: 3, term: 1 }),
      ev(300, { kind: 'commit', node: 'n1', commitIndex: 4, term: 1 })
    ])
    expect(s.commitSeries.n1).toEqual([
      { t: 0, v: 1 },
      { t: 20, v: 3 },
      { t: 300, v: 4 }
    ])
  })

  it('follows scenario progress and expectations', () => {
    const ev = eventBuilder()
    const s = fold([
      ev(0, { kind: 'scenario', action: 'start', text: 'Leader crash' }),
      ev(1, { kind: 'scenario', action: 'step', index: 0, text: 'crash leader' }),
      ev(2, { kind: 'scenario', action: 'expect', index: 0, text: 'a new leader', ok: true }),
      ev(3, { kind: 'scenario', action: 'end', text: 'done' })
    ])
    expect(s.scenario).toMatchObject({ name: 'Leader crash', step: 1, ended: true })
    expect(s.scenario!.expectations).toEqual([{ index: 0, text: 'a new leader', ok: true, t: 2 }])
  })

  it('adds nodes it has not heard of', () => {
    const ev = eventBuilder()
    const s = fold([ev(1, { kind: 'timer', node: 'n7', ms: 150 })], [])
    expect(s.nodeIds).toEqual(['n7'])
    expect(s.nodes.n7!.timer).toEqual({ setAt: 1, ms: 150 })
  })

  it('trims apply history but keeps the state before it', () => {
    const ev = eventBuilder()
    const s = createClusterState(['n1'])
    const total = MAX_APPLIED_HISTORY * 2
    for (let i = 1; i <= total; i++)
      applyEvent(
        s,
        ev(i, { kind: 'apply', node: 'n1', ...put(i, 1, `k${i % 3}`, `${i}`), result: {} })
      )
    const n1 = s.nodes.n1!
    expect(n1.applied.length).toBeLessThanOrEqual(MAX_APPLIED_HISTORY * 1.1)
    expect(n1.applied[n1.applied.length - 1]!.index).toBe(total)
    const first = n1.applied[0]!.index
    // appliedBase holds exactly the writes before the first kept apply.
    expect(n1.appliedBase).toEqual({
      [`k${(first - 1) % 3}`]: `${first - 1}`,
      [`k${(first - 2) % 3}`]: `${first - 2}`,
      [`k${(first - 3) % 3}`]: `${first - 3}`
    })
  })
})

describe('cloneState', () => {
  it('is independent of the original', () => {
    const ev = eventBuilder()
    const s = fold([
      ev(1, { kind: 'append', node: 'n1', entries: [put(1, 1, 'a', '1')] }),
      ev(2, { kind: 'apply', node: 'n1', ...put(1, 1, 'a', '1'), result: {} }),
      ev(3, { kind: 'invoke', client: 'c', opId: 1, input: { op: 'get', key: 'a' } })
    ])
    const c = cloneState(s)
    applyEvent(s, ev(4, { kind: 'append', node: 'n1', entries: [put(2, 1, 'b', '2')] }))
    applyEvent(s, ev(5, { kind: 'apply', node: 'n1', ...put(2, 1, 'b', '2'), result: {} }))
    applyEvent(
      s,
      ev(6, { kind: 'complete', client: 'c', opId: 1, status: 'ok', output: { value: '1' } })
    )
    expect(c.nodes.n1!.log).toHaveLength(1)
    expect(c.nodes.n1!.kv).toEqual({ a: '1' })
    expect(c.ops[0]!.ret).toBeNull()
    expect(c.opsBuckets).toEqual([])
    expect(c.t).toBe(3)
  })
})
