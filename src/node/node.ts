// The node process: hosts the pure Raft core, keeps its log in the WAL, talks
// TCP to peers and clients, and reports every observable change on stdout as
// one trace event per line (docs/node-protocol.md). Human logs go to stderr.
import net from 'node:net'
import type { Readable, Writable } from 'node:stream'
import { createRaftCore } from '../shared/raft/raft'
import { KvStore } from '../shared/raft/kv'
import type {
  CoreEvent,
  Entry,
  NodeId,
  RaftConfig,
  RaftCore,
  Ready,
  ReadMode,
  Role,
  TeachingBug
} from '../shared/raft/types'
import type { KvOutput } from '../shared/history'
import {
  clientRequestSchema,
  controlCommandSchema,
  type ClientRequest,
  type ClientResponse,
  type ErrorCode
} from '../shared/protocol'
import { TICK_MS, type FsyncMode } from '../shared/config'
import type { UnstampedEvent } from '../shared/trace'
import { seededRng } from '../shared/rng'
import { FrameConnection } from './connection'
import { LineSplitter, parseJson } from './ndjson'
import { PeerTransport, type PeerAddress } from './transport'
import { Wal, openWal } from './wal'

export interface NodeOptions {
  id: NodeId
  dir: string
  host: string
  port: number
  peers: Map<NodeId, PeerAddress>
  electionTimeoutMs: [number, number]
  heartbeatMs: number
  fsync: FsyncMode
  readMode: ReadMode
  preVote: boolean
  bugs: TeachingBug[]
  seed: number
  exitWithParent: boolean
  /** WAL segment size (small values exercise segment rollover in tests). */
  segmentBytes?: number
  /** A client request not answered within this gets TIMEOUT. */
  requestTimeoutMs: number
}

export interface NodeIo {
  stdin: Readable
  stdout: Writable
  stderr: Writable
}

/** In `batch` mode the WAL is fsync'd at most this often; acknowledgements still wait for it. */
export const BATCH_SYNC_INTERVAL_MS = 5
/** Writes acknowledged under the no-fsync teaching bug reach the OS only this often. */
export const LAZY_FLUSH_INTERVAL_MS = 1000
/** A port in use is retried this many times, this far apart, before the node gives up. */
const LISTEN_ATTEMPTS = 10
const LISTEN_RETRY_MS = 200
export const MAX_ENTRIES_PER_MESSAGE = 256
/**
 * AppendEntries with entries a leader keeps outstanding per follower: one. Every
 * write waits for an fsync on each side anyway, so pipelining buys little here;
 * waiting for the response lets the entries that arrive meanwhile go out
 * together: fewer, bigger messages per write (bench throughput, 3 nodes direct:
 * about 5,400 writes/s against 4,900 with 4 in flight).
 */
export const MAX_INFLIGHT = 1

interface Waiter {
  conn: FrameConnection
  id: number
  timer: NodeJS.Timeout
}

interface PendingRead extends Waiter {
  key: string
  /** Set once the core confirmed the read: answer when lastApplied reaches it. */
  index: number | null
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function raftConfigFor(options: NodeOptions): RaftConfig {
  const [lo, hi] = options.electionTimeoutMs
  return {
    electionTicks: [Math.max(1, Math.round(lo / TICK_MS)), Math.max(1, Math.round(hi / TICK_MS))],
    heartbeatTicks: Math.max(1, Math.round(options.heartbeatMs / TICK_MS)),
    preVote: options.preVote,
    readMode: options.readMode,
    maxEntriesPerMessage: MAX_ENTRIES_PER_MESSAGE,
    maxInflight: MAX_INFLIGHT,
    bugs: options.bugs
  }
}

export interface RunningNode {
  /** Resolves with the exit code: 0 after stop(), 1 after a fatal error (corrupt log, failed fsync). */
  done: Promise<number>
  stop(reason: string): void
}

/** Starts a node; it runs until stop() (SIGTERM) or, with exitWithParent, until stdin closes. */
export function startNode(options: NodeOptions, io: NodeIo): RunningNode {
  const node = new RaftNode(options, io)
  return { done: node.run(), stop: (reason) => node.stop(reason) }
}

class RaftNode {
  private core!: RaftCore
  private wal!: Wal
  private readonly kv = new KvStore()
  private transport!: PeerTransport
  private server: net.Server | null = null
  private listenAddress = ''
  private lastApplied = 0
  /** Last log index handed to the disk by a completed persist step (fsync'd unless --fsync never). */
  private persistedIndex = 0
  private role: Role = 'follower'
  private leader: NodeId | null = null

