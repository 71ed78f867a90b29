// `raftlab bench start`: time from "start N nodes" to an elected leader.
import { EXIT, parseCommandArgs, parseInteger } from './command'
import type { BenchCommand } from './bench'
import { withCleanup } from '../bench/cleanup'
import { latencyHistogramPng } from '../bench/charts'
import { parseMode, parseTimeoutRange, progress } from '../bench/common'
import { BenchOutput, printJsonSummary, printTable } from '../bench/output'
import { BenchRaftCluster, MODE_LABEL } from '../bench/raft-cluster'
import { summarize } from '../bench/stats'

const HELP = `Usage: raftlab bench start [options]

Starts a fresh cluster (new processes, empty data folders) per trial and
measures two times from the start: until every node listens, and until the
first node announces it leads. In lab mode (the default) the election time is
read from the trace, whose clock starts when the lab starts the experiment.

Options:
  --nodes N               cluster size (default 5)
  --trials N              clusters started (default 10)
  --election-timeout R    MIN-MAX ms (default 150-300)
  --mode lab|direct       through the lab engine (default) or nodes direct
  --out DIR               output folder (default bench-out/start-<time>/)
  --json                  print one JSON summary as the last line

Writes trials.csv, summary.json and start.png (histograms of both times).`

interface StartTrial {
  trial: number
  listeningMs: number
  leaderMs: number | null
}

export const startBench: BenchCommand = {
  name: 'start',
  summary: 'time from starting the nodes to an elected leader',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs('bench start', argv, {
      nodes: { type: 'string', default: '5' },
      trials: { type: 'string', default: '10' },
      'election-timeout': { type: 'string', default: '150-300' },
      mode: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false }
    })
    const nodes = parseInteger(values.nodes, '--nodes', 1, 9)
    const trials = parseInteger(values.trials, '--trials', 1, 1000)
    const electionTimeoutMs = parseTimeoutRange(values['election-timeout'], '--election-timeout')
    const mode = parseMode(values.mode)
    const out = await BenchOutput.create('start', values.out)
    progress(`bench start: ${nodes} nodes, ${trials} trials, ${MODE_LABEL[mode]} → ${out.dir}`)

    const samples: StartTrial[] = []
    for (let trial = 1; trial <= trials; trial++) {
      const sample = await withCleanup(async (cleanup) => {
        const { cluster, startedAt } = await BenchRaftCluster.start({
          mode,
          nodes,
          electionTimeoutMs
        })
        cleanup.add(() => cluster.stop())
        const listeningMs = performance.now() - startedAt
        await cluster.waitForLeader(30_000)
        return { trial, listeningMs, leaderMs: await cluster.firstLeaderMs() }
      })
      samples.push(sample)
      progress(
        `  trial ${trial}: listening after ${sample.listeningMs.toFixed(0)} ms, leader after ${sample.leaderMs?.toFixed(0) ?? '?'} ms`
      )
    }

    const leader = summarize(samples.flatMap((s) => (s.leaderMs === null ? [] : [s.leaderMs])))
    const listening = summarize(samples.map((s) => s.listeningMs))
    const settings = { nodes, trials, electionTimeoutMs, mode }
    const results = { listeningMs: listening, leaderMs: leader }
    await out.csv(
      'trials.csv',
      ['trial', 'listening_ms', 'leader_ms'],
      samples.map((s) => [s.trial, s.listeningMs, s.leaderMs])
    )
    await out.json('summary.json', {
      bench: 'start',
      date: new Date().toISOString(),
      settings,
      results,
      trials: samples
    })
    await out.png(
      'start.png',
      await latencyHistogramPng(
        `starting ${nodes} nodes (${MODE_LABEL[mode]}): time from start`,
        [
          { label: 'every node listening', values: samples.map((s) => s.listeningMs) },
          {
            label: 'leader elected',
            values: samples.flatMap((s) => (s.leaderMs === null ? [] : [s.leaderMs]))
          }
        ],
        'time from start (ms)'
      )
    )
    printTable(
      `start: ${nodes} nodes, ${MODE_LABEL[mode]}, election timeout ${electionTimeoutMs.join('-')} ms, ${trials} trials`,
      ['time from start to', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
      [
        ['every node listening', listening.p50, listening.p90, listening.p99, listening.max],
        ['leader elected', leader.p50, leader.p90, leader.p99, leader.max]
      ]
    )
    process.stdout.write(`\nfiles: ${out.dir}\n`)
    if (values.json)
      printJsonSummary({ bench: 'start', outDir: out.dir, files: out.files, settings, results })
    return EXIT.ok
  }
}
