// `raftlab bench lincheck`: checking time of every Porcupine fixture history,
// next to the times Porcupine (Go) took on this machine.
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseHistory } from '../../shared/check/history-formats'
import { checkLinearizability } from '../../shared/check/linearizability'
import type { BenchCommand } from './bench'
import { EXIT, UsageError, parseCommandArgs, parseInteger } from './command'

/** Porcupine's times on this 2-core machine (issue 3); per-file times are known only for these. */
const PORCUPINE_MS = {
  etcdTotal: 800,
  etcdWorst: 339,
  'kv/c50-ok.txt': 181,
  'kv/c50-bad.txt': 31
} as const

interface Row {
  file: string
  operations: number
  verdict: boolean | 'unknown'
  expected: boolean
  /** Best wall-clock time of the runs. */
  ms: number
  /** Process CPU time of that best run (the machine is shared: wall time includes waiting). */
  cpuMs: number
  porcupineMs: number | null
}

const help = [
  'Usage: raftlab bench lincheck [--runs N] [--dir DIR] [--json]',
  '',
  "Checks every history in Porcupine's fixtures (102 etcd Jepsen histories, 6 kv",
  'histories) and prints, per file, the best checking time of N runs (parsing not',
  "included) with the CPU time of that run, next to Porcupine's times on this machine",
  '(known per file only for c50-ok and c50-bad; totals for the etcd set).',
  '',
  'Options:',
  '  --runs N   runs per file, best kept (default 5)',
  '  --dir DIR  the fixtures folder (default test/fixtures/porcupine of this checkout)',
  '  --json     print one JSON object as the last line',
  '',
  'Exit 0, or 1 if a verdict disagrees with expected.json.'
].join('\n')

export const lincheckBench: BenchCommand = {
  name: 'lincheck',
  summary: "linearizability checking time on Porcupine's fixture histories",
  help,
  async run(argv) {
    const { values } = parseCommandArgs('bench lincheck', argv, {
      runs: { type: 'string', default: '5' },
      dir: { type: 'string' },
      json: { type: 'boolean', default: false }
    })
    const runs = parseInteger(values.runs, '--runs', 1, 1000)
    const dir = values.dir ?? resolve(__dirname, '../../test/fixtures/porcupine')
    const expectedPath = join(dir, 'expected.json')
    if (!existsSync(expectedPath)) {
      throw new UsageError(`no expected.json in ${dir}: pass --dir with the fixtures folder`)
    }
    const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as {
      linearizable: Record<string, boolean>
    }

    const rows: Row[] = []
    for (const [file, verdict] of Object.entries(expected.linearizable)) {
      const parsed = parseHistory(readFileSync(join(dir, file), 'utf8'), 'auto', file)
      let best = Infinity
      let bestCpu = 0
      let result: boolean | 'unknown' = 'unknown'
      for (let i = 0; i < runs; i++) {
        const cpu = process.cpuUsage()
        const started = performance.now()
        const r = checkLinearizability(parsed.history, {
          model: parsed.model,
          missing: parsed.missing,
          timeoutMs: 60_000
        })
        const ms = performance.now() - started
        if (ms < best) {
          best = ms
          bestCpu = process.cpuUsage(cpu).user / 1000
        }
        result = r.linearizable
      }
      rows.push({
        file,
        operations: parsed.history.length,
        verdict: result,
        expected: verdict,
        ms: best,
        cpuMs: bestCpu,
        porcupineMs: (PORCUPINE_MS as Record<string, number>)[file] ?? null
      })
    }

    const etcd = rows.filter((r) => r.file.startsWith('jepsen/'))
    const etcdTotal = etcd.reduce((sum, r) => sum + r.ms, 0)
    const etcdCpu = etcd.reduce((sum, r) => sum + r.cpuMs, 0)
    const worst = etcd.reduce((a, b) => (b.ms > a.ms ? b : a), etcd[0]!)
    const wrong = rows.filter((r) => r.verdict !== r.expected)
    const f = (ms: number) => ms.toFixed(1).padStart(8)

    const lines = [
      `lincheck: Porcupine's fixtures, best of ${runs} run(s) per file; ms = wall clock, cpu = CPU time of that run`,
      '',
      `${'file'.padEnd(22)} ${'ops'.padStart(5)} ${'verdict'.padStart(8)} ${'ms'.padStart(8)} ${'cpu'.padStart(8)} ${'porcupine'.padStart(10)}`,
      ...rows.map(
        (r) =>
          `${r.file.padEnd(22)} ${String(r.operations).padStart(5)} ${String(r.verdict).padStart(8)} ${f(r.ms)} ${f(r.cpuMs)} ${(r.porcupineMs === null ? '' : `${r.porcupineMs}.0`).padStart(10)}${r.verdict === r.expected ? '' : `  MISMATCH (expected ${r.expected})`}`
      ),
      '',
      `etcd set (${etcd.length} files): total ${etcdTotal.toFixed(1)} ms (cpu ${etcdCpu.toFixed(1)} ms); Porcupine about ${PORCUPINE_MS.etcdTotal} ms`,
      `worst etcd file: ${worst.file} ${worst.ms.toFixed(1)} ms (cpu ${worst.cpuMs.toFixed(1)} ms); Porcupine's worst ${PORCUPINE_MS.etcdWorst} ms`,
      wrong.length === 0
        ? `all ${rows.length} verdicts agree with expected.json`
        : `${wrong.length} verdict(s) DISAGREE with expected.json: ${wrong.map((r) => r.file).join(', ')}`
    ]
    process.stdout.write(lines.join('\n') + '\n')
    if (values.json) {
      process.stdout.write(
        JSON.stringify({
          bench: 'lincheck',
          runs,
          files: rows,
          etcd: {
            files: etcd.length,
            totalMs: etcdTotal,
            cpuMs: etcdCpu,
            worst: { file: worst.file, ms: worst.ms, cpuMs: worst.cpuMs }
          },
          porcupine: PORCUPINE_MS,
          mismatches: wrong.map((r) => r.file)
        }) + '\n'
      )
    }
    return wrong.length === 0 ? EXIT.ok : EXIT.violation
  }
}