  /** Inputs that arrive while a Ready is being persisted wait here, then enter the core together. */
  private deferred: (() => void)[] = []
  private readyInFlight = false
  private loopScheduled = false
  private lastSyncAt = 0

  private readonly pendingWrites = new Map<string, Waiter[]>()
  private readonly pendingReads = new Map<number, PendingRead>()
  private nextReadId = 1

  private eventLines: string[] = []
  private readonly timers: NodeJS.Timeout[] = []
  private stopping = false
  private finish: (code: number) => void = () => {}

  constructor(
    private readonly options: NodeOptions,
    private readonly io: NodeIo
  ) {}

  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finish = resolve))
    try {
      this.start()
    } catch (err) {
      this.fatal(err)
    }
    return done
  }

  // ---- Start and stop ----

  private start(): void {
    const o = this.options
    if (o.fsync === 'never') {
      this.log('WARNING: --fsync never is UNSAFE: acknowledged writes can be lost on power failure')
    }
    const { wal, recovered } = openWal(o.dir, { segmentBytes: o.segmentBytes })
    this.wal = wal
    this.persistedIndex = wal.lastWrittenIndex
    if (recovered.repaired) this.log(`recovery: ${recovered.repaired}`)
    const last = recovered.entries.at(-1)
    this.emit({
      kind: 'recover',
      node: o.id,
      currentTerm: recovered.hardState.currentTerm,
      votedFor: recovered.hardState.votedFor,
      lastIndex: last?.index ?? 0,
      lastTerm: last?.term ?? 0,
      repaired: recovered.repaired
    })
    this.core = createRaftCore({
      id: o.id,
      peers: [...o.peers.keys()],
      config: raftConfigFor(o),
      rng: seededRng(o.seed),
      storage: { initialState: () => recovered }
    })
    this.transport = new PeerTransport({
      id: o.id,
      peers: o.peers,
      onMessage: (m) => this.input(() => this.core.step(m)),
      log: (text) => this.log(text)
    })

    const server = net.createServer((socket) => this.accept(socket))
    this.server = server
    let listenAttempts = 0
    server.on('error', (err: NodeJS.ErrnoException) => {
      // A restarted node's port can be briefly held (e.g. by a peer's connection attempt).
      if (err.code === 'EADDRINUSE' && o.port !== 0 && ++listenAttempts < LISTEN_ATTEMPTS) {
        this.log(`port ${o.port} in use; retrying`)
        setTimeout(() => server.listen({ host: o.host, port: o.port }), LISTEN_RETRY_MS)
        return
      }
      this.fatal(err)
    })
    server.listen({ host: o.host, port: o.port }, () => {
      const address = server.address() as net.AddressInfo
      this.listenAddress = `${o.host}:${address.port}`
      this.emit({ kind: 'listening', node: o.id, port: address.port })
      this.flushEvents()
      this.log(`node ${o.id} listening on ${this.listenAddress}, data in ${o.dir}`)
      this.transport.start()
      this.timers.push(setInterval(() => this.input(() => this.core.tick()), TICK_MS))
      this.timers.push(setInterval(() => this.flushLazyWrites(), LAZY_FLUSH_INTERVAL_MS))
    })

    const control = new LineSplitter(
      64 * 1024,
      (line) => this.control(line),
      () => this.log('control line too long; ignored the rest of stdin')
    )
    this.io.stdin.on('data', (chunk: Buffer) => control.push(chunk))
    this.io.stdin.on('end', () => {
      if (o.exitWithParent) this.stop('stdin closed (--exit-with-parent)')
    })
    this.io.stdin.on('error', () => {
      if (o.exitWithParent) this.stop('stdin failed (--exit-with-parent)')
    })
  }

  /** Clean exit (SIGTERM, or the parent went away). */
  stop(reason: string): void {
    if (this.stopping) return
    this.stopping = true
    this.log(`stopping: ${reason}`)
    this.shutdown()
    try {
      this.wal.flushLazy()
      this.wal.close()
    } catch (err) {
      this.log(`closing the WAL failed: ${(err as Error).message}`)
    }
    this.finish(0)
  }

  /** The node cannot go on safely (corrupt log, failed fsync): report and exit non-zero. */
  private fatal(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err)
    // After a clean stop, an fsync cut short by closing the WAL is not an error of the node.
    if (this.stopping) return this.log(`after stop: ${message}`)
    this.emit({ kind: 'node-error', node: this.options.id, message })
    this.flushEvents()
    this.log(`fatal: ${message}`)
    this.stopping = true
    this.shutdown()
    this.finish(1)
  }

  private shutdown(): void {
    for (const t of this.timers) clearInterval(t)
    this.server?.close()
    this.transport?.stop()
    for (const [key, waiters] of this.pendingWrites) {
      for (const w of waiters)
        this.fail(
          w,
          'UNAVAILABLE',
          'node is shutting down; the write may or may not have been applied'
        )
      this.pendingWrites.delete(key)
    }
    for (const r of this.pendingReads.values()) this.fail(r, 'UNAVAILABLE', 'node is shutting down')
    this.pendingReads.clear()
    this.flushEvents()
  }

  // ---- The driver loop (STYLE.md): persist → send → apply → advance ----

  /** Feeds an input to the core now, or after the Ready being persisted has been advanced. */
  private input(fn: () => void): void {
    if (this.stopping) return
    if (this.readyInFlight) this.deferred.push(fn)
    else fn()
    this.scheduleLoop()
  }

  private scheduleLoop(): void {
    if (this.loopScheduled || this.readyInFlight) return
    this.loopScheduled = true
    // setImmediate: inputs that arrived in the same I/O turn go into one Ready.
    setImmediate(() => {
      this.loopScheduled = false
      this.loop().catch((err: unknown) => this.fatal(err))
    })
  }

  private async loop(): Promise<void> {
    while (!this.stopping && this.core.hasReady()) {
      const rd = this.core.ready()
      this.readyInFlight = true
      await this.handleReady(rd)
      if (this.stopping) return
      this.core.advance(rd)
      this.readyInFlight = false
      // Group commit: everything that arrived during the fsync enters now and goes into the next Ready.
      const inputs = this.deferred
      this.deferred = []
      for (const fn of inputs) fn()
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    for (const e of rd.events) this.coreEvent(e)

    // Thesis §10.2.1: a leader may send AppendEntries while it writes the same entries to
    // its own disk; it counts itself for commitment only once they are durable (advance).
    // Not when the hard state changes: a term must be on disk before messages carry it.
    let messages = rd.messages
    if (rd.hardState === null) {
      this.flushEvents()
      this.transport.send(messages.filter((m) => m.type === 'AppendEntries'))
      messages = messages.filter((m) => m.type !== 'AppendEntries')
    }

    // Committed entries already on this node's disk need not wait for this Ready's new
    // entries: applying them (and answering their clients) first takes an fsync off the
    // commit latency. Each apply still follows the persist of its own entry.
    const split = rd.committed.findIndex((e) => e.index > this.persistedIndex)
    const applyNow = split < 0 ? rd.committed : rd.committed.slice(0, split)
    const applyLater = split < 0 ? [] : rd.committed.slice(split)
    this.applyAndAnswer(applyNow, rd)

    // 1. Persist: nothing below (votes, AppendEntries success, client answers) leaves before this.
    if (rd.hardState !== null || rd.entries.length > 0) {
      const lazy = !rd.mustSync
      this.wal.write(rd.hardState, rd.entries, lazy)
      const synced = !lazy && this.options.fsync !== 'never'
      if (synced) await this.sync()
      if (this.stopping) return
      this.persistedIndex = this.wal.lastWrittenIndex
      const hs = this.wal.currentHardState
      this.emit({
        kind: 'persist',
        node: this.options.id,
        currentTerm: hs.currentTerm,
        votedFor: hs.votedFor,
        lastIndex: this.persistedIndex,
        synced
      })
    }
    this.flushEvents()

    // 2. Send.
    this.transport.send(messages)

    // 3. Apply the rest, then answer the clients waiting for what was applied.
    this.applyAndAnswer(applyLater, null)
  }

  private applyAndAnswer(entries: Entry[], rd: Ready | null): void {
    for (const entry of entries) this.apply(entry)
    for (const r of rd?.reads ?? []) {
      const read = this.pendingReads.get(r.requestId)
      if (read) read.index = r.index
    }
    for (const r of rd?.refusedReads ?? []) {
      const read = this.pendingReads.get(r.requestId)
      if (read) {
        this.pendingReads.delete(r.requestId)
        this.fail(read, 'NOT_LEADER', 'not the leader (read refused)', r.leaderHint)
      }
    }
    this.answerReads()
    this.flushEvents()
  }

  private async sync(): Promise<void> {
    if (this.options.fsync === 'batch') {
      const wait = this.lastSyncAt + BATCH_SYNC_INTERVAL_MS - Date.now()
      if (wait > 0) await sleep(wait)
    }
    await this.wal.sync()
    this.lastSyncAt = Date.now()
  }

  private flushLazyWrites(): void {
    try {
      this.wal.flushLazy()
    } catch (err) {
      this.fatal(err)
    }
  }

  private coreEvent(e: CoreEvent): void {
    const node = this.options.id
    if (e.kind === 'timer') {
      this.emit({ kind: 'timer', node, ms: e.ticks * TICK_MS })
      return
    }
    this.emit({ ...e, node })
    if (e.kind === 'role') {
      const wasLeader = this.role === 'leader'
      this.role = e.role
      this.leader = e.leader
      if (wasLeader && e.role !== 'leader') this.deposed()
    }
  }

  /** §5.3 ends a leadership: what it proposed may still commit under the next leader, so writes are unknown. */
  private deposed(): void {
    for (const [key, waiters] of this.pendingWrites) {
      for (const w of waiters) {
        this.fail(
          w,
          'TIMEOUT',
          'leader deposed before the write committed; it may or may not be applied',
          this.leader
        )
      }
      this.pendingWrites.delete(key)
    }
    for (const [id, r] of this.pendingReads) {
      this.pendingReads.delete(id)
      this.fail(r, 'NOT_LEADER', 'leader deposed before the read was confirmed', this.leader)
    }
  }

  private apply(entry: Entry): void {
    const result: KvOutput | null = this.kv.apply(entry)
    this.lastApplied = entry.index
    this.emit({
      kind: 'apply',
      node: this.options.id,
      index: entry.index,
      term: entry.term,
      command: entry.command,
      result
    })
    const c = entry.command
    if (c.op === 'noop') return
    const key = `${c.client}:${c.seq}`
    const waiters = this.pendingWrites.get(key)
    if (!waiters) return
    this.pendingWrites.delete(key)
    // null: an older seq of this client, which nobody can be waiting for; answer honestly anyway.
    for (const w of waiters) {
      clearTimeout(w.timer)
      if (result === null) this.fail(w, 'TIMEOUT', 'superseded by a later write of the same client')
      else
        this.reply(w.conn, {
          type: 'ClientResponse',
          id: w.id,
          ok: true,
          result,
          index: entry.index
        })
    }
  }

  private answerReads(): void {
    for (const [id, r] of this.pendingReads) {
      if (r.index === null || r.index > this.lastApplied) continue
      this.pendingReads.delete(id)
      clearTimeout(r.timer)
      this.reply(r.conn, {
        type: 'ClientResponse',
        id: r.id,
        ok: true,
        result: { value: this.kv.get(r.key) },
        index: 0
      })
    }
  }

  // ---- Connections: the first frame decides (Hello = peer, ClientRequest = client) ----

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true)
    const conn: FrameConnection = new FrameConnection(socket, (frame) => {
      const type = frame && typeof frame === 'object' && 'type' in frame ? frame.type : undefined
      if (type === 'Hello') return this.transport.acceptPeer(conn, frame)
      if (type === 'ClientRequest') {
        conn.setHandler((f, line) => this.clientFrame(conn, f, line))
        return this.clientFrame(conn, frame, '')
      }
      conn.fail('BAD_REQUEST', 'first frame must be a Hello (peers) or a ClientRequest (clients)')
    })
  }

  private clientFrame(conn: FrameConnection, frame: unknown, line: string): void {
    const parsed = clientRequestSchema.safeParse(frame)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const message = `bad request: ${issue ? `${issue.path.join('.') || 'frame'}: ${issue.message}` : 'invalid'}`
      const id = frame && typeof frame === 'object' && 'id' in frame ? frame.id : undefined
      // Answer the request if it named itself; otherwise an Error frame. The connection stays open.
      if (typeof id === 'number' && Number.isInteger(id) && id >= 0) {
        this.reply(conn, {
          type: 'ClientResponse',
          id,
          ok: false,
          code: 'BAD_REQUEST',
          message,
          leaderHint: null
        })
      } else {
        conn.send({
          type: 'Error',
          code: 'BAD_REQUEST',
          message: frame === undefined ? `not JSON: ${line.slice(0, 80)}` : message
        })
      }
      return
    }
    const request = parsed.data
    this.input(() => this.clientRequest(conn, request))
  }

  private clientRequest(conn: FrameConnection, req: ClientRequest): void {
    if (this.stopping) return
    const timeoutMs = this.options.requestTimeoutMs
    if (req.op === 'get' && this.options.readMode === 'readindex') {
      const requestId = this.nextReadId++
      const read: PendingRead = {
        conn,
        id: req.id,
        key: req.key,
        index: null,
        timer: setTimeout(() => {
          this.pendingReads.delete(requestId)
          this.fail(read, 'TIMEOUT', `read not confirmed within ${timeoutMs} ms`, this.leader)
        }, timeoutMs)
      }
      this.pendingReads.set(requestId, read)
      this.core.readIndex(requestId)
      return
    }
    const command =
      req.op === 'put'
        ? { op: req.op, key: req.key, value: req.value, client: req.client, seq: req.seq }
        : req.op === 'cas'
          ? {
              op: req.op,
              key: req.key,
              from: req.from,
              to: req.to,
              client: req.client,
              seq: req.seq
            }
          : { op: req.op, key: req.key, client: req.client, seq: req.seq }
    const proposed = this.core.propose(command)
    if (!proposed.ok) {
      this.reply(conn, this.failure(req.id, 'NOT_LEADER', 'not the leader', proposed.leaderHint))
      return
    }
    const key = `${req.client}:${req.seq}`
    const waiter: Waiter = {
      conn,
      id: req.id,
      timer: setTimeout(() => {
        const waiters = this.pendingWrites.get(key)?.filter((w) => w !== waiter) ?? []
        if (waiters.length > 0) this.pendingWrites.set(key, waiters)
        else this.pendingWrites.delete(key)
        this.fail(
          waiter,
          'TIMEOUT',
          `not applied within ${timeoutMs} ms; it may or may not be applied later`,
          this.leader
        )
      }, timeoutMs)
    }
    const waiters = this.pendingWrites.get(key) ?? []
    waiters.push(waiter)
    this.pendingWrites.set(key, waiters)
  }

  private fail(
    w: Waiter,
    code: ErrorCode,
    message: string,
    leaderHint: NodeId | null = null
  ): void {
    clearTimeout(w.timer)
    this.reply(w.conn, this.failure(w.id, code, message, leaderHint))
  }

  private failure(
    id: number,
    code: ErrorCode,
    message: string,
    leaderHint: NodeId | null
  ): ClientResponse {
    const hint =
      leaderHint === null
        ? null
        : {
            id: leaderHint,
            address:
              leaderHint === this.options.id
                ? this.listenAddress
                : (() => {
                    const a = this.options.peers.get(leaderHint)
                    return a ? `${a.host}:${a.port}` : null
                  })()
          }
    return { type: 'ClientResponse', id, ok: false, code, message, leaderHint: hint }
  }

  private reply(conn: FrameConnection, response: ClientResponse): void {
    conn.send(response)
  }

  // ---- stdin control and stdout events ----

  private control(line: string): void {
    const parsed = controlCommandSchema.safeParse(parseJson(line))
    if (!parsed.success) {
      this.log(
        `ignored control line (expected {"type":"campaign"} or {"type":"status"}): ${line.slice(0, 120)}`
      )
      return
    }
    if (parsed.data.type === 'campaign') {
      this.input(() => this.core.campaign())
      return
    }
    const s = this.core.status()
    this.emit({
      kind: 'status',
      node: s.id,
      role: s.role,
      currentTerm: s.currentTerm,
      votedFor: s.votedFor,
      leader: s.leader,
      commitIndex: s.commitIndex,
      lastApplied: s.lastApplied,
      lastLogIndex: s.lastLogIndex,
      lastLogTerm: s.lastLogTerm,
      nextIndex: s.nextIndex,
      matchIndex: s.matchIndex
    })
    this.flushEvents()
  }

  private emit(event: UnstampedEvent): void {
    this.eventLines.push(JSON.stringify(event))
  }

  /** One write per batch; stdout to a pipe is synchronous on Linux, so a kill -9 after this loses nothing. */
  private flushEvents(): void {
    if (this.eventLines.length === 0) return
    const text = this.eventLines.join('\n') + '\n'
    this.eventLines = []
    this.io.stdout.write(text)
  }

  private log(text: string): void {
    this.io.stderr.write(`[${this.options.id}] ${text}\n`)
  }
}
