// A scenario played against the simulator in virtual time: the steps of
// src/main/lab/runner.ts (the same selectors, conditions, labels and step
// records), each scheduled among the simulator's own events, so a scenario and
// its seed replay exactly whatever the speed it is watched at. Expectations are
// judged from the run's events with the lab's judge().
import {
  analyzeTrace,
  judge,
  type ExpectationResult,
  type RunResult,
  type StepRecord
} from '../check/analysis'
import type { Rng } from '../raft/types'
import { seededRng } from '../rng'
import { type Condition, type Scenario, type ScenarioStep, type Selector } from '../scenario'
import {
  disruptsLeader,
  pendingStepRecord,
  planStep,
  rangeNodesAt,
  resolveSelector,
  type ClientInput
} from '../scenario-plan'
import type { TraceEvent } from '../trace'
import { labWorkload } from './clients'
import type { SimNodeState, Simulator } from './simulator'

/** How often a `when` condition is looked at (virtual ms), as the lab's runner polls. */
const POLL_MS = 20
/** Operations of put/get/cas steps time out after this long, as in the lab. */
const STEP_OP_TIMEOUT_MS = 2000
/** The client that sends a scenario's put/get/cas (the student's `you` stays theirs). */
export const SCENARIO_CLIENT = 'scenario'

export interface SimScenarioOutcome {
  ok: boolean
  expectations: ExpectationResult[]
  run: RunResult
}

export interface SimScenarioHooks {
  /** Every event of the run so far, for judging at the end; null when they were not all kept. */
  events(): readonly TraceEvent[] | null
  onStep?(step: StepRecord): void
  onEnd?(outcome: SimScenarioOutcome): void
}

/** Why a scenario cannot run in the simulator, one line per reason; empty when it can. */
export function simScenarioProblems(scenario: Scenario): string[] {
  return scenario.cluster.nodeCommand === null
    ? []
    : ['cluster.node-command: the simulator runs the built-in Raft core only']
}

export class SimScenarioRun {
  private readonly labels = new Map<string, string[]>()
  private readonly rng: Rng
  private readonly result: RunResult
  private lastLeaderTerm = 0
  private partitionGroups: string[][] = []
  private t0 = 0
  private next = 0
  private finished = false
  /** The put/get/cas step waiting for its operation to complete. */
  private waitingOp: { opId: number; record: StepRecord } | null = null

  constructor(
    private readonly sim: Simulator,
    private readonly scenario: Scenario,
    private readonly hooks: SimScenarioHooks
  ) {
    // Selectors such as `random` draw from the scenario's seed, as the lab's runner does.
    this.rng = seededRng(scenario.seed)
    this.result = { steps: [], rangeNodes: {}, startT: 0, endT: 0, stopped: false }
  }

  get done(): boolean {
    return this.finished
  }

  /** The step running (1-based; 0 before the first) and the number of steps. */
  get step(): number {
    return this.next
  }

  start(): void {
    const { sim, scenario } = this
    sim.start()
    this.t0 = sim.now
    this.result.startT = this.t0
    sim.onEvent((e) => this.observe(e))
    sim.record({ kind: 'scenario', action: 'start', text: scenario.name })
    if (scenario.workload) sim.startWorkload(labWorkload(scenario.workload))
    sim.schedule(this.t0, () => this.runStep())
  }

  /** End the run early (stopScenario): the step in progress does not finish; expectations are still judged. */
  stop(): void {
    if (this.finished) return
    this.result.stopped = true
    this.finish()
  }

  // ---- Steps, one after another in virtual time ----

  private runStep(): void {
    if (this.finished) return
    const step = this.scenario.steps[this.next]
    if (!step) {
      this.sim.schedule(this.t0 + this.scenario.durationMs, () => this.finish())
      return
    }
    this.next++
    const record = pendingStepRecord(step, this.next)
    this.result.steps.push(record)
    const at = step.at !== undefined ? this.t0 + step.at : this.sim.now
    this.sim.schedule(at, () => this.whenReady(step, record, null))
  }

