// Run a scenario end to end: start the experiment, play the steps, stop,
// read the trace back and judge the expectations. Used by `raftlab run` and by
// the LabApi's runScenario.
import { existsSync, readdirSync } from 'node:fs'
import type { Scenario } from '../../shared/scenario'
import {
  analyzeTrace,
  judge,
  type ExpectationResult,
  type RunResult,
  type StepRecord,
  type TraceAnalysis
} from '../../shared/check/analysis'
import { Experiment } from './experiment'
import { ScenarioRunner } from './runner'
import { loadTrace } from './trace-file'

export interface ScenarioOutcome {
  ok: boolean
  out: string
  expectations: ExpectationResult[]
  run: RunResult
  analysis: TraceAnalysis
}

export interface RunScenarioOptions {
  scenario: Scenario
  out: string
  nodeEntry?: string
  versions?: Record<string, string>
  onStep?(step: StepRecord): void
  /** See ExperimentOptions.onCreated. */
  onCreated?(exp: Experiment): void
  onStarted?(exp: Experiment): void
  shouldStop?(): boolean
}

export async function runScenario(opts: RunScenarioOptions): Promise<ScenarioOutcome> {
  if (existsSync(opts.out) && readdirSync(opts.out).length > 0) {
    throw new Error(`${opts.out} is not empty: an experiment folder must be new`)
  }
  const exp = await Experiment.start({
    dir: opts.out,
    config: opts.scenario.cluster,
    seed: opts.scenario.seed,
    scenario: opts.scenario.name,
    nodeEntry: opts.nodeEntry,
    versions: opts.versions,
    onCreated: opts.onCreated
  })
  let run: RunResult
  try {
    opts.onStarted?.(exp)
    run = await new ScenarioRunner(exp, opts.scenario, {
      onStep: opts.onStep,
      shouldStop: opts.shouldStop
    }).run()
    await exp.stopProcesses()
    const trace = await loadTrace(opts.out)
    if (trace.problems.length > 0) {
      throw new Error(`the recorded trace is unreadable: ${trace.problems[0]?.message ?? ''}`)
    }
    const analysis = analyzeTrace(trace.events)
    const expectations = judge(opts.scenario.expect, run, trace.events, analysis)
    // The verdicts go into the trace too, so a replay shows them.
    for (const e of expectations) {
      exp.record({ kind: 'scenario', action: 'expect', text: `${e.name}: ${e.message}`, ok: e.ok })
    }
    return { ok: expectations.every((e) => e.ok), out: opts.out, expectations, run, analysis }
  } finally {
    await exp.stop()
  }
}
