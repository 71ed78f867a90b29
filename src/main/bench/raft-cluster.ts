// A Raft Lab cluster for benchmarks, in one of two modes:
// - lab: the lab engine as students use it (fault proxy relaying every message,
//   trace recording every event and client operation);
// - direct: the same node processes under the same supervisor, peers dialling
//   each other without the proxy, nothing recorded (the observer's cost removed).
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { randomInt } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { defaultClusterConfig, type ClusterConfig } from '../../shared/config'
import type { TraceEvent, UnstampedEvent } from '../../shared/trace'
import { ClientConnections, RaftClient } from '../../node/client'
import { Experiment } from '../lab/experiment'
import { Supervisor, defaultNodeEntry, nodeIds } from '../lab/supervisor'
import { LabClient } from '../lab/workload'
import { TRACE_FILE } from '../lab/recorder'
import { freePorts } from './ports'
import { waitFor } from './load'

export type RaftMode = 'lab' | 'direct'

export const MODE_LABEL: Record<RaftMode, string> = {
  lab: 'raftlab (proxy+trace)',
  direct: 'raftlab direct'
}

export interface BenchClient {
  /** One put, retried by the client library until its deadline; true when acknowledged. */
  put(key: string, value: string): Promise<boolean>
  close(): void
}

export interface RaftClusterOptions {
  mode: RaftMode
  nodes: number
  electionTimeoutMs?: [number, number]
  heartbeatMs?: number
}

export interface RoleChange {
  node: string
  role: string
  term: number
  /** performance.now() when the bench saw the event. */
  at: number
}

/**
 * The node entry built beside this CLI (out/main/node.js), found from this file's
 * folder first: the lab's default falls back to the working directory's out/, which
 * another build may be replacing while a long bench runs from a copy.
 */
function benchNodeEntry(): string {
  const beside = [join(__dirname, 'node.js'), join(__dirname, '..', 'node.js')]
  return beside.find((p) => existsSync(p)) ?? defaultNodeEntry()
}

export class BenchRaftCluster {
  private readonly roleListeners = new Set<(change: RoleChange) => void>()
  private readonly clients: BenchClient[] = []
  /** The bench's clients share one connection per node, as etcd's share a gRPC channel per member. */
  private readonly connections = new ClientConnections()
  private stopped = false
  /** performance.now() of the first leader role event (direct mode, where no trace holds it). */
  private firstLeaderAt: number | null = null
  private startedAt = 0

  private constructor(
    readonly mode: RaftMode,
    readonly config: ClusterConfig,
    private readonly dir: string,
    private readonly experiment: Experiment | null,
    private readonly supervisor: Supervisor
  ) {}

