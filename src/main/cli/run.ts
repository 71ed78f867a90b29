// `raftlab run SCENARIO.yaml`: run a scenario with real processes and judge its expectations.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { MAX_SCENARIO_BYTES, formatScenarioErrors, parseScenario } from '../../shared/scenario'
import { runScenario } from '../lab/run-scenario'
import { slug } from '../lab/lab'
import { EXIT, UsageError, parseCommandArgs, type CliCommand } from './command'

const HELP = `Usage: raftlab run SCENARIO.yaml [--out DIR] [--json]

Starts the scenario's cluster as real node processes behind the fault proxy,
plays its steps, writes the experiment folder (trace.jsonl, manifest.json,
node data and logs), then checks the scenario's expectations.
Scenario format: docs/scenarios.md.

Options:
  --out DIR   experiment folder to create (default: raftlab-runs/<scenario>-<time>)
  --json      print one JSON object as the last line: {ok, out, expectations, summary}

Progress goes to stderr. Exit: 0 every expectation holds, 1 one failed,
2 bad scenario or usage.`

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'run a scenario file with real node processes and check its expectations',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('run', argv, {
      out: { type: 'string' },
      json: { type: 'boolean', default: false }
    })
    if (positionals.length !== 1)
      throw new UsageError('give one scenario file (see `raftlab run --help`)')
    const file = positionals[0] as string
    let text: string
    try {
      if (statSync(file).size > MAX_SCENARIO_BYTES)
        throw new UsageError(`${file}: larger than ${MAX_SCENARIO_BYTES} bytes`)
      text = readFileSync(file, 'utf8')
    } catch (err) {
      if (err instanceof UsageError) throw err
      throw new UsageError(`${file}: cannot read (${(err as Error).message})`)
    }
    const parsed = parseScenario(text)
    if (!parsed.ok) {
      const lines = formatScenarioErrors(file, parsed.errors)
      process.stderr.write(lines.join('\n') + '\n')
      if (values.json) {
        process.stdout.write(
          JSON.stringify({ ok: false, out: null, expectations: [], errors: lines }) + '\n'
        )
      }
      return EXIT.usage
    }
    const scenario = parsed.scenario
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\..*/, '')
      .replace('T', '-')
    const out = values.out ?? join('raftlab-runs', `${slug(scenario.name, 'scenario')}-${stamp}`)
    if (existsSync(out) && readdirSync(out).length > 0) {
      throw new UsageError(`${out} is not empty: give --out a new folder`)
    }
    let stop = false
    const onSignal = (): void => {
      stop = true
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    const say = (line: string): void => {
      process.stderr.write(line + '\n')
    }
    say(
      `${scenario.name}: ${scenario.cluster.nodes} nodes, ${scenario.durationMs} ms, seed ${scenario.seed} → ${out}`
    )
    try {
      const result = await runScenario({
        scenario,
        out,
        versions: { raftlab: '0.1.0' },
        shouldStop: () => stop,
        onStep: (s) =>
          say(
            `  step ${s.index} ${s.t !== null ? `at ${(s.t / 1000).toFixed(2)}s` : '(not run)'}: ${s.text}${s.ok ? (s.message ? ` → ${s.message}` : '') : ` FAILED: ${s.message}`}`
          )
      })
      for (const e of result.expectations)
        say(`  ${e.ok ? 'ok  ' : 'FAIL'} ${e.name}: ${e.message}`)
      if (scenario.observe) say(`Observe: ${scenario.observe.trim()}`)
      say(result.ok ? 'PASS' : 'FAIL')
      if (values.json) {
        process.stdout.write(
          JSON.stringify({
            ok: result.ok,
            out,
            expectations: result.expectations,
            summary: result.analysis.report.summary
          }) + '\n'
        )
      }
      return result.ok ? EXIT.ok : EXIT.violation
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}
