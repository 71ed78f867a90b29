// `raftlab check TRACE_OR_DIR`: the safety checkers and linearizability on a trace.
import { writeFileSync } from 'node:fs'
import { analyzeTrace } from '../../shared/check/analysis'
import { htmlReport } from '../../shared/check/exports'
import { loadTrace } from '../lab/trace-file'
import { EXIT, UsageError, parseCommandArgs, type CliCommand } from './command'

const HELP = `Usage: raftlab check TRACE_OR_DIR [--json] [--html REPORT.html] [--verify]

Reads a trace (trace.jsonl, or an experiment folder holding one), runs the
safety checkers (Figure 3 of the Raft paper, plus acknowledged writes) and the
linearizability checker on its client history, and prints a summary:
elections, leaders per term, failover times, ops/s, latency p50/p99,
messages per operation.

Options:
  --json            print one JSON object instead of text
  --html FILE       also write a self-contained HTML report (charts, linearizability view)
  --verify          check the hash chain (and, with manifest.json beside the trace,
                    that it was not truncated); see docs/trace-format.md

Exit: 0 all checks pass, 1 a violation (or --verify failed), 2 bad input,
3 linearizability could not be decided.`

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'check a trace for safety and linearizability, with a summary and an HTML report',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('check', argv, {
      json: { type: 'boolean', default: false },
      html: { type: 'string' },
      verify: { type: 'boolean', default: false }
    })
    if (positionals.length !== 1) throw new UsageError('give one trace file or experiment folder')
    const trace = await loadTrace(positionals[0] as string, { verify: values.verify })
    if (trace.problems.length > 0 || !trace.header) {
      const lines = trace.problems.map(
        (p) => `${trace.path}${p.line !== null ? `:${p.line}` : ''}: ${p.message}`
      )
      if (values.json)
        process.stdout.write(JSON.stringify({ ok: false, path: trace.path, errors: lines }) + '\n')
      else process.stderr.write(lines.join('\n') + '\n')
      return EXIT.usage
    }
    const analysis = analyzeTrace(trace.events)
    const { report } = analysis
    if (values.html) {
      writeFileSync(
        values.html,
        htmlReport(
          `Raft Lab check: ${trace.path}`,
          trace.header,
          trace.events,
          report,
          analysis.lin,
          analysis.history
        )
      )
    }
    const safe = report.safety.every((p) => p.ok)
    const verified = trace.verify === null || trace.verify.ok
    const ok = safe && report.linearizable === true && verified
    if (values.json) {
      process.stdout.write(
        JSON.stringify({
          ok,
          path: trace.path,
          safety: report.safety,
          linearizable: report.linearizable,
          operations: report.operations,
          failingKeys: report.failingKeys,
          summary: report.summary,
          verify: trace.verify
        }) + '\n'
      )
    } else {
      const out: string[] = [
        `${trace.path}: ${trace.events.length} events, scenario ${trace.header.scenario ?? '(none)'}`
      ]
      for (const p of report.safety) {
        out.push(`  ${p.ok ? 'ok  ' : 'FAIL'} ${p.property}`)
        for (const v of p.violations.slice(0, 5)) out.push(`         ${v.message}`)
      }
      out.push(
        `  ${report.linearizable === true ? 'ok  ' : report.linearizable === false ? 'FAIL' : '??  '} linearizable (${report.operations} operations${report.failingKeys.length ? `; failing keys ${report.failingKeys.join(', ')}` : ''})`
      )
      if (trace.verify) {
        out.push(`  ${trace.verify.ok ? 'ok  ' : 'FAIL'} hash chain (${trace.verify.completeness})`)
        for (const p of trace.verify.problems.slice(0, 5))
          out.push(`         ${p.line !== null ? `line ${p.line}: ` : ''}${p.message}`)
      }
      out.push('Summary:')
      for (const [k, v] of Object.entries(report.summary)) out.push(`  ${k}: ${v}`)
      process.stdout.write(out.join('\n') + '\n')
    }
    if (!safe || report.linearizable === false || !verified) return EXIT.violation
    return report.linearizable === 'unknown' ? EXIT.unknown : EXIT.ok
  }
}
