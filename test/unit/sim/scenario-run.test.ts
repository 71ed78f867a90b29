// Scenarios played against the simulator in virtual time (src/shared/sim/scenario-run.ts):
// the built-in labs, judged by the lab's own judge(), replay exactly from their seed.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  SimScenarioRun,
  Simulator,
  simScenarioProblems,
  type SimScenarioOutcome
} from '../../../src/shared/sim'
import { parseScenario, type Scenario } from '../../../src/shared/scenario'
import type { TraceEvent } from '../../../src/shared/trace'

const BUILT_IN = join(__dirname, '../../../resources/scenarios')

function scenario(text: string): Scenario {
  const parsed = parseScenario(text)
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('; '))
  return parsed.scenario
}

function play(sc: Scenario, keep = true) {
  const sim = new Simulator({
    seed: sc.seed,
    config: sc.cluster,
    durationMs: 3_600_000,
    faults: [],
    workload: null
  })
  const events: TraceEvent[] = []
  sim.onEvent((e) => events.push(e))
  let outcome: SimScenarioOutcome | null = null
  const run = new SimScenarioRun(sim, sc, {
    events: () => (keep ? events : null),
    onEnd: (o) => (outcome = o)
  })
  run.start()
  sim.runUntil(sc.durationMs + 60_000)
  return { events, outcome: outcome as SimScenarioOutcome | null, run, sim }
}

const failed = (o: SimScenarioOutcome | null) =>
  (o?.expectations ?? []).filter((e) => !e.ok).map((e) => e.name)

describe('built-in scenarios in the simulator', { timeout: 60_000 }, () => {
  const files = readdirSync(BUILT_IN).filter((f) => f.endsWith('.yaml'))

  it('each plays to its end: the correct labs pass, the commit-old-term bug breaks safety', () => {
    expect(files.length).toBeGreaterThanOrEqual(10)
    for (const file of files) {
      const sc = scenario(readFileSync(join(BUILT_IN, file), 'utf8'))
      expect(simScenarioProblems(sc), file).toEqual([])
      const { outcome, events } = play(sc)
      expect(outcome, file).not.toBeNull()
      const steps = events.filter((e) => e.kind === 'scenario' && e.action === 'step')
      expect(steps, file).toHaveLength(sc.steps.length)
      // That failure is the lesson of 07b (its description says so).
      expect(failed(outcome), file).toEqual(sc.cluster.bug === 'commit-old-term' ? ['safety'] : [])
    }
  })
})