  /**
   * Starts the nodes and returns once every node listens; `startedAt` is
   * performance.now() just before the first process was spawned.
   */
  static async start(
    options: RaftClusterOptions
  ): Promise<{ cluster: BenchRaftCluster; startedAt: number }> {
    const config = defaultClusterConfig({
      nodes: options.nodes,
      fsync: 'always',
      ...(options.electionTimeoutMs ? { electionTimeoutMs: options.electionTimeoutMs } : {}),
      ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {})
    })
    const dir = await mkdtemp(join(tmpdir(), `raftlab-bench-${options.mode}-`))
    const nodeEntry = benchNodeEntry()
    let cluster: BenchRaftCluster | undefined
    const emitRole = (e: { kind: string; node?: string; role?: string; term?: number }) => {
      if (e.kind !== 'role' || !e.node || !e.role || e.term === undefined || !cluster) return
      const at = performance.now()
      if (e.role === 'leader') cluster.firstLeaderAt ??= at
      cluster.emitRole({ node: e.node, role: e.role, term: e.term, at })
    }
    try {
      if (options.mode === 'lab') {
        const startedAt = performance.now()
        const experiment = await Experiment.start({
          dir,
          config,
          // A fresh seed per run: a fixed one would replay the same election timers every trial.
          seed: randomInt(2 ** 31),
          scenario: null,
          nodeEntry
        })
        cluster = new BenchRaftCluster('lab', config, dir, experiment, experiment.supervisor)
        cluster.startedAt = startedAt
        experiment.recorder.onEvent((e) => emitRole(e))
        return { cluster, startedAt }
      }
      const ids = nodeIds(options.nodes)
      const ports = await freePorts(ids.length)
      const portOf = (id: string) => ports[ids.indexOf(id)] ?? 0
      const supervisor = new Supervisor({
        config,
        dir,
        nodeEntry,
        peerPort: (_from, to) => portOf(to),
        listenPort: portOf,
        // Unseeded election timers: every run draws its own, as a real deployment would.
        seed: null,
        onTargetChange: () => undefined,
        // Nothing is written: the bench only watches role changes.
        record: (e: UnstampedEvent): TraceEvent | null => {
          emitRole(e)
          return null
        }
      })
      cluster = new BenchRaftCluster('direct', config, dir, null, supervisor)
      const startedAt = performance.now()
      cluster.startedAt = startedAt
      await supervisor.startAll()
      return { cluster, startedAt }
    } catch (err) {
      if (cluster) await cluster.stop()
      else await rm(dir, { recursive: true, force: true })
      throw err
    }
  }

  get ids(): string[] {
    return this.supervisor.ids()
  }

  /** host:port where each running node serves clients. */
  addresses(): string[] {
    return this.supervisor
      .views()
      .map((v) => v.clientAddress)
      .filter((a): a is string => a !== null)
  }

  /** PIDs of the running node processes. */
  pids(): number[] {
    return this.supervisor.views().flatMap((v) => (v.pid !== null ? [v.pid] : []))
  }

  onRole(listener: (change: RoleChange) => void): () => void {
    this.roleListeners.add(listener)
    return () => this.roleListeners.delete(listener)
  }

  /** The running node that leads the highest term, if any. */
  leader(): string | null {
    let best: { id: string; term: number } | null = null
    for (const v of this.supervisor.views()) {
      if (v.status !== 'running' || v.role !== 'leader') continue
      if (!best || v.currentTerm > best.term) best = { id: v.id, term: v.currentTerm }
    }
    return best?.id ?? null
  }

  async waitForLeader(timeoutMs: number): Promise<string> {
    try {
      return await waitFor('a Raft Lab leader', timeoutMs, () => this.leader() ?? undefined, 5)
    } catch (err) {
      const nodes = this.supervisor
        .views()
        .map((v) => `${v.id} ${v.status} ${v.role ?? '-'} term ${v.currentTerm}`)
        .join('; ')
      throw new Error(`${(err as Error).message} (nodes: ${nodes})${this.stderrTails(this.ids)}`)
    }
  }

  /** A client over every node (lab mode: recorded in the trace like a student's workload client). */
  client(name: string, timeoutMs: number, attemptTimeoutMs = 500): BenchClient {
    let c: BenchClient
    if (this.experiment) {
      const experiment = this.experiment
      const lab = new LabClient(
        name,
        {
          addresses: () => this.addresses(),
          nodeAt: (address) => this.supervisor.views().find((v) => v.clientAddress === address)?.id,
          record: (e) => experiment.record(e),
          now: () => experiment.now(),
          connections: this.connections
        },
        timeoutMs
      )
      c = {
        put: async (key, value) => (await lab.run({ op: 'put', key, value })).status === 'ok',
        close: () => lab.close()
      }
    } else {
      const raw = new RaftClient({
        addresses: this.addresses(),
        clientId: name,
        timeoutMs,
        attemptTimeoutMs,
        connections: this.connections
      })
      c = {
        put: async (key, value) => (await raw.put(key, value)).status === 'ok',
        close: () => raw.close()
      }
    }
    this.clients.push(c)
    return c
  }

  /** kill -9 (recorded as a crash in lab mode). */
  async crash(id: string): Promise<void> {
    if (this.experiment) await this.experiment.nodeAction(id, 'crash')
    else await this.supervisor.crash(id)
  }

  async restart(id: string): Promise<void> {
    try {
      if (this.experiment) await this.experiment.nodeAction(id, 'restart')
      else await this.supervisor.restart(id)
    } catch (err) {
      throw new Error(
        `restarting ${id}: ${(err as Error).message}${this.stderrTails([id])}${this.traceTail(id)}`
      )
    }
  }

  /** A node reports fatal errors as events too: the last ones the trace holds for it. */
  private traceTail(id: string): string {
    if (!this.experiment) return ''
    this.experiment.recorder.flush()
    const path = join(this.dir, TRACE_FILE)
    const said = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.includes(`"node":"${id}"`) && /"kind":"(node-error|node-log)"/.test(l))
      .slice(-5)
    return said.length ? `\n  ${id} in the trace: ${said.join('\n    ')}` : ''
  }

  // The data folder is removed on stop: errors quote the nodes' last stderr lines.
  private stderrTails(ids: string[]): string {
    return ids
      .map((id) => {
        const path = join(this.dir, 'nodes', `${id}.stderr.log`)
        const tail = existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').slice(-5) : []
        return tail[0] ? `\n  ${id} stderr: ${tail.join('\n    ')}` : ''
      })
      .join('')
  }

  /**
   * ms from the start of the cluster to the first node announcing it leads, or null
   * before that. Lab mode reads it from the trace (whose clock starts with the
   * experiment), as the election may end before start() returns.
   */
  async firstLeaderMs(): Promise<number | null> {
    if (!this.experiment)
      return this.firstLeaderAt === null ? null : this.firstLeaderAt - this.startedAt
    this.experiment.recorder.flush()
    const lines = (await readFile(join(this.dir, TRACE_FILE), 'utf8')).split('\n')
    for (const line of lines) {
      if (!line.includes('"role"')) continue
      const e = JSON.parse(line) as { kind?: string; role?: string; t?: number }
      if (e.kind === 'role' && e.role === 'leader' && typeof e.t === 'number') return e.t
    }
    return null
  }

  /** Size of the trace written so far (lab mode; null in direct mode, which records nothing). */
  async traceBytes(): Promise<number | null> {
    if (!this.experiment) return null
    this.experiment.recorder.flush()
    return (await stat(join(this.dir, TRACE_FILE))).size
  }

  /** Stops every node and removes the data (and trace) folder. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    for (const c of this.clients) c.close()
    this.connections.close()
    try {
      if (this.experiment) await this.experiment.stop()
      else await this.supervisor.shutdown()
    } finally {
      await rm(this.dir, { recursive: true, force: true })
    }
  }

  private emitRole(change: RoleChange): void {
    for (const l of this.roleListeners) l(change)
  }
}
