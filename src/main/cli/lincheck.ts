// `raftlab lincheck FILE`: is this client history linearizable, and if not, where not.
import { readFileSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import {
  HISTORY_FORMATS,
  HistoryFormatError,
  TraceHistoryError,
  parseHistory,
  type HistoryFormat,
  type ParsedHistory
} from '../../shared/check/history-formats'
import {
  checkLinearizability,
  type LinearizabilityResult
} from '../../shared/check/linearizability'
import { MODEL_NAMES, describeOperation, type ModelName } from '../../shared/check/models'
import { renderLinViewDocument } from '../../shared/check/lin-view'
import type { History } from '../../shared/history'
import { EXIT, UsageError, parseCommandArgs, parseDuration, type CliCommand } from './command'

const FORMATS = [...HISTORY_FORMATS, 'auto'] as const

export const lincheckCommand: CliCommand = {
  name: 'lincheck',
  summary: 'check a client history for linearizability',
  help: [
    'Usage: raftlab lincheck FILE [--format trace|jepsen|porcupine-kv|auto] [--model kv|register]',
    '                             [--timeout 30s] [--all-keys] [--json] [--html OUT.html]',
    '',
    'Checks the operations in FILE against a sequential model: is there an order of',
    'them, each taking effect between its invocation and its response, that the model',
    'accepts? Keys are checked independently. Indeterminate operations (timed out,',
    'never answered) may take effect at any point after their invocation, or never.',
    '',
    'Options:',
    '  --format F     how FILE is written (default auto: told from its first line):',
    "                   trace         the lab's trace (JSON Lines: header, then events)",
    "                   jepsen        Jepsen's etcd log lines (INFO jepsen.util - ...)",
    "                   porcupine-kv  Porcupine's kv histories (one EDN map a line)",
    '  --model M      kv (keys independent; default) or register (one compare-and-set',
    '                 cell; the default for jepsen files)',
    '  --timeout D    give up after D (e.g. 500ms, 30s, 2m; default 30s): the verdict is',
    '                 then "unknown", never a guess',
    '  --all-keys     after a key fails, still search every other key to the end (by',
    '                 default they get as much time again as was spent, then "unknown")',
    '  --json         print one JSON object as the last line: linearizable (true, false',
    '                 or "unknown"), operations, ms, failingKeys, unknownKeys, keys',
    '  --html OUT     write a self-contained HTML view of the result to OUT',
    '',
    'Exit codes: 0 linearizable, 1 not linearizable, 3 unknown, 2 bad usage or bad input.',
    'See docs/linearizability.md.'
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs('lincheck', argv, {
      format: { type: 'string', default: 'auto' },
      model: { type: 'string' },
      timeout: { type: 'string', default: '30s' },
      'all-keys': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      html: { type: 'string' }
    })
    if (positionals.length !== 1) {
      throw new UsageError('expects one FILE (see `raftlab lincheck --help`)')
    }
    const file = positionals[0]!
    const format = oneOf(values.format, FORMATS, '--format')
    const modelOption =
      values.model === undefined ? undefined : oneOf(values.model, MODEL_NAMES, '--model')
    const timeoutMs = parseDuration(values.timeout, '--timeout')

    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`)
    }
    let parsed: ParsedHistory
    try {
      parsed = parseHistory(text, format as HistoryFormat | 'auto', file)
    } catch (err) {
      if (err instanceof HistoryFormatError || err instanceof TraceHistoryError) {
        throw new UsageError(err.message)
      }
      throw err
    }
    const model: ModelName = modelOption ?? parsed.model
    const result = checkLinearizability(parsed.history, {
      model,
      missing: parsed.missing,
      timeoutMs,
      allKeys: values['all-keys'],
      now: () => performance.now()
    })

    if (values.html !== undefined) {
      const html = renderLinViewDocument(result, parsed.history, { title: basename(file) })
      try {
        writeFileSync(values.html, html)
      } catch (err) {
        throw new UsageError(`cannot write ${values.html}: ${(err as Error).message}`)
      }
    }
    process.stdout.write(summary(file, parsed.format, result, parsed.history).join('\n') + '\n')
    if (values.json) {
      process.stdout.write(
        JSON.stringify({
          file,
          format: parsed.format,
          model,
          linearizable: result.linearizable,
          operations: result.operations,
          ms: Math.round(result.ms * 100) / 100,
          failingKeys: result.failingKeys,
          unknownKeys: result.unknownKeys,
          keys: result.keys.map((k) => ({
            key: k.key,
            linearizable: k.linearizable,
            operations: k.operations.length,
            placed: k.linearization.length,
            unplaced: k.unplaced.length,
            firstUnplaced: k.firstUnplaced,
            states: k.states,
            ...(k.reason ? { reason: k.reason } : {})
          })),
          ...(values.html !== undefined ? { html: values.html } : {})
        }) + '\n'
      )
    }
    return result.linearizable === true
      ? EXIT.ok
      : result.linearizable === false
        ? EXIT.violation
        : EXIT.unknown
  }
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw new UsageError(`${what}: "${value}" is not one of ${allowed.join(', ')}`)
}

/** The human-readable report: verdict, then per failing or unknown key what went wrong. */
function summary(
  file: string,
  format: HistoryFormat,
  result: LinearizabilityResult,
  history: History
): string[] {
  const byId = new Map(history.map((op) => [op.id, op]))
  const describe = (id: number) => {
    const op = byId.get(id)!
    return `${describeOperation(op.input, op.output)} by client ${op.client}${op.source ? ` (${op.source})` : ''}`
  }
  const verdict =
    result.linearizable === true
      ? 'linearizable'
      : result.linearizable === false
        ? 'NOT linearizable'
        : 'unknown (a budget ran out before an answer)'
  const lines = [
    `${file}: ${format}, ${result.operations} operations, ${result.keys.length} key(s), model ${result.model}`,
    `${verdict} (${result.ms.toFixed(1)} ms)`
  ]
  for (const key of result.keys) {
    if (key.linearizable === true) continue
    const placed = `${key.linearization.length} of ${key.linearization.length + key.unplaced.length}`
    if (key.linearizable === false) {
      lines.push(
        `  key ${key.key}: not linearizable; longest linearizable prefix ${placed} operations`
      )
      if (key.firstUnplaced !== null) lines.push(`    cannot place: ${describe(key.firstUnplaced)}`)
      if (key.unplaced.length > 1)
        lines.push(`    and ${key.unplaced.length - 1} later operation(s)`)
    } else {
      lines.push(
        `  key ${key.key}: unknown (${key.reason ?? 'budget'}); ${placed} operations placed so far`
      )
    }
  }
  return lines
}
