// The Raft Lab client library: used by `raftlab client`, the benchmark and the
// lab's workload. It finds the leader by following NOT_LEADER hints, retries
// with the same sequence number (the state machine applies a write once), and
// reports each operation as ok, fail (definitely not applied) or unknown.
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import type { KvInput, KvOutput } from '../shared/history'
import {
  MAX_FRAME_BYTES,
  clientResponseSchema,
  type ClientRequest,
  type ClientResponse
} from '../shared/protocol'
import { LineSplitter, coalesceWrites, parseJson } from './ndjson'

export type OpResult =
  /** Applied (writes) or read; `by` is the address that answered, `index` the log index (0 for ReadIndex reads). */
  | { status: 'ok'; output: KvOutput; index: number; by: string }
  /** Definitely not applied: no node accepted it before the deadline. */
  | { status: 'fail'; error: string }
  /** May or may not have been applied (a write sent to a leader that never answered). */
  | { status: 'unknown'; error: string }

export interface ClientOptions {
  /** host:port of every node (any order; the leader is found by following hints). */
  addresses: string[]
  /** Session id for exactly-once writes; random by default. */
  clientId?: string
  /** Deadline for one operation, retries included. */
  timeoutMs?: number
  /** Deadline for one attempt at one node before trying again. */
  attemptTimeoutMs?: number
  /** Connections shared with other clients (closed by their owner); by default the client's own. */
  connections?: ClientConnections
}

export const DEFAULT_OP_TIMEOUT_MS = 5000
const DEFAULT_ATTEMPT_TIMEOUT_MS = 2500
/**
 * Pause before trying the next node when this one knows no leader (an election is
 * probably running): short, as a new leader is found only by asking the nodes in turn.
 */
const NO_LEADER_BACKOFF_MS = 20
/**
 * A retry is not sent with less time than this left: its answer could hardly be
 * back in time, and a write sent but not answered turns the outcome unknown.
 */
const MIN_RETRY_MS = 20

type Outcome =
  { kind: 'response'; response: ClientResponse } | { kind: 'lost'; sent: boolean; error: string }

/** One connection to one node; requests are told apart by id, so many clients can share it. */
class NodeConnection {
  private socket: net.Socket | null = null
  private ready: Promise<void> | null = null
  private nextId = 1
  private readonly waiting = new Map<number, (outcome: Outcome) => void>()

  constructor(readonly address: string) {}

  /**
   * Sends a request; `outcome` resolves with the answer, or `lost` when the
   * connection fails first or the request is abandoned.
   */
  request(
    frame: Omit<ClientRequest, 'id'>,
    timeoutMs: number
  ): { id: number; outcome: Promise<Outcome> } {
    const id = this.nextId++
    const outcome = new Promise<Outcome>((resolve) => {
      let sent = false
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        resolve({ kind: 'lost', sent, error: `no answer from ${this.address} in ${timeoutMs} ms` })
      }, timeoutMs)
      this.waiting.set(id, (o) => {
        clearTimeout(timer)
        this.waiting.delete(id)
        resolve(o.kind === 'lost' ? { ...o, sent } : o)
      })
      this.connect().then(
        () => {
          if (!this.waiting.has(id)) return
          sent = true
          const socket = this.socket!
          coalesceWrites(socket)
          socket.write(JSON.stringify({ ...frame, id }) + '\n')
        },
        (err: Error) => this.waiting.get(id)?.({ kind: 'lost', sent: false, error: err.message })
      )
    })
    return { id, outcome }
  }

  /** Settles a request as lost without waiting for its answer (its client closed). */
  abandon(id: number, error: string): void {
    this.waiting.get(id)?.({ kind: 'lost', sent: true, error })
  }

  close(): void {
    this.socket?.destroy()
  }

  private connect(): Promise<void> {
    if (this.ready) return this.ready
    const [host, port] = splitAddress(this.address)
    const socket = net.connect({ host, port })
    socket.setNoDelay(true)
    this.socket = socket
    const splitter = new LineSplitter(
      MAX_FRAME_BYTES,
      (line) => this.onLine(line),
      () => socket.destroy(new Error(`${this.address} sent an oversized frame`))
    )
    socket.on('data', (chunk: Buffer) => splitter.push(chunk))
    this.ready = new Promise((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('error', (err) => reject(err))
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      if (this.socket === socket) {
        this.socket = null
        this.ready = null
      }
      for (const settle of [...this.waiting.values()]) {
        settle({ kind: 'lost', sent: true, error: `connection to ${this.address} closed` })
      }
    })
    return this.ready
  }

  private onLine(line: string): void {
    const parsed = clientResponseSchema.safeParse(parseJson(line))
    // An Error frame (or garbage) answers no particular request; the close that follows fails them.
    if (!parsed.success) return
    this.waiting.get(parsed.data.id)?.({ kind: 'response', response: parsed.data })
  }
}

/**
 * One connection per node address, shared by the clients given it, as etcd's
 * clients share a gRPC channel: their requests and the node's answers travel
 * together instead of one connection (and one write each way) per client.
 */
export class ClientConnections {
  private readonly byAddress = new Map<string, NodeConnection>()

