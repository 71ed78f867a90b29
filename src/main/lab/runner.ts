// The scenario runner: plays a parsed scenario's steps against a running
// experiment, each at its time and/or when its condition holds, and records
// every step in the trace. Expectations are judged afterwards from the trace
// (./expectations), so a run and a later `raftlab check` agree.
import type { NodeView } from '../../shared/lab-api'
import {
  type Condition,
  type Scenario,
  type ScenarioStep,
  type Selector
} from '../../shared/scenario'
import {
  disruptsLeader,
  planStep,
  pendingStepRecord,
  rangeNodesAt,
  resolveSelector,
  type ClientInput
} from '../../shared/scenario-plan'
import type { RunResult, StepRecord } from '../../shared/check/analysis'
import type { Experiment } from './experiment'

/** How often a `when` condition is looked at. */
const POLL_MS = 20
/** Operations of put/get/cas steps time out after this long. */
const STEP_OP_TIMEOUT_MS = 2000

export interface RunnerHooks {
  onStep?(step: StepRecord): void
  /** Checked between steps and while waiting: true stops the run early. */
  shouldStop?(): boolean
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export class ScenarioRunner {
  private readonly labels = new Map<string, string[]>()
  private lastLeaderTerm = 0

  constructor(
    private readonly exp: Experiment,
    private readonly scenario: Scenario,
    private readonly hooks: RunnerHooks = {}
  ) {}

  private up(v: NodeView): boolean {
    return v.status === 'running'
  }

  /** Resolve a selector to node ids, among `pool` (default: every node). */
  resolve(sel: Selector, pool?: string[]): string[] {
    return resolveSelector(
      sel,
      {
        nodes: this.exp.nodes(),
        leader: this.exp.leader()?.id ?? null,
        clusterSize: this.exp.config.nodes,
        labels: this.labels,
        rng: this.exp.rng
      },
      pool
    )
  }

  private holds(cond: Condition): boolean {
    const leader = this.exp.leader()
    if (typeof cond === 'object') return this.exp.nodes().some((v) => v.commitIndex >= cond.commit)
    switch (cond) {
      case 'leader':
        return leader !== null
      case 'no-leader':
        return leader === null
      case 'new-leader':
        return leader !== null && leader.currentTerm > this.lastLeaderTerm
      case 'caught-up':
        return (
          leader !== null &&
          this.exp
            .nodes()
            .filter((v) => this.up(v))
            .every((v) => v.lastApplied >= leader.commitIndex)
        )
    }
  }

  private async waitUntil(t: number): Promise<boolean> {
    while (this.exp.now() < t) {
      if (this.hooks.shouldStop?.()) return false
      await sleep(Math.min(POLL_MS, t - this.exp.now()))
    }
    return true
  }

  async run(): Promise<RunResult> {
    const { exp, scenario } = this
    const t0 = exp.now()
    const result: RunResult = { steps: [], rangeNodes: {}, startT: t0, endT: 0, stopped: false }
    exp.record({ kind: 'scenario', action: 'start', text: scenario.name })
    if (scenario.workload) exp.startWorkload(scenario.workload)
    for (const [i, step] of scenario.steps.entries()) {
      const index = i + 1
      const record = pendingStepRecord(step, index)
      result.steps.push(record)
      if (step.at !== undefined && !(await this.waitUntil(t0 + step.at))) {
        result.stopped = true
        break
      }
      if (step.when !== undefined) {
        const deadline =
          step.within !== undefined ? exp.now() + step.within : t0 + scenario.durationMs
        while (!this.holds(step.when) && exp.now() < deadline && !this.hooks.shouldStop?.()) {
          await sleep(POLL_MS)
        }
        if (this.hooks.shouldStop?.()) {
          result.stopped = true
          break
        }
        if (!this.holds(step.when) && step.else !== 'run') {
          record.message = `condition ${JSON.stringify(step.when)} did not hold in time`
          exp.record({
            kind: 'scenario',
            action: 'step',
            index,
            text: `${record.text}: ${record.message}`,
            ok: false
          })
          this.hooks.onStep?.(record)
          continue
        }
      }
      const leader = exp.leader()
      record.leaderTerm = leader?.currentTerm ?? 0
      record.t = exp.now()
      try {
        record.nodes = await this.execute(step, record)
        record.ok = true
        record.disruptsLeader =
          leader !== null &&
          disruptsLeader(record, leader.id, this.partitionGroups, exp.config.nodes)
      } catch (err) {
        record.message = (err as Error).message
      }
      if (step.label) this.labels.set(step.label, record.nodes)
      Object.assign(
        result.rangeNodes,
        rangeNodesAt(scenario.expect, index, (sel) => this.resolve(sel), exp.supervisor.ids())
      )
      this.lastLeaderTerm = Math.max(
        this.lastLeaderTerm,
        record.leaderTerm,
        exp.leader()?.currentTerm ?? 0
      )
      exp.record({
        kind: 'scenario',
        action: 'step',
        index,
        text: record.message ? `${record.text}: ${record.message}` : record.text,
        ok: record.ok
      })
      this.hooks.onStep?.(record)
    }
    if (!result.stopped && !(await this.waitUntil(t0 + scenario.durationMs))) result.stopped = true
    await exp.stopWorkload()
    result.endT = exp.now()
    exp.record({ kind: 'scenario', action: 'end', text: scenario.name })
    return result
  }

  private partitionGroups: string[][] = []

  private async execute(step: ScenarioStep, record: StepRecord): Promise<string[]> {
    const exp = this.exp
    const plan = planStep(step, exp.supervisor.ids(), (sel, among) => this.resolve(sel, among))
    switch (plan.kind) {
      case 'nodes':
        await Promise.all(plan.nodes.map((n) => exp.nodeAction(n, plan.action)))
        return plan.nodes
      case 'restart-all':
        await exp.supervisor.restartAll()
        return exp.supervisor.ids()
      case 'network':
        for (const cmd of plan.commands) await exp.network(cmd)
        if (plan.groups) this.partitionGroups = plan.groups
        return plan.nodes
      case 'op':
        return this.op(plan.input, plan.via, record)
      case 'wait':
        await this.waitUntil(exp.now() + plan.ms)
        return []
      case 'workload':
        if (!plan.start) await exp.stopWorkload()
        else if (this.scenario.workload) exp.startWorkload(this.scenario.workload)
        else throw new Error('workload: start needs a workload: section')
        return []
    }
  }

  /** Client steps record their outcome; a failed or timed-out operation is history, not a broken step. */
  private async op(
    input: ClientInput,
    node: string | undefined,
    record: StepRecord
  ): Promise<string[]> {
    const out = await this.exp.clientOp(input, STEP_OP_TIMEOUT_MS, node)
    record.message =
      out.status === 'ok'
        ? `ok ${JSON.stringify(out.output ?? {})}`
        : `${out.status}: ${out.error ?? ''}`
    return node ? [node] : []
  }
}
