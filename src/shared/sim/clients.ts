// Simulated clients: each runs one operation at a time from a random put/get/cas
// workload over a few keys, records invoke and complete, and retries an
// operation with the same seq on another node after NOT_LEADER or a timeout,
// so client sessions keep a retried write exactly-once. An operation that gets
// no answer before its deadline completes as `info` (indeterminate).
import type { KvInput, KvOutput } from '../history'
import type { WorkloadConfig } from '../lab-api'
import type { Rng } from '../raft/types'
import { randomInt } from '../rng'

export interface WorkloadOptions {
  clients: number
  keys: number
  /** Relative weights of each operation. */
  mix: { put: number; get: number; cas: number }
  /** Pause between a client's operations, drawn from [min, max] ms. */
  thinkMs: [number, number]
  /** How long one attempt waits before trying another node. */
  attemptTimeoutMs: number
  /** How long an operation may take in total before it is indeterminate. */
  opTimeoutMs: number
  /**
   * Start-to-start time of one client's operations, as the lab's `rate` paces its
   * clients (0: back to back); set, it replaces thinkMs.
   */
  paceMs?: number
  /** Values padded to this many characters, as the lab's `valueSize` (never shorter than their unique tag). */
  valueSize?: number
  /** Keys are k<firstKey> … (default 1); the lab's clients count from k0. */
  firstKey?: number
}

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  clients: 3,
  keys: 3,
  mix: { put: 0.45, get: 0.4, cas: 0.15 },
  thinkMs: [10, 100],
  attemptTimeoutMs: 150,
  opTimeoutMs: 1000
}

/** The lab's workload settings (src/shared/lab-api.ts) as the simulator's clients run them: every field is honoured. */
export function labWorkload(config: WorkloadConfig): WorkloadOptions {
  return {
    ...DEFAULT_WORKLOAD,
    clients: config.clients,
    keys: config.keys,
    mix: config.mix,
    // `rate` is for all clients together, start to start, as the lab paces them (0: back to back).
    paceMs: config.rate > 0 ? (1000 * config.clients) / config.rate : 0,
    valueSize: config.valueSize,
    firstKey: 0,
    opTimeoutMs: config.timeoutMs,
    attemptTimeoutMs: Math.min(DEFAULT_WORKLOAD.attemptTimeoutMs, config.timeoutMs)
  }
}

export type ClientResponse =
  | { ok: true; output: KvOutput; by: string }
  | { ok: false; error: string; leaderHint: string | null; by: string }

export interface ClientRequest {
  client: string
  seq: number
  input: KvInput
  reply(response: ClientResponse): void
}

/** What a client needs from the simulator. */
export interface ClientHost {
  readonly nodes: readonly string[]
  readonly rng: Rng
  now(): number
  after(ms: number, run: () => void): void
  send(node: string, request: ClientRequest): void
  invoke(client: string, opId: number, input: KvInput): void
  complete(
    client: string,
    opId: number,
    status: 'ok' | 'info',
    output?: KvOutput,
    error?: string,
    by?: string
  ): void
}

interface Pending {
  seq: number
  input: KvInput
  /** Bumped by every attempt and every scheduled retry: older timers and answers see it changed. */
  turn: number
  target: string
}

/** A retry after NOT_LEADER waits this long, so a leaderless cluster is not flooded. */
const RETRY_BACKOFF_MS: [number, number] = [10, 50]

export class SimClient {
  private seq = 0
  private pending: Pending | null = null
  private leaderHint: string | null = null
  /** Last value this client saw per key: what its next cas expects. */
  private readonly seen = new Map<string, string | null>()
  /** Issuing operations (a workload client between start() and stop()). */
  private active = false
  /** Bumped by every start(): an operation scheduled before a stop does not run after a restart. */
  private loop = 0
  /** When the last operation started, for pacing. */
  private startedAt = 0
  completed = 0

  constructor(
    readonly id: string,
    private readonly host: ClientHost,
    /** A client never started (a student's) runs only the operations it is given. */
    private options: WorkloadOptions
  ) {}

  /** Run one given operation; its opId, or null while one is still running. */
  submit(input: KvInput, options: { via?: string; timeoutMs?: number } = {}): number | null {
    if (this.pending) return null
    this.run(input, options.via, options.timeoutMs)
    return this.seq
  }

