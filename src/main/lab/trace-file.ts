// Reading a trace back: a trace.jsonl file or an experiment folder. Traces may
// come from students (untrusted): size limits, one schema check per line, and
// errors that name the file and line. Never throws on bad content.
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import {
  traceEventSchema,
  traceHeaderSchema,
  type TraceEvent,
  type TraceHeader
} from '../../shared/trace'
import { chainHash, unsealLine } from './hash-chain'
import { MANIFEST_FILE, MANIFEST_SCHEMA, TRACE_FILE, type Manifest } from './recorder'

export const DEFAULT_MAX_TRACE_BYTES = 256 * 1024 * 1024
const MAX_LINE_BYTES = 4 * 1024 * 1024
/** Bad lines reported before giving up on a file. */
const MAX_ERRORS = 20

export interface TraceProblem {
  line: number | null
  message: string
}

export interface VerifyResult {
  /** Every line carries a valid chain value and the chain is unbroken. */
  ok: boolean
  problems: TraceProblem[]
  /** What the check could establish about the end of the trace. */
  completeness: 'closed' | 'checkpoint' | 'unknown'
}

export interface LoadedTrace {
  path: string
  header: TraceHeader | null
  events: TraceEvent[]
  /** Schema problems (a trace with any is bad input). */
  problems: TraceProblem[]
  verify: VerifyResult | null
}

/** A folder holding trace.jsonl, or the file itself. */
export function resolveTracePath(path: string): string {
  if (existsSync(path) && statSync(path).isDirectory()) return join(path, TRACE_FILE)
  return path
}

function readManifest(tracePath: string): Manifest | null {
  const p = join(tracePath, '..', MANIFEST_FILE)
  if (!existsSync(p)) return null
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as Manifest
    if (m?.schema !== MANIFEST_SCHEMA || typeof m.lines !== 'number' || typeof m.lastH !== 'string')
      return null
    return m
  } catch {
    return null
  }
}

export interface LoadOptions {
  verify?: boolean
  maxBytes?: number
}

export async function loadTrace(path: string, opts: LoadOptions = {}): Promise<LoadedTrace> {
  const file = resolveTracePath(path)
  if (!existsSync(file)) return failed(file, `${file}: no such file`)
  const size = statSync(file).size
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_TRACE_BYTES
  if (size > maxBytes)
    return failed(file, `${file}: ${size} bytes is over the limit of ${maxBytes}`)
  const rl = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Infinity
  })
  return readLines(file, rl, opts.verify ? readManifest(file) : null, opts.verify ?? false)
}

/** A trace given as text (opened in the UI): no manifest, so truncation cannot be judged. */
export async function loadTraceText(
  text: string,
  name: string,
  opts: LoadOptions = {}
): Promise<LoadedTrace> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_TRACE_BYTES
  if (text.length > maxBytes)
    return failed(name, `${name}: ${text.length} bytes is over the limit of ${maxBytes}`)
  return readLines(name, text.split(/\r?\n/), null, opts.verify ?? false)
}

function failed(path: string, message: string): LoadedTrace {
  return { path, header: null, events: [], problems: [{ line: null, message }], verify: null }
}

async function readLines(
  file: string,
  lines: AsyncIterable<string> | Iterable<string>,
  manifest: Manifest | null,
  verify: boolean
): Promise<LoadedTrace> {
  const out: LoadedTrace = { path: file, header: null, events: [], problems: [], verify: null }
  const chain: TraceProblem[] = []
  let prevH = ''
  let lineNo = 0
  const hAtLine = new Map<number, string>()
  for await (const line of lines) {
    lineNo++
    if (line.length === 0) continue
    if (out.problems.length >= MAX_ERRORS) break
    if (line.length > MAX_LINE_BYTES) {
      out.problems.push({ line: lineNo, message: `line longer than ${MAX_LINE_BYTES} bytes` })
      continue
    }
    if (verify && chain.length < MAX_ERRORS) {
      const sealed = unsealLine(line)
      if (!sealed) {
        chain.push({ line: lineNo, message: 'no hash chain value (h) at the end of the line' })
      } else if (chainHash(prevH, sealed.unhashed) !== sealed.h) {
        chain.push({
          line: lineNo,
          message: 'hash chain broken: this line or an earlier one was edited, removed or reordered'
        })
      }
      prevH = sealed?.h ?? ''
      if (manifest && lineNo === manifest.lines) hAtLine.set(lineNo, prevH)
    }
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      out.problems.push({ line: lineNo, message: 'not JSON' })
      continue
    }
    if (lineNo === 1) {
      const header = traceHeaderSchema.safeParse(value)
      if (!header.success) {
        const issue = header.error.issues[0]
        out.problems.push({
          line: 1,
          message: `not a Raft Lab trace header: ${issue?.path.join('.') || 'header'}: ${issue?.message ?? ''}`
        })
        break
      }
      out.header = header.data
      continue
    }
    const event = traceEventSchema.safeParse(value)
    if (!event.success) {
      const issue = event.error.issues[0]
      const kind = (value as { kind?: unknown } | null)?.kind
      out.problems.push({
        line: lineNo,
        message: `bad event${typeof kind === 'string' ? ` "${kind}"` : ''}: ${issue?.path.join('.') || 'event'}: ${issue?.message ?? ''}`
      })
      continue
    }
    out.events.push(event.data)
  }
  if (lineNo === 0) out.problems.push({ line: null, message: `${file}: empty file` })
  if (verify) {
    let completeness: VerifyResult['completeness'] = 'unknown'
    if (manifest) {
      if (lineNo < manifest.lines) {
        chain.push({
          line: null,
          message: `truncated: manifest.json records ${manifest.lines} lines, the trace has ${lineNo}`
        })
      } else if (hAtLine.get(manifest.lines) !== manifest.lastH) {
        chain.push({
          line: manifest.lines,
          message: 'the chain value at the last checkpoint differs from manifest.json'
        })
      } else if (manifest.closed && lineNo > manifest.lines) {
        chain.push({
          line: manifest.lines + 1,
          message: 'lines appended after the trace was closed'
        })
      }
      completeness = manifest.closed ? 'closed' : 'checkpoint'
    }
    out.verify = { ok: chain.length === 0, problems: chain, completeness }
  }
  return out
}
