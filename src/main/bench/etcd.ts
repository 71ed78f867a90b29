// An etcd cluster on 127.0.0.1 for side-by-side benchmarks (Debian's etcd-server,
// driven through the npm etcd3 gRPC client). Members run in their own sessions
// (setsid) so a Ctrl-C in the terminal reaches the bench, which stops them by PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Etcd3, IOptions } from 'etcd3'
import type { Cleanup } from './cleanup'
import { freePorts } from './ports'
import { sleep, waitFor } from './load'
import { importAtRuntime } from './runtime-import'

type Etcd3Module = typeof import('etcd3')

let etcd3Module: Promise<Etcd3Module> | undefined

export function loadEtcd3(): Promise<Etcd3Module> {
  etcd3Module ??= importAtRuntime<Etcd3Module>('etcd3', '--vs etcd').catch((err: Error) => {
    etcd3Module = undefined
    throw err
  })
  return etcd3Module
}

const ETCD_PATHS = ['/usr/bin/etcd', '/usr/local/bin/etcd']

/** Finds the etcd binary; installs Debian's etcd-server with apt when allowed and running as root. */
export function ensureEtcdBinary(log: (line: string) => void): string {
  const found = findEtcd()
  if (found) return found
  if (process.getuid?.() !== 0) {
    throw new Error(
      'etcd is not installed. Install it with `sudo apt-get install -y etcd-server` (Debian/Ubuntu) ' +
        'or put an etcd binary on PATH, then run the bench again.'
    )
  }
  log("etcd is not installed: installing Debian's etcd-server with apt-get (one time)...")
  for (const args of [['update'], ['install', '-y', 'etcd-server']]) {
    const r = spawnSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    })
    if (r.status !== 0) {
      throw new Error(
        `apt-get ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr ?? '').trim().slice(-500)}`
      )
    }
  }
  const installed = findEtcd()
  if (!installed)
    throw new Error('apt-get installed etcd-server but no etcd binary was found on PATH')
  return installed
}

function findEtcd(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' })
  const onPath = r.status === 0 ? r.stdout.trim() : ''
  if (onPath) return onPath
  return ETCD_PATHS.find((p) => existsSync(p)) ?? null
}

export interface EtcdClusterOptions {
  members: number
  /** etcd randomizes its election timeout in [t, 2t): 150 matches Raft Lab's 150-300. */
  electionTimeoutMs: number
  heartbeatMs: number
  cleanup: Cleanup
  log: (line: string) => void
}

interface Member {
  name: string
  clientUrl: string
  peerUrl: string
  dataDir: string
  args: string[]
  proc: ChildProcess | null
  /** Last lines of stderr, for the error message when a member dies on its own. */
  stderrTail: string[]
  client: Etcd3 | null
}

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>
// etcd3's default policies retry and open a 5 s circuit breaker after failures: that
// would hide or inflate failover time. The bench retries by itself, so pass calls through.
const passThrough = {
  execute: (fn: (context: { signal: AbortSignal }) => unknown) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal }))
} as unknown as Policy

export class EtcdCluster {
  private constructor(
    private readonly binary: string,
    private readonly members: Member[],
    private readonly root: string,
    private readonly etcd3: Etcd3Module,
    private readonly cleanup: Cleanup
  ) {}

  /** The effective heartbeat: etcd refuses an election timeout under 5 heartbeats. */
  static heartbeatFor(electionTimeoutMs: number, heartbeatMs: number): number {
    return Math.max(1, Math.min(heartbeatMs, Math.floor(electionTimeoutMs / 5)))
  }

