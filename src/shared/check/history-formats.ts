// Reading client histories for the linearizability checker: the lab's own trace
// (JSON Lines), Jepsen's etcd logs and Porcupine's kv histories (EDN maps).
// How each is read is in docs/linearizability.md. Every error names the file and
// line and says what was wrong.
import type { History, HistoryOperation, KvInput, KvOutput } from '../history'
import {
  traceEventSchema,
  traceHeaderSchema,
  type TraceEvent,
  type TraceHeader,
  type TraceEventOf
} from '../trace'
import { REGISTER_KEY, type MissingValue, type ModelName } from './models'

export const HISTORY_FORMATS = ['trace', 'jepsen', 'porcupine-kv'] as const
export type HistoryFormat = (typeof HISTORY_FORMATS)[number]

export interface ParsedHistory {
  format: HistoryFormat
  history: History
  /** The model the format's histories are meant for. */
  model: ModelName
  missing: MissingValue
  /** The trace's header, for the trace format. */
  header?: TraceHeader
}

/** Input that cannot be read as a history: `file:line: what was wrong`. */
export class HistoryFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly problem: string
  ) {
    super(line === null ? `${file}: ${problem}` : `${file}:${line}: ${problem}`)
    this.name = 'HistoryFormatError'
  }
}

/** Read `text` (the contents of `file`) in a format, or sniff the format with 'auto'. */
export function parseHistory(
  text: string,
  format: HistoryFormat | 'auto',
  file = 'input'
): ParsedHistory {
  const chosen = format === 'auto' ? sniffFormat(text, file) : format
  switch (chosen) {
    case 'trace':
      return parseTrace(text, file)
    case 'jepsen':
      return parseJepsen(text, file)
    case 'porcupine-kv':
      return parsePorcupineKv(text, file)
  }
}

/** Tell the format from the first line that is not blank. */
export function sniffFormat(text: string, file = 'input'): HistoryFormat {
  const lines = splitLines(text)
  const index = lines.findIndex((l) => l.trim() !== '')
  if (index < 0) throw new HistoryFormatError(file, null, 'the file is empty: nothing to check')
  const first = lines[index]!.trim()
  if (first.startsWith('{:')) return 'porcupine-kv'
  if (first.startsWith('{')) return 'trace'
  if (lines.some((l) => /\bjepsen\.util\b/.test(l))) return 'jepsen'
  throw new HistoryFormatError(
    file,
    index + 1,
    'cannot tell the format (expected a trace header, an EDN map or Jepsen log lines); pass --format trace|jepsen|porcupine-kv'
  )
}

function splitLines(text: string): string[] {
  const lines = text.split('\n')
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
}

/** A call seen, waiting for its return. */
interface Pending {
  line: number
  client: string
  input: KvInput
}

/** Collects operations; an op id is its position in the history. */
class HistoryBuilder {
  readonly ops: HistoryOperation[] = []
  add(pending: Pending, ret: number, output: KvOutput | undefined, source: string): void {
    this.ops.push({
      id: this.ops.length,
      client: pending.client,
      input: pending.input,
      call: pending.line,
      ret,
      output,
      source
    })
  }
}

// ---- Jepsen (etcd) ----------------------------------------------------------

const JEPSEN_LINE = /^\s*INFO\s+jepsen\.util\s+-\s+(\S+)\s+(.*)$/
const JEPSEN_TYPES = ['invoke', 'ok', 'fail', 'info'] as const
const JEPSEN_FUNCTIONS = ['read', 'write', 'cas'] as const
const JEPSEN_PREFIX = 'INFO jepsen.util - '

/**
 * Jepsen's log lines `INFO jepsen.util - <process> <type> <f> <value>` of a
 * compare-and-set register. Lines of other shapes (nemesis lines, other
 * loggers) are not operations and are skipped.
 */
