// A trace held for replay: the events of a window, the state before the window
// (base), the state after it (live), and checkpoints built lazily so scrubbing
// thousands of events folds only from the nearest checkpoint.
import type { TraceEvent } from '@shared/trace'
import { applyEvent, cloneState, createClusterState, type ClusterState } from './cluster-state'

export interface TimelineOptions {
  /** Events kept for replay; older ones are folded into `base` and dropped. */
  maxEvents: number
  /** A checkpoint every this many events. */
  checkpointEvery: number
}

export const DEFAULT_TIMELINE_OPTIONS: TimelineOptions = {
  maxEvents: 200_000,
  checkpointEvery: 2_000
}

export class Timeline {
  readonly options: TimelineOptions
  private base: ClusterState
  /** Events after `base`; events[i] has absolute number `dropped + i`. */
  private events: TraceEvent[] = []
  private dropped = 0
  /** State after absolute event number k - 1, keyed by k (a multiple of checkpointEvery). */
  private checkpoints = new Map<number, ClusterState>()
  readonly live: ClusterState

  constructor(nodeIds: string[] = [], options: Partial<TimelineOptions> = {}) {
    this.options = { ...DEFAULT_TIMELINE_OPTIONS, ...options }
    this.base = createClusterState(nodeIds)
    this.live = createClusterState(nodeIds)
  }

  get size(): number {
    return this.events.length
  }

  /** Time of the first event still held, or of the base state. */
  get startT(): number {
    return this.events[0]?.t ?? this.base.t
  }

  get endT(): number {
    return this.live.t
  }

  append(events: readonly TraceEvent[]): void {
    for (const e of events) {
      this.events.push(e)
      applyEvent(this.live, e)
    }
    const { maxEvents, checkpointEvery } = this.options
    if (this.events.length > maxEvents + checkpointEvery) {
      const drop = this.events.length - maxEvents
      for (let i = 0; i < drop; i++) applyEvent(this.base, this.events[i]!)
      this.events.splice(0, drop)
      this.dropped += drop
      for (const k of this.checkpoints.keys()) if (k < this.dropped) this.checkpoints.delete(k)
    }
  }

  /** Number of held events with t <= time (or < time when `strict`); events arrive in time order. */
  private countUpTo(time: number, strict = false): number {
    let lo = 0
    let hi = this.events.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const t = this.events[mid]!.t
      if (strict ? t < time : t <= time) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** A fresh state after the first `count` held events. */
  stateAfter(count: number): ClusterState {
    const target = this.dropped + Math.max(0, Math.min(count, this.events.length))
    const every = this.options.checkpointEvery
    // Walk down to the nearest checkpoint we have (or the base), then fold forward,
    // leaving checkpoints behind so the next scrub nearby is cheap.
    let k = Math.floor(target / every) * every
    while (k > this.dropped && !this.checkpoints.has(k)) k -= every
    let from: number
    let state: ClusterState
    if (k > this.dropped && this.checkpoints.has(k)) {
      state = cloneState(this.checkpoints.get(k)!)
      from = k
    } else {
      state = cloneState(this.base)
      from = this.dropped
    }
    for (let abs = from; abs < target; abs++) {
      applyEvent(state, this.events[abs - this.dropped]!)
      if ((abs + 1) % every === 0 && !this.checkpoints.has(abs + 1))
        this.checkpoints.set(abs + 1, cloneState(state))
    }
    return state
  }

  /** A fresh state with every held event up to and including time `time`. */
  stateAt(time: number): ClusterState {
    const state = this.stateAfter(this.countUpTo(time))
    state.t = Math.max(state.t, Math.min(time, this.endT))
    return state
  }

  /** Held events in [from, to] (ms), for views that list events. */
  eventsBetween(from: number, to: number): TraceEvent[] {
    return this.events.slice(this.countUpTo(from, true), this.countUpTo(to))
  }

  checkpointCount(): number {
    return this.checkpoints.size
  }
}
