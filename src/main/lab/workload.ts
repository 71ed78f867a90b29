// Workload clients: each one runs one operation at a time through the node
// client library (leader hints, retries with the same seq, timeouts), paced so
// the clients together issue `rate` operations per second. Every operation
// becomes an `invoke` and a `complete` event; manual operations from the UI or
// CLI take the same path through their own client.
import { RaftClient, type ClientConnections, type OpResult } from '../../node/client'
import type { KvInput } from '../../shared/history'
import type { WorkloadConfig } from '../../shared/lab-api'
import type { Rng } from '../../shared/raft/types'
import type { TraceEvent, UnstampedEvent } from '../../shared/trace'

type ClientInput = Exclude<KvInput, { op: 'append' }>

export interface OpOutcome {
  status: 'ok' | 'fail' | 'info'
  output?: { value?: string | null; swapped?: boolean }
  error?: string
  ms: number
}

export interface ClientHostOptions {
  /** host:port of every node, for the clients to find the leader. */
  addresses(): string[]
  /** The node id behind a client address, for `complete.by`. */
  nodeAt(address: string): string | undefined
  record(event: UnstampedEvent): TraceEvent | null
  now(): number
  /** The connections every client of the host shares (one per node). */
  connections: ClientConnections
}

/** One logical client: serializes its operations and records each one. */
export class LabClient {
  private readonly client: RaftClient
  private chain: Promise<unknown> = Promise.resolve()

  constructor(
    readonly name: string,
    private readonly host: ClientHostOptions,
    timeoutMs: number,
    /** Pins every request to one node, for `via:` steps (the node still redirects to the leader). */
    via?: string
  ) {
    this.client = new RaftClient({
      addresses: via ? [via] : host.addresses(),
      clientId: name,
      timeoutMs,
      // At most half a second at one node, never beyond the operation's deadline.
      attemptTimeoutMs: 500,
      connections: host.connections
    })
  }

  /** The opId of the client's next operation (when none is queued). */
  get nextSeq(): number {
    return this.client.nextSeq
  }

  /** `timeoutMs` overrides the client's deadline for this operation. */
  run(input: ClientInput, timeoutMs?: number): Promise<OpOutcome> {
    const result = this.chain.then(() => this.execute(input, timeoutMs))
    this.chain = result.catch(() => undefined)
    return result
  }

  private async execute(input: ClientInput, timeoutMs?: number): Promise<OpOutcome> {
    // The seq the client sends is the opId: an applied entry names its operation.
    const opId = this.client.nextSeq
    const start = this.host.now()
    this.host.record({ kind: 'invoke', client: this.name, opId, input })
    let r: OpResult
    try {
      r = await this.client.run(input, timeoutMs)
    } catch (err) {
      r = { status: 'unknown', error: (err as Error).message }
    }
    const status = r.status === 'unknown' ? 'info' : r.status
    const by = r.status === 'ok' ? this.host.nodeAt(r.by) : undefined
    this.host.record({
      kind: 'complete',
      client: this.name,
      opId,
      status,
      ...(r.status === 'ok' ? { output: r.output } : { error: r.error }),
      ...(by ? { by } : {})
    })
    return {
      status,
      ...(r.status === 'ok' ? { output: r.output } : { error: r.error }),
      ms: Math.round((this.host.now() - start) * 1000) / 1000
    }
  }

  close(): void {
    this.client.close()
  }
}

export class Workload {
  private running = false
  private readonly loops: Promise<void>[] = []
  /** Completion times (ms) of the last second, for ops/s in the status. */
  private recent: number[] = []

  /**
   * `clients` are the experiment's, one per `config.clients`, kept from one workload
   * to the next: a client's seq must keep rising, or the state machine takes its new
   * writes for retries of old ones.
   */
  constructor(
    readonly config: WorkloadConfig,
    private readonly host: ClientHostOptions,
    private readonly rng: Rng,
    private readonly clients: LabClient[]
  ) {}

  get isRunning(): boolean {
    return this.running
  }

  opsPerSec(): number {
    const now = this.host.now()
    this.recent = this.recent.filter((t) => t > now - 1000)
    return this.recent.length
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.clients.forEach((client, i) => this.loops.push(this.loop(client, i)))
  }

  private async loop(client: LabClient, index: number): Promise<void> {
    const perClient = this.config.rate > 0 ? this.config.rate / this.config.clients : 0
    const gapMs = perClient > 0 ? 1000 / perClient : 0
    // Spread the clients' first operations over one gap so they do not fire in lockstep.
    let next = this.host.now() + (gapMs * index) / this.config.clients
    const lastSeen = new Map<string, string | null>()
    while (this.running) {
      const wait = next - this.host.now()
      if (wait > 0) await sleep(wait)
      if (!this.running) break
      next = Math.max(next + gapMs, this.host.now())
      const input = this.pick(client, lastSeen)
      const out = await client.run(input, this.config.timeoutMs)
      if (out.status === 'ok') {
        this.recent.push(this.host.now())
        if (input.op === 'put') lastSeen.set(input.key, input.value)
        else if (out.output && 'value' in out.output)
          lastSeen.set(input.key, out.output.value ?? null)
        if (input.op === 'cas' && out.output?.swapped) lastSeen.set(input.key, input.to)
      }
    }
  }

  private pick(client: LabClient, lastSeen: Map<string, string | null>): ClientInput {
    const { mix, keys, valueSize } = this.config
    const key = `k${Math.floor(this.rng() * keys)}`
    // Unique values make the linearizability checker's job (and a reader's) easier.
    const tag = `${client.name}.${client.nextSeq}.`
    const value = (tag + 'x'.repeat(Math.max(0, valueSize - tag.length))).slice(
      0,
      Math.max(valueSize, tag.length)
    )
    const total = mix.put + mix.get + mix.cas
    const r = this.rng() * total
    if (r < mix.put) return { op: 'put', key, value }
    if (r < mix.put + mix.get) return { op: 'get', key }
    return { op: 'cas', key, from: lastSeen.get(key) ?? null, to: value }
  }

  /** Stop issuing; operations in flight finish (or time out) first. */
  async stop(): Promise<void> {
    this.running = false
    await Promise.all(this.loops)
  }

  /** Stop issuing now; the owner closes the clients, which abandons what is in flight. */
  abort(): void {
    this.running = false
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