describe('SimScenarioRun', () => {
  const LEADER_CRASH = `
name: leader crash
cluster: { nodes: 3 }
workload: { clients: 2, rate: 40, keys: 2 }
duration: 3s
seed: 5
steps:
  - at: 500ms
    when: leader
    crash: leader
    label: old
  - when: new-leader
    within: 2s
    put: { key: x, value: '1' }
  - at: 2s
    restart: '@old'
  - get: { key: x, via: '@old' }
expect:
  safety: true
  linearizable: true
  leader-within: 1s
  available: [2, 4]
`

  it("records the lab's scenario events at virtual times and replays exactly", () => {
    const a = play(scenario(LEADER_CRASH))
    expect(a.outcome?.ok).toBe(true)
    const sc = a.events.flatMap((e) => (e.kind === 'scenario' ? [e] : []))
    expect(sc.map((e) => e.action)).toEqual([
      'start',
      'step',
      'step',
      'step',
      'step',
      'end',
      'expect',
      'expect',
      'expect',
      'expect',
      'expect'
    ])
    expect(sc[1]!.t).toBeGreaterThanOrEqual(500)
    expect(sc[3]!.t).toBe(2000)
    expect(sc[4]).toMatchObject({
      ok: true,
      text: expect.stringMatching(/^get .*: ok \{"value":"1"\}$/)
    })
    expect(sc[5]!.t).toBe(3000)
    // The run ends with the scenario: nothing after its verdicts.
    expect(a.events.at(-1)).toMatchObject({ kind: 'scenario', action: 'expect' })
    expect(a.sim.done).toBe(true)
    expect(JSON.stringify(play(scenario(LEADER_CRASH)).events)).toBe(JSON.stringify(a.events))
  })

  it('fails a step whose condition does not hold in time, and the steps expectation with it', () => {
    const { outcome, events } = play(
      scenario(`
name: never leaderless
cluster: { nodes: 3 }
duration: 1500ms
steps:
  - at: 1s
    when: no-leader
    within: 200ms
    crash: n1
expect: { safety: true }
`)
    )
    expect(failed(outcome)).toEqual(['steps'])
    expect(outcome?.expectations[0]?.message).toMatch(/condition "no-leader" did not hold in time/)
    expect(events.some((e) => e.kind === 'proc' && e.action === 'crash')).toBe(false)
  })

  it('stops early on request: still judged, and the steps expectation says it was stopped', () => {
    const sc = scenario(LEADER_CRASH)
    const sim = new Simulator({
      seed: 5,
      config: sc.cluster,
      durationMs: 60_000,
      faults: [],
      workload: null
    })
    const events: TraceEvent[] = []
    sim.onEvent((e) => events.push(e))
    let outcome: SimScenarioOutcome | null = null
    const run = new SimScenarioRun(sim, sc, { events: () => events, onEnd: (o) => (outcome = o) })
    run.start()
    sim.runUntil(1000)
    run.stop()
    expect(run.done).toBe(true)
    expect(sim.workloadRunning).toBe(false)
    expect(outcome!.expectations[0]).toMatchObject({
      name: 'steps',
      ok: false,
      message: 'the run was stopped early'
    })
    const before = events.length
    sim.runUntil(5000)
    expect(events.length).toBe(before)
  })

  it('never passes what it could not judge', () => {
    const { outcome } = play(scenario(LEADER_CRASH), false)
    expect(outcome?.expectations.map((e) => [e.name, e.ok])).toEqual([
      ['steps', false],
      ['safety', false],
      ['linearizable', false],
      ['leader-within', false],
      ['available', false]
    ])
    expect(outcome?.expectations[1]?.message).toMatch(/^not judged/)
  })

  it('stops and wipes nodes as the lab does; `crashed` selects a stopped node too', () => {
    const { outcome, events, sim } = play(
      scenario(`
name: stop and wipe
cluster: { nodes: 3 }
workload: { clients: 2, rate: 40, keys: 2 }
duration: 3s
seed: 4
steps:
  - at: 500ms
    when: leader
    stop: follower
    label: stopped
  - at: 1s
    restart: crashed
  - at: 1500ms
    wipe: '@stopped'
  - at: 2s
    restart: crashed
expect:
  safety: true
  linearizable: true
`)
    )
    expect(outcome?.ok).toBe(true)
    const stopped = events.find((e) => e.kind === 'proc' && e.action === 'stop')
    const node = stopped && 'node' in stopped ? stopped.node : 'none'
    const procs = events.flatMap((e) =>
      e.kind === 'proc' && e.node === node && e.t > 0 ? [e.action] : []
    )
    expect(procs).toEqual(['stop', 'restart', 'crash', 'wipe', 'restart'])
    const recoveries = events.flatMap((e) =>
      e.kind === 'recover' && e.node === node && e.t > 0 ? [e.lastIndex] : []
    )
    expect(recoveries[0]).toBeGreaterThan(0)
    expect(recoveries[1]).toBe(0)
    expect(sim.nodeStates().find((n) => n.id === node)?.status).toBe('running')
  })

  it('names what the simulator cannot play', () => {
    const sc = scenario(`
name: own node
cluster: { nodes: 3, node-command: [./my-node] }
duration: 1s
steps:
  - stop: n1
  - wipe: n2
`)
    expect(simScenarioProblems(sc)).toEqual([
      'cluster.node-command: the simulator runs the built-in Raft core only'
    ])
  })
})
