import { describe, expect, it } from 'vitest'
import { Timeline } from '@renderer/model/timeline'
import { applyEvent, createClusterState, nodeIdsFor } from '@renderer/model/cluster-state'
import type { TraceEvent } from '@shared/trace'
import { eventBuilder, put } from '../events'

/** n1 leads term 1 and appends one entry per 10 ms; n2 commits it. */
function run(count: number): TraceEvent[] {
  const ev = eventBuilder()
  const out: TraceEvent[] = [
    ev(0, { kind: 'role', node: 'n1', role: 'leader', term: 1, leader: 'n1' })
  ]
  for (let i = 1; i <= count; i++) {
    const t = i * 10
    out.push(
      i % 2 === 0
        ? ev(t, { kind: 'commit', node: 'n2', commitIndex: i - 1, term: 1 })
        : ev(t, { kind: 'append', node: 'n1', entries: [put((i + 1) / 2, 1, 'a', `${i}`)] })
    )
  }
  return out
}

describe('Timeline', () => {
  it('replays the state at any instant, equal to folding the prefix', () => {
    const events = run(500)
    const tl = new Timeline(nodeIdsFor(3), { checkpointEvery: 50, maxEvents: 10_000 })
    tl.append(events)
    for (const time of [0, 5, 10, 1234, 2500, 5000, 9999]) {
      const expected = createClusterState(nodeIdsFor(3))
      for (const e of events) if (e.t <= time) applyEvent(expected, e)
      expected.t = Math.max(expected.t, Math.min(time, tl.endT))
      expect(tl.stateAt(time)).toEqual(expected)
    }
  })

  it('leaves checkpoints behind, and a replayed state never changes the live one', () => {
    const tl = new Timeline(nodeIdsFor(3), { checkpointEvery: 100, maxEvents: 10_000 })
    tl.append(run(1000))
    expect(tl.checkpointCount()).toBe(0)
    const mid = tl.stateAt(5000)
    expect(tl.checkpointCount()).toBe(5)
    mid.nodes.n1!.log.length = 0
    expect(tl.live.nodes.n1!.log.length).toBeGreaterThan(300)
    expect(tl.stateAt(5000).nodes.n1!.log.length).toBe(
      run(1000).filter((e) => e.t <= 5000 && e.kind === 'append' && e.node === 'n1').length
    )
  })

  it('keeps a bounded window: older events fold into the base state', () => {
    const events = run(1000)
    const tl = new Timeline(nodeIdsFor(3), { checkpointEvery: 100, maxEvents: 300 })
    tl.append(events.slice(0, 500))
    tl.append(events.slice(500))
    expect(tl.size).toBeLessThanOrEqual(400)
    expect(tl.startT).toBeGreaterThan(0)
    // Before the window: the state at its start. Inside it: exact.
    const expected = createClusterState(nodeIdsFor(3))
    for (const e of events) if (e.t <= 9000) applyEvent(expected, e)
    expect(tl.stateAt(9000).nodes).toEqual(expected.nodes)
    expect(tl.live.eventCount).toBe(1001)
  })

  it('lists events in a time range', () => {
    const tl = new Timeline(nodeIdsFor(3))
    tl.append(run(10))
    expect(tl.eventsBetween(20, 40).map((e) => e.t)).toEqual([20, 30, 40])
  })
})
