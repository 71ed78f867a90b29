// `raftlab sim`: seeded simulation runs checked for safety; `raftlab bench sim`: how fast.
import { writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { TEACHING_BUGS, type TeachingBug } from '../../shared/raft/types'
import {
  FAULT_KINDS,
  parseFaultKinds,
  runSimulation,
  type FaultKind,
  type RunResult
} from '../../shared/sim'
import { simTraceHeader } from '../../shared/trace'
import type { PropertyResult } from '../../shared/lab-api'
import {
  EXIT,
  UsageError,
  parseCommandArgs,
  parseDuration,
  parseInteger,
  type CliCommand
} from './command'
import type { BenchCommand } from './bench'

interface SimSettings {
  seeds: number
  firstSeed: number
  nodes: number
  durationMs: number
  faults: FaultKind[]
  bug: TeachingBug | null
}

interface SeedViolation {
  seed: number
  property: string
  message: string
  nodes: string[]
  term?: number
  index?: number
  seq?: number
}

interface Totals {
  seeds: number
  violations: SeedViolation[]
  violatingSeeds: number[]
  opsCompleted: number
  opsIndeterminate: number
  elections: number
  crashes: number
  simulatedMs: number
  wallMs: number
}

function parseBug(text: string | undefined): TeachingBug | null {
  if (text === undefined || text === 'none') return null
  if (!(TEACHING_BUGS as readonly string[]).includes(text)) {
    throw new UsageError(`--bug: unknown bug "${text}" (known: ${TEACHING_BUGS.join(', ')})`)
  }
  return text as TeachingBug
}

function parseFaults(text: string): FaultKind[] {
  try {
    return parseFaultKinds(text)
  } catch (err) {
    throw new UsageError(`--faults: ${(err as Error).message}`)
  }
}

function runOne(settings: SimSettings, seed: number, record: boolean): RunResult {
  return runSimulation({
    seed,
    durationMs: settings.durationMs,
    faults: settings.faults,
    config: { nodes: settings.nodes, bug: settings.bug },
    record
  })
}

function seedViolations(seed: number, failed: PropertyResult[]): SeedViolation[] {
  return failed.flatMap((p) => p.violations.map((v) => ({ seed, property: p.property, ...v })))
}

/** Run every seed (the clock is only read here, in the CLI: the simulator itself never sees it). */
function runSeeds(
  settings: SimSettings,
  onRun?: (r: RunResult, v: SeedViolation[]) => void
): Totals {
  const totals: Totals = {
    seeds: 0,
    violations: [],
    violatingSeeds: [],
    opsCompleted: 0,
    opsIndeterminate: 0,
    elections: 0,
    crashes: 0,
    simulatedMs: 0,
    wallMs: 0
  }
  const started = performance.now()
  for (let i = 0; i < settings.seeds; i++) {
    const result = runOne(settings, settings.firstSeed + i, false)
    const violations = seedViolations(result.seed, result.safety)
    totals.seeds++
    totals.opsCompleted += result.stats.opsCompleted
    totals.opsIndeterminate += result.stats.opsIndeterminate
    totals.elections += result.stats.elections
    totals.crashes += result.stats.crashes
    totals.simulatedMs += settings.durationMs
    if (violations.length > 0) {
      totals.violations.push(...violations)
      totals.violatingSeeds.push(result.seed)
    }
    onRun?.(result, violations)
  }
  totals.wallMs = performance.now() - started
  return totals
}

function rate(totals: Totals): { seedsPerSecond: number; realTimeFactor: number } {
  const seconds = Math.max(totals.wallMs, 1e-3) / 1000
  return {
    seedsPerSecond: round(totals.seeds / seconds),
    realTimeFactor: round(totals.simulatedMs / Math.max(totals.wallMs, 1e-3))
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}

function writeTrace(file: string, settings: SimSettings, seed: number): number {
  const result = runOne(settings, seed, true)
  const header = simTraceHeader(result.config, seed, null, { node: process.versions.node })
  const lines = [JSON.stringify(header), ...result.events.map((e) => JSON.stringify(e))]
  try {
    writeFileSync(file, lines.join('\n') + '\n')
  } catch (err) {
    throw new UsageError(`--trace: cannot write ${file}: ${(err as Error).message}`)
  }
  return result.events.length
}

const SIM_HELP = [
  'Usage: raftlab sim --seeds N [--seed S] [--nodes 5] [--duration 10s]',
  '                   [--faults crash,pause,partition,loss,delay,duplicate,reorder|all|figure8]',
  '                   [--bug NAME] [--trace FILE] [--json]',
  '',
  'Runs the deterministic simulator: N seeded runs of a cluster of real Raft cores',
  'on a simulated network, disk and clock, with random faults and a random',
  'put/get/cas workload. Each run is checked for the safety properties of the Raft',
  "paper's Figure 3 and for acknowledged writes being applied. The same seed gives",
  'the same run, event for event: a violation is reproduced by its seed.',
  '',
  'Options:',
  '  --seeds N       how many runs (default 1)',
  '  --seed S        the first seed; runs use S, S+1, ... (default 1)',
  '  --nodes N       cluster size, 1 to 9 (default 5)',
  '  --duration D    simulated time per run, e.g. 500ms, 10s, 2m (default 10s)',
  `  --faults LIST   comma-separated, or all (default all): ${FAULT_KINDS.join(', ')};`,
  '                  and, not part of all, figure8: the situation of Figure 8 of the',
  '                  Raft paper staged with seeded timings (catches commit-old-term)',
  `  --bug NAME      switch on a teaching bug: ${TEACHING_BUGS.join(', ')}`,
  '  --trace FILE    write one run as a trace (JSON Lines, docs/trace-format.md): the',
  '                  first run with a violation, or else the first run',
  '  --json          the last line of output is one JSON object: seeds, violations,',
  '                  seedsPerSecond, realTimeFactor, opsCompleted, elections, ...',
  '',
  'Exit codes: 0 no violation, 1 a violation was found, 2 bad usage.'
].join('\n')

export const simCommand: CliCommand = {
  name: 'sim',
  summary: 'run seeded simulations with faults and check them for safety',
  help: SIM_HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('sim', argv, {
      seeds: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      nodes: { type: 'string', default: '5' },
      duration: { type: 'string', default: '10s' },
      faults: { type: 'string', default: 'all' },
      bug: { type: 'string' },
      trace: { type: 'string' },
      json: { type: 'boolean', default: false }
    })
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument "${positionals[0]}" (see \`raftlab sim --help\`)`)
    }
    const durationMs = parseDuration(values.duration, '--duration')
    if (durationMs <= 0 || durationMs > 3_600_000) {
      throw new UsageError(`--duration: "${values.duration}" must be more than 0 and at most 1h`)
    }
    const settings: SimSettings = {
      seeds: parseInteger(values.seeds, '--seeds', 1, 10_000_000),
      firstSeed: parseInteger(values.seed, '--seed', 0, 2 ** 32 - 1),
      nodes: parseInteger(values.nodes, '--nodes', 1, 9),
      durationMs,
      faults: parseFaults(values.faults),
      bug: parseBug(values.bug)
    }
    const out = (line: string) => process.stdout.write(line + '\n')
    const cpuBefore = process.cpuUsage()
    const totals = runSeeds(settings, (r, violations) => {
      const s = r.stats
      const status = violations.length === 0 ? 'ok' : `${violations.length} VIOLATIONS`
      out(
        `seed ${r.seed}: ${status}  ops ${s.opsCompleted} ok, ${s.opsIndeterminate} indeterminate  elections ${s.elections}  crashes ${s.crashes}`
      )
      for (const v of violations.slice(0, 5)) out(`  ${v.property}: ${v.message}`)
      if (violations.length > 5) out(`  ... ${violations.length - 5} more`)
    })
    const cpu = process.cpuUsage(cpuBefore)
    const { seedsPerSecond, realTimeFactor } = rate(totals)
    let traceNote: string | null = null
    if (values.trace !== undefined) {
      const seed = totals.violatingSeeds[0] ?? settings.firstSeed
      const events = writeTrace(values.trace, settings, seed)
      const which =
        totals.violatingSeeds.length > 0 ? 'the first run with a violation' : 'the first run'
      traceNote = `trace of seed ${seed} (${which}), ${events} events, written to ${values.trace}`
    }
    out(
      `${totals.seeds} seeds: ${totals.violations.length} violations in ${totals.violatingSeeds.length} seeds` +
        (totals.violatingSeeds.length > 0
          ? ` (reproduce with --seed ${totals.violatingSeeds[0]} --seeds 1)`
          : '') +
        `; ${totals.opsCompleted} operations completed (${totals.opsIndeterminate} indeterminate); ${totals.elections} elections; ${seedsPerSecond} seeds/s, ${realTimeFactor}x real time`
    )
    if (traceNote) out(traceNote)
    if (values.json) {
      out(
        JSON.stringify({
          seeds: totals.seeds,
          firstSeed: settings.firstSeed,
          nodes: settings.nodes,
          durationMs: settings.durationMs,
          faults: settings.faults,
          bug: settings.bug,
          violations: totals.violations,
          violatingSeeds: totals.violatingSeeds,
          opsCompleted: totals.opsCompleted,
          opsIndeterminate: totals.opsIndeterminate,
          elections: totals.elections,
          crashes: totals.crashes,
          seedsPerSecond,
          realTimeFactor,
          wallMs: Math.round(totals.wallMs),
          cpuMs: Math.round((cpu.user + cpu.system) / 1000)
        })
      )
    }
    return totals.violations.length > 0 ? EXIT.violation : EXIT.ok
  }
}

