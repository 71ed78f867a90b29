import { describe, expect, it } from 'vitest'
import { checkSafety, SafetyChecker, SAFETY_PROPERTIES } from '../../../src/shared/check/safety'
import type { Command, Entry, Role } from '../../../src/shared/raft/types'
import type { TraceEvent, UnstampedEvent } from '../../../src/shared/trace'
import type { KvInput } from '../../../src/shared/history'

// Hand-made traces: each helper returns one unstamped event; `trace` numbers them.
const trace = (...events: UnstampedEvent[]): TraceEvent[] =>
  events.map((e, i) => ({ ...e, seq: i, t: i }) as TraceEvent)

const put = (key: string, value: string, client = 'c1', seq = 1): Command => ({
  op: 'put',
  key,
  value,
  client,
  seq
})
const noop: Command = { op: 'noop' }
const role = (node: string, r: Role, term: number): UnstampedEvent => ({
  kind: 'role',
  node,
  role: r,
  term,
  leader: r === 'leader' ? node : null
})
const append = (node: string, ...entries: [number, number, Command][]): UnstampedEvent => ({
  kind: 'append',
  node,
  entries: entries.map(([index, term, command]): Entry => ({ index, term, command }))
})
const persist = (node: string, term: number, lastIndex: number, synced = true): UnstampedEvent => ({
  kind: 'persist',
  node,
  currentTerm: term,
  votedFor: null,
  lastIndex,
  synced
})
const commit = (node: string, commitIndex: number, term: number): UnstampedEvent => ({
  kind: 'commit',
  node,
  commitIndex,
  term
})
const apply = (node: string, index: number, term: number, command: Command): UnstampedEvent => ({
  kind: 'apply',
  node,
  index,
  term,
  command,
  result: command.op === 'noop' ? null : {}
})
const invoke = (client: string, opId: number, input: KvInput): UnstampedEvent => ({
  kind: 'invoke',
  client,
  opId,
  input
})
const complete = (client: string, opId: number, swapped?: boolean): UnstampedEvent => ({
  kind: 'complete',
  client,
  opId,
  status: 'ok',
  output: swapped === undefined ? {} : { swapped }
})

function failures(events: TraceEvent[]) {
  return checkSafety(events).filter((r) => !r.ok)
}

/** A healthy three-node run: n1 leads term 1 and replicates a noop and one acknowledged put. */
function healthyRun(): UnstampedEvent[] {
  const events: UnstampedEvent[] = [role('n1', 'candidate', 1), role('n1', 'leader', 1)]
  for (const n of ['n1', 'n2', 'n3']) {
    if (n !== 'n1') events.push(role(n, 'follower', 1))
    events.push(append(n, [1, 1, noop]), persist(n, 1, 1))
  }
  events.push(invoke('c1', 1, { op: 'put', key: 'x', value: '1' }))
  for (const n of ['n1', 'n2', 'n3'])
    events.push(append(n, [2, 1, put('x', '1')]), persist(n, 1, 2))
  for (const n of ['n1', 'n2', 'n3']) {
    events.push(commit(n, 2, 1), apply(n, 1, 1, noop), apply(n, 2, 1, put('x', '1')))
  }
  events.push(complete('c1', 1))
  return events
}

