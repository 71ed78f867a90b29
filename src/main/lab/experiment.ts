// One running experiment: recorder + fault proxy + supervisor + clients, with
// the operations the UI, the CLI and the scenario runner perform on it.
import { mkdirSync } from 'node:fs'
import { ClientConnections } from '../../node/client'
import type { ClusterConfig } from '../../shared/config'
import type { KvInput } from '../../shared/history'
import type { NetworkCommand, NodeAction, NodeView, WorkloadConfig } from '../../shared/lab-api'
import { seededRng } from '../../shared/rng'
import type { Rng } from '../../shared/raft/types'
import type { TraceEvent, UnstampedEvent } from '../../shared/trace'
import { FaultProxy, proxyWorkerEntry } from './proxy'
import { Recorder } from './recorder'
import { Supervisor, defaultNodeEntry, nodeIds } from './supervisor'
import { LabClient, Workload, type ClientHostOptions, type OpOutcome } from './workload'

/** How often nodes are asked for a `status` event. */
const STATUS_POLL_MS = 1000

export interface ExperimentOptions {
  dir: string
  config: ClusterConfig
  seed: number
  scenario: string | null
  nodeEntry?: string
  versions?: Record<string, string>
  /** Called before any process starts, so a listener of the recorder sees every event. */
  onCreated?(exp: Experiment): void
}

export class Experiment {
  readonly recorder: Recorder
  readonly proxy: FaultProxy
  readonly supervisor: Supervisor
  readonly rng: Rng
  readonly config: ClusterConfig
  workload: Workload | null = null
  private manual: LabClient | null = null
  private readonly pinned = new Map<string, LabClient>()
  /** The workload's clients w1, w2, …: a workload started again reuses them. */
  private readonly workloadClients: LabClient[] = []
  /** One connection per node for all the experiment's clients (workload, manual, pinned). */
  private readonly connections = new ClientConnections()
  private statusTimer: NodeJS.Timeout | null = null
  private stopped = false
  /** Last port each node listened on: a restarted node reuses it so clients keep their addresses. */
  private readonly ports = new Map<string, number>()

  private constructor(readonly opts: ExperimentOptions) {
    this.config = opts.config
    this.rng = seededRng(opts.seed)
    mkdirSync(opts.dir, { recursive: true })
    const ids = nodeIds(opts.config.nodes)
    this.recorder = new Recorder({
      dir: opts.dir,
      config: opts.config,
      seed: opts.seed,
      scenario: opts.scenario,
      versions: {
        raftlab: opts.versions?.raftlab ?? 'dev',
        node: process.versions.node,
        ...opts.versions
      },
      nodeIds: ids
    })
    const record = (e: UnstampedEvent, text?: string): TraceEvent | null =>
      text === undefined ? this.recorder.record(e) : this.recorder.recordText(e, text)
    this.proxy = new FaultProxy({
      nodeIds: ids,
      seed: opts.seed ^ 0x5eed,
      workerEntry: proxyWorkerEntry(opts.nodeEntry ?? defaultNodeEntry()),
      record
    })
    this.supervisor = new Supervisor({
      config: opts.config,
      dir: opts.dir,
      nodeEntry: opts.nodeEntry,
      peerPort: (from, to) => this.proxy.relayPort(from, to),
      record,
      onTargetChange: (id) => {
        const port = this.supervisor.port(id)
        if (port !== null) this.ports.set(id, port)
        this.proxy.setTarget(id, port)
      },
      listenPort: (id) => this.ports.get(id) ?? 0,
      seed: opts.seed
    })
  }

  static async start(opts: ExperimentOptions): Promise<Experiment> {
    const e = new Experiment(opts)
    try {
      opts.onCreated?.(e)
      await e.proxy.start()
      await e.supervisor.startAll()
    } catch (err) {
      await e.stop()
      throw err
    }
    e.statusTimer = setInterval(() => {
      for (const id of e.supervisor.ids()) e.supervisor.requestStatus(id)
    }, STATUS_POLL_MS)
    e.statusTimer.unref()
    return e
  }

  get dir(): string {
    return this.opts.dir
  }

  record(event: UnstampedEvent): TraceEvent | null {
    return this.recorder.record(event)
  }

  now(): number {
    return this.recorder.now()
  }

  nodes(): NodeView[] {
    return this.supervisor.views()
  }

