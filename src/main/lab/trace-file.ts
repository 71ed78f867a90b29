// Reading a trace back: a trace.jsonl file or an experiment folder. The lines
// are read as src/shared/trace-text.ts reads them (limits, schema, line-numbered
// problems); this file adds the files, the manifest and the hash chain.
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import {
  DEFAULT_MAX_TRACE_BYTES,
  MAX_ERRORS,
  MAX_LINE_BYTES,
  overLimit,
  readTraceLine,
  type ParsedTrace,
  type TraceProblem
} from '../../shared/trace-text'
import { chainHash, unsealLine } from './hash-chain'
import { MANIFEST_FILE, MANIFEST_SCHEMA, TRACE_FILE, type Manifest } from './recorder'

/** The default of LoadOptions.maxBytes. */
export { DEFAULT_MAX_TRACE_BYTES }

export interface VerifyResult {
  /** Every line carries a valid chain value and the chain is unbroken. */
  ok: boolean
  problems: TraceProblem[]
  /** What the check could establish about the end of the trace. */
  completeness: 'closed' | 'checkpoint' | 'unknown'
}

export interface LoadedTrace extends ParsedTrace {
  path: string
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
  if (!existsSync(file)) return failed(file, { line: null, message: `${file}: no such file` })
  const size = statSync(file).size
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_TRACE_BYTES
  if (size > maxBytes) return failed(file, overLimit(file, size, maxBytes))
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
  if (text.length > maxBytes) return failed(name, overLimit(name, text.length, maxBytes))
  return readLines(name, text.split(/\r?\n/), null, opts.verify ?? false)
}

function failed(path: string, problem: TraceProblem): LoadedTrace {
  return { path, header: null, events: [], problems: [problem], verify: null }
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
    // An over-long line is reported by readTraceLine without being hashed.
    if (verify && line.length <= MAX_LINE_BYTES && chain.length < MAX_ERRORS) {
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
    if (!readTraceLine(out, line, lineNo)) break
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
