// Spawns real node processes (the built entry, out/main/node.js), collects
// their stdout events in one stamped trace, and kills everything it started.
// Every test file calls `afterEach(cleanupAll)`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'
import type { TraceEvent, UnstampedEvent } from '../../../src/shared/trace'
import { RaftClient, type OpResult } from '../../../src/node/client'

export const ROOT = path.resolve(import.meta.dirname, '../../..')
/**
 * A private copy of the build (out/main), taken once per test file: other work in the
 * same checkout may rebuild out/ while a long soak is still spawning nodes.
 */
function snapshotBuild(): string {
  const built = path.join(ROOT, 'out/main')
  if (!fs.existsSync(path.join(built, 'node.js'))) {
    throw new Error(`${built}/node.js missing: run \`npm run build\` first`)
  }
  for (let attempt = 1; ; attempt++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-build-'))
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
    fs.cpSync(built, dir, { recursive: true })
    // A copy taken in the middle of a rebuild does not load: take another.
    const check = spawnSync(process.execPath, [path.join(dir, 'node.js'), '--help'], {
      env: SPAWN_ENV
    })
    if (check.status === 0) return dir
    if (attempt === 5) throw new Error(`the build in ${built} does not run: ${check.stderr}`)
    spawnSync('sleep', ['2'])
  }
}

/** The copied bundles resolve their dependencies from the checkout's node_modules. */
export const SPAWN_ENV = {
  ...process.env,
  ELECTRON_RUN_AS_NODE: '1',
  NODE_PATH: path.join(ROOT, 'node_modules')
}
const BUILD = snapshotBuild()
export const NODE_ENTRY = path.join(BUILD, 'node.js')
/** What bin/raftlab.js loads. */
export const CLI_ENTRY = path.join(BUILD, 'cli.js')

const live = new Set<ChildProcess>()
const tempDirs = new Set<string>()

/** Kills every process a test started (also when it failed) and removes temp dirs. */
export async function cleanupAll(): Promise<void> {
  const exits = [...live].map(
    (p) =>
      new Promise<void>((resolve) => {
        if (p.exitCode !== null || p.signalCode !== null) return resolve()
        p.once('exit', () => resolve())
        p.kill('SIGKILL')
      })
  )
  await Promise.all(exits)
  live.clear()
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true })
  tempDirs.clear()
}

export function tempDir(prefix = 'raftlab-node-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

/** Ports that were free a moment ago (the nodes need each other's ports before they start). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer()
          s.once('error', reject)
          s.listen(0, '127.0.0.1', () => resolve(s))
        })
    )
  )
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

export function track(child: ChildProcess): ChildProcess {
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}

export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | null | false,
  timeoutMs = 15_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** One trace for the whole test: events from every node (and the test's clients), stamped in arrival order. */
export class Trace {
  readonly events: TraceEvent[] = []
  private readonly start = Date.now()

  add(event: UnstampedEvent): void {
    this.events.push({
      ...event,
      seq: this.events.length,
      t: Date.now() - this.start
    } as TraceEvent)
  }

  of<K extends TraceEvent['kind']>(kind: K, node?: string): Extract<TraceEvent, { kind: K }>[] {
    return this.events.filter(
      (e): e is Extract<TraceEvent, { kind: K }> =>
        e.kind === kind && (node === undefined || ('node' in e && e.node === node))
    )
  }
}

export interface NodeSpec {
  id: string
  port: number
  dir: string
  peers: { id: string; port: number }[]
  args: string[]
}

export class NodeProcess {
  child: ChildProcess | null = null
  stderr = ''
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null
  /** Events of the current incarnation (since the last start). */
  events: UnstampedEvent[] = []

  constructor(
    readonly spec: NodeSpec,
    private readonly trace: Trace,
    /** Run through `bin/raftlab.js node` (the CLI) instead of the node entry. */
    private readonly viaCli = false
  ) {}

  get address(): string {
    return `127.0.0.1:${this.spec.port}`
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null
  }

  start(): void {
    const s = this.spec
    const args = [
      ...(this.viaCli ? [CLI_ENTRY, 'node'] : [NODE_ENTRY]),
      '--id',
      s.id,
      '--dir',
      s.dir,
      '--listen',
      `127.0.0.1:${s.port}`,
      '--peers',
      s.peers.map((p) => `${p.id}=127.0.0.1:${p.port}`).join(','),
      '--exit-with-parent',
      ...s.args
    ]
    const child = track(
      spawn(process.execPath, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: SPAWN_ENV
      })
    )
    this.child = child
    this.events = []
    this.stderr = ''
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal }))
    )
    let partial = ''
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop()!
      for (const line of lines) {
        if (line.trim() === '') continue
        const event = JSON.parse(line) as UnstampedEvent
        this.events.push(event)
        this.trace.add(event)
      }
    })
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (chunk: string) => (this.stderr += chunk))
  }

  /** Waits for this incarnation's `listening` event; a node that exits instead fails with its stderr. */
  async waitListening(timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      `${this.spec.id} listening`,
      () => {
        if (!this.running) {
          throw new Error(`${this.spec.id} exited while starting: ${this.stderr}`)
        }
        return this.events.some((e) => e.kind === 'listening')
      },
      timeoutMs
    )
  }

  /** A crash: SIGKILL, then wait until the process is gone. */
  async kill9(): Promise<void> {
    if (!this.running) return
    this.child!.kill('SIGKILL')
    await this.exit
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child!.kill('SIGTERM')
    return this.exit!
  }

  control(command: object): void {
    this.child!.stdin!.write(JSON.stringify(command) + '\n')
  }

  role(): { role: string; term: number } | null {
    const last = this.events.filter((e) => e.kind === 'role').at(-1)
    return last && last.kind === 'role' ? { role: last.role, term: last.term } : null
  }
}

