// The lab engine's facade: every LabApi command (src/shared/lab-api.ts) but
// simControl, plus the LabEvent stream. The Electron IPC adapter, the
// WebSocket server and tests all drive this one object. Requests are
// validated here as well, so a caller that skips validation cannot hurt it.
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { clusterConfigSchema } from '../../shared/config'
import {
  parseLabRequest,
  replayEvents,
  workloadConfigSchema,
  type LabCommandName,
  type LabEvent,
  type LabRequest,
  type LabResults,
  type LabStatus,
  type ScenarioInfo
} from '../../shared/lab-api'
import { MAX_SCENARIO_BYTES, parseScenario, formatScenarioErrors } from '../../shared/scenario'
import type { TraceEvent } from '../../shared/trace'
import { analyzeTrace } from '../../shared/check/analysis'
import { Experiment } from './experiment'
import { historyEdn, historyLincheck, htmlReport, metricsCsv } from '../../shared/check/exports'
import { TRACE_FILE } from './recorder'
import { runScenario } from './run-scenario'
import { loadTrace, loadTraceText, type LoadedTrace } from './trace-file'
import { openableHeader } from '../../shared/trace-text'

/** Trace events are handed to listeners in batches at most this often. */
const BATCH_MS = 75
const STATUS_MS = 500

export interface LabOptions {
  /** Where new experiment folders are created. */
  experimentsDir: string
  /** Folders listed by listScenarios (the built-in ones first). */
  scenarioDirs: string[]
  nodeEntry?: string
  version?: string
}

type Handlers = {
  [K in LabCommandName]: (request: LabRequest<K>) => Promise<LabResults[K]>
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')
}

/** A folder-name-safe form of a scenario or experiment name. */
export function slug(text: string, fallback = 'experiment'): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || fallback
  )
}

function scenarioPath(path: string): string {
  if (!/\.ya?ml$/i.test(path)) throw new Error(`${path}: a scenario file ends in .yaml or .yml`)
  return resolve(path)
}

export class Lab implements Handlers {
  private exp: Experiment | null = null
  /** The folder of the last experiment, kept after it stops for export and check. */
  private lastDir: string | null = null
  private startedAt: string | null = null
  private opened: LoadedTrace | null = null
  private scenario: { name: string; step: number; steps: number; running: boolean } | null = null
  private stopScenarioFlag = false
  private scenarioDone: Promise<unknown> = Promise.resolve()
  private readonly listeners = new Set<(e: LabEvent) => void>()
  private batch: TraceEvent[] = []
  private readonly batchTimer: NodeJS.Timeout
  private readonly statusTimer: NodeJS.Timeout
  private counter = 0

  constructor(private readonly opts: LabOptions) {
    this.batchTimer = setInterval(() => this.flushBatch(), BATCH_MS)
    this.statusTimer = setInterval(() => {
      if (this.exp) this.emit({ type: 'status', status: this.status() })
    }, STATUS_MS)
    this.batchTimer.unref()
    this.statusTimer.unref()
  }

