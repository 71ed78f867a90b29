// The simulator's public surface: one seeded run (runSimulation), or the
// step-wise Simulator for a live view.
import type { PropertyResult } from '../lab-api'
import { SafetyChecker } from '../check/safety'
import { defaultClusterConfig, type ClusterConfig } from '../config'
import type { TraceEvent } from '../trace'
import { Simulator, type SimOptions, type SimStats } from './simulator'

export { Simulator } from './simulator'
export type { SimNodeState, SimNodeStatus, SimOptions, SimStats } from './simulator'
export { EventQueue } from './event-queue'
export { SimNetwork, HEALTHY_LINK } from './network'
export { FAULT_KINDS, faultSchedule, parseFaultKinds } from './faults'
export type { FaultKind, ScheduledAction, SimAction } from './faults'
export { DEFAULT_WORKLOAD, SimClient } from './clients'
export type { WorkloadOptions } from './clients'

export interface RunOptions extends Omit<SimOptions, 'config'> {
  config?: Partial<ClusterConfig>
  /** Keep every event (for a trace file or a replay); otherwise only the client history is kept. */
  record?: boolean
}

export interface RunResult {
  seed: number
  config: ClusterConfig
  stats: SimStats
  /** Only the properties that failed. */
  safety: PropertyResult[]
  /** Every event when `record` was set, else the invoke/complete events (the client history). */
  events: TraceEvent[]
}

/** One seeded run to its end, checked for safety as it goes. */
export function runSimulation(options: RunOptions): RunResult {
  const config = defaultClusterConfig(options.config)
  const sim = new Simulator({ traceNetwork: options.record ?? false, ...options, config })
  const checker = new SafetyChecker()
  const events: TraceEvent[] = []
  sim.onEvent((event) => {
    checker.observe(event)
    if (options.record || event.kind === 'invoke' || event.kind === 'complete') events.push(event)
  })
  sim.run()
  return {
    seed: options.seed,
    config,
    stats: sim.stats,
    safety: checker.results().filter((r) => !r.ok),
    events
  }
}
