// The deterministic simulator: N Raft cores on a virtual clock, a simulated
// network and disks, crashes, pauses and clients, all driven by one seeded RNG
// and one event queue. It emits the same trace events a real cluster records.
// Step-wise: the app's Web Worker calls runUntil()/step() and reads nodeStates().
import { createRaftCore, KvStore, MemoryStorage } from '../raft'
import type {
  CoreEvent,
  CoreStatus,
  Entry,
  HardState,
  RaftConfig,
  RaftCore,
  RaftMessage,
  Rng
} from '../raft/types'
import type { KvInput, KvOutput } from '../history'
import type { ClusterConfig } from '../config'
import { TICK_MS } from '../config'
import { randomInt, seededRng } from '../rng'
import type { TraceEvent, UnstampedEvent } from '../trace'
import { EventQueue } from './event-queue'
import { SimNetwork } from './network'
import { faultSchedule, type FaultKind, type SimAction } from './faults'
import { DEFAULT_WORKLOAD, SimClient, type ClientRequest, type WorkloadOptions } from './clients'

export interface SimOptions {
  seed: number
  /** The cluster: nodes, timeouts (ms), PreVote, read mode, teaching bug. `fsync` is the core's business here. */
  config: ClusterConfig
  durationMs: number
  faults: readonly FaultKind[]
  /** The clients' workload from the start (DEFAULT_WORKLOAD's settings unless given); null: none until startWorkload(). */
  workload?: Partial<WorkloadOptions> | null
  /** One-way latency of a healthy link, uniform in [min, max] ms. */
  baseDelayMs?: [number, number]
  /** Client ↔ node latency, uniform in [min, max] ms (clients talk to nodes directly, as in the lab). */
  clientDelayMs?: [number, number]
  /**
   * With the `crash` fault: the chance that a node crashes right after a disk write
   * or a commit (and restarts a moment later); see crashPoint().
   */
  crashPoints?: number
  /** The same for a leader's disk writes and commits (a leader dying mid-replication is what Figure 8 is about). */
  leaderCrashPoints?: number
  /** Emit `net` events (default true); a run that keeps no trace can skip them, as no checker reads them. */
  traceNetwork?: boolean
  /** Emit `timer` events, one per election timer reset (default true); no checker reads them either. */
  traceTimers?: boolean
  /** Core settings the cluster config does not cover (batching, pipelining). */
  raft?: Partial<Pick<RaftConfig, 'maxEntriesPerMessage' | 'maxInflight'>>
}

/** As the lab reports its processes: `stopped` after a graceful stop, `crashed` after a kill. */
export type SimNodeStatus = 'running' | 'paused' | 'crashed' | 'stopped'

export interface SimNodeState {
  id: string
  status: SimNodeStatus
  /** The core's view (Figure 2's state); null while down. */
  core: CoreStatus | null
  /** What is on disk, synced or not: hard state and last log index. */
  hardState: HardState
  lastIndex: number
  kv: Record<string, string>
}

export interface SimStats {
  elections: number
  messagesSent: number
  opsCompleted: number
  opsIndeterminate: number
  crashes: number
  events: number
}

type Inbound =
  | { kind: 'message'; message: RaftMessage; msgId: number }
  | { kind: 'client'; request: ClientRequest }

interface SimNode {
  id: string
  peers: string[]
  status: SimNodeStatus
  core: RaftCore | null
  disk: MemoryStorage
  hardState: HardState
  lastIndex: number
  kv: KvStore
  lastApplied: number
  /** Ticks scheduled under an older incarnation are ignored. */
  incarnation: number
  /** What arrived while paused, delivered in order on resume. */
  inbox: Inbound[]
  /** Client writes (and log reads) by the index they were proposed at. */
  proposals: Map<number, ClientRequest>
  reads: Map<number, ClientRequest>
  /** Confirmed ReadIndex reads waiting for lastApplied to reach their index. */
  readyReads: { index: number; request: ClientRequest }[]
  nextReadId: number
  /** Whether the core's last role event made it leader. */
  leads: boolean
}

type Listener = (event: TraceEvent) => void