  get(address: string): NodeConnection {
    let c = this.byAddress.get(address)
    if (!c) {
      c = new NodeConnection(address)
      this.byAddress.set(address, c)
    }
    return c
  }

  /** Closes every connection: requests in flight on them are lost. */
  close(): void {
    for (const c of this.byAddress.values()) c.close()
    this.byAddress.clear()
  }
}

export function splitAddress(address: string): [string, number] {
  const m = /^(.+):(\d{1,5})$/.exec(address)
  const port = m ? Number(m[2]) : NaN
  if (!m || port < 1 || port > 65535) throw new Error(`"${address}" is not host:port`)
  return [m[1]!, port]
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export class RaftClient {
  readonly clientId: string
  private readonly connections: ClientConnections
  private readonly ownsConnections: boolean
  /** The request waiting for an answer, abandoned if the client closes. */
  private inFlight: { connection: NodeConnection; id: number } | null = null
  private readonly addresses: string[]
  private leaderGuess = 0
  private seq = 0
  private readonly timeoutMs: number
  private readonly attemptTimeoutMs: number
  /** Operations of one client run one at a time: the state machine keeps one session per client. */
  private queue: Promise<unknown> = Promise.resolve()
  private closed = false

  constructor(options: ClientOptions) {
    if (options.addresses.length === 0) throw new Error('no node addresses given')
    options.addresses.forEach(splitAddress)
    this.addresses = [...options.addresses]
    this.clientId = options.clientId ?? `c-${randomBytes(4).toString('hex')}`
    this.timeoutMs = options.timeoutMs ?? DEFAULT_OP_TIMEOUT_MS
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS
    this.ownsConnections = !options.connections
    this.connections = options.connections ?? new ClientConnections()
  }

  /** The sequence number the next operation will use (the `opId` of its trace events). */
  get nextSeq(): number {
    return this.seq + 1
  }

  put(key: string, value: string): Promise<OpResult> {
    return this.run({ op: 'put', key, value })
  }

  get(key: string): Promise<OpResult> {
    return this.run({ op: 'get', key })
  }

  cas(key: string, from: string | null, to: string): Promise<OpResult> {
    return this.run({ op: 'cas', key, from, to })
  }

  /** `timeoutMs` overrides the client's deadline for this operation. */
  run(input: Exclude<KvInput, { op: 'append' }>, timeoutMs = this.timeoutMs): Promise<OpResult> {
    const result = this.queue.then(() => this.execute(input, timeoutMs))
    this.queue = result.catch(() => undefined)
    return result
  }

  close(): void {
    this.closed = true
    if (this.ownsConnections) this.connections.close()
    else if (this.inFlight) this.inFlight.connection.abandon(this.inFlight.id, 'client closed')
  }

  private async execute(
    input: Exclude<KvInput, { op: 'append' }>,
    timeoutMs: number
  ): Promise<OpResult> {
    const seq = ++this.seq
    const frame = { type: 'ClientRequest', client: this.clientId, seq, ...input } as Omit<
      ClientRequest,
      'id'
    >
    const deadline = Date.now() + timeoutMs
    // A write is unknown once any node may have proposed it without telling us the outcome.
    let maybeApplied = false
    let lastError = 'no attempt made'
    let address = this.addresses[this.leaderGuess % this.addresses.length]!
    for (let attempt = 0; !this.closed; attempt++) {
      const left = deadline - Date.now()
      if (left <= 0 || (attempt > 0 && left < MIN_RETRY_MS)) break
      const connection = this.connections.get(address)
      const { id, outcome: pending } = connection.request(
        frame,
        Math.min(left, this.attemptTimeoutMs)
      )
      this.inFlight = { connection, id }
      const outcome = await pending
      this.inFlight = null
      if (outcome.kind === 'lost') {
        lastError = outcome.error
        if (outcome.sent) maybeApplied = true
        address = this.nextAddress(address)
        continue
      }
      const response = outcome.response
      if (response.ok) {
        this.leaderGuess = Math.max(0, this.addresses.indexOf(address))
        return { status: 'ok', output: response.result, index: response.index, by: address }
      }
      lastError = `${response.code}: ${response.message}`
      if (response.code !== 'NOT_LEADER' && response.code !== 'BAD_REQUEST') maybeApplied = true
      if (response.code === 'BAD_REQUEST') return { status: 'fail', error: lastError }
      const hinted = response.leaderHint?.address
      if (hinted && hinted !== address) {
        if (!this.addresses.includes(hinted)) this.addresses.push(hinted)
        address = hinted
      } else {
        address = this.nextAddress(address)
        await sleep(Math.min(NO_LEADER_BACKOFF_MS, Math.max(0, deadline - Date.now())))
      }
    }
    if (this.closed) lastError = 'client closed'
    const error = `gave up after ${timeoutMs} ms (${lastError})`
    return maybeApplied ? { status: 'unknown', error } : { status: 'fail', error }
  }

  private nextAddress(current: string): string {
    const i = this.addresses.indexOf(current)
    this.leaderGuess = (i + 1) % this.addresses.length
    return this.addresses[this.leaderGuess]!
  }
}
