// What a trace says: the safety checkers, linearizability, a summary
// (elections, leaders per term, failover times, throughput, latency, messages
// per operation), per-second metrics, and a scenario's expectations.
// Pure, so the lab engine and the simulator's scenario runner judge alike.
import { checkSafety } from './safety'
import { checkLinearizability, type LinearizabilityResult } from './linearizability'
import { historyFromTrace } from './history-formats'
import type { CheckReport, PropertyResult } from '../lab-api'
import type { History } from '../history'
import type { RangeExpectation, ScenarioExpect, StepAction } from '../scenario'
import type { TraceEvent, TraceEventOf } from '../trace'

/** Budget for the linearizability search of one trace. */
const LIN_TIMEOUT_MS = 20_000
/** Messages in flight when a fault starts may still land: commits this soon after a range starts are not counted. */
export const RANGE_GRACE_MS = 150

/** One step of a scenario run, as the runner played it. */
export interface StepRecord {
  /** 1-based, as in expect ranges. */
  index: number
  action: StepAction
  text: string
  /** ms since start when the action ran; null if it never ran. */
  t: number | null
  ok: boolean
  message: string
  nodes: string[]
  /** The step took the then leader away (crash, pause, stop, wipe, isolate, partition away from a majority). */
  disruptsLeader: boolean
  /** Term of the leader when the step ran (0 if none). */
  leaderTerm: number
}

export interface RunResult {
  steps: StepRecord[]
  /** Nodes each expect range is about, resolved when its first step ran. */
  rangeNodes: Partial<Record<RangeExpectation, string[]>>
  /** When the run began (every node listening): scenario times count from here. */
  startT: number
  endT: number
  stopped: boolean
}

export interface TraceAnalysis {
  report: CheckReport
  lin: LinearizabilityResult | null
  /** The client history the linearizability checker saw (op ids index it). */
  history: History | null
  /** Why the history could not be checked (bad invoke/complete pairing). */
  historyError: string | null
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i] as number
}

const round = (x: number): number => Math.round(x * 100) / 100

export function analyzeTrace(events: TraceEvent[]): TraceAnalysis {
  const safety: PropertyResult[] = checkSafety(events)
  let lin: LinearizabilityResult | null = null
  let historyError: string | null = null
  let history: History | null = null
  try {
    history = historyFromTrace(events)
    lin = checkLinearizability(history, { timeoutMs: LIN_TIMEOUT_MS })
  } catch (err) {
    historyError = (err as Error).message
  }
  return {
    report: {
      safety,
      linearizable: lin ? lin.linearizable : 'unknown',
      operations: lin?.operations ?? 0,
      failingKeys: lin?.failingKeys ?? [],
      summary: summarize(events, historyError)
    },
    lin,
    history,
    historyError
  }
}

/** Time from losing a leader (its crash, pause, stop or exit) to the next leader in a higher term. */
export function failovers(events: TraceEvent[]): number[] {
  let leader: { node: string; term: number } | null = null
  let lost: { t: number; term: number } | null = null
  const out: number[] = []
  for (const e of events) {
    if (e.kind === 'role' && e.role === 'leader') {
      if (lost && e.term > lost.term) {
        out.push(round(e.t - lost.t))
        lost = null
      }
      if (!leader || e.term >= leader.term) leader = { node: e.node, term: e.term }
    } else if (
      e.kind === 'proc' &&
      leader &&
      e.node === leader.node &&
      (e.action === 'crash' || e.action === 'pause' || e.action === 'stop' || e.action === 'exit')
    ) {
      lost ??= { t: e.t, term: leader.term }
    }
  }
  return out
}