/** Who sends a submitted operation, and how. */
export interface SubmitOptions {
  /** The client (default MANUAL_CLIENT); each runs one operation at a time. */
  client?: string
  /** The node its first attempt goes to (a scenario's `via:`); retries follow leader hints. */
  via?: string
  /** How long before it completes as indeterminate (default: the workload's opTimeoutMs). */
  timeoutMs?: number
}

/** The client id of operations a student sends by hand. */
export const MANUAL_CLIENT = 'you'

const SIM_DEFAULTS = {
  baseDelayMs: [1, 5] as [number, number],
  clientDelayMs: [0.5, 2] as [number, number],
  maxEntriesPerMessage: 64,
  maxInflight: 4,
  crashPoints: 0.005,
  leaderCrashPoints: 0.02,
  /** Downtime after a crash-after-persist. */
  quickRestartMs: [0.5, 5] as [number, number]
}

/** Message size in bytes, estimated (a JSON encoding per message would dominate the run time). */
function estimatedSize(message: RaftMessage): number {
  return message.type === 'AppendEntries' ? 160 + 90 * message.entries.length : 120
}

function isDown(node: SimNode): boolean {
  return node.status === 'crashed' || node.status === 'stopped'
}

export class Simulator {
  readonly nodeIds: string[]
  readonly stats: SimStats = {
    elections: 0,
    messagesSent: 0,
    opsCompleted: 0,
    opsIndeterminate: 0,
    crashes: 0,
    events: 0
  }
  private time = 0
  private seq = 0
  private readonly rng: Rng
  private readonly queue = new EventQueue<() => void>()
  private readonly network: SimNetwork
  private readonly nodes = new Map<string, SimNode>()
  private readonly raftConfig: RaftConfig
  private readonly clientDelayMs: [number, number]
  private readonly crashPoints: number
  private readonly leaderCrashPoints: number
  private readonly traceNetwork: boolean
  private readonly traceTimers: boolean
  private readonly listeners: Listener[] = []
  private readonly msgIds = new Map<string, number>()
  private started = false
  private halted = false
  /** Clients that send only what is submitted: the student's, a scenario's. */
  private readonly submitters = new Map<string, SimClient>()
  /** The workload's clients c1, c2, …: kept across stop and start, so each client's opIds stay unique. */
  private readonly workloadClients: SimClient[] = []
  private workloadOn = false

  constructor(readonly options: SimOptions) {
    const { config } = options
    if (!(options.durationMs >= 0))
      throw new Error(`durationMs must be >= 0, got ${options.durationMs}`)
    this.rng = seededRng(options.seed)
    this.nodeIds = Array.from({ length: config.nodes }, (_, i) => `n${i + 1}`)
    this.network = new SimNetwork(
      this.nodeIds,
      this.rng,
      options.baseDelayMs ?? SIM_DEFAULTS.baseDelayMs
    )
    this.clientDelayMs = options.clientDelayMs ?? SIM_DEFAULTS.clientDelayMs
    this.raftConfig = {
      electionTicks: [
        Math.max(1, Math.round(config.electionTimeoutMs[0] / TICK_MS)),
        Math.max(1, Math.round(config.electionTimeoutMs[1] / TICK_MS))
      ],
      heartbeatTicks: Math.max(1, Math.round(config.heartbeatMs / TICK_MS)),
      preVote: config.prevote,
      readMode: config.readMode,
      maxEntriesPerMessage: options.raft?.maxEntriesPerMessage ?? SIM_DEFAULTS.maxEntriesPerMessage,
      maxInflight: options.raft?.maxInflight ?? SIM_DEFAULTS.maxInflight,
      bugs: config.bug ? [config.bug] : []
    }
    this.traceNetwork = options.traceNetwork ?? true
    this.traceTimers = options.traceTimers ?? true
    const crashes = options.faults.includes('crash')
    this.crashPoints = crashes ? (options.crashPoints ?? SIM_DEFAULTS.crashPoints) : 0
    this.leaderCrashPoints = crashes
      ? (options.leaderCrashPoints ?? SIM_DEFAULTS.leaderCrashPoints)
      : 0
  }

  /** Virtual time in ms since the run started. */
  get now(): number {
    return this.time
  }

