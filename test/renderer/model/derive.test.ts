import { describe, expect, it } from 'vitest'
import {
  canReach,
  commandText,
  conflictingIndexes,
  formatTime,
  holders,
  logRow,
  opsSeries,
  percentile,
  stateHistory
} from '@renderer/model/derive'
import { applyEvent, createClusterState, type ClusterState } from '@renderer/model/cluster-state'
import type { UnstampedEvent } from '@shared/trace'
import { eventBuilder, put } from '../events'

function state(events: UnstampedEvent[]): ClusterState {
  const ev = eventBuilder()
  const s = createClusterState(['n1', 'n2', 'n3'])
  events.forEach((e, i) => applyEvent(s, ev(i, e)))
  return s
}

describe('log grid', () => {
  it("marks conflicts, commits and applies like the lecture's log table", () => {
    const s = state([
      { kind: 'append', node: 'n1', entries: [put(1, 1, 'a', '1'), put(2, 2, 'b', '2')] },
      { kind: 'append', node: 'n2', entries: [put(1, 1, 'a', '1'), put(2, 3, 'c', '4')] },
      { kind: 'commit', node: 'n1', commitIndex: 1, term: 1 },
      { kind: 'apply', node: 'n1', ...put(1, 1, 'a', '1'), result: {} }
    ])
    const conflicts = conflictingIndexes(s)
    expect([...conflicts]).toEqual([2])
    const row = logRow(s.nodes.n1!, 1, 3, conflicts)
    expect(
      row.map((c) => [c.index, c.entry?.term ?? null, c.committed, c.applied, c.conflict])
    ).toEqual([
      [1, 1, true, true, false],
      [2, 2, false, false, true],
      [3, null, false, false, false]
    ])
    expect(holders(s, put(1, 1, 'a', '1'))).toEqual(['n1', 'n2'])
  })

  it('describes commands in the lecture notation', () => {
    expect(commandText({ op: 'put', key: 'a', value: '1', client: 'c', seq: 1 })).toBe('put(a, 1)')
    expect(commandText({ op: 'cas', key: 'a', from: null, to: '2', client: 'c', seq: 1 })).toBe(
      'cas(a, ∅ → 2)'
    )
    expect(commandText({ op: 'noop' })).toBe('noop')
  })
})

describe('stateHistory', () => {
  it("is the lecture's state table: the state after each applied entry", () => {
    const s = state([
      { kind: 'apply', node: 'n1', ...put(1, 1, 'a', '1'), result: {} },
      { kind: 'apply', node: 'n1', ...put(2, 1, 'b', '2'), result: {} },
      { kind: 'apply', node: 'n1', ...put(3, 1, 'a', '3'), result: {} },
      { kind: 'apply', node: 'n1', ...put(4, 1, 'c', '4'), result: {} }
    ])
    const h = stateHistory(s.nodes.n1!)
    expect(h.keys).toEqual(['a', 'b', 'c'])
    expect(h.rows.map((r) => [r.index, r.command, r.values])).toEqual([
      [1, 'put(a, 1)', { a: '1' }],
      [2, 'put(b, 2)', { a: '1', b: '2' }],
      [3, 'put(a, 3)', { a: '3', b: '2' }],
      [4, 'put(c, 4)', { a: '3', b: '2', c: '4' }]
    ])
    expect(h.rows[2]!.changed).toEqual(['a'])
  })
})

describe('canReach', () => {
  it('follows partitions, isolation and cut links, one way at a time', () => {
    const s = state([{ kind: 'fault', action: 'partition', groups: [['n1', 'n2'], ['n3']] }])
    expect(canReach(s, 'n1', 'n2')).toBe(true)
    expect(canReach(s, 'n1', 'n3')).toBe(false)
    applyEvent(s, { seq: 99, t: 9, kind: 'fault', action: 'heal' })
    applyEvent(s, {
      seq: 100,
      t: 9,
      kind: 'fault',
      action: 'link',
      from: 'n1',
      to: 'n2',
      link: { up: false }
    })
    expect(canReach(s, 'n1', 'n2')).toBe(false)
    expect(canReach(s, 'n2', 'n1')).toBe(true)
    applyEvent(s, { seq: 101, t: 9, kind: 'fault', action: 'isolate', target: 'n3' })
    expect(canReach(s, 'n2', 'n3')).toBe(false)
  })

  it('a wildcard link fault applies to every node', () => {
    const s = state([{ kind: 'fault', action: 'link', from: '*', to: 'n3', link: { up: false } }])
    expect(canReach(s, 'n1', 'n3')).toBe(false)
    expect(canReach(s, 'n3', 'n1')).toBe(true)
  })
})

describe('metrics', () => {
  it('nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(percentile(xs, 50)).toBe(50)
    expect(percentile(xs, 99)).toBe(99)
    expect(percentile([], 50)).toBeNull()
  })

  it('ops per second and latency per bucket', () => {
    expect(opsSeries([{ t: 1000, ok: 3, failed: 1, latencies: [5, 1, 9] }])).toEqual([
      { t: 1000, opsPerSec: 4, p50: 5, p99: 9 }
    ])
  })

  it('formats elapsed time', () => {
    expect(formatTime(62_500)).toBe('01:02.5')
    expect(formatTime(0)).toBe('00:00.0')
  })
})