  /** The node that leads the highest term among nodes that are up, if any. */
  leader(): NodeView | null {
    let best: NodeView | null = null
    for (const v of this.supervisor.views()) {
      if (v.status !== 'running' || v.role !== 'leader') continue
      if (!best || v.currentTerm > best.currentTerm) best = v
    }
    return best
  }

  private clientHost(): ClientHostOptions {
    return {
      addresses: () => this.supervisor.ids().map((id) => `127.0.0.1:${this.ports.get(id) ?? 0}`),
      nodeAt: (address) => {
        const port = Number(address.split(':').pop())
        return [...this.ports].find(([, p]) => p === port)?.[0]
      },
      record: (e) => this.recorder.record(e),
      now: () => this.recorder.now(),
      connections: this.connections
    }
  }

  async nodeAction(node: string, action: NodeAction): Promise<void> {
    const s = this.supervisor
    switch (action) {
      case 'crash':
        return s.crash(node)
      case 'restart':
        return s.restart(node)
      case 'pause':
        return s.pause(node)
      case 'resume':
        return s.resume(node)
      case 'stop':
        return s.stop(node)
      case 'wipe':
        return s.wipe(node)
      case 'timeout':
        return s.campaign(node)
    }
  }

  /** Changes the network; resolves once the proxy applies it (and the change is recorded). */
  async network(cmd: NetworkCommand): Promise<void> {
    const ids = new Set(this.supervisor.ids())
    const check = (id: string): void => {
      if (!ids.has(id)) throw new Error(`no node "${id}" (the cluster has ${[...ids].join(', ')})`)
    }
    switch (cmd.action) {
      case 'partition':
        cmd.groups.flat().forEach(check)
        await this.proxy.partition(cmd.groups)
        this.record({ kind: 'fault', action: 'partition', groups: cmd.groups })
        break
      case 'isolate':
        check(cmd.node)
        await this.proxy.isolate(cmd.node)
        this.record({ kind: 'fault', action: 'isolate', target: cmd.node })
        break
      case 'heal':
        await this.proxy.heal()
        this.record({ kind: 'fault', action: 'heal' })
        break
      case 'link':
        if (cmd.from !== '*') check(cmd.from)
        if (cmd.to !== '*') check(cmd.to)
        await this.proxy.setLink(cmd.from, cmd.to, cmd.fault)
        this.record({ kind: 'fault', action: 'link', from: cmd.from, to: cmd.to, link: cmd.fault })
        break
    }
  }

  /** One operation through the manual client (or one pinned to a node with `via`). */
  clientOp(
    input: Exclude<KvInput, { op: 'append' }>,
    timeoutMs = 2000,
    via?: string
  ): Promise<OpOutcome> {
    if (via) {
      let c = this.pinned.get(via)
      if (!c) {
        const port = this.ports.get(via)
        if (port === undefined) throw new Error(`node ${via} has no client address yet`)
        c = new LabClient(`via-${via}`, this.clientHost(), timeoutMs, `127.0.0.1:${port}`)
        this.pinned.set(via, c)
      }
      return c.run(input)
    }
    this.manual ??= new LabClient('manual', this.clientHost(), timeoutMs)
    return this.manual.run(input)
  }

  startWorkload(config: WorkloadConfig): void {
    if (this.workload?.isRunning) return
    const host = this.clientHost()
    for (let i = this.workloadClients.length; i < config.clients; i++)
      this.workloadClients.push(new LabClient(`w${i + 1}`, host, config.timeoutMs))
    this.workload = new Workload(
      config,
      host,
      this.rng,
      this.workloadClients.slice(0, config.clients)
    )
    this.workload.start()
  }

  async stopWorkload(): Promise<void> {
    const w = this.workload
    if (w) await w.stop()
  }

  /** Stop clients and nodes; the trace stays open for verdicts. Safe to call twice. */
  async stopProcesses(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.statusTimer) clearInterval(this.statusTimer)
    this.workload?.abort()
    for (const c of this.workloadClients) c.close()
    this.manual?.close()
    for (const c of this.pinned.values()) c.close()
    this.connections.close()
    await this.supervisor.shutdown()
    await this.proxy.close()
    this.recorder.flush()
  }

  /** Stop everything and close the trace. Safe to call twice. */
  async stop(): Promise<void> {
    await this.stopProcesses()
    this.recorder.close()
  }
}
