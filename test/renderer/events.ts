// Builds stamped trace events for tests: seq counts up, t is given per event.
import type { TraceEvent, UnstampedEvent } from '@shared/trace'
import type { Entry } from '@shared/raft/types'

export function eventBuilder(): (t: number, e: UnstampedEvent) => TraceEvent {
  let seq = 0
  return (t, e) => ({ ...e, seq: ++seq, t }) as TraceEvent
}

export function put(index: number, term: number, key: string, value: string): Entry {
  return { index, term, command: { op: 'put', key, value, client: 'c1', seq: index } }
}