  /** True when nothing is left to run before the end of the run. */
  get done(): boolean {
    const next = this.queue.peekTime()
    return this.started && (this.halted || next === undefined || next > this.options.durationMs)
  }

  /** End the run now, before its duration: nothing scheduled runs any more (a scenario's end). */
  halt(): void {
    this.halted = true
  }

  /** Called for every trace event, in seq order. Returns a function that unsubscribes. */
  onEvent(listener: Listener): () => void {
    this.listeners.push(listener)
    return () => {
      const i = this.listeners.indexOf(listener)
      if (i >= 0) this.listeners.splice(i, 1)
    }
  }

  /**
   * A student's own operation (or a scenario's), sent with the workload's retries and
   * timeout by the client `you` unless another is named; it completes in the trace like
   * any other. Its opId, or null while that client's previous one is running.
   */
  submit(input: KvInput, options: SubmitOptions = {}): number | null {
    this.start()
    if (options.via !== undefined) this.node(options.via)
    const name = options.client ?? MANUAL_CLIENT
    let client = this.submitters.get(name)
    if (!client) {
      client = new SimClient(name, this.clientHost(), {
        ...DEFAULT_WORKLOAD,
        ...this.options.workload
      })
      this.submitters.set(name, client)
    }
    return client.submit(input, options)
  }

  /** Run `run` at virtual time `at` (or now, if that has passed), in turn with the run's own events. */
  schedule(at: number, run: () => void): void {
    this.at(Math.max(at, this.time), run)
  }

  /** Add an event from outside the cluster to the trace (a scenario's steps, a note). */
  record(event: UnstampedEvent): void {
    this.emit({ ...event, seq: 0, t: 0 } as TraceEvent)
  }

  /** Start the nodes, the clients and the fault schedule (once; step and run call it). */
  start(): void {
    if (this.started) return
    this.started = true
    for (const id of this.nodeIds) {
      const node: SimNode = {
        id,
        peers: this.nodeIds.filter((p) => p !== id),
        status: 'crashed',
        core: null,
        disk: new MemoryStorage(),
        hardState: { currentTerm: 0, votedFor: null },
        lastIndex: 0,
        kv: new KvStore(),
        lastApplied: 0,
        incarnation: 0,
        inbox: [],
        proposals: new Map(),
        reads: new Map(),
        readyReads: [],
        nextReadId: 0,
        leads: false
      }
      this.nodes.set(id, node)
      this.boot(node, 'start')
    }
    if (this.options.workload !== null) this.startWorkload(this.options.workload)
    const schedule = faultSchedule(this.rng, {
      nodes: this.nodeIds,
      durationMs: this.options.durationMs,
      kinds: this.options.faults,
      electionTimeoutMs: this.options.config.electionTimeoutMs
    })
    for (const { at, action } of schedule) this.at(at, () => this.perform(action))
  }

  get workloadRunning(): boolean {
    return this.workloadOn
  }

  /**
   * Start the workload's clients now (DEFAULT_WORKLOAD's settings unless given).
   * Throws while one runs: stop it first.
   */
  startWorkload(options: Partial<WorkloadOptions> = {}): void {
    this.start()
    if (this.workloadOn) throw new Error('a workload is already running: stop it first')
    this.workloadOn = true
    const workload = { ...DEFAULT_WORKLOAD, ...options }
    for (let i = 1; i <= workload.clients; i++) {
      let client = this.workloadClients[i - 1]
      if (!client) {
        client = new SimClient(`c${i}`, this.clientHost(), workload)
        this.workloadClients.push(client)
      }
      client.start(workload)
    }
  }

  /** The workload's clients issue no more operations; those in flight complete or time out. */
  stopWorkload(): void {
    this.workloadOn = false
    for (const client of this.workloadClients) client.stop()
  }

  /** Run the next scheduled event; false when the run is over. */
  step(): boolean {
    this.start()
    if (this.done) return false
    const next = this.queue.peekTime()
    if (next === undefined) return false
    this.time = next
    this.queue.take()()
    return true
  }

  /** Run events until at least one trace event comes out (a single step in the UI); false when the run is over. */
  stepEvent(): boolean {
    const before = this.seq
    while (this.seq === before) if (!this.step()) return false
    return true
  }

