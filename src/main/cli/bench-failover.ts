// `raftlab bench failover`: kill -9 the leader while clients write; time until a
// new leader commits the next write. Optionally the same against etcd.
import { EXIT, parseCommandArgs, parseInteger } from './command'
import type { BenchCommand } from './bench'
import { withCleanup } from '../bench/cleanup'
import { latencyHistogramPng, throughputPng } from '../bench/charts'
import { parseMode, parseTimeoutRange, parseVs, progress } from '../bench/common'
import { runClosedLoop, sleep, waitFor, type OpSample } from '../bench/load'
import { BenchOutput, printJsonSummary, printTable } from '../bench/output'
import { ratePerSecond, ratio, summarize } from '../bench/stats'
import { SYSTEM_LABEL, startSystem, type RunningSystem, type SystemName } from '../bench/systems'

const HELP = `Usage: raftlab bench failover [options]

Background clients write continuously. Each trial finds the leader, kills it
with SIGKILL, and measures the time from the kill until a write is
acknowledged again (a new leader was elected and committed it), using probe
writers started every few milliseconds against the surviving nodes. The
killed node is restarted and the cluster settles before the next trial.
With --vs etcd, an etcd cluster of the same size with the same election
timeout range gets the same trials (etcd draws its timeout from [MIN, 2*MIN)).

Anchor: the Raft paper reports, for 5 servers with 150-200 ms timeouts, a
worst case of 513 ms over 1000 trials. Target: p50 <= 250 ms, p99 <= 600 ms.

Options:
  --nodes N               cluster size (default 5)
  --election-timeout R    MIN-MAX ms (default 150-300)
  --heartbeat MS          heartbeat interval (default 50)
  --trials N              kills per system (default 20; the full run uses 100)
  --clients N             background writers (default 4)
  --mode lab|direct       Raft Lab through the lab engine (default) or nodes direct
  --vs etcd               also measure etcd (installs Debian's etcd-server with apt if missing, as root)
  --out DIR               output folder (default bench-out/failover-<time>/)
  --json                  print one JSON summary as the last line

Writes trials.csv, writes.csv (every background write), summary.json,
failover.png (histogram of failover times), throughput.png (writes/s over the run).
Exit 0, or 3 when a trial could not complete (a node failed to restart, say):
the figures then cover the trials before it, and the error is printed.`

/** Probe writers: one starts every PROBE_STAGGER_MS after the kill, each retrying until a write succeeds. */
const PROBES = 10
const PROBE_STAGGER_MS = 5
const PROBE_ATTEMPT_MS = 300
/** A trial with no acknowledged write after this long counts as failed. */
const TRIAL_TIMEOUT_MS = 10_000

interface Trial {
  system: SystemName
  trial: number
  oldLeader: string
  newLeader: string | null
  /** ms from the kill until the first acknowledged write; null when none came in time. */
  failoverMs: number | null
  /** ms from the kill until a node announced it leads (Raft Lab only; etcd does not report it). */
  electedMs: number | null
}

interface SystemRun {
  system: SystemName
  trials: Trial[]
  writes: OpSample[]
  elapsedMs: number
  /** Why the trials stopped early (the figures cover the trials before it), or null. */
  error: string | null
}