describe('checkSafety', () => {
  it('passes a healthy run and reports every property', () => {
    const results = checkSafety(trace(...healthyRun()))
    expect(results.map((r) => r.property)).toEqual([...SAFETY_PROPERTIES])
    expect(results.every((r) => r.ok && r.violations.length === 0)).toBe(true)
  })

  it('passes a follower whose conflicting uncommitted suffix is replaced (Figure 7)', () => {
    const events = trace(
      role('n1', 'leader', 1),
      append('n1', [1, 1, noop], [2, 1, put('x', 'old')]),
      role('n2', 'leader', 2),
      append('n2', [1, 1, noop]),
      append('n2', [2, 2, noop]),
      role('n1', 'follower', 2),
      { kind: 'truncate', node: 'n1', fromIndex: 2 },
      append('n1', [2, 2, noop]),
      commit('n1', 2, 2),
      apply('n1', 2, 2, noop)
    )
    expect(failures(events)).toEqual([])
  })

  it('flags two leaders in one term (election safety)', () => {
    const events = trace(
      role('n1', 'leader', 2),
      role('n2', 'follower', 2),
      role('n2', 'leader', 2)
    )
    const [bad, ...rest] = failures(events)
    expect(rest).toEqual([])
    expect(bad?.property).toBe('election-safety')
    expect(bad?.violations[0]).toMatchObject({ nodes: ['n1', 'n2'], term: 2, seq: 2 })
  })

  it('allows the same node to be reported leader of its term twice', () => {
    expect(failures(trace(role('n1', 'leader', 2), role('n1', 'leader', 2)))).toEqual([])
  })

  it('flags a leader deleting or overwriting its entries (leader append-only)', () => {
    const deleted = trace(
      role('n1', 'leader', 1),
      append('n1', [1, 1, noop], [2, 1, put('x', '1')]),
      { kind: 'truncate', node: 'n1', fromIndex: 2 }
    )
    expect(failures(deleted).map((r) => r.property)).toEqual(['leader-append-only'])
    expect(failures(deleted)[0]?.violations[0]).toMatchObject({
      nodes: ['n1'],
      term: 1,
      index: 2,
      seq: 2
    })

    const overwritten = trace(
      role('n1', 'leader', 1),
      append('n1', [1, 1, noop], [2, 1, put('x', '1')]),
      append('n1', [2, 1, put('x', '2')])
    )
    const props = failures(overwritten).map((r) => r.property)
    expect(props).toContain('leader-append-only')
  })

  it('flags two logs with the same index and term but different commands (log matching)', () => {
    const events = trace(append('n1', [1, 1, put('x', '1')]), append('n2', [1, 1, put('x', '2')]))
    const [bad, ...rest] = failures(events)
    expect(rest).toEqual([])
    expect(bad?.property).toBe('log-matching')
    expect(bad?.violations[0]).toMatchObject({ nodes: ['n1', 'n2'], term: 1, index: 1, seq: 1 })
  })

  it('flags equal entries that follow different histories (log matching, by induction)', () => {
    const events = trace(
      append('n1', [1, 1, noop], [2, 3, noop]),
      append('n2', [1, 2, noop], [2, 3, noop])
    )
    expect(failures(events).map((r) => r.property)).toEqual(['log-matching'])
  })

  it('flags a leader of a later term missing a committed entry (leader completeness)', () => {
    const events = trace(
      role('n1', 'leader', 1),
      append('n1', [1, 1, put('x', '1')]),
      append('n2', [1, 1, put('x', '1')]),
      commit('n1', 1, 1),
      role('n3', 'leader', 2)
    )
    const [bad, ...rest] = failures(events)
    expect(rest).toEqual([])
    expect(bad?.property).toBe('leader-completeness')
    expect(bad?.violations[0]).toMatchObject({ nodes: ['n3', 'n1'], term: 2, index: 1, seq: 4 })
  })

  it('flags different commands applied at one index (state machine safety)', () => {
    const events = trace(apply('n1', 1, 1, put('x', '1')), apply('n2', 1, 2, put('x', '2')))
    const [bad, ...rest] = failures(events)
    expect(rest).toEqual([])
    expect(bad?.property).toBe('state-machine-safety')
    expect(bad?.violations[0]).toMatchObject({ nodes: ['n1', 'n2'], index: 1, seq: 1 })
  })

  it('flags an acknowledged write that no node applied, but not a cas that did not swap', () => {
    const events = trace(
      invoke('c1', 1, { op: 'put', key: 'x', value: '1' }),
      complete('c1', 1),
      invoke('c1', 2, { op: 'cas', key: 'x', from: '9', to: '2' }),
      complete('c1', 2, false),
      invoke('c2', 1, { op: 'cas', key: 'x', from: '1', to: '3' }),
      apply('n1', 1, 1, { op: 'cas', key: 'x', from: '1', to: '3', client: 'c2', seq: 1 }),
      complete('c2', 1, true)
    )
    const [bad, ...rest] = failures(events)
    expect(rest).toEqual([])
    expect(bad?.property).toBe('acknowledged-writes-applied')
    expect(bad?.violations).toHaveLength(1)
    expect(bad?.violations[0]?.message).toContain('c1#1')
  })

  it('resets a recovered node to its synced log: unsynced entries are lost', () => {
    const committedThenLost = [
      role('n1', 'leader', 1),
      append('n1', [1, 1, noop]),
      persist('n1', 1, 1),
      append('n1', [2, 1, put('x', '1')]),
      persist('n1', 1, 2, false),
      commit('n1', 2, 1),
      { kind: 'proc', node: 'n1', action: 'crash' },
      {
        kind: 'recover',
        node: 'n1',
        currentTerm: 1,
        votedFor: null,
        lastIndex: 1,
        lastTerm: 1,
        repaired: null
      },
      role('n1', 'leader', 2)
    ] satisfies UnstampedEvent[]
    const bad = failures(trace(...committedThenLost))
    expect(bad.map((r) => r.property)).toEqual(['leader-completeness'])
    expect(bad[0]?.violations[0]).toMatchObject({ nodes: ['n1', 'n1'], term: 2, index: 2 })

    // The same run with the second write synced keeps the entry: no violation.
    const synced = committedThenLost.map((e) =>
      e.kind === 'persist'
        ? { ...e, synced: true }
        : e.kind === 'recover'
          ? { ...e, lastIndex: 2 }
          : e
    )
    expect(failures(trace(...synced))).toEqual([])
  })

  it('brings back entries whose truncation was never synced', () => {
    const events = trace(
      append('n1', [1, 1, noop], [2, 1, put('x', '1')]),
      persist('n1', 1, 2),
      { kind: 'truncate', node: 'n1', fromIndex: 2 },
      append('n1', [2, 2, put('x', '2')]),
      persist('n1', 2, 2, false),
      { kind: 'proc', node: 'n1', action: 'crash' },
      {
        kind: 'recover',
        node: 'n1',
        currentTerm: 1,
        votedFor: null,
        lastIndex: 2,
        lastTerm: 1,
        repaired: null
      },
      commit('n1', 2, 1),
      append('n2', [1, 1, noop], [2, 2, put('x', '2')]),
      role('n2', 'leader', 3)
    )
    // n1 committed term 1's entry at index 2 after recovery, so n2 (leader of term 3) lacks it.
    const bad = failures(events)
    expect(bad.map((r) => r.property)).toEqual(['leader-completeness'])
    expect(bad[0]?.violations[0]).toMatchObject({ nodes: ['n2', 'n1'], index: 2 })
  })

  it('streams: observe() one event at a time gives the same results as checkSafety', () => {
    const events = trace(...healthyRun(), role('n2', 'leader', 1))
    const checker = new SafetyChecker()
    for (const e of events) checker.observe(e)
    expect(checker.results()).toEqual(checkSafety(events))
    expect(checker.elections).toBe(2)
  })

  it('caps the listed violations and counts the rest', () => {
    const events: UnstampedEvent[] = []
    for (let term = 1; term <= 30; term++)
      events.push(role('n1', 'leader', term), role('n2', 'leader', term))
    const [bad] = failures(trace(...events))
    expect(bad?.violations).toHaveLength(21)
    expect(bad?.violations[20]?.message).toBe('10 more violations not listed')
  })
})