  /** Start issuing operations, or resume after stop() (with new settings if given). */
  start(options?: WorkloadOptions): void {
    if (options) this.options = options
    if (this.active) return
    this.active = true
    this.loop++
    // An operation still in flight from before a stop schedules the next one when it ends.
    if (!this.pending) this.schedule(true)
  }

  /** Issue no more operations; the one in flight still completes (or times out). */
  stop(): void {
    this.active = false
  }

  private schedule(first: boolean): void {
    const pace = this.options.paceMs
    let delay: number
    if (pace === undefined) delay = this.think()
    // A random phase, so paced clients do not fire in lockstep.
    else if (first) delay = this.host.rng() * pace
    else delay = Math.max(0, this.startedAt + pace - this.host.now())
    const loop = this.loop
    this.host.after(delay, () => {
      if (this.active && this.loop === loop && !this.pending) this.next()
    })
  }

  private think(): number {
    return randomInt(this.host.rng, ...this.options.thinkMs)
  }

  private next(): void {
    this.run(this.chooseInput(this.seq + 1))
  }

  private finish(): void {
    if (this.active) this.schedule(false)
  }

  private run(input: KvInput, via?: string, timeoutMs = this.options.opTimeoutMs): void {
    const seq = ++this.seq
    this.startedAt = this.host.now()
    this.host.invoke(this.id, seq, input)
    const target = via ?? this.leaderHint ?? this.randomNode(null)
    this.pending = { seq, input, turn: 0, target }
    this.host.after(timeoutMs, () => {
      if (this.pending?.seq !== seq) return
      this.pending = null
      this.host.complete(this.id, seq, 'info', undefined, 'timeout')
      this.finish()
    })
    this.attempt()
  }

  private chooseInput(seq: number): KvInput {
    const { put, get, cas } = this.options.mix
    const first = this.options.firstKey ?? 1
    const key = `k${randomInt(this.host.rng, first, first + this.options.keys - 1)}`
    const value = this.value(`${this.id}.${seq}`)
    const roll = this.host.rng() * (put + get + cas)
    if (roll < put) return { op: 'put', key, value }
    if (roll < put + get) return { op: 'get', key }
    return { op: 'cas', key, from: this.seen.get(key) ?? null, to: value }
  }

  private value(tag: string): string {
    const size = this.options.valueSize
    return size === undefined || size <= tag.length ? tag : tag + 'x'.repeat(size - tag.length)
  }

  private attempt(): void {
    const op = this.pending
    if (!op) return
    const turn = ++op.turn
    const node = op.target
    this.host.send(node, {
      client: this.id,
      seq: op.seq,
      input: op.input,
      reply: (response) => this.onResponse(op.seq, turn, response)
    })
    this.host.after(this.options.attemptTimeoutMs, () => {
      if (this.pending !== op || op.turn !== turn) return
      op.target = this.randomNode(node)
      this.attempt()
    })
  }

  private onResponse(seq: number, turn: number, response: ClientResponse): void {
    const op = this.pending
    // Any attempt's answer is valid: a write is applied once whichever attempt landed.
    if (!op || op.seq !== seq) return
    if (response.ok) {
      this.pending = null
      this.leaderHint = response.by
      this.remember(op.input, response.output)
      this.completed++
      this.host.complete(this.id, seq, 'ok', response.output, undefined, response.by)
      this.finish()
      return
    }
    if (turn !== op.turn) return
    this.leaderHint = response.leaderHint
    op.target =
      response.leaderHint !== null && response.leaderHint !== response.by
        ? response.leaderHint
        : this.randomNode(response.by)
    const retry = ++op.turn
    this.host.after(randomInt(this.host.rng, ...RETRY_BACKOFF_MS), () => {
      if (this.pending === op && op.turn === retry) this.attempt()
    })
  }

  private remember(input: KvInput, output: KvOutput): void {
    if (input.op === 'get') this.seen.set(input.key, output.value ?? null)
    else if (input.op === 'put') this.seen.set(input.key, input.value)
    else if (input.op === 'cas') this.seen.set(input.key, output.value ?? null)
  }

  private randomNode(not: string | null): string {
    const nodes = this.host.nodes
    if (nodes.length === 1) return nodes[0] as string
    for (;;) {
      const node = nodes[Math.floor(this.host.rng() * nodes.length)] as string
      if (node !== not) return node
    }
  }
}
