// The LabApi commands of simulation mode, served by the deterministic
// simulator (src/shared/sim). Pure apart from the clock it is handed, so it
// runs in a Web Worker and in tests alike. Virtual time advances at `speed`
// times real time; pause stops it; step runs exactly one simulator event.
// Scenarios play in virtual time (SimScenarioRun), so their steps land at the
// same virtual instants whatever the speed.
import {
  Simulator,
  MANUAL_CLIENT,
  SimScenarioRun,
  labWorkload,
  simScenarioProblems,
  type SimScenarioOutcome
} from '@shared/sim'
import type { KvInput } from '@shared/history'
import { analyzeTrace } from '@shared/check/analysis'
import { historyEdn, historyLincheck, htmlReport, metricsCsv } from '@shared/check/exports'
import { defaultClusterConfig, type ClusterConfig } from '@shared/config'
import { formatScenarioErrors, parseScenario } from '@shared/scenario'
import {
  isLabCommandName,
  parseLabRequest,
  replayEvents,
  workloadConfigSchema,
  type CheckReport,
  type ExportKind,
  type LabEvent,
  type LabParsedRequest,
  type LabResults,
  type LabStatus,
  type NodeView,
  type ScenarioValidation
} from '@shared/lab-api'

type ClientOpResult = LabResults['clientOp']
import type { TraceEvent, TraceHeader } from '@shared/trace'
import { simTraceHeader } from '@shared/trace'
import { openableHeader, parseTraceText } from '@shared/trace-text'