  /** Run every event up to virtual time `ms` (capped at the run's duration). */
  runUntil(ms: number): void {
    this.start()
    const until = Math.min(ms, this.options.durationMs)
    const queue = this.queue
    for (
      let next = queue.peekTime();
      next !== undefined && next <= until && !this.halted;
      next = queue.peekTime()
    ) {
      this.time = next
      queue.take()()
    }
    if (!this.halted) this.time = Math.max(this.time, until)
  }

  run(): void {
    this.runUntil(this.options.durationMs)
  }

  nodeStates(): SimNodeState[] {
    return this.nodeIds.map((id) => {
      const node = this.node(id)
      return {
        id,
        status: node.status,
        core: node.core?.status() ?? null,
        hardState: { ...node.hardState },
        lastIndex: node.lastIndex,
        kv: node.kv.snapshot()
      }
    })
  }

  /** Apply a fault now, as the schedule or a student would. Throws on an unknown node. */
  perform(action: SimAction): void {
    switch (action.action) {
      case 'crash':
        return this.crash(this.node(action.node))
      case 'restart':
        return this.restart(this.node(action.node))
      case 'stop':
        return this.stop(this.node(action.node))
      case 'wipe':
        return this.wipe(this.node(action.node))
      case 'campaign': {
        // As if the node's election timeout fired now (the lab's `timeout` step).
        const node = this.node(action.node)
        if (node.status !== 'running' || !node.core) return
        node.core.campaign()
        return this.drain(node)
      }
      case 'pause':
        return this.pause(this.node(action.node))
      case 'resume':
        return this.resume(this.node(action.node))
      case 'isolate': {
        const node = this.node(action.node).id
        this.network.isolate(node)
        return this.emit({ seq: 0, t: 0, kind: 'fault', action: 'isolate', target: node })
      }
      case 'partition':
        for (const n of action.groups.flat()) this.node(n)
        this.network.partition(action.groups)
        return this.emit({
          seq: 0,
          t: 0,
          kind: 'fault',
          action: 'partition',
          groups: action.groups
        })
      case 'heal':
        this.network.heal()
        return this.emit({ seq: 0, t: 0, kind: 'fault', action: 'heal' })
      case 'link':
        this.network.setLink(action.from, action.to, action.fault)
        return this.emit({
          seq: 0,
          t: 0,
          kind: 'fault',
          action: 'link',
          from: action.from,
          to: action.to,
          link: action.fault
        })
    }
  }

  // ---- Nodes: boot, crash, stop, wipe, pause ----

  private boot(node: SimNode, action: 'start' | 'restart'): void {
    const { hardState, entries } = node.disk.initialState()
    node.incarnation++
    node.status = 'running'
    node.leads = false
    node.hardState = hardState
    node.lastIndex = entries.length
    node.kv = new KvStore()
    node.lastApplied = 0
    node.core = createRaftCore({
      id: node.id,
      peers: node.peers,
      config: this.raftConfig,
      rng: seededRng(Math.floor(this.rng() * 2 ** 32)),
      storage: { initialState: () => ({ hardState, entries }) }
    })
    this.emit({ seq: 0, t: 0, kind: 'proc', node: node.id, action })
    this.emit({
      seq: 0,
      t: 0,
      kind: 'recover',
      node: node.id,
      currentTerm: hardState.currentTerm,
      votedFor: hardState.votedFor,
      lastIndex: entries.length,
      lastTerm: entries[entries.length - 1]?.term ?? 0,
      repaired: null
    })
    // Each node ticks at its own phase within the tick period.
    this.scheduleTick(node, this.time + this.rng() * TICK_MS, node.incarnation)
    this.drain(node)
  }

  /** One closure per incarnation, rescheduled every TICK_MS (no allocation per tick). */
  private scheduleTick(node: SimNode, at: number, incarnation: number): void {
    let next = at
    const tick = () => {
      if (node.incarnation !== incarnation) return
      if (node.status === 'running' && node.core) {
        node.core.tick()
        this.drain(node)
      }
      next += TICK_MS
      this.at(next, tick)
    }
    this.at(next, tick)
  }

