// Reading a trace's lines: the header on line 1, one event per later line, and
// a problem naming the line for anything else. Traces may come from students
// (untrusted): size limits, one schema check per line, never a throw on bad
// content. Pure, so the lab engine (src/main/lab/trace-file.ts, which also
// checks the hash chain) and the simulator in the browser read alike.
import { traceEventSchema, traceHeaderSchema, type TraceEvent, type TraceHeader } from './trace'

export const DEFAULT_MAX_TRACE_BYTES = 256 * 1024 * 1024
export const MAX_LINE_BYTES = 4 * 1024 * 1024
/** Bad lines reported before giving up on a trace. */
export const MAX_ERRORS = 20

export interface TraceProblem {
  /** null: about the whole trace, and the message names it. */
  line: number | null
  message: string
}

export interface ParsedTrace {
  header: TraceHeader | null
  events: TraceEvent[]
  /** Schema problems (a trace with any is bad input). */
  problems: TraceProblem[]
}

/**
 * Read line `lineNo` (1-based, not empty) into `trace`. False when reading
 * should stop: line 1 is not a Raft Lab header, so nothing after it means anything.
 */
export function readTraceLine(trace: ParsedTrace, line: string, lineNo: number): boolean {
  if (line.length > MAX_LINE_BYTES) {
    trace.problems.push({ line: lineNo, message: `line longer than ${MAX_LINE_BYTES} bytes` })
    return true
  }
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    trace.problems.push({ line: lineNo, message: 'not JSON' })
    return true
  }
  if (lineNo === 1) {
    const header = traceHeaderSchema.safeParse(value)
    if (!header.success) {
      const issue = header.error.issues[0]
      trace.problems.push({
        line: 1,
        message: `not a Raft Lab trace header: ${issue?.path.join('.') || 'header'}: ${issue?.message ?? ''}`
      })
      return false
    }
    trace.header = header.data
    return true
  }
  const event = traceEventSchema.safeParse(value)
  if (!event.success) {
    const issue = event.error.issues[0]
    const kind = (value as { kind?: unknown } | null)?.kind
    trace.problems.push({
      line: lineNo,
      message: `bad event${typeof kind === 'string' ? ` "${kind}"` : ''}: ${issue?.path.join('.') || 'event'}: ${issue?.message ?? ''}`
    })
    return true
  }
  trace.events.push(event.data)
  return true
}

/** A trace given as text (opened in the UI); `name` is what problems about the whole trace call it. */
export function parseTraceText(
  text: string,
  name: string,
  maxBytes = DEFAULT_MAX_TRACE_BYTES
): ParsedTrace {
  const trace: ParsedTrace = { header: null, events: [], problems: [] }
  if (text.length > maxBytes) {
    trace.problems.push(overLimit(name, text.length, maxBytes))
    return trace
  }
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (line.length === 0) continue
    if (trace.problems.length >= MAX_ERRORS) break
    if (!readTraceLine(trace, line, i + 1)) break
  }
  return trace
}

/** A trace too big to read: refused whole, before any line. */
export function overLimit(name: string, bytes: number, maxBytes: number): TraceProblem {
  return { line: null, message: `${name}: ${bytes} bytes is over the limit of ${maxBytes}` }
}

/** The header of a trace that can be opened; otherwise throws its first problem as `name:line: message`. */
export function openableHeader(name: string, trace: ParsedTrace): TraceHeader {
  const p = trace.problems[0]
  if (p) throw new Error(p.line === null ? p.message : `${name}:${p.line}: ${p.message}`)
  if (!trace.header) throw new Error(`${name}: no trace header`)
  return trace.header
}