export function parseJepsen(text: string, file = 'input'): ParsedHistory {
  const lines = splitLines(text)
  const builder = new HistoryBuilder()
  const pending = new Map<string, Pending>()
  const fail = (line: number, problem: string): never => {
    throw new HistoryFormatError(file, line, problem)
  }

  lines.forEach((raw, i) => {
    const line = i + 1
    const m = JEPSEN_LINE.exec(raw)
    if (!m) {
      const squeezed = raw.trim().replace(/\s+/g, ' ')
      const isLast = lines.slice(i + 1).every((l) => l.trim() === '')
      if (
        /^INFO jepsen\.util\b/.test(squeezed) ||
        (squeezed !== '' && isLast && JEPSEN_PREFIX.startsWith(squeezed))
      ) {
        fail(
          line,
          `truncated or malformed line (expected "${JEPSEN_PREFIX}<process> :<type> :<f> <value>")`
        )
      }
      return
    }
    const process = m[1]!
    // Only numbered processes are clients; the nemesis and others log here too.
    if (!/^\d+$/.test(process)) return
    const parts = /^:([\w-]+)\s+:([\w-]+)(?:\s+(.*?))?\s*$/.exec(m[2]!)
    if (!parts) {
      return fail(
        line,
        `malformed operation "${m[2]!.trim()}" (expected ":<type> :<f> <value>", e.g. ":invoke :write 3")`
      )
    }
    const type = parts[1]!
    const f = parts[2]!
    const value = parts[3] ?? ''
    if (!(JEPSEN_TYPES as readonly string[]).includes(type)) {
      fail(line, `unknown type :${type} (expected :invoke, :ok, :fail or :info)`)
    }
    if (!(JEPSEN_FUNCTIONS as readonly string[]).includes(f)) {
      fail(line, `unknown operation :${f} (expected :read, :write or :cas)`)
    }
    const client = process
    if (type === 'invoke') {
      const earlier = pending.get(client)
      if (earlier) {
        fail(
          line,
          `process ${client} invokes again while its operation from line ${earlier.line} has not returned`
        )
      }
      pending.set(client, { line, client, input: jepsenInput(f, value, (p) => fail(line, p)) })
      return
    }
    const call = pending.get(client)
    if (!call) return fail(line, `:${type} :${f} of process ${client} without an :invoke before it`)
    const invoked = call.input.op === 'get' ? 'read' : call.input.op === 'put' ? 'write' : 'cas'
    if (invoked !== f) {
      fail(line, `process ${client} returns :${f} but invoked :${invoked} on line ${call.line}`)
    }
    pending.delete(client)
    const source = `${file}:${call.line}`
    if (type === 'ok') {
      builder.add(
        call,
        line,
        jepsenOutput(f, value, (p) => fail(line, p)),
        source
      )
    } else if (type === 'fail') {
      // A failed cas did not swap: etcd's compare failed (Porcupine reads it so too).
      if (f === 'cas') builder.add(call, line, { swapped: false }, source)
      // A timed-out read may have been served; other failures definitely did not happen.
      else if (value === ':timed-out') builder.add(call, Infinity, undefined, source)
    } else {
      builder.add(call, Infinity, undefined, source)
    }
  })
  for (const call of pending.values()) {
    builder.add(call, Infinity, undefined, `${file}:${call.line}`)
  }
  if (builder.ops.length === 0) {
    throw new HistoryFormatError(
      file,
      null,
      'no Jepsen operations found (lines "INFO  jepsen.util - <process> :invoke ...")'
    )
  }
  return { format: 'jepsen', history: builder.ops, model: 'register', missing: null }
}

function jepsenNumber(text: string, what: string, fail: (p: string) => never): string {
  if (!/^-?\d+$/.test(text)) fail(`${what}: expected a whole number, got "${text}"`)
  return text
}

function jepsenInput(f: string, value: string, fail: (p: string) => never): KvInput {
  if (f === 'read') {
    if (value !== 'nil') fail(`:invoke :read value: expected nil, got "${value}"`)
    return { op: 'get', key: REGISTER_KEY }
  }
  if (f === 'write') {
    return { op: 'put', key: REGISTER_KEY, value: jepsenNumber(value, ':write value', fail) }
  }
  const pair = /^\[\s*(\S+)\s+(\S+)\s*\]$/.exec(value)
  if (!pair) return fail(`:cas value: expected "[from to]", got "${value}"`)
  return {
    op: 'cas',
    key: REGISTER_KEY,
    from: jepsenNumber(pair[1]!, ':cas from', fail),
    to: jepsenNumber(pair[2]!, ':cas to', fail)
  }
}

function jepsenOutput(f: string, value: string, fail: (p: string) => never): KvOutput {
  if (f === 'read') {
    return { value: value === 'nil' ? null : jepsenNumber(value, ':read value', fail) }
  }
  return f === 'cas' ? { swapped: true } : {}
}

// ---- Porcupine kv (EDN maps) ------------------------------------------------

type Edn = string | number | boolean | null | { keyword: string }

const KV_FUNCTIONS = ['get', 'put', 'append'] as const

/**
 * One EDN map a line: `{:process N, :type :invoke|:ok|:fail|:info, :f
 * :get|:put|:append, :key "K", :value "V"|nil}`. A get of a missing key reads "".
 */