/** A simulated run never ends by itself: a day of virtual time. */
const RUN_MS = 24 * 60 * 60 * 1000
const MAX_CHECKED_EVENTS = 2_000_000
/** What a simulated run can be exported as (it has no experiment folder). */
const SIM_EXPORT_KINDS = [
  'trace',
  'history-edn',
  'history-lincheck',
  'report-html',
  'metrics-csv'
] as const satisfies readonly ExportKind[]
type SimExportKind = (typeof SIM_EXPORT_KINDS)[number]
/** What errors call a trace opened as text, as the lab does. */
const OPENED_TRACE = 'opened trace'
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
  /** The scenario the run plays, for the trace header. */
  private scenarioName: string | null = null
  private startedAt: string | null = null
  private paused = false
  private speed = 1
  private timer: unknown = null
  private pending: TraceEvent[] = []
  private lastStatusSample = -Infinity
  /** When the workload's operations completed ok in the last second of virtual time. */
  private opsWindow: number[] = []
  /** Whether a workload was started in this run (status().workload is null until then, as in the lab). */
  private workloadStarted = false
  /** Every event of the run, for checks, exports and verdicts (capped: a day-long run at full speed would not fit). */
  private runEvents: TraceEvent[] = []
  private runEventsCapped = false
  /** The scenario being played, and its progress as status().scenario reports it. */
  private scenarioRun: SimScenarioRun | null = null
  private scenario: LabStatus['scenario'] = null
  /** The events of the trace opened for replay, for check('opened'). */
  private opened: TraceEvent[] | null = null
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
        if (this.scenario?.running) throw new Error('a scenario is running: stop it first')
        this.scenario = null
        return this.start(r.config, r.seed ?? this.seed, null)
      }
      case 'stopCluster':
        this.scenarioRun?.stop()
        return this.stop()
      case 'nodeAction': {
        const r = parseLabRequest('nodeAction', request)
        // The lab's `timeout` is the simulator's campaign: the node's election timer fires now.
        const action = r.action === 'timeout' ? 'campaign' : r.action
        this.running().perform({ action, node: r.node })
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
          this.endWithScenario()
        }
        return this.status()
      }
      case 'clientOp':
        return this.clientOp(parseLabRequest('clientOp', request).input)
      case 'openTrace': {
        const r = parseLabRequest('openTrace', request)
        return this.openTrace(r.text, r.path)
      }
      case 'check':
        return this.check(parseLabRequest('check', request).source)
      case 'startWorkload':
        return this.startWorkload(parseLabRequest('startWorkload', request))
      case 'stopWorkload':
        parseLabRequest('stopWorkload', request)
        this.running().stopWorkload()
        return this.status()
      case 'exportExperiment': {
        const r = parseLabRequest('exportExperiment', request)
        return this.exportRun(r.kind, r.path)
      }
      case 'listScenarios':
        parseLabRequest('listScenarios', request)
        return []
      case 'validateScenario': {
        const r = parseLabRequest('validateScenario', request)
        return validateScenario(r.text, r.path)
      }
      case 'readScenario':
      case 'saveScenario':
        throw new Error(
          `${method}: scenario files are read and written by the lab engine (the desktop app or raftlab serve); paste the scenario into the editor instead`
        )
      case 'runScenario': {
        const r = parseLabRequest('runScenario', request)
        return this.runScenario(r.text, r.path)
      }
      case 'stopScenario':
        parseLabRequest('stopScenario', request)
        this.scenarioRun?.stop()
        this.endWithScenario()
        return this.status()
      default: {
        // Every command is served: a new one in lab-api.ts fails to compile here until it is.
        const unserved: never = method
        throw new Error(`unknown command "${String(unserved)}"`)
      }
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

  private start(
    overrides: Partial<ClusterConfig>,
    seed: number,
    scenarioName: string | null
  ): LabStatus {
    if (this.sim) this.stop()
    this.config = defaultClusterConfig(overrides)
    this.seed = seed
    this.scenarioName = scenarioName
    this.startedAt = new Date().toISOString()
    this.paused = false
    this.lastStatusSample = -Infinity
    this.opsWindow = []
    this.workloadStarted = false
    // Idle, as the lab's startCluster: the student starts a workload from the Client tab.
    const sim = new Simulator({
      seed,
      config: this.config,
      durationMs: RUN_MS,
      faults: [],
      workload: null
    })
    this.runEvents = []
    this.runEventsCapped = false
    sim.onEvent((e) => {
      this.pending.push(e)
      if (this.runEvents.length < MAX_CHECKED_EVENTS) this.runEvents.push(e)
      else this.runEventsCapped = true
      if (e.kind !== 'complete') return
      if (e.client !== MANUAL_CLIENT) {
        if (e.status === 'ok') this.opsWindow.push(e.t)
        return
      }
      const op = this.manualOps.get(e.opId)
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

  /** As the lab runs a scenario, in virtual time: a new run with the scenario's cluster and seed. */
  private runScenario(text: string, path: string | undefined): LabStatus {
    const parsed = parseScenario(text)
    if (!parsed.ok)
      throw new Error(formatScenarioErrors(scenarioFile(path), parsed.errors).join('\n'))
    if (this.scenario?.running) throw new Error('a scenario is already running')
    const scenario = parsed.scenario
    const problems = simScenarioProblems(scenario)
    if (problems.length > 0)
      throw new Error(
        `${scenario.name}: cannot run in simulation mode; run it with real processes:\n${problems.join('\n')}`
      )
    this.scenario = { name: scenario.name, step: 0, steps: scenario.steps.length, running: true }
    this.start(scenario.cluster, scenario.seed, scenario.name)
    // The runner starts the scenario's workload (if it has one) on the simulator.
    this.workloadStarted = scenario.workload !== null
    const run = new SimScenarioRun(this.running(), scenario, {
      events: () => (this.runEventsCapped ? null : this.runEvents),
      onStep: (step) => {
        if (this.scenario) this.scenario.step = step.index
        if (!step.ok) this.log('warn', `step ${step.index} (${step.text}): ${step.message}`)
      },
      onEnd: (outcome) => this.scenarioEnded(scenario.name, outcome)
    })
    this.scenarioRun = run
    run.start()
    this.flush()
    return this.status()
  }

  private scenarioEnded(name: string, outcome: SimScenarioOutcome): void {
    for (const e of outcome.expectations)
      this.log(e.ok ? 'info' : 'error', `${e.ok ? 'ok' : 'FAIL'} ${e.name}: ${e.message}`)
    this.log(
      outcome.ok ? 'info' : 'error',
      `${name}: ${outcome.ok ? 'PASS' : 'FAIL'} (simulated, seed ${this.seed})`
    )
    if (this.scenario) this.scenario.running = false
  }

  /** A scenario's run ends with it, as the lab stops its processes: the events stay for export and checks. */
  private endWithScenario(): void {
    if (this.scenarioRun?.done && this.sim) this.stop()
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.post({ type: 'log', level, message })
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

  /** The lab's workload settings and defaults, mapped onto the simulator's clients (labWorkload). */
  private startWorkload(request: LabParsedRequest<'startWorkload'>): LabStatus {
    const sim = this.running()
    const w = workloadConfigSchema.parse(request)
    if (w.mix.put + w.mix.get + w.mix.cas <= 0)
      throw new Error('startWorkload: mix: at least one of put, get, cas must be above 0')
    if (sim.workloadRunning)
      throw new Error('startWorkload: a workload is already running; stop it first')
    sim.startWorkload(labWorkload(w))
    this.workloadStarted = true
    this.flush()
    return this.status()
  }

  /**
   * Replay a trace as the lab does (same reading, same errors, same events on the
   * stream) beside the run, which carries on untouched.
   */
  private openTrace(text: string | undefined, path: string | undefined): LabResults['openTrace'] {
    if (text === undefined)
      throw new Error(
        path === undefined
          ? 'openTrace: give the text of a trace'
          : `openTrace: simulation mode runs in the browser and cannot read ${path}; pick the file with Open trace… instead`
      )
    const trace = parseTraceText(text, OPENED_TRACE)
    const header = openableHeader(OPENED_TRACE, trace)
    this.opened = trace.events
    for (const event of replayEvents(header, trace.events)) this.post(event)
    return { header, events: trace.events.length }
  }

  /** The same analysis as the lab's (safety, linearizability, summary), over this run's or the opened trace's events. */
  private check(source: 'current' | 'opened'): CheckReport {
    const events = source === 'opened' ? this.openedEvents() : this.eventsOfRun('check')
    const started = performance.now()
    const { report } = analyzeTrace(events)
    const simulated: Record<string, number> =
      source === 'current'
        ? { 'simulated ms': Math.round(this.sim?.now ?? events[events.length - 1]?.t ?? 0) }
        : {}
    return {
      ...report,
      summary: {
        ...report.summary,
        ...simulated,
        'checking ms': Math.round(performance.now() - started)
      }
    }
  }

  private openedEvents(): TraceEvent[] {
    if (!this.opened) throw new Error('check: no trace opened; open one with Open trace… first')
    return this.opened
  }

  private eventsOfRun(command: string): TraceEvent[] {
    if (this.runEvents.length === 0) throw new Error(`${command}: start a simulation first`)
    if (this.runEventsCapped)
      throw new Error(
        `${command}: this run has more than ${MAX_CHECKED_EVENTS} events; start a new one`
      )
    return this.runEvents
  }

  /** The run as the lab exports an experiment; the text comes back for the renderer to download. */
  private exportRun(kind: ExportKind, path: string | undefined): LabResults['exportExperiment'] {
    if (!isSimExportKind(kind))
      throw new Error(
        `exportExperiment: a simulated run has no ${kind}; it exports as ${SIM_EXPORT_KINDS.join(', ')}`
      )
    if (path !== undefined)
      throw new Error(
        'exportExperiment: the simulator writes no files; leave out the path to download'
      )
    const events = this.eventsOfRun('exportExperiment')
    const header = this.header()
    switch (kind) {
      case 'history-edn':
        return { path: null, text: historyEdn(events) }
      case 'history-lincheck':
        return { path: null, text: historyLincheck(header, events) }
      case 'metrics-csv':
        return { path: null, text: metricsCsv(events) }
      case 'report-html': {
        const a = analyzeTrace(events)
        const title = `Raft Lab (simulated, seed ${this.seed}): ${header.scenario ?? 'experiment'}`
        return { path: null, text: htmlReport(title, header, events, a.report, a.lin, a.history) }
      }
      case 'trace':
        // As `raftlab sim --trace` writes one: the header, then every event; no hash chain (docs/trace-format.md).
        return {
          path: null,
          text: [header, ...events].map((e) => JSON.stringify(e)).join('\n') + '\n'
        }
    }
  }

  private abandonManualOps(): void {
    for (const op of this.manualOps.values())
      op.answer({ status: 'info', error: 'the simulation stopped', ms: 0 })
    this.manualOps.clear()
  }

  private stop(): LabStatus {
    this.scenarioRun = null
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
    this.endWithScenario()
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
    return simTraceHeader(this.config ?? defaultClusterConfig(), this.seed, this.scenarioName)
  }

  status(): LabResults['getStatus'] {
    const sim = this.sim
    const now = sim?.now ?? 0
    this.opsWindow = this.opsWindow.filter((t) => t > now - 1000)
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
      workload:
        sim && this.workloadStarted
          ? { running: sim.workloadRunning, opsPerSec: this.opsWindow.length }
          : null,
      scenario: this.scenario ? { ...this.scenario } : null,
      eventCount: sim?.stats.events ?? 0
    }
  }
}

function isSimExportKind(kind: ExportKind): kind is SimExportKind {
  return (SIM_EXPORT_KINDS as readonly ExportKind[]).includes(kind)
}

function scenarioFile(path: string | undefined): string {
  return path?.split(/[\\/]/).pop() || 'scenario'
}

/** As the lab validates scenario text: parsing is pure, so the simulator serves it too. */
function validateScenario(text: string, path: string | undefined): ScenarioValidation {
  const parsed = parseScenario(text)
  if (parsed.ok) return { ok: true, errors: [], name: parsed.scenario.name }
  const lines = formatScenarioErrors(scenarioFile(path), parsed.errors)
  return {
    ok: false,
    errors: parsed.errors.map((e, i) => ({ line: e.line, message: lines[i] as string }))
  }
}