  /** kill -9: what was not synced is lost, as power loss would lose it. */
  private crash(node: SimNode): void {
    if (isDown(node)) return
    node.disk.crash()
    this.takeDown(node, 'crashed')
    this.stats.crashes++
    this.emit({ seq: 0, t: 0, kind: 'proc', node: node.id, action: 'crash' })
  }

  /** SIGTERM: the node exits cleanly, having written out everything it wrote (unlike a crash). */
  private stop(node: SimNode): void {
    if (isDown(node)) return
    node.disk.sync()
    this.takeDown(node, 'stopped')
    this.emit({ seq: 0, t: 0, kind: 'proc', node: node.id, action: 'stop' })
  }

  /** As the lab's supervisor: a running node is crashed, then its disk emptied; restart brings it back blank. */
  private wipe(node: SimNode): void {
    this.crash(node)
    node.disk = new MemoryStorage()
    node.hardState = { currentTerm: 0, votedFor: null }
    node.lastIndex = 0
    this.emit({ seq: 0, t: 0, kind: 'proc', node: node.id, action: 'wipe' })
  }

  /** Everything in memory goes: role, pending work, what arrived while paused. */
  private takeDown(node: SimNode, status: 'crashed' | 'stopped'): void {
    node.status = status
    node.core = null
    node.incarnation++
    node.inbox = []
    node.proposals.clear()
    node.reads.clear()
    node.readyReads = []
  }

  private restart(node: SimNode): void {
    if (!isDown(node)) return
    this.boot(node, 'restart')
  }

  private pause(node: SimNode): void {
    if (node.status !== 'running') return
    node.status = 'paused'
    this.emit({ seq: 0, t: 0, kind: 'proc', node: node.id, action: 'pause' })
  }

  private resume(node: SimNode): void {
    if (node.status !== 'paused') return
    node.status = 'running'
    this.emit({ seq: 0, t: 0, kind: 'proc', node: node.id, action: 'resume' })
    const inbox = node.inbox
    node.inbox = []
    for (const inbound of inbox) this.receive(node, inbound)
  }

  // ---- The driver loop (STYLE.md): persist → send → apply → advance ----

  private drain(node: SimNode): void {
    const core = node.core
    if (!core) return
    while (core.hasReady()) {
      const rd = core.ready()
      let commits = false
      for (const event of rd.events) {
        this.coreEvent(node, event)
        if (event.kind === 'commit') commits = true
      }
      const writes = rd.hardState !== null || rd.entries.length > 0
      if (writes) this.persist(node, rd.hardState, rd.entries, rd.mustSync)
      const crash = (writes || commits) && this.crashPoint(node)
      if (crash === 'before-send') return this.crashAndRestart(node)
      for (const message of rd.messages) this.send(message)
      for (const entry of rd.committed) this.apply(node, entry)
      for (const read of rd.reads) {
        const request = node.reads.get(read.requestId)
        node.reads.delete(read.requestId)
        if (request) node.readyReads.push({ index: read.index, request })
      }
      for (const refused of rd.refusedReads) {
        const request = node.reads.get(refused.requestId)
        node.reads.delete(refused.requestId)
        if (request)
          this.reply(node, request, {
            ok: false,
            error: 'NOT_LEADER',
            leaderHint: refused.leaderHint
          })
      }
      this.answerReads(node)
      if (crash === 'after-send') return this.crashAndRestart(node)
      core.advance(rd)
    }
  }

  /**
   * With the `crash` fault, a node sometimes crashes right after a disk write or a
   * commit, before or after sending what depends on it: the moments that expose
   * durability and commit-rule bugs, which crashes at random times rarely hit.
   */
  private crashPoint(node: SimNode): 'before-send' | 'after-send' | null {
    const p = node.leads ? this.leaderCrashPoints : this.crashPoints
    if (p === 0 || this.rng() >= p) return null
    return this.rng() < 0.5 ? 'before-send' : 'after-send'
  }

  private crashAndRestart(node: SimNode): void {
    this.crash(node)
    this.after(randomInt(this.rng, ...SIM_DEFAULTS.quickRestartMs), () => this.restart(node))
  }