function summarize(
  events: TraceEvent[],
  historyError: string | null
): Record<string, number | string> {
  const candidateTerms = new Set<number>()
  const leadersByTerm = new Map<number, Set<string>>()
  const invokes = new Map<string, TraceEventOf<'invoke'>>()
  const latencies: number[] = []
  let ok = 0
  let fail = 0
  let info = 0
  let sends = 0
  let drops = 0
  let firstOp = Infinity
  let lastOp = 0
  for (const e of events) {
    if (e.kind === 'role') {
      if (e.role === 'candidate') candidateTerms.add(e.term)
      if (e.role === 'leader') {
        const s = leadersByTerm.get(e.term) ?? new Set<string>()
        s.add(e.node)
        leadersByTerm.set(e.term, s)
      }
    } else if (e.kind === 'net') {
      if (e.action === 'send') sends++
      if (e.action === 'drop') drops++
    } else if (e.kind === 'invoke') {
      invokes.set(`${e.client}/${e.opId}`, e)
      firstOp = Math.min(firstOp, e.t)
    } else if (e.kind === 'complete') {
      lastOp = Math.max(lastOp, e.t)
      if (e.status === 'ok') {
        ok++
        const inv = invokes.get(`${e.client}/${e.opId}`)
        if (inv) latencies.push(e.t - inv.t)
      } else if (e.status === 'fail') fail++
      else info++
    }
  }
  latencies.sort((a, b) => a - b)
  const fo = failovers(events)
  const span = lastOp > firstOp ? (lastOp - firstOp) / 1000 : 0
  const last = events[events.length - 1]
  return {
    events: events.length,
    durationMs: last ? round(last.t) : 0,
    elections: candidateTerms.size,
    leaders: [...leadersByTerm.values()].reduce((n, s) => n + s.size, 0),
    maxLeadersPerTerm: Math.max(0, ...[...leadersByTerm.values()].map((s) => s.size)),
    failovers: fo.length,
    failoverMsMax: fo.length ? Math.max(...fo) : 0,
    failoverMsP50: percentile(
      [...fo].sort((a, b) => a - b),
      50
    ),
    opsOk: ok,
    opsFail: fail,
    opsUnknown: info,
    opsPerSec: span > 0 ? round(ok / span) : 0,
    latencyMsP50: round(percentile(latencies, 50)),
    latencyMsP99: round(percentile(latencies, 99)),
    messages: sends,
    messagesDropped: drops,
    messagesPerOp: ok > 0 ? round(sends / ok) : 0,
    ...(historyError ? { historyError } : {})
  }
}

/** One row per second: ops completed, latency, messages, leader changes. */
export function metricsCsv(events: TraceEvent[]): string {
  interface Row {
    ok: number
    fail: number
    info: number
    lat: number[]
    sends: number
    drops: number
    elections: number
  }
  const rows: Row[] = []
  const row = (t: number): Row => {
    const s = Math.floor(t / 1000)
    while (rows.length <= s)
      rows.push({ ok: 0, fail: 0, info: 0, lat: [], sends: 0, drops: 0, elections: 0 })
    return rows[s] as Row
  }
  const invokes = new Map<string, number>()
  for (const e of events) {
    if (e.kind === 'invoke') invokes.set(`${e.client}/${e.opId}`, e.t)
    else if (e.kind === 'complete') {
      const r = row(e.t)
      if (e.status === 'ok') {
        r.ok++
        const t0 = invokes.get(`${e.client}/${e.opId}`)
        if (t0 !== undefined) r.lat.push(e.t - t0)
      } else if (e.status === 'fail') r.fail++
      else r.info++
    } else if (e.kind === 'net') {
      if (e.action === 'send') row(e.t).sends++
      if (e.action === 'drop') row(e.t).drops++
    } else if (e.kind === 'role' && e.role === 'leader') row(e.t).elections++
  }
  const lines = [
    'second,ops_ok,ops_fail,ops_unknown,latency_ms_p50,latency_ms_p99,messages,messages_dropped,leaders_elected'
  ]
  rows.forEach((r, s) => {
    const lat = r.lat.sort((a, b) => a - b)
    lines.push(
      [
        s,
        r.ok,
        r.fail,
        r.info,
        round(percentile(lat, 50)),
        round(percentile(lat, 99)),
        r.sends,
        r.drops,
        r.elections
      ].join(',')
    )
  })
  return lines.join('\n') + '\n'
}

export interface ExpectationResult {
  name: string
  ok: boolean
  message: string
}

function windowOf(
  steps: StepRecord[],
  range: [number, number],
  endT: number
): [number, number] | null {
  const start = steps[range[0] - 1]?.t
  if (start === null || start === undefined) return null
  const after = steps[range[1]]
  return [start, after?.t ?? endT]
}

