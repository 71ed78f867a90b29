// The simulator's public surface: one seeded run (runSimulation), or the
// step-wise Simulator for a live view.
import type { PropertyResult } from '../lab-api'
import { SafetyChecker } from '../check/safety'
import { checkLinearizability, type Verdict } from '../check/linearizability'
import { historyFromTrace } from '../check/history-formats'
import { defaultClusterConfig, type ClusterConfig } from '../config'
import type { TraceEvent } from '../trace'
import { Simulator, type SimOptions, type SimStats } from './simulator'

export { Simulator, MANUAL_CLIENT } from './simulator'
export type { SimNodeState, SimNodeStatus, SimOptions, SimStats, SubmitOptions } from './simulator'
export { EventQueue } from './event-queue'
export { SimNetwork } from './network'
export { FAULT_KINDS, STAGED_FAULT_KINDS, faultSchedule, parseFaultKinds } from './faults'
export type { FaultKind, ScheduledAction, SimAction } from './faults'
export { DEFAULT_WORKLOAD, SimClient, labWorkload } from './clients'
export { SimScenarioRun, SCENARIO_CLIENT, simScenarioProblems } from './scenario-run'
export type { SimScenarioHooks, SimScenarioOutcome } from './scenario-run'
export type { WorkloadOptions } from './clients'

export interface RunOptions extends Omit<SimOptions, 'config'> {
  config?: Partial<ClusterConfig>
  /** Keep every event (for a trace file or a replay); otherwise only the client history is kept. */
  record?: boolean
  /** Check the client history for linearizability too (default true). */
  linearizability?: boolean
}

export interface RunResult {
  seed: number
  config: ClusterConfig
  stats: SimStats
  /** Only the properties that failed, with `linearizability` among them when the history is not. */
  safety: PropertyResult[]
  /** The client history's verdict; 'unknown' when the search ran out of budget, null when not checked. */
  linearizable: Verdict | null
  /** Every event when `record` was set, else the invoke/complete events (the client history). */
  events: TraceEvent[]
}

/** One seeded run to its end, checked for safety as it goes. */
export function runSimulation(options: RunOptions): RunResult {
  const config = defaultClusterConfig(options.config)
  const record = options.record ?? false
  const sim = new Simulator({ traceNetwork: record, traceTimers: record, ...options, config })
  const checker = new SafetyChecker()
  const events: TraceEvent[] = []
  sim.onEvent((event) => {
    checker.observe(event)
    if (options.record || event.kind === 'invoke' || event.kind === 'complete') events.push(event)
  })
  sim.run()
  const safety = checker.results().filter((r) => !r.ok)
  let linearizable: Verdict | null = null
  if (options.linearizability ?? true) {
    const history = historyFromTrace(
      events.filter((e) => e.kind === 'invoke' || e.kind === 'complete')
    )
    // A bounded search and a clock that never moves: the verdict depends on the history alone.
    const result = checkLinearizability(history, { maxStates: LIN_MAX_STATES, now: () => 0 })
    linearizable = result.linearizable
    if (result.linearizable === false) {
      safety.push({
        property: 'linearizability',
        ok: false,
        violations: result.failingKeys.map((key) => ({
          message: `the operations on key ${key} have no linearization (raftlab lincheck on this run's trace shows where)`,
          nodes: []
        }))
      })
    }
  }
  return { seed: options.seed, config, stats: sim.stats, safety, linearizable, events }
}

/** Per key; a short run's history stays far below it. */
const LIN_MAX_STATES = 200_000