/** The figures of one `raftlab sim --json` run, as the bench reads them back. */
interface SimJson {
  seeds: number
  violations: unknown[]
  opsCompleted: number
}

/** Run `raftlab sim` on a worker thread (the built CLI again) and read its last JSON line. */
function simJob(cli: string, firstSeed: number, seeds: number): Promise<SimJson> {
  const argv = ['sim', '--seeds', String(seeds), '--seed', String(firstSeed), '--json']
  return new Promise((resolve, reject) => {
    const worker = new Worker(cli, { argv, stdout: true })
    let text = ''
    worker.stdout.setEncoding('utf8')
    worker.stdout.on('data', (chunk: string) => (text += chunk))
    worker.on('error', reject)
    worker.on('exit', (code) => {
      const last = text.trimEnd().split('\n').pop() ?? ''
      try {
        resolve(JSON.parse(last) as SimJson)
      } catch {
        reject(new Error(`raftlab sim (seeds ${firstSeed}..) exited ${code} without its JSON line`))
      }
    })
  })
}

/**
 * Split the seeds over `jobs` worker threads. Wall time includes their start-up;
 * CPU time is the whole process's, every thread's included.
 */
async function runJobs(cli: string, settings: SimSettings, jobs: number) {
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  const share = Math.ceil(settings.seeds / jobs)
  const runs: Promise<SimJson>[] = []
  for (let first = 0; first < settings.seeds; first += share) {
    runs.push(simJob(cli, settings.firstSeed + first, Math.min(share, settings.seeds - first)))
  }
  const results = await Promise.all(runs)
  const cpu = process.cpuUsage(cpuBefore)
  return {
    wallMs: performance.now() - started,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    seeds: results.reduce((n, r) => n + r.seeds, 0),
    opsCompleted: results.reduce((n, r) => n + r.opsCompleted, 0),
    violations: results.reduce((n, r) => n + r.violations.length, 0)
  }
}

