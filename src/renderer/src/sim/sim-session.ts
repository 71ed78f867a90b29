// The LabApi commands of simulation mode, served by the deterministic
// simulator (src/shared/sim). Pure apart from the clock it is handed, so it
// runs in a Web Worker and in tests alike. Virtual time advances at `speed`
// times real time; pause stops it; step runs exactly one simulator event.
import { Simulator, DEFAULT_WORKLOAD, MANUAL_CLIENT } from '@shared/sim'
import type { KvInput } from '@shared/history'
import { checkSafety } from '@shared/check/safety'
import { checkLinearizability } from '@shared/check/linearizability'
import { historyFromTrace } from '@shared/check/history-formats'
import { defaultClusterConfig, type ClusterConfig } from '@shared/config'
import {
  isLabCommandName,
  parseLabRequest,
  type CheckReport,
  type LabEvent,
  type LabResults,
  type LabStatus,
  type NodeView
} from '@shared/lab-api'

type ClientOpResult = LabResults['clientOp']
import type { TraceEvent, TraceHeader } from '@shared/trace'
import { TRACE_SCHEMA, TRACE_VERSION } from '@shared/trace'

/** A simulated run never ends by itself: a day of virtual time. */
const RUN_MS = 24 * 60 * 60 * 1000
const MAX_CHECKED_EVENTS = 2_000_000
const LIN_TIMEOUT_MS = 10_000
/** Real ms between clock ticks. */
export const TICK_REAL_MS = 50
/** Virtual ms between sampled status events (the leader's nextIndex/matchIndex). */
const STATUS_SAMPLE_MS = 100

export interface SessionClock {
  setInterval(run: () => void, ms: number): unknown
  clearInterval(handle: unknown): void
}

export class SimSession {
  private sim: Simulator | null = null
  private config: ClusterConfig | null = null
  private seed = 1
  private startedAt: string | null = null
  private paused = false
  private speed = 1
  private timer: unknown = null
  private pending: TraceEvent[] = []
  private lastStatusSample = -Infinity
  private opsWindow: { t: number; n: number }[] = []
  /** Every event of the run, for `check` (capped: a day-long run at full speed would not fit). */
  private runEvents: TraceEvent[] = []
  private runEventsCapped = false
  /** The student's operations in flight (by opId): answered when their `complete` event shows. */
  private manualOps = new Map<number, { invokedAt: number; answer: (r: ClientOpResult) => void }>()

  constructor(
    private readonly post: (event: LabEvent) => void,
    private readonly clock: SessionClock
  ) {}

  /** Serve one command; the request is validated with the LabApi's schemas. */
  async handle(method: string, request: unknown): Promise<unknown> {
    if (!isLabCommandName(method)) throw new Error(`unknown command "${method}"`)
    switch (method) {
      case 'getStatus':
        return this.status()
      case 'startCluster': {
        const r = parseLabRequest('startCluster', request)
        return this.start(r.config, r.seed ?? this.seed)
      }
      case 'stopCluster':
        return this.stop()
      case 'nodeAction': {
        const r = parseLabRequest('nodeAction', request)
        const sim = this.running()
        if (
          r.action === 'crash' ||
          r.action === 'restart' ||
          r.action === 'pause' ||
          r.action === 'resume'
        )
          sim.perform({ action: r.action, node: r.node })
        else if (r.action === 'timeout') sim.perform({ action: 'campaign', node: r.node })
        else
          throw new Error(
            `${r.action}: not available in simulation mode (crash, restart, pause, resume, timeout are)`
          )
        this.flush()
        return this.status()
      }
      case 'network': {
        const r = parseLabRequest('network', request)
        const sim = this.running()
        if (r.action === 'link')
          sim.perform({ action: 'link', from: r.from, to: r.to, fault: r.fault })
        else if (r.action === 'isolate') sim.perform({ action: 'isolate', node: r.node })
        else sim.perform(r)
        this.flush()
        return this.status()
      }
      case 'simControl': {
        const r = parseLabRequest('simControl', request)
        if (r.speed !== undefined) this.speed = r.speed
        if (r.action === 'pause') this.paused = true
        else if (r.action === 'resume') this.paused = false
        else {
          this.paused = true
          this.stepToNextEvent(this.running())
          this.flush()
        }
        return this.status()
      }
      case 'clientOp':
        return this.clientOp(parseLabRequest('clientOp', request).input)
      case 'check':
        return this.check(parseLabRequest('check', request).source)
      case 'listScenarios':
        return []
      default:
        throw new Error(
          `${method}: not available in simulation mode; switch to real processes for it`
        )
    }
  }