  private persist(
    node: SimNode,
    hardState: HardState | null,
    entries: Entry[],
    mustSync: boolean
  ): void {
    node.disk.save({ hardState, entries, mustSync })
    if (hardState !== null) node.hardState = hardState
    const last = entries[entries.length - 1]
    if (last) node.lastIndex = last.index
    this.emit({
      seq: 0,
      t: 0,
      kind: 'persist',
      node: node.id,
      currentTerm: node.hardState.currentTerm,
      votedFor: node.hardState.votedFor,
      lastIndex: node.lastIndex,
      synced: mustSync
    })
  }

  private coreEvent(node: SimNode, event: CoreEvent): void {
    const id = node.id
    switch (event.kind) {
      case 'role':
        node.leads = event.role === 'leader'
        if (node.leads) this.stats.elections++
        else this.abandonProposals(node, event.leader)
        return this.emit({
          seq: 0,
          t: 0,
          kind: 'role',
          node: id,
          role: event.role,
          term: event.term,
          leader: event.leader
        })
      case 'vote':
        return this.emit({
          seq: 0,
          t: 0,
          kind: 'vote',
          node: id,
          candidate: event.candidate,
          term: event.term,
          granted: event.granted,
          preVote: event.preVote
        })
      case 'append':
        return this.emit({ seq: 0, t: 0, kind: 'append', node: id, entries: event.entries })
      case 'truncate':
        return this.emit({ seq: 0, t: 0, kind: 'truncate', node: id, fromIndex: event.fromIndex })
      case 'commit':
        return this.emit({
          seq: 0,
          t: 0,
          kind: 'commit',
          node: id,
          commitIndex: event.commitIndex,
          term: event.term
        })
      case 'timer':
        if (!this.traceTimers) return
        return this.emit({ seq: 0, t: 0, kind: 'timer', node: id, ms: event.ticks * TICK_MS })
    }
  }

  /** A deposed leader cannot promise its proposals: their clients retry elsewhere (same seq, so exactly once). */
  private abandonProposals(node: SimNode, leaderHint: string | null): void {
    for (const request of node.proposals.values()) {
      this.reply(node, request, { ok: false, error: 'NOT_LEADER', leaderHint })
    }
    node.proposals.clear()
  }

  private apply(node: SimNode, entry: Entry): void {
    const result = node.kv.apply(entry)
    node.lastApplied = entry.index
    this.emit({
      seq: 0,
      t: 0,
      kind: 'apply',
      node: node.id,
      index: entry.index,
      term: entry.term,
      command: entry.command,
      result
    })
    const request = node.proposals.get(entry.index)
    if (!request) return
    node.proposals.delete(entry.index)
    const c = entry.command
    if (
      c.op !== 'noop' &&
      c.client === request.client &&
      c.seq === request.seq &&
      result !== null
    ) {
      this.reply(node, request, { ok: true, output: result })
    } else {
      // Another leader's entry took this index: ours did not commit here.
      this.reply(node, request, { ok: false, error: 'RETRY', leaderHint: null })
    }
  }

  private answerReads(node: SimNode): void {
    if (node.readyReads.length === 0) return
    const waiting: SimNode['readyReads'] = []
    for (const read of node.readyReads) {
      if (read.index > node.lastApplied) waiting.push(read)
      else
        this.reply(node, read.request, {
          ok: true,
          output: { value: node.kv.get(read.request.input.key) }
        })
    }
    node.readyReads = waiting
  }

  // ---- Network ----

  private send(message: RaftMessage): void {
    const msgId = this.traceNetwork ? this.nextMsgId(message) : 0
    this.stats.messagesSent++
    const route = this.network.route(message.from, message.to)
    if (this.traceNetwork) {
      this.emitNet('send', message, msgId)
      if ('drop' in route) this.emitNet('drop', message, msgId, route.drop)
    }
    if ('drop' in route) return
    const delivered = this.network.cut(message)
    route.delays.forEach((delayMs, copy) => {
      if (copy > 0 && this.traceNetwork)
        this.emitNet('duplicate', message, msgId, undefined, delayMs)
      this.after(delayMs, () => {
        const target = this.node(message.to)
        if (!isDown(target)) this.receive(target, { kind: 'message', message: delivered, msgId })
        else if (this.traceNetwork) this.emitNet('drop', message, msgId, 'node down')
      })
    })
  }

