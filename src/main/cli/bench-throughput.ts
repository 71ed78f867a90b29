// `raftlab bench throughput`: replicated puts with fsync on, through the lab
// engine (proxy + trace), nodes direct, and optionally a real etcd cluster.
import { EXIT, parseCommandArgs, parseDuration, parseInteger } from './command'
import type { BenchCommand } from './bench'
import { withCleanup } from '../bench/cleanup'
import { latencyHistogramPng, throughputPng } from '../bench/charts'
import { parseVs, progress } from '../bench/common'
import { runClosedLoop, type OpSample } from '../bench/load'
import { BenchOutput, printJsonSummary, printTable } from '../bench/output'
import { ratePerSecond, ratio, summarize, type LatencySummary } from '../bench/stats'
import { SYSTEM_LABEL, startSystem, type SystemName } from '../bench/systems'
import { ownCpuSeconds, totalCpuSeconds } from '../bench/cpu'

const HELP = `Usage: raftlab bench throughput [options]

Replicated puts (fsync on) from closed-loop clients, each waiting for its
acknowledgement before the next put. Measured for Raft Lab through the lab
engine as students use it (fault proxy relaying every message, trace recording
every event), for the same nodes direct (no proxy, no trace), and with
--vs etcd for a real etcd cluster on 127.0.0.1 (clients sent to its leader).
Systems alternate within each round; each run starts a fresh cluster.

Options:
  --nodes N          cluster size (default 3)
  --clients N        concurrent clients (default 64)
  --value-size N     bytes per value (default 256)
  --duration D       measured time per run, e.g. 20s (default 10s)
  --warmup D         unmeasured load before each run (default 1s)
  --rounds N         alternating rounds of every system (default 1)
  --vs etcd          also measure etcd (installs Debian's etcd-server with apt if missing, as root)
  --out DIR          output folder (default bench-out/throughput-<time>/)
  --json             print one JSON summary as the last line

CPU per write is what the servers (node processes or etcd members) and this
process (clients, and for Raft Lab through the lab also the proxy and recorder)
used during the measured runs, divided by the writes acknowledged.

Writes samples.csv (every operation), summary.json, latency.png, throughput.png.`

interface RunResult {
  system: SystemName
  round: number
  elapsedMs: number
  samples: OpSample[]
  traceBytes: number | null
  /** CPU seconds used during the measured run: servers (nodes or etcd members) and this process. */
  cpu: { servers: number; bench: number }
}

