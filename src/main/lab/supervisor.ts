// The cluster supervisor: one OS process per node, started from the built node
// entry (or a student's `nodeCommand`), with its data dir and stderr log inside
// the experiment folder. Crash is SIGKILL, pause SIGSTOP, resume SIGCONT,
// graceful stop SIGTERM then SIGKILL. A small reaper process kills every node
// if the lab itself dies without cleaning up (kill -9), which `--exit-with-parent`
// alone cannot do for a node that is paused.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Socket } from 'node:net'
import type { ClusterConfig } from '../../shared/config'
import type { NodeView } from '../../shared/lab-api'
import { traceEventSchema, type TraceEvent, type UnstampedEvent } from '../../shared/trace'

/** How long a graceful stop waits before SIGKILL. */
const STOP_GRACE_MS = 2000
/** How long a start waits for a node's `listening` event. */
const START_TIMEOUT_MS = 15_000
/** Longest stdout line kept; longer text is cut in the `node-log` event. */
const MAX_LOG_TEXT = 2000

const REAPER_SCRIPT = `
const pids = new Set(); let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d; let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const [op, p] = buf.slice(0, i).split(' '); buf = buf.slice(i + 1);
    if (op === '+') pids.add(Number(p)); else pids.delete(Number(p));
  }
});
process.stdin.on('end', () => {
  for (const p of pids) { try { process.kill(p, 'SIGKILL') } catch {} }
  process.exit(0);
});`

export function defaultNodeEntry(): string {
  // Built: this code sits in out/main or in a chunk under out/main/chunks; from source (tests): cwd.
  const candidates = [
    join(__dirname, 'node.js'),
    join(__dirname, '..', 'node.js'),
    resolve(process.cwd(), 'out/main/node.js')
  ]
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string)
}

export interface SupervisorOptions {
  config: ClusterConfig
  /** The experiment folder: node data in nodes/<id>, stderr in nodes/<id>.stderr.log. */
  dir: string
  nodeEntry?: string
  /** Port node `from` dials to reach `to` (a relay of the fault proxy). */
  peerPort(from: string, to: string): number
  /** `text`, when given, is the event's JSON as the node wrote it (see Recorder.recordText). */
  record(event: UnstampedEvent, text?: string): TraceEvent | null
  /** A node's real port changed (it started, or died). */
  onTargetChange(node: string): void
  /** Seeds the built-in nodes' election timers (per node), so a scenario's seed replays closer. */
  seed: number | null
  /** Port a node listens on (0 = any free port). */
  listenPort(node: string): number
}

interface NodeProc {
  id: string
  child: ChildProcess | null
  view: NodeView
  /** We asked for this exit (crash, stop, wipe, shutdown). */
  expectExit: boolean
  exited: Promise<void>
  listening: (() => void) | null
}

/**
 * A line the built-in node wrote about itself, usable as is: a compact object with a
 * kind, naming this node, and carrying none of the recorder's stamps.
 */
function isOwnEvent(o: Record<string, unknown>, id: string, line: string): boolean {
  return (
    typeof o.kind === 'string' &&
    o.node === id &&
    !('seq' in o) &&
    !('t' in o) &&
    !('h' in o) &&
    line.charCodeAt(0) === 0x7b &&
    line.charCodeAt(line.length - 1) === 0x7d
  )
}

export function nodeIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `n${i + 1}`)
}

export class Supervisor {
  private readonly nodes = new Map<string, NodeProc>()
  private readonly reaper: ChildProcess
  private readonly onProcessExit = (): void => this.killAllNow()
  private shuttingDown = false
  /** Only the built-in node's events are recorded without validation. */
  private readonly trustsNodes: boolean

