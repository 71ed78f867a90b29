// The trace recorder: one experiment = one folder holding trace.jsonl, the
// nodes' data dirs and stderr logs, and manifest.json. Lines are buffered
// briefly and written with writeSync, so memory stays bounded and a kill -9 of
// the lab loses at most the last flush interval. The manifest is rewritten at
// every checkpoint with the count and chain value of the lines written so far,
// which is what lets `check --verify` notice a truncated trace.
import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  renameSync,
  writeFileSync,
  writeSync
} from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import {
  TRACE_SCHEMA,
  TRACE_VERSION,
  type TraceEvent,
  type TraceHeader,
  type UnstampedEvent
} from '../../shared/trace'
import type { ClusterConfig } from '../../shared/config'
import { sealLine } from './hash-chain'

export const TRACE_FILE = 'trace.jsonl'
export const MANIFEST_FILE = 'manifest.json'
export const MANIFEST_SCHEMA = 'raftlab-experiment'

const FLUSH_MS = 100
const FLUSH_BYTES = 256 * 1024
const CHECKPOINT_MS = 1000

export interface Manifest {
  schema: typeof MANIFEST_SCHEMA
  version: 1
  started: string
  scenario: string | null
  seed: number | null
  trace: string
  /** Lines of trace.jsonl known written (header included) at the last checkpoint. */
  lines: number
  /** Chain value of the last of those lines. */
  lastH: string
  /** True once the recorder closed the trace: then `lines` is the whole trace. */
  closed: boolean
  updated: string
  nodes: Record<string, { dir: string; stderr: string }>
}

export interface RecorderOptions {
  dir: string
  config: ClusterConfig
  seed: number | null
  scenario: string | null
  versions: Record<string, string>
  nodeIds: string[]
}

export class Recorder {
  readonly dir: string
  readonly header: TraceHeader
  private readonly fd: number
  private readonly t0 = performance.now()
  private buffer: string[] = []
  private bufferBytes = 0
  private lastH = ''
  private lines = 0
  private seq = 0
  private closed = false
  private readonly flushTimer: NodeJS.Timeout
  private readonly checkpointTimer: NodeJS.Timeout
  private readonly listeners = new Set<(e: TraceEvent) => void>()
  private readonly manifest: Manifest

  constructor(opts: RecorderOptions) {
    this.dir = opts.dir
    mkdirSync(join(opts.dir, 'nodes'), { recursive: true })
    this.fd = openSync(join(opts.dir, TRACE_FILE), 'wx')
    const started = new Date().toISOString()
    this.header = {
      kind: 'header',
      schema: TRACE_SCHEMA,
      version: TRACE_VERSION,
      started,
      source: 'lab',
      config: opts.config,
      seed: opts.seed,
      scenario: opts.scenario,
      versions: opts.versions
    }
    this.manifest = {
      schema: MANIFEST_SCHEMA,
      version: 1,
      started,
      scenario: opts.scenario,
      seed: opts.seed,
      trace: TRACE_FILE,
      lines: 0,
      lastH: '',
      closed: false,
      updated: started,
      nodes: Object.fromEntries(
        opts.nodeIds.map((id) => [id, { dir: `nodes/${id}`, stderr: `nodes/${id}.stderr.log` }])
      )
    }
    const { line, h } = sealLine('', JSON.stringify(this.header))
    this.header.h = h
    this.push(line, h)
    this.flush()
    this.checkpoint()
    this.flushTimer = setInterval(() => this.flush(), FLUSH_MS)
    this.checkpointTimer = setInterval(() => this.checkpoint(), CHECKPOINT_MS)
    // Timers must not keep a CLI process alive on their own.
    this.flushTimer.unref()
    this.checkpointTimer.unref()
  }

  /** ms since the experiment started (t of the next event). */
  now(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000
  }

  get eventCount(): number {
    return this.seq
  }

  onEvent(listener: (e: TraceEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Stamp an event with seq, t and h, write it, and hand it to listeners. */
  record(event: UnstampedEvent): TraceEvent | null {
    if (this.closed) return null
    const stamped = { seq: ++this.seq, t: this.now(), ...event } as TraceEvent
    const { line, h } = sealLine(this.lastH, JSON.stringify(stamped))
    stamped.h = h
    this.push(line, h)
    if (this.bufferBytes >= FLUSH_BYTES) this.flush()
    for (const l of this.listeners) l(stamped)
    return stamped
  }

  /**
   * Record an event whose JSON the caller already holds (a node's own line): seq and
   * t are spliced in front of it rather than serializing the event again.
   * `event` must be `JSON.parse(text)`: an object with a kind and without seq, t or h.
   */
  recordText(event: UnstampedEvent, text: string): TraceEvent | null {
    if (this.closed) return null
    const seq = ++this.seq
    const t = this.now()
    const { line, h } = sealLine(this.lastH, `{"seq":${seq},"t":${t},${text.slice(1)}`)
    // The caller hands its parsed object over: stamping it in place saves a copy.
    const stamped = Object.assign(event, { seq, t, h }) as TraceEvent
    this.push(line, h)
    if (this.bufferBytes >= FLUSH_BYTES) this.flush()
    for (const l of this.listeners) l(stamped)
    return stamped
  }

  private push(line: string, h: string): void {
    this.buffer.push(line + '\n')
    this.bufferBytes += line.length + 1
    this.lastH = h
    this.lines++
  }

  flush(): void {
    if (this.buffer.length === 0) return
    const text = this.buffer.join('')
    this.buffer = []
    this.bufferBytes = 0
    writeSync(this.fd, text)
  }

  private checkpoint(): void {
    this.flush()
    // The lines named in the manifest must be on disk before the manifest says so.
    fdatasyncSync(this.fd)
    this.writeManifest()
  }

  private writeManifest(): void {
    this.manifest.lines = this.lines
    this.manifest.lastH = this.lastH
    this.manifest.closed = this.closed
    this.manifest.updated = new Date().toISOString()
    const tmp = join(this.dir, `${MANIFEST_FILE}.tmp`)
    writeFileSync(tmp, JSON.stringify(this.manifest, null, 2) + '\n')
    renameSync(tmp, join(this.dir, MANIFEST_FILE))
  }

  close(): void {
    if (this.closed) return
    clearInterval(this.flushTimer)
    clearInterval(this.checkpointTimer)
    this.flush()
    fdatasyncSync(this.fd)
    closeSync(this.fd)
    this.closed = true
    this.writeManifest()
    this.listeners.clear()
  }
}