export const failoverBench: BenchCommand = {
  name: 'failover',
  summary: 'kill -9 the leader: time until a new leader commits a write',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs('bench failover', argv, {
      nodes: { type: 'string', default: '5' },
      'election-timeout': { type: 'string', default: '150-300' },
      heartbeat: { type: 'string', default: '50' },
      trials: { type: 'string', default: '20' },
      clients: { type: 'string', default: '4' },
      mode: { type: 'string' },
      vs: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false }
    })
    const nodes = parseInteger(values.nodes, '--nodes', 3, 9)
    const electionTimeoutMs = parseTimeoutRange(values['election-timeout'], '--election-timeout')
    const heartbeatMs = parseInteger(values.heartbeat, '--heartbeat', 1, electionTimeoutMs[0])
    const trials = parseInteger(values.trials, '--trials', 1, 10_000)
    const clients = parseInteger(values.clients, '--clients', 1, 64)
    const systems: SystemName[] = [
      parseMode(values.mode),
      ...(parseVs(values.vs) ? (['etcd'] as const) : [])
    ]
    const out = await BenchOutput.create('failover', values.out)
    progress(
      `bench failover: ${nodes} nodes, timeouts ${electionTimeoutMs.join('-')} ms, ${trials} trials → ${out.dir}`
    )

    const runs: SystemRun[] = []
    for (const system of systems) {
      progress(`  ${SYSTEM_LABEL[system]}...`)
      runs.push(await runSystem(system, { nodes, electionTimeoutMs, heartbeatMs, trials, clients }))
    }

    const results = Object.fromEntries(
      runs.map((r) => {
        const times = r.trials.flatMap((t) => (t.failoverMs === null ? [] : [t.failoverMs]))
        const elected = r.trials.flatMap((t) => (t.electedMs === null ? [] : [t.electedMs]))
        return [
          r.system,
          {
            trials: r.trials.length,
            failed: r.trials.length - times.length,
            error: r.error,
            failoverMs: summarize(times),
            electedMs: elected.length ? summarize(elected) : null
          }
        ]
      })
    )
    const settings = { nodes, electionTimeoutMs, heartbeatMs, trials, clients, systems }
    const ratios: Record<string, number> = {}
    const mine = results[systems[0]!]
    if (mine && results.etcd) {
      ratios['raftlab/etcd p50'] = ratio(mine.failoverMs.p50, results.etcd.failoverMs.p50)
      ratios['raftlab/etcd p99'] = ratio(mine.failoverMs.p99, results.etcd.failoverMs.p99)
    }

    const allTrials = runs.flatMap((r) => r.trials)
    await out.csv(
      'trials.csv',
      ['system', 'trial', 'old_leader', 'new_leader', 'failover_ms', 'elected_ms'],
      allTrials.map((t) => [t.system, t.trial, t.oldLeader, t.newLeader, t.failoverMs, t.electedMs])
    )
    await out.csv(
      'writes.csv',
      ['system', 'client', 'start_ms', 'end_ms', 'ok'],
      runs.flatMap((r) =>
        r.writes.map((w) => [r.system, w.client, w.startMs, w.endMs, w.ok ? 1 : 0])
      )
    )
    await out.json('summary.json', {
      bench: 'failover',
      date: new Date().toISOString(),
      settings,
      results,
      ratios,
      trials: allTrials
    })
    await out.png(
      'failover.png',
      await latencyHistogramPng(
        `time from kill -9 of the leader to the next acknowledged write, ${nodes} nodes, ${electionTimeoutMs.join('-')} ms`,
        runs.map((r) => ({
          label: SYSTEM_LABEL[r.system],
          values: r.trials.flatMap((t) => (t.failoverMs === null ? [] : [t.failoverMs]))
        })),
        'failover (ms)'
      )
    )
    const bucketMs = 100
    await out.png(
      'throughput.png',
      await throughputPng(
        `background writes acknowledged per second (${clients} clients); dips are the kills`,
        runs.map((r) => ({
          label: SYSTEM_LABEL[r.system],
          perSecond: ratePerSecond(
            r.writes.filter((w) => w.ok).map((w) => w.endMs),
            r.elapsedMs,
            bucketMs
          )
        })),
        bucketMs
      )
    )

    printTable(
      `failover: ${nodes} nodes, election timeout ${electionTimeoutMs.join('-')} ms, heartbeat ${heartbeatMs} ms`,
      ['system', 'trials', 'failed', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'elected p50 ms'],
      runs.map((r) => {
        const s = results[r.system]!
        return [
          SYSTEM_LABEL[r.system],
          s.trials,
          s.failed,
          s.failoverMs.p50,
          s.failoverMs.p90,
          s.failoverMs.p99,
          s.failoverMs.max,
          s.electedMs?.p50 ?? '-'
        ]
      })
    )
    if (Object.keys(ratios).length) printTable('ratios', ['ratio', 'value'], Object.entries(ratios))
    for (const r of runs) {
      if (r.error)
        process.stdout.write(
          `\n${SYSTEM_LABEL[r.system]} stopped after ${r.trials.length} of ${trials} trials: ${r.error}\n`
        )
    }
    process.stdout.write(`\nfiles: ${out.dir}\n`)
    if (values.json)
      printJsonSummary({
        bench: 'failover',
        outDir: out.dir,
        files: out.files,
        settings,
        results,
        ratios
      })
    return runs.some((r) => r.error) ? EXIT.unknown : EXIT.ok
  }
}