export function parsePorcupineKv(text: string, file = 'input'): ParsedHistory {
  const lines = splitLines(text)
  const builder = new HistoryBuilder()
  const pending = new Map<string, Pending>()

  lines.forEach((raw, i) => {
    const line = i + 1
    if (raw.trim() === '') return
    const fail = (problem: string): never => {
      throw new HistoryFormatError(file, line, problem)
    }
    let map: Map<string, Edn>
    try {
      map = parseEdnMap(raw)
    } catch (err) {
      return fail((err as Error).message)
    }
    const field = (name: string): Edn => {
      if (!map.has(name)) fail(`missing :${name}`)
      return map.get(name)!
    }
    const keyword = (name: string): string => {
      const v = field(name)
      if (v === null || typeof v !== 'object') return fail(`:${name} must be a keyword`)
      return v.keyword
    }
    const process = field('process')
    if (typeof process !== 'number') return fail(':process must be a number')
    const type = keyword('type')
    const f = keyword('f')
    const key = field('key')
    if (typeof key !== 'string') return fail(':key must be a string')
    if (!(KV_FUNCTIONS as readonly string[]).includes(f)) {
      fail(`unknown operation :${f} (expected :get, :put or :append)`)
    }
    const value = field('value')
    const client = String(process)

    if (type === 'invoke') {
      const earlier = pending.get(client)
      if (earlier) {
        fail(
          `process ${client} invokes again while its operation from line ${earlier.line} has not returned`
        )
      }
      let input: KvInput
      if (f === 'get') input = { op: 'get', key }
      else if (typeof value !== 'string') return fail(`:${f} needs a string :value`)
      else input = { op: f as 'put' | 'append', key, value }
      pending.set(client, { line, client, input })
      return
    }
    if (type !== 'ok' && type !== 'fail' && type !== 'info') {
      fail(`unknown type :${type} (expected :invoke, :ok, :fail or :info)`)
    }
    const call = pending.get(client)
    if (!call) return fail(`:${type} of process ${client} without an :invoke before it`)
    if (call.input.op !== f || call.input.key !== key) {
      fail(
        `process ${client} returns :${f} on key ${JSON.stringify(key)} but invoked :${call.input.op} on key ${JSON.stringify(call.input.key)} on line ${call.line}`
      )
    }
    pending.delete(client)
    const source = `${file}:${call.line}`
    if (type === 'ok') {
      if (f === 'get' && typeof value !== 'string' && value !== null) {
        fail(':ok :get needs a string or nil :value')
      }
      builder.add(call, line, f === 'get' ? { value: value as string | null } : {}, source)
    } else if (type === 'info') {
      builder.add(call, Infinity, undefined, source)
    }
    // :fail: definitely did not happen.
  })
  for (const call of pending.values()) {
    builder.add(call, Infinity, undefined, `${file}:${call.line}`)
  }
  if (builder.ops.length === 0) {
    throw new HistoryFormatError(file, null, 'no operations found (one EDN map a line expected)')
  }
  return { format: 'porcupine-kv', history: builder.ops, model: 'kv', missing: '' }
}

/** A flat EDN map of keywords to scalars; throws with the column of the problem. */
export function parseEdnMap(text: string): Map<string, Edn> {
  let i = 0
  const problem = (what: string): never => {
    throw new Error(
      i >= text.length ? `truncated: ${what} at the end of the line` : `${what} at column ${i + 1}`
    )
  }
  const skip = () => {
    while (i < text.length && /[\s,]/.test(text[i]!)) i++
  }
  const word = () => {
    const start = i
    while (i < text.length && /[^\s,{}[\]"]/.test(text[i]!)) i++
    return text.slice(start, i)
  }
  const value = (): Edn => {
    const c = text[i]
    if (c === undefined) return problem('expected a value')
    if (c === '"') {
      let out = ''
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] !== '\\') {
          out += text[i]
          continue
        }
        const esc = text[++i]
        if (esc === undefined) break
        out += esc === 'n' ? '\n' : esc === 't' ? '\t' : esc === 'r' ? '\r' : esc
      }
      if (i >= text.length) return problem('unterminated string')
      i++
      return out
    }
    if (c === ':') {
      i++
      const name = word()
      if (name === '') return problem('expected a keyword name')
      return { keyword: name }
    }
    const start = i
    const token = word()
    if (token === 'nil') return null
    if (token === 'true' || token === 'false') return token === 'true'
    if (/^-?\d+$/.test(token)) return Number(token)
    i = start
    return problem(token === '' ? `unexpected "${c}"` : `unexpected "${token}"`)
  }

  skip()
  if (text[i] !== '{') problem('expected "{"')
  i++
  const map = new Map<string, Edn>()
  for (;;) {
    skip()
    if (text[i] === '}') break
    if (text[i] !== ':') problem('expected a :keyword or "}"')
    const k = value() as { keyword: string }
    skip()
    if (text[i] === '}') problem(`:${k.keyword} has no value`)
    map.set(k.keyword, value())
  }
  i++
  skip()
  if (i < text.length) problem('unexpected text after "}"')
  return map
}

