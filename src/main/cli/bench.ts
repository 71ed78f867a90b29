import { EXIT, UsageError, type CliCommand } from './command'
import { throughputBench } from './bench-throughput'
import { coreBench } from './bench-core'
import { failoverBench } from './bench-failover'
import { startBench } from './bench-start'
import { nodeBench } from './bench-node'
import { lincheckBench } from './bench-lincheck'
import { simBench } from './sim'

/** A benchmark: `raftlab bench <name>`. Prints figures; never asserts wall-clock time. */
export interface BenchCommand {
  name: string
  summary: string
  help: string
  run(argv: string[]): Promise<number>
}

// Every benchmark, one line each. `raftlab bench all` runs them in this order with defaults.
export const benches: BenchCommand[] = [
  throughputBench,
  failoverBench,
  startBench,
  nodeBench,
  lincheckBench,
  coreBench,
  simBench
]

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'run a benchmark and print its figures',
  hasSubcommands: true,
  get help() {
    return [
      'Usage: raftlab bench <name> [options]   (raftlab bench <name> --help)',
      '',
      'Benchmarks:',
      ...benches.map((b) => `  ${b.name.padEnd(12)}  ${b.summary}`),
      '  all           every benchmark above with its defaults'
    ].join('\n')
  },
  async run(argv) {
    const [name, ...rest] = argv
    if (name === 'all') {
      let worst: number = EXIT.ok
      for (const b of benches) worst = Math.max(worst, await b.run([]))
      return worst
    }
    const bench = benches.find((b) => b.name === name)
    if (!bench)
      throw new UsageError(`unknown benchmark "${name ?? ''}" (see \`raftlab bench --help\`)`)
    if (rest.includes('--help')) {
      process.stdout.write(bench.help.trimEnd() + '\n')
      return EXIT.ok
    }
    return bench.run(rest)
  }
}