interface RunOptions {
  nodes: number
  electionTimeoutMs: [number, number]
  heartbeatMs: number
  trials: number
  clients: number
}

function runSystem(system: SystemName, o: RunOptions): Promise<SystemRun> {
  return withCleanup(async (cleanup) => {
    const running = await startSystem(system, {
      nodes: o.nodes,
      electionTimeoutMs: o.electionTimeoutMs,
      heartbeatMs: o.heartbeatMs,
      cleanup,
      log: progress
    })
    const value = 'v'.repeat(64)
    let finished = false
    const writers = Array.from({ length: o.clients }, (_, i) => running.client(`writer-${i}`, 1000))
    // Bounded by the trials finishing, and by time in case they never do.
    const background = runClosedLoop({
      clients: o.clients,
      durationMs: o.trials * (TRIAL_TIMEOUT_MS + 5000),
      op: (i) => writers[i]!.put(`w${i}`, value),
      stop: () => finished,
      pauseAfterFailureMs: 5
    })
    const trials: Trial[] = []
    let error: string | null = null
    try {
      for (let trial = 1; trial <= o.trials; trial++) {
        await settle(running, o.electionTimeoutMs[1])
        trials.push(await killLeader(running, trial))
        progress(`    trial ${trial}: ${formatTrial(trials[trials.length - 1]!)}`)
      }
    } catch (err) {
      // A long run keeps the trials it completed; the error is reported with them.
      error = (err as Error).message
      progress(`    stopped after ${trials.length} trials: ${error}`)
    } finally {
      finished = true
    }
    const { samples, elapsedMs } = await background
    for (const w of writers) w.close()
    await running.stop()
    return { system, trials, writes: samples, elapsedMs, error }
  })
}

function formatTrial(t: Trial): string {
  return t.failoverMs === null
    ? `killed ${t.oldLeader}, no write acknowledged within ${TRIAL_TIMEOUT_MS} ms`
    : `killed ${t.oldLeader}, ${t.newLeader ?? '?'} leads` +
        (t.electedMs === null ? '' : ` (elected after ${t.electedMs.toFixed(1)} ms)`) +
        `, write after ${t.failoverMs.toFixed(1)} ms`
}

/** Every member up, one leader that stays leader across two maximum election timeouts, and a write goes through. */
async function settle(running: RunningSystem, electionMaxMs: number): Promise<void> {
  const probe = running.client('settle', 2000)
  try {
    await waitFor('a stable leader before the next kill', 30_000, async () => {
      const before = await running.leader()
      if (!before) return undefined
      // Long enough for a restarted member to catch up and for any stray election to show.
      await sleep(electionMaxMs * 2)
      const after = await running.leader()
      if (after !== before) return undefined
      return (await probe.put('settle', 'x')) ? true : undefined
    })
  } finally {
    probe.close()
  }
}

async function killLeader(running: RunningSystem, trial: number): Promise<Trial> {
  // A status call can time out on a loaded machine: ask again rather than give up the run.
  const oldLeader = await waitFor('the leader to kill', 5000, () => running.leader(), 20)
  const t0 = performance.now()
  await running.crash(oldLeader)
  let firstOkMs: number | null = null
  const survivors = running.members()
  const probes = Array.from({ length: PROBES }, (_, i) =>
    running.client(`probe-${trial}-${i}`, PROBE_ATTEMPT_MS, survivors[i % survivors.length])
  )
  await Promise.all(
    probes.map(async (p, i) => {
      await sleep(i * PROBE_STAGGER_MS)
      while (firstOkMs === null && performance.now() - t0 < TRIAL_TIMEOUT_MS) {
        if (await p.put(`probe-${i}`, 'p')) firstOkMs ??= performance.now() - t0
        else await sleep(PROBE_STAGGER_MS)
      }
    })
  )
  for (const p of probes) p.close()
  const newLeader = firstOkMs === null ? null : ((await running.leader()) ?? null)
  const elected = running.firstLeaderAfter(t0)
  await running.restart(oldLeader)
  return {
    system: running.name,
    trial,
    oldLeader,
    newLeader,
    failoverMs: firstOkMs,
    electedMs: elected === null ? null : elected - t0
  }
}