  constructor(private readonly opts: SupervisorOptions) {
    this.trustsNodes = opts.config.nodeCommand === null
    for (const id of nodeIds(opts.config.nodes)) {
      mkdirSync(this.dataDir(id), { recursive: true })
      this.nodes.set(id, {
        id,
        child: null,
        expectExit: false,
        exited: Promise.resolve(),
        listening: null,
        view: {
          id,
          status: 'stopped',
          pid: null,
          exitCode: null,
          role: null,
          currentTerm: 0,
          votedFor: null,
          leader: null,
          commitIndex: 0,
          lastApplied: 0,
          lastLogIndex: 0,
          clientAddress: null
        }
      })
    }
    this.reaper = spawn(process.execPath, ['-e', REAPER_SCRIPT], {
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }
    })
    this.reaper.on('error', () => undefined)
    this.reaper.unref()
    ;(this.reaper.stdin as Socket | null)?.unref?.()
    process.on('exit', this.onProcessExit)
  }

  dataDir(id: string): string {
    return join(this.opts.dir, 'nodes', id)
  }

  ids(): string[] {
    return [...this.nodes.keys()]
  }

  views(): NodeView[] {
    return [...this.nodes.values()].map((n) => ({ ...n.view }))
  }

  view(id: string): NodeView {
    return { ...this.node(id).view }
  }

  /** Where a client reaches node `id` directly, or null when it is not up. */
  port(id: string): number | null {
    const v = this.node(id).view
    if (!v.clientAddress || (v.status !== 'running' && v.status !== 'paused')) return null
    return Number(v.clientAddress.split(':')[1])
  }

  private node(id: string): NodeProc {
    const n = this.nodes.get(id)
    if (!n) throw new Error(`no node "${id}" (the cluster has ${this.ids().join(', ')})`)
    return n
  }

  async startAll(): Promise<void> {
    await Promise.all(this.ids().map((id) => this.spawnNode(id, 'start')))
  }

  private args(id: string): string[] {
    const c = this.opts.config
    const peers = this.ids()
      .filter((p) => p !== id)
      .map((p) => `${p}=127.0.0.1:${this.opts.peerPort(id, p)}`)
      .join(',')
    return [
      '--id',
      id,
      '--dir',
      this.dataDir(id),
      '--listen',
      `127.0.0.1:${this.opts.listenPort(id)}`,
      ...(peers ? ['--peers', peers] : []),
      '--election-timeout',
      `${c.electionTimeoutMs[0]}-${c.electionTimeoutMs[1]}`,
      '--heartbeat',
      String(c.heartbeatMs),
      '--fsync',
      c.fsync,
      '--read-mode',
      c.readMode,
      '--prevote',
      c.prevote ? 'on' : 'off',
      ...(c.bug ? ['--bug', c.bug] : []),
      // Only the built-in node is known to take a seed; a student's node gets the documented contract.
      ...(c.nodeCommand === null && this.opts.seed !== null
        ? ['--seed', String(((this.opts.seed >>> 0) + Number(id.slice(1)) * 7919) % 2147483647)]
        : []),
      '--exit-with-parent'
    ]
  }

  private spawnNode(id: string, action: 'start' | 'restart'): Promise<void> {
    const n = this.node(id)
    if (n.child) return Promise.resolve()
    const c = this.opts.config
    const [cmd, ...cmdArgs] = c.nodeCommand ?? [
      process.execPath,
      this.opts.nodeEntry ?? defaultNodeEntry()
    ]
    const stderr = openSync(join(this.opts.dir, 'nodes', `${id}.stderr.log`), 'a')
    const child = spawn(cmd as string, [...cmdArgs, ...this.args(id)], {
      stdio: ['pipe', 'pipe', stderr],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }
    })
    closeSync(stderr)
    n.child = child
    n.expectExit = false
    n.view = {
      ...n.view,
      status: 'starting',
      pid: child.pid ?? null,
      exitCode: null,
      clientAddress: null
    }
    if (child.pid) this.reaper.stdin?.write(`+ ${child.pid}\n`)
    this.opts.record({ kind: 'proc', node: id, action, ...(child.pid ? { pid: child.pid } : {}) })
    child.stdin?.on('error', () => undefined)
    const ready = new Promise<void>((resolveReady) => {
      n.listening = resolveReady
    })
    n.exited = new Promise<void>((resolveExit) => {
      child.on('exit', (code, signal) => {
        this.onExit(n, child, code, signal)
        resolveExit()
      })
    })
    child.on('error', (err) => {
      this.opts.record({ kind: 'node-error', node: id, message: `cannot start: ${err.message}` })
    })
    let partial = ''
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (chunk: string) => {
      partial += chunk
      let nl: number
      while ((nl = partial.indexOf('\n')) >= 0) {
        this.onLine(n, partial.slice(0, nl))
        partial = partial.slice(nl + 1)
      }
      if (partial.length > 4 * 1024 * 1024) partial = ''
    })
    const timeout = new Promise<void>((resolveTimeout) => {
      const t = setTimeout(resolveTimeout, START_TIMEOUT_MS)
      t.unref()
      void ready.then(() => clearTimeout(t))
    })
    return Promise.race([ready, n.exited, timeout]).then(() => {
      if (n.view.status !== 'running' && n.view.status !== 'paused') {
        const how =
          n.view.status === 'starting'
            ? `did not listen within ${START_TIMEOUT_MS} ms`
            : `exited (code ${n.view.exitCode})`
        throw new Error(`node ${id} ${how}; see nodes/${id}.stderr.log`)
      }
    })
  }

  private onLine(n: NodeProc, line: string): void {
    if (line.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      value = undefined
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const o = value as Record<string, unknown>
      if (this.trustsNodes && isOwnEvent(o, n.id, line)) {
        // The built-in node writes well-formed events (typed by the same schema): validating
        // every one cost a tenth of the lab's time at full load. A student's node is checked.
        const event = o as unknown as UnstampedEvent
        this.observe(n, event)
        this.opts.record(event, line)
        return
      }
      // The node does not stamp its events; and it may only speak for itself.
      const { seq: _s, t: _t, h: _h, ...rest } = o
      const parsed = traceEventSchema.safeParse({ ...rest, node: n.id, seq: 0, t: 0 })
      if (parsed.success && 'node' in parsed.data) {
        const { seq: _seq, t: _tt, h: _hh, ...event } = parsed.data
        this.observe(n, event as UnstampedEvent)
        this.opts.record(event as UnstampedEvent)
        return
      }
    }
    this.opts.record({ kind: 'node-log', node: n.id, text: line.slice(0, MAX_LOG_TEXT) })
  }

  /** Keep the node's view current from its own events. */
  private observe(n: NodeProc, e: UnstampedEvent): void {
    const v = n.view
    switch (e.kind) {
      case 'listening':
        v.clientAddress = `127.0.0.1:${e.port}`
        if (v.status === 'starting') v.status = 'running'
        this.opts.onTargetChange(n.id)
        n.listening?.()
        n.listening = null
        break
      case 'role':
        v.role = e.role
        v.currentTerm = e.term
        v.leader = e.leader
        break
      case 'persist':
        v.currentTerm = e.currentTerm
        v.votedFor = e.votedFor
        break
      case 'recover':
        v.currentTerm = e.currentTerm
        v.votedFor = e.votedFor
        v.lastLogIndex = e.lastIndex
        break
      case 'append': {
        const last = e.entries[e.entries.length - 1]
        if (last) v.lastLogIndex = last.index
        break
      }
      case 'truncate':
        v.lastLogIndex = Math.max(0, e.fromIndex - 1)
        break
      case 'commit':
        v.commitIndex = e.commitIndex
        break
      case 'apply':
        v.lastApplied = e.index
        break
      case 'status':
        Object.assign(v, {
          role: e.role,
          currentTerm: e.currentTerm,
          votedFor: e.votedFor,
          leader: e.leader,
          commitIndex: e.commitIndex,
          lastApplied: e.lastApplied,
          lastLogIndex: e.lastLogIndex
        })
        break
      default:
        break
    }
  }

  private onExit(
    n: NodeProc,
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null
  ): void {
    if (n.child !== child) return
    n.child = null
    if (child.pid) this.reaper.stdin?.write(`- ${child.pid}\n`)
    const expected = n.expectExit || this.shuttingDown
    n.view = {
      ...n.view,
      status: expected ? (n.view.status === 'crashed' ? 'crashed' : 'stopped') : 'exited',
      pid: null,
      exitCode: code,
      role: null,
      clientAddress: null
    }
    this.opts.record({
      kind: 'proc',
      node: n.id,
      action: 'exit',
      code,
      signal,
      ...(expected ? {} : { unexpected: true })
    })
    n.listening?.()
    n.listening = null
    this.opts.onTargetChange(n.id)
  }

  private signal(n: NodeProc, sig: NodeJS.Signals): void {
    if (n.child?.pid) {
      try {
        process.kill(n.child.pid, sig)
      } catch {
        // Already gone: its exit handler reports it.
      }
    }
  }

  async crash(id: string): Promise<void> {
    const n = this.node(id)
    if (!n.child) return
    n.expectExit = true
    n.view.status = 'crashed'
    this.opts.record({ kind: 'proc', node: id, action: 'crash', pid: n.child.pid })
    this.signal(n, 'SIGKILL')
    await n.exited
  }

  async restart(id: string): Promise<void> {
    const n = this.node(id)
    if (n.child) await this.crash(id)
    await this.spawnNode(id, 'restart')
  }

  async restartAll(): Promise<void> {
    await Promise.all(this.ids().map((id) => this.crash(id)))
    await Promise.all(this.ids().map((id) => this.spawnNode(id, 'restart')))
  }

  pause(id: string): void {
    const n = this.node(id)
    if (!n.child || n.view.status === 'paused') return
    this.signal(n, 'SIGSTOP')
    n.view.status = 'paused'
    this.opts.record({ kind: 'proc', node: id, action: 'pause', pid: n.child.pid })
  }

  resume(id: string): void {
    const n = this.node(id)
    if (!n.child || n.view.status !== 'paused') return
    this.signal(n, 'SIGCONT')
    n.view.status = n.view.clientAddress ? 'running' : 'starting'
    this.opts.record({ kind: 'proc', node: id, action: 'resume', pid: n.child.pid })
  }

  /** SIGTERM, then SIGKILL if it has not exited after a grace period. */
  async stop(id: string): Promise<void> {
    const n = this.node(id)
    if (!n.child) return
    n.expectExit = true
    this.opts.record({ kind: 'proc', node: id, action: 'stop', pid: n.child.pid })
    this.signal(n, 'SIGTERM')
    // A paused process cannot handle SIGTERM until it runs again.
    this.signal(n, 'SIGCONT')
    const timer = setTimeout(() => this.signal(n, 'SIGKILL'), STOP_GRACE_MS)
    await n.exited
    clearTimeout(timer)
  }

  /** Delete a node's durable state (it stays down; restart brings it back empty). */
  async wipe(id: string): Promise<void> {
    if (this.node(id).child) await this.crash(id)
    rmSync(this.dataDir(id), { recursive: true, force: true })
    mkdirSync(this.dataDir(id), { recursive: true })
    this.opts.record({ kind: 'proc', node: id, action: 'wipe' })
  }

  /** Ask a node to start an election now (its election timer fires). */
  campaign(id: string): void {
    this.control(id, { type: 'campaign' })
  }

  requestStatus(id: string): void {
    this.control(id, { type: 'status' })
  }

  private control(id: string, command: { type: 'campaign' | 'status' }): void {
    const n = this.node(id)
    if (n.child?.stdin?.writable && n.view.status === 'running')
      n.child.stdin.write(JSON.stringify(command) + '\n')
  }

  private killAllNow(): void {
    for (const n of this.nodes.values()) this.signal(n, 'SIGKILL')
  }

  /** Stop every node (SIGKILL: the experiment is over) and the reaper. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true
    const exits = [...this.nodes.values()].map((n) => n.exited)
    for (const n of this.nodes.values()) {
      n.expectExit = true
      this.signal(n, 'SIGKILL')
    }
    await Promise.all(exits)
    this.reaper.stdin?.end()
    process.off('exit', this.onProcessExit)
  }
}