// ---- The lab's trace ----------------------------------------------------------

/** The lab's trace: a header line, then one event a line, each checked against the schemas. */
export function parseTrace(text: string, file = 'input'): ParsedHistory {
  const lines = splitLines(text)
  const events: TraceEvent[] = []
  const eventLines: number[] = []
  let header: TraceHeader | undefined
  lines.forEach((raw, i) => {
    const line = i + 1
    if (raw.trim() === '') return
    let json: unknown
    try {
      json = JSON.parse(raw)
    } catch {
      const last = lines.slice(i + 1).every((l) => l.trim() === '')
      throw new HistoryFormatError(
        file,
        line,
        last
          ? 'truncated line: not complete JSON (the trace may have been cut off while written)'
          : 'not a JSON object (a trace has one JSON object a line)'
      )
    }
    if (!header) {
      const parsed = traceHeaderSchema.safeParse(json)
      if (!parsed.success) {
        throw new HistoryFormatError(
          file,
          line,
          `not a trace header: ${describeIssue(parsed.error.issues)} (the first line must be {"kind":"header","schema":"raftlab-trace",...})`
        )
      }
      header = parsed.data
      return
    }
    const parsed = traceEventSchema.safeParse(json)
    if (!parsed.success) {
      throw new HistoryFormatError(
        file,
        line,
        `bad event: ${describeIssue(parsed.error.issues)} (see docs/trace-format.md)`
      )
    }
    events.push(parsed.data)
    eventLines.push(line)
  })
  if (!header) throw new HistoryFormatError(file, null, 'the file is empty: no trace header')
  const history = historyFromTrace(events, (index) => `${file}:${eventLines[index]}`)
  return { format: 'trace', history, model: 'kv', missing: null, header }
}

function describeIssue(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  const issue = issues[0]
  if (!issue) return 'invalid'
  const path = issue.path.map(String).join('.')
  return path === '' ? issue.message : `${path}: ${issue.message}`
}

/** An invoke/complete pairing problem in a trace, located by `where`. */
export class TraceHistoryError extends Error {
  constructor(
    readonly where: string,
    problem: string
  ) {
    super(`${where}: ${problem}`)
    this.name = 'TraceHistoryError'
  }
}

/**
 * The client history in a trace's `invoke` and `complete` events. complete ok:
 * the op returned its output; fail: it definitely did not happen (dropped);
 * info, or no complete at all: indeterminate (it may or may not have taken
 * effect, and matches any output). `where(i)` names event i in errors.
 */
export function historyFromTrace(
  events: readonly TraceEvent[],
  where: (index: number) => string = (i) => `event seq ${events[i]?.seq ?? i}`
): History {
  const builder: HistoryOperation[] = []
  const open = new Map<string, { event: TraceEventOf<'invoke'>; index: number }>()
  const done = new Set<string>()
  events.forEach((event, index) => {
    if (event.kind !== 'invoke' && event.kind !== 'complete') return
    const id = `${event.client}\u0000${event.opId}`
    const name = `client ${event.client} op ${event.opId}`
    if (event.kind === 'invoke') {
      if (open.has(id) || done.has(id)) {
        throw new TraceHistoryError(
          where(index),
          `${name} is invoked twice (opId must be unique per client)`
        )
      }
      open.set(id, { event, index })
      return
    }
    const invoked = open.get(id)
    if (!invoked) {
      throw new TraceHistoryError(
        where(index),
        done.has(id) ? `${name} completes twice` : `${name} completes without an invoke before it`
      )
    }
    open.delete(id)
    done.add(id)
    const { input } = invoked.event
    if (event.t < invoked.event.t) {
      throw new TraceHistoryError(
        where(index),
        `${name} completes (t=${event.t}) before it was invoked (t=${invoked.event.t})`
      )
    }
    if (event.status === 'fail') return
    let output: KvOutput | undefined
    if (event.status === 'ok') {
      output = event.output ?? {}
      if (input.op === 'get' && output.value === undefined) {
        throw new TraceHistoryError(
          where(index),
          `${name}: an ok get needs output.value (a string, or null for a missing key)`
        )
      }
      if (input.op === 'cas' && output.swapped === undefined) {
        throw new TraceHistoryError(where(index), `${name}: an ok cas needs output.swapped`)
      }
    }
    builder.push({
      id: builder.length,
      client: event.client,
      input,
      call: invoked.event.t,
      ret: output === undefined ? Infinity : event.t,
      output,
      source: where(invoked.index)
    })
  })
  for (const { event, index } of open.values()) {
    builder.push({
      id: builder.length,
      client: event.client,
      input: event.input,
      call: event.t,
      ret: Infinity,
      output: undefined,
      source: where(index)
    })
  }
  return builder
}
