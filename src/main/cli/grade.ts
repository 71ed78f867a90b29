// `raftlab grade DIR_OF_TRACES`: check every submitted trace, one row each.
// Submissions are untrusted: only regular files are read (no symlinks), each
// under a size limit and validated line by line; nothing in them is executed.
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseScenario, formatScenarioErrors } from '../../shared/scenario'
import { analyzeTrace } from '../../shared/check/analysis'
import { DEFAULT_MAX_TRACE_BYTES, loadTrace } from '../lab/trace-file'
import { TRACE_FILE } from '../lab/recorder'
import { EXIT, UsageError, parseCommandArgs, parseInteger, type CliCommand } from './command'

const HELP = `Usage: raftlab grade DIR_OF_TRACES [--scenario S] [--csv OUT] [--gradescope OUT] [--max-mb N]

Checks every trace in a folder: each *.jsonl file, and each subfolder holding
a trace.jsonl (an experiment folder). One row per trace: hash chain intact,
safety properties, linearizability, and (with --scenario) that the trace comes
from that scenario. Submissions are untrusted: symlinks are skipped, files over
the size limit are refused, every line is validated, nothing is executed.

Options:
  --scenario S       a scenario file (or a scenario name) the traces must come from;
                     with a file, its expect: safety and linearizable are what is graded
  --csv OUT          write the rows as CSV
  --gradescope OUT   write Gradescope's autograder results.json
  --max-mb N         size limit per trace in MiB (default ${DEFAULT_MAX_TRACE_BYTES / 1024 / 1024})

Exit: 0 every trace passes, 1 some trace fails, 2 bad usage.`

export interface GradeRow {
  trace: string
  ok: boolean
  score: number
  maxScore: number
  integrity: string
  safety: string
  linearizable: string
  operations: number
  problem: string
}

function csvField(v: string | number | boolean): string {
  const s = String(v)
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** Traces in a folder, by name; symlinks and other oddities are reported, not followed. */
interface Found {
  name: string
  path: string | null
  problem: string
}

function findTraces(dir: string): Found[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name): Found[] => {
      const p = join(dir, name)
      const st = lstatSync(p)
      if (st.isSymbolicLink()) return [{ name, path: null, problem: 'symbolic link: skipped' }]
      if (st.isFile() && name.endsWith('.jsonl')) return [{ name, path: p, problem: '' }]
      if (st.isDirectory()) {
        const t = join(p, TRACE_FILE)
        if (!existsSync(t))
          return [{ name, path: null, problem: `no ${TRACE_FILE} in this folder` }]
        if (!lstatSync(t).isFile())
          return [{ name, path: null, problem: `${TRACE_FILE} is not a regular file` }]
        return [{ name, path: p, problem: '' }]
      }
      return []
    })
}