  /** Wait for the step's condition, polling as the lab does, then act (or fail the step). */
  private whenReady(step: ScenarioStep, record: StepRecord, deadline: number | null): void {
    if (this.finished) return
    const when = step.when
    if (when !== undefined && !this.holds(when)) {
      const until =
        deadline ??
        (step.within !== undefined
          ? this.sim.now + step.within
          : this.t0 + this.scenario.durationMs)
      if (this.sim.now < until) {
        const poll = Math.min(this.sim.now + POLL_MS, until)
        this.sim.schedule(poll, () => this.whenReady(step, record, until))
        return
      }
      if (step.else !== 'run') {
        record.message = `condition ${JSON.stringify(when)} did not hold in time`
        this.sim.record({
          kind: 'scenario',
          action: 'step',
          index: record.index,
          text: `${record.text}: ${record.message}`,
          ok: false
        })
        this.hooks.onStep?.(record)
        this.runStep()
        return
      }
    }
    this.act(step, record)
  }

  private act(step: ScenarioStep, record: StepRecord): void {
    const leader = this.leader()
    record.leaderTerm = leader?.core?.currentTerm ?? 0
    record.t = this.sim.now
    try {
      const outcome = this.execute(step, record)
      if (outcome === 'pending') return
      record.nodes = outcome
      record.ok = true
      record.disruptsLeader =
        leader !== null &&
        disruptsLeader(record, leader.id, this.partitionGroups, this.scenario.cluster.nodes)
    } catch (err) {
      record.message = (err as Error).message
    }
    this.stepDone(step, record)
  }

  /** Book-keeping after a step's action, as the lab's runner does, then the next step. */
  private stepDone(step: ScenarioStep, record: StepRecord): void {
    if (step.label) this.labels.set(step.label, record.nodes)
    Object.assign(
      this.result.rangeNodes,
      rangeNodesAt(this.scenario.expect, record.index, (sel) => this.resolve(sel), [
        ...this.sim.nodeIds
      ])
    )
    this.lastLeaderTerm = Math.max(
      this.lastLeaderTerm,
      record.leaderTerm,
      this.leader()?.core?.currentTerm ?? 0
    )
    this.sim.record({
      kind: 'scenario',
      action: 'step',
      index: record.index,
      text: record.message ? `${record.text}: ${record.message}` : record.text,
      ok: record.ok
    })
    this.hooks.onStep?.(record)
    this.runStep()
  }

  private finish(): void {
    if (this.finished) return
    this.finished = true
    const { sim, scenario } = this
    sim.stopWorkload()
    this.result.endT = sim.now
    sim.record({ kind: 'scenario', action: 'end', text: scenario.name })
    const kept = this.hooks.events()
    const events = kept && [...kept]
    const expectations = events
      ? judge(scenario.expect, this.result, events, analyzeTrace(events))
      : ['steps', ...Object.keys(scenario.expect)].map((name) => ({
          name,
          ok: false,
          message: 'not judged: the run has more events than simulation mode keeps'
        }))
    // The verdicts go into the trace too, so a replay shows them.
    for (const e of expectations)
      sim.record({ kind: 'scenario', action: 'expect', text: `${e.name}: ${e.message}`, ok: e.ok })
    sim.halt()
    this.hooks.onEnd?.({ ok: expectations.every((e) => e.ok), expectations, run: this.result })
  }

  private observe(e: TraceEvent): void {
    const waiting = this.waitingOp
    if (!waiting || e.kind !== 'complete' || e.client !== SCENARIO_CLIENT) return
    if (e.opId !== waiting.opId) return
    this.waitingOp = null
    const record = waiting.record
    record.ok = true
    // A failed or timed-out operation is history, not a broken step.
    record.message =
      e.status === 'ok' ? `ok ${JSON.stringify(e.output ?? {})}` : `${e.status}: ${e.error ?? ''}`
    const step = this.scenario.steps[record.index - 1] as ScenarioStep
    // Not from inside the simulator's emit: the next step runs as its own event.
    this.sim.schedule(this.sim.now, () => {
      if (!this.finished) this.stepDone(step, record)
    })
  }