  /** Message ids count per link, as the lab proxy numbers them. */
  private nextMsgId(message: RaftMessage): number {
    const link = `${message.from}>${message.to}`
    const msgId = (this.msgIds.get(link) ?? 0) + 1
    this.msgIds.set(link, msgId)
    return msgId
  }

  private emitNet(
    action: 'send' | 'deliver' | 'drop' | 'duplicate',
    message: RaftMessage,
    msgId: number,
    reason?: string,
    delayMs?: number
  ): void {
    this.emit({
      seq: 0,
      t: 0,
      kind: 'net',
      action,
      from: message.from,
      to: message.to,
      msgId,
      type: message.type,
      term: message.term,
      size: estimatedSize(message),
      ...(reason !== undefined && { reason }),
      ...(delayMs !== undefined && { delayMs })
    })
  }

  private receive(node: SimNode, inbound: Inbound): void {
    if (node.status === 'paused') {
      node.inbox.push(inbound)
      return
    }
    const core = node.core
    if (node.status !== 'running' || !core) return
    if (inbound.kind === 'client') return this.serve(node, core, inbound.request)
    const { message, msgId } = inbound
    if (this.traceNetwork) this.emitNet('deliver', message, msgId)
    core.step(message)
    this.drain(node)
  }

  // ---- Clients ----

  private clientHost() {
    return {
      nodes: this.nodeIds,
      rng: this.rng,
      now: () => this.time,
      after: (ms: number, run: () => void) => this.after(ms, run),
      send: (node: string, request: ClientRequest) =>
        this.after(this.clientDelay(), () =>
          this.receive(this.node(node), { kind: 'client', request })
        ),
      invoke: (client: string, opId: number, input: KvInput) =>
        this.emit({ seq: 0, t: 0, kind: 'invoke', client, opId, input }),
      complete: (
        client: string,
        opId: number,
        status: 'ok' | 'info',
        output?: KvOutput,
        error?: string,
        by?: string
      ) => {
        if (status === 'ok') this.stats.opsCompleted++
        else this.stats.opsIndeterminate++
        this.emit({ seq: 0, t: 0, kind: 'complete', client, opId, status, output, error, by })
      }
    }
  }

  private serve(node: SimNode, core: RaftCore, request: ClientRequest): void {
    const { input, client, seq } = request
    if (input.op === 'get' && this.raftConfig.readMode === 'readindex') {
      const id = ++node.nextReadId
      node.reads.set(id, request)
      core.readIndex(id)
    } else if (input.op === 'append') {
      this.reply(node, request, { ok: false, error: 'UNSUPPORTED', leaderHint: null })
      return
    } else {
      const proposed = core.propose({ ...input, client, seq })
      if (!proposed.ok) {
        this.reply(node, request, {
          ok: false,
          error: 'NOT_LEADER',
          leaderHint: proposed.leaderHint
        })
        return
      }
      node.proposals.set(proposed.index, request)
    }
    this.drain(node)
  }

  private reply(
    node: SimNode,
    request: ClientRequest,
    response:
      { ok: true; output: KvOutput } | { ok: false; error: string; leaderHint: string | null }
  ): void {
    const by = node.id
    this.after(this.clientDelay(), () => request.reply({ ...response, by }))
  }

  private clientDelay(): number {
    const [lo, hi] = this.clientDelayMs
    return lo + this.rng() * (hi - lo)
  }

  // ---- Plumbing ----

  private at(time: number, run: () => void): void {
    this.queue.push(time, run)
  }

  private after(ms: number, run: () => void): void {
    this.queue.push(this.time + ms, run)
  }

  private node(id: string): SimNode {
    const node = this.nodes.get(id)
    if (!node) throw new Error(`unknown node "${id}" (nodes: ${this.nodeIds.join(', ')})`)
    return node
  }

  /** Stamp an event with the next seq and the current time, then hand it to every listener. */
  private emit(event: TraceEvent): void {
    event.seq = this.seq++
    event.t = this.time
    this.stats.events++
    const listeners = this.listeners
    for (let i = 0; i < listeners.length; i++) (listeners[i] as Listener)(event)
  }
}