export const gradeCommand: CliCommand = {
  name: 'grade',
  summary: "check a folder of students' traces: one row each, CSV and Gradescope output",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('grade', argv, {
      scenario: { type: 'string' },
      csv: { type: 'string' },
      gradescope: { type: 'string' },
      'max-mb': { type: 'string' }
    })
    if (positionals.length !== 1) throw new UsageError('give one folder of traces')
    const dir = positionals[0] as string
    if (!existsSync(dir) || !lstatSync(dir).isDirectory())
      throw new UsageError(`${dir}: not a folder`)
    const maxBytes = values['max-mb']
      ? parseInteger(values['max-mb'], '--max-mb', 1, 4096) * 1024 * 1024
      : undefined
    let scenarioName: string | null = null
    let want = { safety: true, linearizable: true }
    if (values.scenario) {
      const s = values.scenario
      if (/\.ya?ml$/i.test(s)) {
        if (!existsSync(s)) throw new UsageError(`${s}: no such scenario file`)
        const parsed = parseScenario(readFileSync(s, 'utf8'))
        if (!parsed.ok) throw new UsageError(formatScenarioErrors(s, parsed.errors).join('\n'))
        scenarioName = parsed.scenario.name
        want = {
          safety: parsed.scenario.expect.safety ?? true,
          linearizable: parsed.scenario.expect.linearizable ?? true
        }
      } else scenarioName = s
    }
    const rows: GradeRow[] = []
    for (const found of findTraces(dir)) {
      const row: GradeRow = {
        trace: found.name,
        ok: false,
        score: 0,
        maxScore: 3,
        integrity: '-',
        safety: '-',
        linearizable: '-',
        operations: 0,
        problem: found.problem
      }
      rows.push(row)
      if (!found.path) continue
      const trace = await loadTrace(found.path, { verify: true, maxBytes })
      if (trace.problems.length > 0 || !trace.header) {
        const p = trace.problems[0]
        row.problem = p
          ? `${p.line !== null ? `line ${p.line}: ` : ''}${p.message}`
          : 'no trace header'
        continue
      }
      if (scenarioName !== null && trace.header.scenario !== scenarioName) {
        row.problem = `trace is from scenario ${JSON.stringify(trace.header.scenario)}, not ${JSON.stringify(scenarioName)}`
        continue
      }
      const a = analyzeTrace(trace.events)
      const v = trace.verify
      row.integrity = v?.ok
        ? `ok (${v.completeness})`
        : `FAIL: ${v?.problems[0]?.message ?? 'no chain'}`
      const bad = a.report.safety.filter((p) => !p.ok).map((p) => p.property)
      row.safety = bad.length === 0 ? 'ok' : `violated: ${bad.join(' ')}`
      row.linearizable = String(a.report.linearizable)
      row.operations = a.report.operations
      if (a.historyError) row.problem = a.historyError
      const safetyOk = (bad.length === 0) === want.safety
      const linOk = a.report.linearizable === want.linearizable
      row.score = (v?.ok ? 1 : 0) + (safetyOk ? 1 : 0) + (linOk ? 1 : 0)
      row.ok = row.score === row.maxScore
    }
    const header = [
      'trace',
      'ok',
      'score',
      'max_score',
      'integrity',
      'safety',
      'linearizable',
      'operations',
      'problem'
    ]
    const table = rows.map((r) => [
      r.trace,
      r.ok,
      r.score,
      r.maxScore,
      r.integrity,
      r.safety,
      r.linearizable,
      r.operations,
      r.problem
    ])
    if (values.csv)
      writeFileSync(
        values.csv,
        [header, ...table].map((r) => r.map(csvField).join(',')).join('\n') + '\n'
      )
    if (values.gradescope) {
      const tests = rows.map((r) => ({
        name: r.trace,
        score: r.score,
        max_score: r.maxScore,
        status: r.ok ? 'passed' : 'failed',
        output: [
          `integrity: ${r.integrity}`,
          `safety: ${r.safety}`,
          `linearizable: ${r.linearizable} (${r.operations} operations)`,
          ...(r.problem ? [`problem: ${r.problem}`] : [])
        ].join('\n')
      }))
      const results = {
        score: rows.reduce((n, r) => n + r.score, 0),
        max_score: rows.reduce((n, r) => n + r.maxScore, 0),
        output: `${rows.filter((r) => r.ok).length} of ${rows.length} traces pass`,
        tests
      }
      writeFileSync(values.gradescope, JSON.stringify(results, null, 2) + '\n')
    }
    for (const r of rows) {
      process.stdout.write(
        `${r.ok ? 'PASS' : 'FAIL'} ${r.trace}  ${r.score}/${r.maxScore}  integrity ${r.integrity}  safety ${r.safety}  linearizable ${r.linearizable}${r.problem ? `  (${r.problem})` : ''}\n`
      )
    }
    if (rows.length === 0) process.stdout.write(`no traces found in ${dir}\n`)
    return rows.length > 0 && rows.every((r) => r.ok) ? EXIT.ok : EXIT.violation
  }
}