  /**
   * The student's "next event": simulator steps until one of them shows in the
   * trace (most steps are silent clock ticks), within a second of virtual time.
   */
  private stepToNextEvent(sim: Simulator): void {
    const before = this.pending.length
    const until = sim.now + 1000
    while (this.pending.length === before && sim.now <= until && sim.step()) {
      // Each step runs one scheduled simulator event.
    }
  }

  private running(): Simulator {
    if (!this.sim) throw new Error('No simulation is running: press Start first.')
    return this.sim
  }

  private start(overrides: Partial<ClusterConfig>, seed: number): LabStatus {
    if (this.sim) this.stop()
    this.config = defaultClusterConfig(overrides)
    this.seed = seed
    this.startedAt = new Date().toISOString()
    this.paused = false
    this.lastStatusSample = -Infinity
    this.opsWindow = []
    const sim = new Simulator({
      seed,
      config: this.config,
      durationMs: RUN_MS,
      faults: [],
      workload: DEFAULT_WORKLOAD
    })
    this.runEvents = []
    this.runEventsCapped = false
    sim.onEvent((e) => {
      this.pending.push(e)
      if (this.runEvents.length < MAX_CHECKED_EVENTS) this.runEvents.push(e)
      else this.runEventsCapped = true
      if (e.kind !== 'complete') return
      this.opsWindow.push({ t: e.t, n: 1 })
      const op = e.client === MANUAL_CLIENT ? this.manualOps.get(e.opId) : undefined
      if (!op) return
      this.manualOps.delete(e.opId)
      op.answer({ status: e.status, output: e.output, error: e.error, ms: e.t - op.invokedAt })
    })
    this.sim = sim
    this.post({ type: 'reset', header: this.header(), replay: false })
    sim.start()
    this.flush()
    this.timer = this.clock.setInterval(() => this.tick(), TICK_REAL_MS)
    return this.status()
  }

  /** Sent by the simulator's client `you`; resolves in simulated time, when the cluster answers. */
  private clientOp(input: KvInput): Promise<ClientOpResult> {
    const sim = this.running()
    if (input.op === 'append') throw new Error('clientOp: the lab store has put, get and cas')
    const opId = sim.submit(input)
    if (opId === null) throw new Error('clientOp: your previous operation has not completed yet')
    const answer = new Promise<ClientOpResult>((resolve) =>
      this.manualOps.set(opId, { invokedAt: sim.now, answer: resolve })
    )
    this.flush()
    return answer
  }

  /** The same checkers as the lab's, over this run's events (they are pure). */
  private check(source: 'current' | 'opened'): CheckReport {
    if (source === 'opened')
      throw new Error('check: an opened trace is checked with real processes')
    if (this.runEvents.length === 0) throw new Error('check: start a simulation first')
    if (this.runEventsCapped)
      throw new Error(
        `check: this run has more than ${MAX_CHECKED_EVENTS} events; start a new one to check it`
      )
    const started = performance.now()
    const lin = checkLinearizability(historyFromTrace(this.runEvents), {
      timeoutMs: LIN_TIMEOUT_MS,
      now: () => performance.now()
    })
    return {
      safety: checkSafety(this.runEvents),
      linearizable: lin.linearizable,
      operations: lin.operations,
      failingKeys: lin.failingKeys,
      summary: {
        events: this.runEvents.length,
        'simulated ms': Math.round(this.sim?.now ?? 0),
        'checking ms': Math.round(performance.now() - started)
      }
    }
  }

