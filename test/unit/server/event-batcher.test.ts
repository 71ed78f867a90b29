import { describe, expect, it } from 'vitest'
import type { LabEvent } from '../../../src/shared/lab-api'
import type { TraceEvent } from '../../../src/shared/trace'
import { EventBatcher } from '../../../src/main/api/event-batcher'

const trace = (seq: number) =>
  ({ seq, t: seq, kind: 'node-exit', node: 'n1', code: 0, signal: null }) as unknown as TraceEvent

describe('EventBatcher', () => {
  it('delivers at once when enough trace events are pending', () => {
    const batches: LabEvent[][] = []
    const batcher = new EventBatcher((b) => batches.push(b), { intervalMs: 60_000, maxEvents: 3 })
    batcher.push({ type: 'events', events: [trace(1), trace(2)], replay: false })
    expect(batches).toEqual([])
    batcher.push({ type: 'events', events: [trace(3)], replay: false })
    expect(batches).toHaveLength(1)
    expect(batches[0]).toEqual([
      { type: 'events', events: [trace(1), trace(2), trace(3)], replay: false }
    ])
    batcher.flush()
    expect(batches).toHaveLength(1)
  })

  it('keeps live and replayed events, and a message between them, apart and in order', () => {
    const batches: LabEvent[][] = []
    const batcher = new EventBatcher((b) => batches.push(b), { intervalMs: 60_000 })
    const note = { type: 'log', level: 'info', message: 'between' } as const
    batcher.push({ type: 'events', events: [trace(1)], replay: false })
    batcher.push({ type: 'reset', header: null, replay: true })
    batcher.push({ type: 'events', events: [trace(1)], replay: true })
    batcher.push(note)
    batcher.push({ type: 'events', events: [trace(2)], replay: true })
    batcher.flush()
    expect(batches).toEqual([
      [
        { type: 'events', events: [trace(1)], replay: false },
        { type: 'reset', header: null, replay: true },
        { type: 'events', events: [trace(1)], replay: true },
        note,
        { type: 'events', events: [trace(2)], replay: true }
      ]
    ])
  })
})