/** Judge a scenario's `expect` (and that every step ran) against its trace. */
export function judge(
  expect: ScenarioExpect,
  run: RunResult,
  events: TraceEvent[],
  analysis: TraceAnalysis
): ExpectationResult[] {
  const out: ExpectationResult[] = []
  const failedSteps = run.steps.filter((s) => !s.ok)
  out.push({
    name: 'steps',
    ok: failedSteps.length === 0 && !run.stopped,
    message: run.stopped
      ? 'the run was stopped early'
      : failedSteps.length === 0
        ? `all ${run.steps.length} steps ran`
        : failedSteps.map((s) => `step ${s.index} (${s.text}): ${s.message}`).join('; ')
  })
  if (expect.safety !== undefined) {
    const bad = analysis.report.safety.filter((p) => !p.ok)
    const found = bad
      .map((p) => `${p.property}: ${p.violations[0]?.message ?? 'violated'}`)
      .join('; ')
    out.push({
      name: 'safety',
      ok: expect.safety ? bad.length === 0 : bad.length > 0,
      message: bad.length === 0 ? 'no safety property violated' : `violated: ${found}`
    })
  }
  if (expect.linearizable !== undefined) {
    const v = analysis.report.linearizable
    out.push({
      name: 'linearizable',
      ok: v === expect.linearizable,
      message:
        v === 'unknown'
          ? `could not decide${analysis.historyError ? `: ${analysis.historyError}` : ' (search budget ran out)'}`
          : v
            ? `linearizable (${analysis.report.operations} operations)`
            : `not linearizable: keys ${analysis.report.failingKeys.join(', ')}`
    })
  }
  if (expect['leader-within'] !== undefined)
    out.push(leaderWithin(expect['leader-within'], run, events))
  const nc = expect['no-commit-during']
  if (nc) out.push(noCommit(nc.steps, run, events))
  if (expect.available) out.push(availability('available', expect.available.steps, run, events))
  if (expect.unavailable)
    out.push(availability('unavailable', expect.unavailable.steps, run, events))
  return out
}

function leaderWithin(limit: number, run: RunResult, events: TraceEvent[]): ExpectationResult {
  const checkpoints = [
    { what: 'the start', t: run.startT, term: 0 },
    ...run.steps
      .filter((s) => s.disruptsLeader && s.t !== null)
      .map((s) => ({ what: `step ${s.index}`, t: s.t as number, term: s.leaderTerm }))
  ]
  const problems: string[] = []
  const found: string[] = []
  for (const [i, cp] of checkpoints.entries()) {
    // The first election may finish before the last node is up (a majority suffices): it counts.
    const e = events.find(
      (x) =>
        x.kind === 'role' && x.role === 'leader' && (i === 0 || x.t >= cp.t) && x.term > cp.term
    )
    const ms = e ? Math.max(0, round(e.t - cp.t)) : null
    if (ms === null || ms > limit)
      problems.push(
        `no new leader within ${limit} ms of ${cp.what}${ms !== null ? ` (took ${ms} ms)` : ''}`
      )
    else found.push(`${ms} ms after ${cp.what}`)
  }
  return {
    name: 'leader-within',
    ok: problems.length === 0,
    message: problems.length ? problems.join('; ') : `leader ${found.join(', ')}`
  }
}

function noCommit(
  range: [number, number],
  run: RunResult,
  events: TraceEvent[]
): ExpectationResult {
  const w = windowOf(run.steps, range, run.endT)
  if (!w) return { name: 'no-commit-during', ok: false, message: `step ${range[0]} never ran` }
  const nodes = new Set(run.rangeNodes['no-commit-during'] ?? [])
  let baseline = 0
  const bad: string[] = []
  for (const e of events) {
    if (e.kind !== 'commit') continue
    if (e.t < w[0] + RANGE_GRACE_MS) baseline = Math.max(baseline, e.commitIndex)
    else if (e.t <= w[1] && nodes.has(e.node) && e.commitIndex > baseline)
      bad.push(`${e.node} committed index ${e.commitIndex} at t=${round(e.t)}`)
  }
  return {
    name: 'no-commit-during',
    ok: bad.length === 0,
    message: bad.length
      ? bad.slice(0, 5).join('; ')
      : `nothing beyond index ${baseline} committed on ${[...nodes].join(', ')} during steps ${range[0]}–${range[1]}`
  }
}

function availability(
  name: 'available' | 'unavailable',
  range: [number, number],
  run: RunResult,
  events: TraceEvent[]
): ExpectationResult {
  const w = windowOf(run.steps, range, run.endT)
  if (!w) return { name, ok: false, message: `step ${range[0]} never ran` }
  const from = w[0] + RANGE_GRACE_MS
  const invokes = new Map<string, number>()
  let ok = 0
  let tried = 0
  for (const e of events) {
    if (e.kind === 'invoke' && e.t >= from && e.t <= w[1]) {
      invokes.set(`${e.client}/${e.opId}`, e.t)
      tried++
    } else if (
      e.kind === 'complete' &&
      e.status === 'ok' &&
      e.t <= w[1] &&
      invokes.has(`${e.client}/${e.opId}`)
    )
      ok++
  }
  const span = `during steps ${range[0]}–${range[1]} (${round(from)}–${round(w[1])} ms)`
  if (name === 'available') {
    return { name, ok: ok > 0, message: `${ok} of ${tried} operations invoked ${span} succeeded` }
  }
  return {
    name,
    ok: ok === 0 && tried > 0,
    message:
      tried === 0
        ? `no operation was tried ${span}`
        : `${ok} of ${tried} operations invoked ${span} succeeded`
  }
}