  static async start(options: EtcdClusterOptions): Promise<EtcdCluster> {
    const etcd3 = await loadEtcd3()
    const binary = ensureEtcdBinary(options.log)
    const root = await mkdtemp(join(tmpdir(), 'raftlab-etcd-'))
    options.cleanup.add(() => rm(root, { recursive: true, force: true }))
    const ports = await freePorts(options.members * 2)
    const heartbeat = EtcdCluster.heartbeatFor(options.electionTimeoutMs, options.heartbeatMs)
    const members: Member[] = Array.from({ length: options.members }, (_, i) => ({
      name: `e${i + 1}`,
      clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
      peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
      dataDir: join(root, `e${i + 1}`),
      args: [],
      proc: null,
      stderrTail: [],
      client: null
    }))
    const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',')
    for (const m of members) {
      m.args = [
        '--name',
        m.name,
        '--data-dir',
        m.dataDir,
        '--listen-client-urls',
        m.clientUrl,
        '--advertise-client-urls',
        m.clientUrl,
        '--listen-peer-urls',
        m.peerUrl,
        '--initial-advertise-peer-urls',
        m.peerUrl,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        'raftlab-bench',
        '--heartbeat-interval',
        String(heartbeat),
        '--election-timeout',
        String(options.electionTimeoutMs),
        '--logger',
        'zap',
        '--log-level',
        'error'
      ]
    }
    const cluster = new EtcdCluster(binary, members, root, etcd3, options.cleanup)
    options.cleanup.add(() => cluster.stop())
    for (const m of members) cluster.spawnMember(m)
    await cluster.waitForLeader(15_000)
    return cluster
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl)
  }

  get names(): string[] {
    return this.members.map((m) => m.name)
  }

  /** A client bound to one member, without retries or circuit breakers. */
  clientFor(name: string): Etcd3 {
    const m = this.member(name)
    m.client ??= new this.etcd3.Etcd3({
      hosts: m.clientUrl,
      dialTimeout: 2000,
      faultHandling: { global: passThrough, host: () => passThrough }
    })
    return m.client
  }

  /** The member every running member agrees is leader, or undefined while they disagree. */
  async leader(): Promise<string | undefined> {
    const running = this.members.filter((m) => m.proc)
    const answers = await Promise.all(
      running.map((m) =>
        this.clientFor(m.name)
          .maintenance.status({ deadline: Date.now() + 500 })
          .then((s) => ({ name: m.name, self: s.header.member_id, leader: s.leader }))
          .catch(() => null)
      )
    )
    const ok = answers.filter((a) => a !== null)
    if (ok.length !== running.length || ok.length === 0) return undefined
    const leaderId = ok[0]!.leader
    if (leaderId === '0' || ok.some((a) => a.leader !== leaderId)) return undefined
    return ok.find((a) => a.self === leaderId)?.name
  }

  waitForLeader(timeoutMs: number): Promise<string> {
    return waitFor(
      'an etcd leader',
      timeoutMs,
      async () => {
        const dead = this.members.find((m) => m.proc && m.proc.exitCode !== null)
        if (dead) throw new Error(`etcd member ${dead.name} exited: ${dead.stderrTail.join('\n')}`)
        return this.leader()
      },
      50
    )
  }

  /** kill -9: a crash. */
  async kill(name: string): Promise<void> {
    const m = this.member(name)
    if (!m.proc) return
    await this.signalAndWait(m, 'SIGKILL', 5000)
  }

  restart(name: string): void {
    this.spawnMember(this.member(name))
  }

  /** SIGTERM every member, SIGKILL after 5 s; closes clients. Idempotent. */
  async stop(): Promise<void> {
    for (const m of this.members) {
      m.client?.close()
      m.client = null
    }
    await Promise.all(
      this.members.map(async (m) => {
        if (!m.proc) return
        const exited = await this.signalAndWait(m, 'SIGTERM', 5000)
        if (!exited) await this.signalAndWait(m, 'SIGKILL', 5000)
      })
    )
  }

  /** PIDs of the members running now. */
  pids(): number[] {
    return this.members.flatMap((m) => (m.proc?.pid !== undefined ? [m.proc.pid] : []))
  }

  get dataRoot(): string {
    return this.root
  }

  private member(name: string): Member {
    const m = this.members.find((x) => x.name === name)
    if (!m) throw new Error(`no etcd member named ${name}`)
    return m
  }

  private spawnMember(m: Member): void {
    // Not detached: setsid then calls setsid(2) itself and execs etcd, so the PID is etcd's.
    const proc = spawn('setsid', [this.binary, ...m.args], { stdio: ['ignore', 'ignore', 'pipe'] })
    m.proc = proc
    m.stderrTail = []
    if (proc.pid !== undefined) this.cleanup.trackPid(proc.pid)
    proc.stderr?.setEncoding('utf8')
    proc.stderr?.on('data', (chunk: string) => {
      m.stderrTail.push(...chunk.split('\n').filter(Boolean))
      m.stderrTail.splice(0, Math.max(0, m.stderrTail.length - 20))
    })
    proc.on('error', (err) => m.stderrTail.push(`spawn failed: ${err.message}`))
    proc.on('exit', () => {
      if (proc.pid !== undefined) this.cleanup.untrackPid(proc.pid)
    })
  }

  private async signalAndWait(
    m: Member,
    signal: NodeJS.Signals,
    timeoutMs: number
  ): Promise<boolean> {
    const proc = m.proc
    if (!proc) return true
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
      proc.kill(signal)
      await Promise.race([exited, sleep(timeoutMs)])
    }
    const gone = proc.exitCode !== null || proc.signalCode !== null
    if (gone) {
      m.proc = null
      m.client?.close()
      m.client = null
    }
    return gone
  }
}