  // ---- The cluster as the lab's runner sees it ----

  private states(pool?: string[]): SimNodeState[] {
    return this.sim.nodeStates().filter((n) => !pool || pool.includes(n.id))
  }

  /** The running node that leads the highest term, if any. */
  private leader(): SimNodeState | null {
    let best: SimNodeState | null = null
    for (const n of this.sim.nodeStates()) {
      if (n.status !== 'running' || n.core?.role !== 'leader') continue
      if (!best || n.core.currentTerm > (best.core?.currentTerm ?? 0)) best = n
    }
    return best
  }

  /** Resolve a selector to node ids, among `pool` (default: every node). */
  private resolve(sel: Selector, pool?: string[]): string[] {
    return resolveSelector(
      sel,
      {
        nodes: this.sim.nodeStates(),
        leader: this.leader()?.id ?? null,
        clusterSize: this.scenario.cluster.nodes,
        labels: this.labels,
        rng: this.rng
      },
      pool
    )
  }

  private holds(cond: Condition): boolean {
    const leader = this.leader()
    if (typeof cond === 'object')
      return this.sim.nodeStates().some((s) => (s.core?.commitIndex ?? 0) >= cond.commit)
    switch (cond) {
      case 'leader':
        return leader !== null
      case 'no-leader':
        return leader === null
      case 'new-leader':
        return leader !== null && (leader.core?.currentTerm ?? 0) > this.lastLeaderTerm
      case 'caught-up': {
        const commit = leader?.core?.commitIndex
        return (
          commit !== undefined &&
          this.sim
            .nodeStates()
            .filter((s) => s.status === 'running')
            .every((s) => (s.core?.lastApplied ?? 0) >= commit)
        )
      }
    }
  }

  /** The step's action; its nodes, or 'pending' for an operation that completes later. */
  private execute(step: ScenarioStep, record: StepRecord): string[] | 'pending' {
    const sim = this.sim
    const plan = planStep(step, sim.nodeIds, (sel, among) => this.resolve(sel, among))
    switch (plan.kind) {
      case 'nodes':
        for (const node of plan.nodes)
          sim.perform(
            plan.action === 'timeout' ? { action: 'campaign', node } : { action: plan.action, node }
          )
        return plan.nodes
      case 'restart-all':
        // As the lab's supervisor: every node killed, then every node started from its disk.
        for (const node of sim.nodeIds) sim.perform({ action: 'crash', node })
        for (const node of sim.nodeIds) sim.perform({ action: 'restart', node })
        return [...sim.nodeIds]
      case 'network':
        for (const cmd of plan.commands) sim.perform(cmd)
        if (plan.groups) this.partitionGroups = plan.groups
        return plan.nodes
      case 'op':
        return this.op(plan.input, plan.via, record)
      case 'wait':
        record.ok = true
        sim.schedule(sim.now + plan.ms, () => {
          if (!this.finished) this.stepDone(step, record)
        })
        return 'pending'
      case 'workload':
        if (!plan.start) sim.stopWorkload()
        else if (!this.scenario.workload)
          throw new Error('workload: start needs a workload: section')
        else if (!sim.workloadRunning) sim.startWorkload(labWorkload(this.scenario.workload))
        return []
    }
  }

  private op(input: ClientInput, node: string | undefined, record: StepRecord): 'pending' {
    const opId = this.sim.submit(input, {
      client: SCENARIO_CLIENT,
      via: node,
      timeoutMs: STEP_OP_TIMEOUT_MS
    })
    // Steps run one at a time, so the scenario's client is always free here.
    this.waitingOp = { opId: opId as number, record }
    record.nodes = node ? [node] : []
    return 'pending'
  }
}