export const throughputBench: BenchCommand = {
  name: 'throughput',
  summary: 'replicated puts/s and latency: lab engine, nodes direct, etcd',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs('bench throughput', argv, {
      nodes: { type: 'string', default: '3' },
      clients: { type: 'string', default: '64' },
      'value-size': { type: 'string', default: '256' },
      duration: { type: 'string', default: '10s' },
      warmup: { type: 'string', default: '1s' },
      rounds: { type: 'string', default: '1' },
      vs: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false }
    })
    const nodes = parseInteger(values.nodes, '--nodes', 1, 9)
    const clients = parseInteger(values.clients, '--clients', 1, 256)
    const valueSize = parseInteger(values['value-size'], '--value-size', 1, 65_536)
    const durationMs = parseDuration(values.duration, '--duration')
    const warmupMs = parseDuration(values.warmup, '--warmup')
    const rounds = parseInteger(values.rounds, '--rounds', 1, 100)
    const systems: SystemName[] = [
      'lab',
      'direct',
      ...(parseVs(values.vs) ? (['etcd'] as const) : [])
    ]
    const out = await BenchOutput.create('throughput', values.out)
    progress(
      `bench throughput: ${nodes} nodes, ${clients} clients, ${valueSize} B values, ${durationMs} ms per run → ${out.dir}`
    )

    const runs: RunResult[] = []
    for (let round = 1; round <= rounds; round++) {
      for (const system of systems) {
        progress(`  round ${round}: ${SYSTEM_LABEL[system]}...`)
        runs.push(await runOnce(system, round, { nodes, clients, valueSize, durationMs, warmupMs }))
      }
    }

    const results = Object.fromEntries(
      systems.map((s) => {
        const mine = runs.filter((r) => r.system === s)
        const ok = mine.flatMap((r) => r.samples.filter((x) => x.ok))
        const failed = mine.reduce((n, r) => n + r.samples.filter((x) => !x.ok).length, 0)
        const seconds = mine.reduce((t, r) => t + r.elapsedMs, 0) / 1000
        const latency = summarize(ok.map((x) => x.endMs - x.startMs))
        // Trace bytes per second of load (the trace also holds the warm-up and the start).
        const traced = mine.filter((r) => r.traceBytes !== null)
        const traceBytesPerSec = traced.length
          ? traced.reduce((n, r) => n + (r.traceBytes ?? 0), 0) /
            (traced.reduce((t, r) => t + r.elapsedMs + warmupMs, 0) / 1000)
          : null
        const perWriteUs = (cpuSeconds: number) =>
          ok.length ? (cpuSeconds * 1e6) / ok.length : NaN
        return [
          s,
          {
            writesPerSec: ok.length / seconds,
            ok: ok.length,
            failed,
            latencyMs: latency,
            traceBytesPerSec,
            cpuUsPerWrite: {
              servers: perWriteUs(mine.reduce((n, r) => n + r.cpu.servers, 0)),
              bench: perWriteUs(mine.reduce((n, r) => n + r.cpu.bench, 0))
            }
          }
        ]
      })
    ) as Record<
      SystemName,
      {
        writesPerSec: number
        ok: number
        failed: number
        latencyMs: LatencySummary
        traceBytesPerSec: number | null
        cpuUsPerWrite: { servers: number; bench: number }
      }
    >

    const ratios: Record<string, number> = {
      'lab/direct writes/s': ratio(results.lab.writesPerSec, results.direct.writesPerSec),
      'lab/direct p99': ratio(results.lab.latencyMs.p99, results.direct.latencyMs.p99)
    }
    if (results.etcd) {
      ratios['lab/etcd writes/s'] = ratio(results.lab.writesPerSec, results.etcd.writesPerSec)
      ratios['direct/etcd writes/s'] = ratio(results.direct.writesPerSec, results.etcd.writesPerSec)
      ratios['lab/etcd p99'] = ratio(results.lab.latencyMs.p99, results.etcd.latencyMs.p99)
    }

    await out.csv(
      'samples.csv',
      ['system', 'round', 'client', 'start_ms', 'end_ms', 'latency_ms', 'ok'],
      runs.flatMap((r) =>
        r.samples.map((x) => [
          r.system,
          r.round,
          x.client,
          x.startMs,
          x.endMs,
          x.endMs - x.startMs,
          x.ok ? 1 : 0
        ])
      )
    )
    const settings = {
      nodes,
      clients,
      valueSize,
      durationMs,
      warmupMs,
      rounds,
      fsync: 'always',
      systems
    }
    // Each run on its own: how far apart alternating runs are shows how noisy the machine was.
    const perRun = runs.map((r) => ({
      system: r.system,
      round: r.round,
      writesPerSec: r.samples.filter((x) => x.ok).length / (r.elapsedMs / 1000)
    }))
    await out.json('summary.json', {
      bench: 'throughput',
      date: new Date().toISOString(),
      settings,
      results,
      ratios,
      perRun
    })
    await out.png(
      'latency.png',
      await latencyHistogramPng(
        `put latency, ${clients} clients, ${valueSize} B values, ${nodes} nodes`,
        systems.map((s) => ({
          label: SYSTEM_LABEL[s],
          values: runs
            .filter((r) => r.system === s)
            .flatMap((r) => r.samples.filter((x) => x.ok).map((x) => x.endMs - x.startMs))
        }))
      )
    )
    const bucketMs = Math.max(100, Math.round(durationMs / 50))
    await out.png(
      'throughput.png',
      await throughputPng(
        'acknowledged puts per second over each run',
        runs.map((r) => ({
          label: `${SYSTEM_LABEL[r.system]}${rounds > 1 ? ` #${r.round}` : ''}`,
          perSecond: ratePerSecond(
            r.samples.filter((x) => x.ok).map((x) => x.endMs),
            r.elapsedMs,
            bucketMs
          )
        })),
        bucketMs
      )
    )

    printTable(
      `throughput: ${nodes} nodes, ${clients} clients, ${valueSize} B values, fsync always, ${rounds} × ${durationMs / 1000} s`,
      ['system', 'writes/s', 'p50 ms', 'p99 ms', 'max ms', 'ok', 'failed'],
      systems.map((s) => {
        const r = results[s]
        return [
          SYSTEM_LABEL[s],
          r.writesPerSec,
          r.latencyMs.p50,
          r.latencyMs.p99,
          r.latencyMs.max,
          r.ok,
          r.failed
        ]
      })
    )
    printTable(
      'CPU per acknowledged write (µs)',
      ['system', 'servers', 'bench process', 'total'],
      systems.map((s) => {
        const c = results[s].cpuUsPerWrite
        return [SYSTEM_LABEL[s], c.servers, c.bench, c.servers + c.bench]
      })
    )
    if (rounds > 1)
      printTable(
        'writes/s of each run, in the order they ran',
        ['system', 'round', 'writes/s'],
        perRun.map((r) => [SYSTEM_LABEL[r.system], r.round, r.writesPerSec])
      )
    printTable('ratios', ['ratio', 'value'], Object.entries(ratios))
    const traceRate = results.lab.traceBytesPerSec
    if (traceRate !== null)
      process.stdout.write(
        `\ntrace written by the lab engine: ${(traceRate / 1e6).toFixed(2)} MB/s of load\n`
      )
    process.stdout.write(`\nfiles: ${out.dir}\n`)
    if (values.json)
      printJsonSummary({
        bench: 'throughput',
        outDir: out.dir,
        files: out.files,
        settings,
        results,
        ratios
      })
    return EXIT.ok
  }
}

async function runOnce(
  system: SystemName,
  round: number,
  o: { nodes: number; clients: number; valueSize: number; durationMs: number; warmupMs: number }
): Promise<RunResult> {
  return withCleanup(async (cleanup) => {
    const running = await startSystem(system, {
      nodes: o.nodes,
      electionTimeoutMs: [150, 300],
      heartbeatMs: 50,
      cleanup,
      log: progress
    })
    // etcd's clients go to its leader, as Raft Lab's clients do after the first redirect.
    const leader = system === 'etcd' ? await running.leader() : undefined
    const value = 'v'.repeat(o.valueSize)
    const clients = Array.from({ length: o.clients }, (_, i) =>
      running.client(`bench-${i}`, 5000, leader)
    )
    const put = (i: number) => clients[i]!.put(`k${i}`, value)
    if (o.warmupMs > 0) await runClosedLoop({ clients: o.clients, durationMs: o.warmupMs, op: put })
    const pids = running.serverPids()
    const servers0 = totalCpuSeconds(pids)
    const bench0 = ownCpuSeconds()
    const { samples, elapsedMs } = await runClosedLoop({
      clients: o.clients,
      durationMs: o.durationMs,
      op: put
    })
    const cpu = { servers: totalCpuSeconds(pids) - servers0, bench: ownCpuSeconds() - bench0 }
    const traceBytes = system === 'lab' ? await running.traceBytes() : null
    for (const c of clients) c.close()
    await running.stop()
    return { system, round, elapsedMs, samples, traceBytes, cpu }
  })
}