export const simBench: BenchCommand = {
  name: 'sim',
  summary: 'simulator speed: seeds/s and x real time (5 nodes, 10 s, all faults)',
  help: [
    'Usage: raftlab bench sim [--seeds N] [--jobs J] [--json]',
    '',
    'Runs N seeded simulations (default 1000) of 5 nodes for 10 s of simulated time',
    'with all faults, each checked for safety and linearizability, and prints seeds',
    'per second and the speed relative to real time (target: 100 seeds/s and',
    '1000x), by the wall clock and per CPU second (on a shared machine the wall clock',
    "also counts other processes' turns). Each thread's first seeds run while V8",
    'still compiles the code (about 0.4 s of CPU): included, hence the many seeds.',
    '',
    'Options:',
    '  --seeds N   how many runs (default 1000)',
    `  --jobs J    split the seeds over J worker threads (default: one per core, ${availableParallelism()}`,
    '              here; 1 runs them on the main thread)',
    '  --json      the last line is one JSON object with the figures'
  ].join('\n'),
  async run(argv) {
    const { values } = parseCommandArgs('bench sim', argv, {
      seeds: { type: 'string', default: '1000' },
      jobs: { type: 'string', default: String(availableParallelism()) },
      json: { type: 'boolean', default: false }
    })
    const settings: SimSettings = {
      seeds: parseInteger(values.seeds, '--seeds', 1, 1_000_000),
      firstSeed: 1,
      nodes: 5,
      durationMs: 10_000,
      faults: [...FAULT_KINDS],
      bug: null
    }
    const jobs = Math.min(parseInteger(values.jobs, '--jobs', 1, 64), settings.seeds)
    let measured: {
      wallMs: number
      cpuSeconds: number
      seeds: number
      opsCompleted: number
      violations: number
    }
    if (jobs === 1) {
      const cpuBefore = process.cpuUsage()
      const totals = runSeeds(settings)
      const cpu = process.cpuUsage(cpuBefore)
      measured = {
        wallMs: totals.wallMs,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        seeds: totals.seeds,
        opsCompleted: totals.opsCompleted,
        violations: totals.violations.length
      }
    } else {
      const cli = process.argv[1] ?? ''
      if (!/(raftlab|cli)(\.js)?$/.test(cli)) {
        throw new UsageError(
          '--jobs above 1 needs the built CLI (node bin/raftlab.js bench sim ...; or --jobs 1)'
        )
      }
      measured = await runJobs(cli, settings, jobs)
    }
    const seconds = Math.max(measured.wallMs, 1e-3) / 1000
    const figures = {
      bench: 'sim',
      seeds: measured.seeds,
      jobs,
      nodes: settings.nodes,
      simulatedSecondsPerSeed: settings.durationMs / 1000,
      wallSeconds: round(seconds),
      seedsPerSecond: round(measured.seeds / seconds),
      realTimeFactor: round((measured.seeds * settings.durationMs) / 1000 / seconds),
      cpuSeconds: round(measured.cpuSeconds),
      seedsPerCpuSecond: round(measured.seeds / Math.max(measured.cpuSeconds, 1e-3)),
      realTimeFactorPerCpu: round(
        (measured.seeds * settings.durationMs) / 1000 / Math.max(measured.cpuSeconds, 1e-3)
      ),
      opsCompleted: measured.opsCompleted,
      violations: measured.violations
    }
    process.stdout.write(
      `sim: ${figures.seeds} seeds x ${figures.simulatedSecondsPerSeed} s simulated (5 nodes, all faults, ${jobs} job${jobs > 1 ? 's' : ''}) in ${figures.wallSeconds} s wall, ${figures.cpuSeconds} s CPU: ${figures.seedsPerSecond} seeds/s, ${figures.realTimeFactor}x real time (per CPU second: ${figures.seedsPerCpuSecond} seeds, ${figures.realTimeFactorPerCpu}x); ${figures.opsCompleted} operations; ${figures.violations} violations\n`
    )
    if (values.json) process.stdout.write(JSON.stringify(figures) + '\n')
    return figures.violations > 0 ? EXIT.violation : EXIT.ok
  }
}
