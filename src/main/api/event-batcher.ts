// Collects LabEvents and delivers them in batches, so a renderer receives a few messages a
// second instead of one per trace event. Consecutive trace-event batches are merged and a
// status snapshot replaces the one just before it: the renderer only needs the latest.
import type { LabEvent } from '../../shared/lab-api'

export interface EventBatcherOptions {
  /** How long the first event of a batch may wait. */
  intervalMs?: number
  /** Deliver at once when this many trace events are pending. */
  maxEvents?: number
}

export class EventBatcher {
  private pending: LabEvent[] = []
  private pendingTraceEvents = 0
  private timer: ReturnType<typeof setTimeout> | null = null
  private readonly intervalMs: number
  private readonly maxEvents: number

  constructor(
    private readonly deliver: (batch: LabEvent[]) => void,
    options: EventBatcherOptions = {}
  ) {
    this.intervalMs = options.intervalMs ?? 50
    this.maxEvents = options.maxEvents ?? 5000
  }

  push(event: LabEvent): void {
    const last = this.pending[this.pending.length - 1]
    if (event.type === 'events') {
      if (last?.type === 'events' && last.replay === event.replay) {
        this.pending[this.pending.length - 1] = {
          ...last,
          events: last.events.concat(event.events)
        }
      } else {
        this.pending.push(event)
      }
      this.pendingTraceEvents += event.events.length
    } else if (event.type === 'status' && last?.type === 'status') {
      this.pending[this.pending.length - 1] = event
    } else {
      this.pending.push(event)
    }
    if (this.pendingTraceEvents >= this.maxEvents) this.flush()
    else this.timer ??= setTimeout(() => this.flush(), this.intervalMs)
  }

  /** Deliver what is pending now (also before shutting down). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    this.pendingTraceEvents = 0
    this.deliver(batch)
  }
}