  onEvent(listener: (event: LabEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(event: LabEvent): void {
    for (const l of this.listeners) {
      try {
        l(event)
      } catch {
        // A listener's failure must not stop the lab or the other listeners.
      }
    }
  }

  private flushBatch(): void {
    if (this.batch.length === 0) return
    const events = this.batch
    this.batch = []
    this.emit({ type: 'events', events, replay: false })
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', level, message })
  }

  private status(): LabStatus {
    const exp = this.exp
    return {
      running: exp !== null,
      mode: exp ? 'real' : null,
      experimentDir: exp?.dir ?? this.lastDir,
      config: exp?.config ?? null,
      startedAt: exp ? this.startedAt : null,
      elapsedMs: exp ? exp.now() : 0,
      nodes: exp?.nodes() ?? [],
      workload: exp?.workload
        ? { running: exp.workload.isRunning, opsPerSec: exp.workload.opsPerSec() }
        : null,
      scenario: this.scenario ? { ...this.scenario } : null,
      eventCount: exp?.recorder.eventCount ?? 0
    }
  }

  private running(): Experiment {
    if (!this.exp) throw new Error('no cluster is running (start one first)')
    return this.exp
  }

  private newDir(name: string): string {
    mkdirSync(this.opts.experimentsDir, { recursive: true })
    return join(this.opts.experimentsDir, `${stamp()}-${++this.counter}-${slug(name)}`)
  }

  private attach(exp: Experiment): void {
    this.exp = exp
    this.lastDir = exp.dir
    this.startedAt = exp.recorder.header.started
    this.emit({ type: 'reset', header: exp.recorder.header, replay: false })
    exp.recorder.onEvent((e) => {
      this.batch.push(e)
    })
  }

  private async detach(): Promise<void> {
    const exp = this.exp
    if (!exp) return
    await exp.stop()
    this.flushBatch()
    this.exp = null
    this.emit({ type: 'status', status: this.status() })
  }

  async getStatus(req: LabRequest<'getStatus'>): Promise<LabStatus> {
    parseLabRequest('getStatus', req)
    return this.status()
  }

  async startCluster(req: LabRequest<'startCluster'>): Promise<LabStatus> {
    const r = parseLabRequest('startCluster', req)
    if (r.mode === 'sim')
      throw new Error('simulation runs in the renderer; the engine starts real clusters')
    if (this.scenario?.running) throw new Error('a scenario is running: stop it first')
    await this.detach()
    const config = clusterConfigSchema.parse(r.config)
    this.scenario = null
    try {
      await Experiment.start({
        dir: this.newDir('cluster'),
        config,
        seed: r.seed ?? Math.floor(Math.random() * 2 ** 31),
        scenario: null,
        nodeEntry: this.opts.nodeEntry,
        versions: { raftlab: this.opts.version ?? 'dev' },
        // Attached before the nodes start: the views must see their first events too.
        onCreated: (exp) => this.attach(exp)
      })
    } catch (err) {
      this.flushBatch()
      this.exp = null
      this.emit({ type: 'status', status: this.status() })
      throw err
    }
    return this.status()
  }

  async stopCluster(req: LabRequest<'stopCluster'>): Promise<LabStatus> {
    parseLabRequest('stopCluster', req)
    if (this.scenario?.running) {
      this.stopScenarioFlag = true
      await this.scenarioDone
    }
    await this.detach()
    return this.status()
  }

  async nodeAction(req: LabRequest<'nodeAction'>): Promise<LabStatus> {
    const r = parseLabRequest('nodeAction', req)
    await this.running().nodeAction(r.node, r.action)
    return this.status()
  }

  async network(req: LabRequest<'network'>): Promise<LabStatus> {
    const r = parseLabRequest('network', req)
    await this.running().network(r)
    return this.status()
  }

  async clientOp(req: LabRequest<'clientOp'>): Promise<LabResults['clientOp']> {
    const r = parseLabRequest('clientOp', req)
    if (r.input.op === 'append')
      throw new Error('append is not an operation of the lab’s store (put, get, cas)')
    return this.running().clientOp(r.input)
  }

  async startWorkload(req: LabRequest<'startWorkload'>): Promise<LabStatus> {
    const r = parseLabRequest('startWorkload', req)
    this.running().startWorkload(workloadConfigSchema.parse(r))
    return this.status()
  }

  async stopWorkload(req: LabRequest<'stopWorkload'>): Promise<LabStatus> {
    parseLabRequest('stopWorkload', req)
    await this.running().stopWorkload()
    return this.status()
  }

  async listScenarios(req: LabRequest<'listScenarios'>): Promise<ScenarioInfo[]> {
    parseLabRequest('listScenarios', req)
    const out: ScenarioInfo[] = []
    for (const dir of this.opts.scenarioDirs) {
      if (!existsSync(dir)) continue
      for (const f of readdirSync(dir).sort()) {
        if (!/\.ya?ml$/.test(f)) continue
        const path = join(dir, f)
        const parsed = parseScenario(readFileSync(path, 'utf8'))
        out.push({
          id: f.replace(/\.ya?ml$/, ''),
          name: parsed.ok ? parsed.scenario.name : `${f} (invalid)`,
          description: parsed.ok ? parsed.scenario.description : (parsed.errors[0]?.message ?? ''),
          path
        })
      }
    }
    return out
  }

  async validateScenario(
    req: LabRequest<'validateScenario'>
  ): Promise<LabResults['validateScenario']> {
    const r = parseLabRequest('validateScenario', req)
    const parsed = parseScenario(r.text)
    if (parsed.ok) return { ok: true, errors: [], name: parsed.scenario.name }
    const file = r.path ? basename(r.path) : 'scenario'
    const lines = formatScenarioErrors(file, parsed.errors)
    return {
      ok: false,
      errors: parsed.errors.map((e, i) => ({ line: e.line, message: lines[i] as string }))
    }
  }

  async readScenario(req: LabRequest<'readScenario'>): Promise<LabResults['readScenario']> {
    const r = parseLabRequest('readScenario', req)
    const path = scenarioPath(r.path)
    if (statSync(path).size > MAX_SCENARIO_BYTES)
      throw new Error(`${path}: larger than ${MAX_SCENARIO_BYTES} bytes`)
    return { path, text: readFileSync(path, 'utf8') }
  }

  async saveScenario(req: LabRequest<'saveScenario'>): Promise<LabResults['saveScenario']> {
    const r = parseLabRequest('saveScenario', req)
    const path = scenarioPath(r.path)
    writeFileSync(path, r.text)
    return { path }
  }

  async runScenario(req: LabRequest<'runScenario'>): Promise<LabStatus> {
    const r = parseLabRequest('runScenario', req)
    const parsed = parseScenario(r.text)
    if (!parsed.ok) {
      throw new Error(
        formatScenarioErrors(r.path ? basename(r.path) : 'scenario', parsed.errors).join('\n')
      )
    }
    if (this.scenario?.running) throw new Error('a scenario is already running')
    await this.detach()
    const scenario = parsed.scenario
    this.stopScenarioFlag = false
    this.scenario = { name: scenario.name, step: 0, steps: scenario.steps.length, running: true }
    let started!: () => void
    let failedToStart!: (err: unknown) => void
    const startedP = new Promise<void>((res, rej) => {
      started = res
      failedToStart = rej
    })
    this.scenarioDone = runScenario({
      scenario,
      out: this.newDir(scenario.name),
      nodeEntry: this.opts.nodeEntry,
      versions: { raftlab: this.opts.version ?? 'dev' },
      shouldStop: () => this.stopScenarioFlag,
      onCreated: (exp) => this.attach(exp),
      onStarted: () => started(),
      onStep: (s) => {
        if (this.scenario) this.scenario.step = s.index
        if (!s.ok) this.log('warn', `step ${s.index} (${s.text}): ${s.message}`)
      }
    })
      .then((outcome) => {
        for (const e of outcome.expectations)
          this.log(e.ok ? 'info' : 'error', `${e.ok ? 'ok' : 'FAIL'} ${e.name}: ${e.message}`)
        this.log(
          outcome.ok ? 'info' : 'error',
          `${scenario.name}: ${outcome.ok ? 'PASS' : 'FAIL'} (${outcome.out})`
        )
      })
      .catch((err: unknown) => {
        failedToStart(err)
        this.log('error', `${scenario.name}: ${(err as Error).message}`)
      })
      .finally(() => {
        this.flushBatch()
        this.exp = null
        if (this.scenario) this.scenario.running = false
        this.emit({ type: 'status', status: this.status() })
      })
    await startedP
    return this.status()
  }

  async stopScenario(req: LabRequest<'stopScenario'>): Promise<LabStatus> {
    parseLabRequest('stopScenario', req)
    this.stopScenarioFlag = true
    await this.scenarioDone
    return this.status()
  }

  private async currentTrace(): Promise<LoadedTrace> {
    this.exp?.recorder.flush()
    if (!this.lastDir) throw new Error('no experiment yet: start a cluster or run a scenario')
    const t = await loadTrace(this.lastDir)
    if (!t.header) throw new Error(t.problems[0]?.message ?? 'the trace has no header')
    return t
  }

  async exportExperiment(
    req: LabRequest<'exportExperiment'>
  ): Promise<LabResults['exportExperiment']> {
    const r = parseLabRequest('exportExperiment', req)
    if (r.kind === 'folder') {
      if (!this.lastDir) throw new Error('no experiment to export')
      if (!r.path) throw new Error('exporting a folder needs a destination path')
      this.exp?.recorder.flush()
      cpSync(this.lastDir, r.path, { recursive: true, errorOnExist: true, force: false })
      return { path: r.path }
    }
    const t = await this.currentTrace()
    let text: string
    switch (r.kind) {
      case 'trace':
        text = readFileSync(join(this.lastDir as string, TRACE_FILE), 'utf8')
        break
      case 'history-edn':
        text = historyEdn(t.events)
        break
      case 'history-lincheck':
        text = historyLincheck(t.header!, t.events)
        break
      case 'metrics-csv':
        text = metricsCsv(t.events)
        break
      case 'report-html': {
        const a = analyzeTrace(t.events)
        text = htmlReport(
          `Raft Lab: ${t.header!.scenario ?? 'experiment'}`,
          t.header,
          t.events,
          a.report,
          a.lin,
          a.history
        )
        break
      }
    }
    if (!r.path) return { path: null, text }
    writeFileSync(r.path, text)
    return { path: r.path }
  }

  async openTrace(req: LabRequest<'openTrace'>): Promise<LabResults['openTrace']> {
    const r = parseLabRequest('openTrace', req)
    let t: LoadedTrace
    if (r.text !== undefined) t = await loadTraceText(r.text, 'opened trace')
    else if (r.path) t = await loadTrace(r.path)
    else throw new Error('give a path or the text of a trace')
    const header = openableHeader(t.path, t)
    this.opened = t
    for (const event of replayEvents(header, t.events)) this.emit(event)
    return { header, events: t.events.length }
  }

  async check(req: LabRequest<'check'>): Promise<LabResults['check']> {
    const r = parseLabRequest('check', req)
    const t = r.source === 'opened' ? this.opened : await this.currentTrace()
    if (!t) throw new Error('no trace opened')
    return analyzeTrace(t.events).report
  }

  async simControl(req: LabRequest<'simControl'>): Promise<LabStatus> {
    parseLabRequest('simControl', req)
    throw new Error('simulation runs in the renderer, not in the lab engine')
  }

  /** Stop everything: scenario, workload, nodes, timers. */
  async dispose(): Promise<void> {
    this.stopScenarioFlag = true
    await this.scenarioDone
    await this.detach()
    clearInterval(this.batchTimer)
    clearInterval(this.statusTimer)
    this.listeners.clear()
  }
}

export function createLab(opts: LabOptions): Lab {
  return new Lab(opts)
}