export class Cluster {
  readonly trace = new Trace()
  readonly nodes: NodeProcess[] = []

  static async create(
    n: number,
    options: { args?: string[]; argsFor?: (id: string) => string[]; viaCli?: boolean } = {}
  ): Promise<Cluster> {
    const cluster = new Cluster()
    const ports = await freePorts(n)
    const ids = ports.map((_, i) => `n${i + 1}`)
    const root = tempDir()
    ids.forEach((id, i) => {
      const spec: NodeSpec = {
        id,
        port: ports[i]!,
        dir: path.join(root, id),
        peers: ids.flatMap((p, j) => (p === id ? [] : [{ id: p, port: ports[j]! }])),
        args: [...(options.args ?? []), ...(options.argsFor?.(id) ?? [])]
      }
      cluster.nodes.push(new NodeProcess(spec, cluster.trace, options.viaCli))
    })
    return cluster
  }

  get addresses(): string[] {
    return this.nodes.map((n) => n.address)
  }

  node(id: string): NodeProcess {
    const node = this.nodes.find((n) => n.spec.id === id)
    if (!node) throw new Error(`no node ${id}`)
    return node
  }

  async startAll(): Promise<void> {
    for (const n of this.nodes) n.start()
    await Promise.all(this.nodes.map((n) => n.waitListening()))
  }

  /** The running node that most recently became leader, in the highest term seen. */
  leader(): NodeProcess | null {
    let best: { node: NodeProcess; term: number } | null = null
    for (const n of this.nodes) {
      const r = n.running ? n.role() : null
      if (r && r.role === 'leader' && (!best || r.term > best.term))
        best = { node: n, term: r.term }
    }
    if (!best) return null
    // A deposed leader that has not heard of the new term yet is not the leader.
    const maxTerm = Math.max(...this.nodes.filter((n) => n.running).map((n) => n.role()?.term ?? 0))
    return best.term === maxTerm ? best.node : null
  }

  async waitForLeader(timeoutMs = 15_000): Promise<NodeProcess> {
    return waitUntil('a leader', () => this.leader(), timeoutMs)
  }
}

/** A client that writes unique keys until stopped, recording invoke/complete events in the trace. */
export async function writeLoop(
  name: string,
  addresses: string[],
  trace: Trace,
  acknowledged: Map<string, string>,
  running: () => boolean,
  /** Called right when a write is acknowledged (e.g. to crash the cluster at that instant). */
  onAck: () => void = () => {}
): Promise<number> {
  const client = new RaftClient({ addresses, clientId: name, timeoutMs: 3000 })
  let n = 0
  try {
    while (running()) {
      const key = `${name}-${n}`
      const value = `v${n}`
      const opId = client.nextSeq
      trace.add({ kind: 'invoke', client: name, opId, input: { op: 'put', key, value } })
      const result: OpResult = await client.put(key, value)
      trace.add({
        kind: 'complete',
        client: name,
        opId,
        status: result.status === 'ok' ? 'ok' : result.status === 'fail' ? 'fail' : 'info',
        ...(result.status === 'ok' ? { output: result.output } : { error: result.error })
      })
      if (result.status === 'ok') {
        acknowledged.set(key, value)
        onAck()
      }
      n++
    }
  } finally {
    client.close()
  }
  return n
}