  private abandonManualOps(): void {
    for (const op of this.manualOps.values())
      op.answer({ status: 'info', error: 'the simulation stopped', ms: 0 })
    this.manualOps.clear()
  }

  private stop(): LabStatus {
    this.abandonManualOps()
    if (this.timer !== null) this.clock.clearInterval(this.timer)
    this.timer = null
    this.flush()
    this.sim = null
    const status = this.status()
    this.post({ type: 'status', status })
    return status
  }

  /** Advance virtual time by one clock tick's worth (public for tests and the worker clock). */
  tick(realMs = TICK_REAL_MS): void {
    const sim = this.sim
    if (!sim || this.paused) return
    sim.runUntil(sim.now + realMs * this.speed)
    this.flush()
  }

  private sampleStatus(sim: Simulator): void {
    if (sim.now - this.lastStatusSample < STATUS_SAMPLE_MS) return
    this.lastStatusSample = sim.now
    // The simulator reports node state on request, not as events: sample it into the
    // stream so the views can show a leader's nextIndex/matchIndex as with real nodes.
    for (const n of sim.nodeStates()) {
      if (!n.core) continue
      this.pending.push({
        seq: sim.stats.events,
        t: sim.now,
        kind: 'status',
        node: n.id,
        role: n.core.role,
        currentTerm: n.core.currentTerm,
        votedFor: n.core.votedFor,
        leader: n.core.leader,
        commitIndex: n.core.commitIndex,
        lastApplied: n.core.lastApplied,
        lastLogIndex: n.core.lastLogIndex,
        lastLogTerm: n.core.lastLogTerm,
        nextIndex: n.core.nextIndex,
        matchIndex: n.core.matchIndex
      })
    }
  }

  private flush(): void {
    if (this.sim) this.sampleStatus(this.sim)
    if (this.pending.length > 0) {
      const events = this.pending
      this.pending = []
      this.post({ type: 'events', events, replay: false })
    }
    if (this.sim) this.post({ type: 'status', status: this.status() })
  }

  private header(): TraceHeader {
    return {
      kind: 'header',
      schema: TRACE_SCHEMA,
      version: TRACE_VERSION,
      started: this.startedAt ?? new Date(0).toISOString(),
      source: 'sim',
      config: this.config ?? defaultClusterConfig(),
      seed: this.seed,
      scenario: null,
      versions: {}
    }
  }

  status(): LabResults['getStatus'] {
    const sim = this.sim
    const now = sim?.now ?? 0
    this.opsWindow = this.opsWindow.filter((o) => o.t > now - 1000)
    const nodes: NodeView[] = (sim?.nodeStates() ?? []).map((n) => ({
      id: n.id,
      status: n.status,
      pid: null,
      exitCode: null,
      role: n.core?.role ?? null,
      currentTerm: n.core?.currentTerm ?? n.hardState.currentTerm,
      votedFor: n.core?.votedFor ?? n.hardState.votedFor,
      leader: n.core?.leader ?? null,
      commitIndex: n.core?.commitIndex ?? 0,
      lastApplied: n.core?.lastApplied ?? 0,
      lastLogIndex: n.lastIndex,
      clientAddress: null
    }))
    return {
      running: sim !== null,
      mode: 'sim',
      experimentDir: null,
      config: this.config,
      startedAt: this.startedAt,
      elapsedMs: now,
      nodes,
      workload: sim ? { running: true, opsPerSec: this.opsWindow.length } : null,
      scenario: null,
      eventCount: sim?.stats.events ?? 0
    }
  }
}
