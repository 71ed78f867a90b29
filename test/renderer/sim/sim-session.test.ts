import { describe, expect, it } from 'vitest'
import { SimSession } from '@renderer/sim/sim-session'
import {
  createSimLabApi,
  type WorkerLike,
  type WorkerReply,
  type WorkerRequest
} from '@renderer/sim/sim-lab-api'
import { Timeline } from '@renderer/model/timeline'
import { currentLeader } from '@renderer/model/cluster-state'
import type { CheckReport, LabEvent, LabStatus } from '@shared/lab-api'
import type { TraceEvent } from '@shared/trace'

function omit<T>(record: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => !keys.includes(k)))
}

/** A session whose clock only moves when the test calls tick(). */
function session() {
  const posted: LabEvent[] = []
  let intervals = 0
  const s = new SimSession((e) => posted.push(e), {
    setInterval: () => ++intervals,
    clearInterval: () => undefined
  })
  const events = (): TraceEvent[] => posted.flatMap((e) => (e.type === 'events' ? e.events : []))
  return { s, posted, events, intervals: () => intervals }
}

describe('SimSession', () => {
  it('starts a seeded cluster and elects a leader as virtual time advances', async () => {
    const { s, events, posted } = session()
    const status = (await s.handle('startCluster', {
      mode: 'sim',
      config: { nodes: 3 },
      seed: 7
    })) as LabStatus
    expect(status.running).toBe(true)
    expect(status.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3'])
    expect(posted[0]).toMatchObject({ type: 'reset', header: { source: 'sim', seed: 7 } })
    for (let i = 0; i < 40; i++) s.tick()
    const tl = new Timeline(['n1', 'n2', 'n3'])
    tl.append(events())
    expect(currentLeader(tl.live)).not.toBeNull()
    // Sampled status events carry the leader's matchIndex for the views.
    const leader = currentLeader(tl.live)!
    expect(tl.live.nodes[leader]!.matchIndex).not.toBeNull()
  })

  it('times a follower out: it campaigns in a higher term at once', async () => {
    const { s, events } = session()
    await s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed: 7 })
    for (let i = 0; i < 40; i++) s.tick()
    const tl = new Timeline(['n1', 'n2', 'n3'])
    tl.append(events())
    const leader = currentLeader(tl.live)!
    const follower = ['n1', 'n2', 'n3'].find((n) => n !== leader)!
    const term = tl.live.nodes[follower]!.currentTerm
    const before = events().length
    await s.handle('nodeAction', { node: follower, action: 'timeout' })
    const campaign = events()
      .slice(before)
      .find((e) => e.kind === 'role' && e.node === follower && e.role !== 'follower')
    expect(campaign).toBeDefined()
    expect(campaign && 'term' in campaign && campaign.term).toBeGreaterThanOrEqual(term)
  })

  it("runs a student's put and get through the simulated cluster", async () => {
    const { s, events } = session()
    await s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed: 7 })
    for (let i = 0; i < 40; i++) s.tick()
    const settle = async (p: Promise<unknown>) => {
      let done: unknown = undefined
      void p.then((r) => (done = r))
      for (let i = 0; i < 100 && done === undefined; i++) {
        s.tick()
        await Promise.resolve()
      }
      return done as { status: string; output?: { value?: string | null } }
    }
    const put = s.handle('clientOp', { input: { op: 'put', key: 'x', value: 'hello' } })
    await expect(
      s.handle('clientOp', { input: { op: 'get', key: 'x' } }),
      'one operation at a time'
    ).rejects.toThrow(/previous operation/)
    expect(await settle(put)).toMatchObject({ status: 'ok' })
    const get = await settle(s.handle('clientOp', { input: { op: 'get', key: 'x' } }))
    expect(get).toMatchObject({ status: 'ok', output: { value: 'hello' } })
    const mine = events().filter((e) => e.kind === 'invoke' && e.client === 'you')
    expect(mine).toHaveLength(2)
  })

  it('answers an operation still running when the simulation stops', async () => {
    const { s } = session()
    await s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed: 7 })
    const put = s.handle('clientOp', { input: { op: 'put', key: 'x', value: '1' } })
    await s.handle('stopCluster', {})
    expect(await put).toMatchObject({ status: 'info', error: 'the simulation stopped' })
  })

  it("checks the run with the lab's safety and linearizability checkers", async () => {
    const { s } = session()
    await expect(s.handle('check', {})).rejects.toThrow(/start a simulation first/)
    await s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed: 5 })
    await s.handle('startWorkload', {})
    for (let i = 0; i < 60; i++) s.tick()
    await s.handle('nodeAction', { node: 'n1', action: 'crash' })
    for (let i = 0; i < 30; i++) s.tick()
    const report = (await s.handle('check', {})) as CheckReport
    expect(report.safety.length).toBeGreaterThanOrEqual(5)
    expect(report.safety.filter((p) => !p.ok)).toEqual([])
    expect(report.linearizable).toBe(true)
    expect(report.operations).toBeGreaterThan(0)
    await expect(s.handle('check', { source: 'opened' })).rejects.toThrow(
      'check: no trace opened; open one with Open trace… first'
    )
  })

  it('the same seed gives the same run', async () => {
    const a = session()
    const b = session()
    for (const x of [a, b]) {
      await x.s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed: 42 })
      for (let i = 0; i < 20; i++) x.s.tick()
    }
    const strip = (es: TraceEvent[]) => es.map((e) => JSON.stringify(e))
    expect(strip(a.events())).toEqual(strip(b.events()))
    expect(a.events().length).toBeGreaterThan(10)
  })

  it('pauses, steps one event at a time, and changes speed', async () => {
    const { s, events } = session()
    await s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed: 1 })
    await s.handle('simControl', { action: 'pause' })
    const before = events().filter((e) => e.kind !== 'status').length
    s.tick()
    expect(events().filter((e) => e.kind !== 'status').length).toBe(before)
    // One step runs to the next event that shows in the trace: one simulator event's worth.
    await s.handle('simControl', { action: 'step' })
    const after = events().filter((e) => e.kind !== 'status')
    expect(after.length).toBeGreaterThan(before)
    const stepped = after.slice(before)
    expect(new Set(stepped.map((e) => e.t)).size).toBe(1)
    await s.handle('simControl', { action: 'resume', speed: 10 })
    const t0 = (s.status() as LabStatus).elapsedMs
    s.tick(50)
    expect((s.status() as LabStatus).elapsedMs - t0).toBeCloseTo(500, 0)
  })

  it('applies node and network faults and reports what it cannot do', async () => {
    const { s, events } = session()
    await s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed: 3 })
    await s.handle('nodeAction', { node: 'n2', action: 'crash' })
    await s.handle('network', { action: 'partition', groups: [['n1'], ['n2', 'n3']] })
    const kinds = events().map((e) =>
      e.kind === 'proc' || e.kind === 'fault' ? `${e.kind}:${e.action}` : ''
    )
    expect(kinds).toContain('proc:crash')
    expect(kinds).toContain('fault:partition')
    await expect(s.handle('openTrace', { path: 'runs/x/trace.jsonl' })).rejects.toThrow(
      'openTrace: simulation mode runs in the browser and cannot read runs/x/trace.jsonl; pick the file with Open trace… instead'
    )
    await expect(s.handle('nodeAction', { node: 'n9', action: 'bogus' })).rejects.toThrow(
      /nodeAction/
    )
  })
})

describe('SimSession stop and wipe', () => {
  const procs = (es: TraceEvent[], node: string) =>
    es.flatMap((e) => (e.kind === 'proc' && e.node === node ? [e.action] : []))
  const nodeStatus = (s: SimSession, id: string) => s.status().nodes.find((n) => n.id === id)

  it('stops a node gracefully: stopped, down until restarted, and its log kept', async () => {
    const { s, events } = session()
    // no-fsync: nothing is ever synced, so only a graceful stop keeps the log (a crash would not).
    await s.handle('startCluster', {
      mode: 'sim',
      config: { nodes: 3, bug: 'no-fsync' },
      seed: 3
    })
    await s.handle('startWorkload', {})
    for (let i = 0; i < 40; i++) s.tick()
    const logLength = nodeStatus(s, 'n2')!.lastLogIndex
    expect(logLength).toBeGreaterThan(0)
    const stopped = (await s.handle('nodeAction', { node: 'n2', action: 'stop' })) as LabStatus
    expect(stopped.nodes.find((n) => n.id === 'n2')).toMatchObject({
      status: 'stopped',
      role: null,
      lastLogIndex: logLength
    })
    const tl = new Timeline(['n1', 'n2', 'n3'])
    tl.append(events())
    expect(tl.live.nodes.n2!.status).toBe('stopped')
    for (let i = 0; i < 10; i++) s.tick()
    await s.handle('nodeAction', { node: 'n2', action: 'restart' })
    expect(procs(events(), 'n2')).toEqual(['start', 'stop', 'restart'])
    const recovered = events().find((e) => e.kind === 'recover' && e.node === 'n2' && e.t > 0)
    expect(recovered).toMatchObject({ lastIndex: logLength })
    expect(nodeStatus(s, 'n2')?.status).toBe('running')
  })

  it('wipes a node: crashed, its disk emptied; it restarts blank and catches up', async () => {
    const { s, events } = session()
    await s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed: 3 })
    await s.handle('startWorkload', {})
    for (let i = 0; i < 40; i++) s.tick()
    const wiped = (await s.handle('nodeAction', { node: 'n3', action: 'wipe' })) as LabStatus
    expect(wiped.nodes.find((n) => n.id === 'n3')).toMatchObject({
      status: 'crashed',
      currentTerm: 0,
      votedFor: null,
      lastLogIndex: 0
    })
    expect(procs(events(), 'n3')).toEqual(['start', 'crash', 'wipe'])
    const tl = new Timeline(['n1', 'n2', 'n3'])
    tl.append(events())
    expect(tl.live.nodes.n3).toMatchObject({ status: 'crashed', log: [], currentTerm: 0 })
    await s.handle('nodeAction', { node: 'n3', action: 'restart' })
    const recovered = events().find((e) => e.kind === 'recover' && e.node === 'n3' && e.t > 0)
    expect(recovered).toMatchObject({ currentTerm: 0, votedFor: null, lastIndex: 0 })
    for (let i = 0; i < 20; i++) s.tick()
    const caughtUp = nodeStatus(s, 'n3')!
    expect(caughtUp.status).toBe('running')
    expect(caughtUp.lastLogIndex).toBeGreaterThan(0)
  })
})

describe('SimSession opened traces', () => {
  /** The trace of a short run with a workload, exported as the lab's Export does. */
  async function exportedTrace(seed = 9): Promise<string> {
    const { s } = session()
    await s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed })
    await s.handle('startWorkload', { rate: 100 })
    for (let i = 0; i < 30; i++) s.tick()
    return ((await s.handle('exportExperiment', { kind: 'trace' })) as { text: string }).text
  }

  it('opens a trace as the lab does: a replay reset, its events, and checks of it', async () => {
    const text = await exportedTrace()
    const lines = text.trimEnd().split('\n')
    const { s, posted } = session()
    const opened = await s.handle('openTrace', { text })
    expect(opened).toEqual({ header: JSON.parse(lines[0]!), events: lines.length - 1 })
    expect(posted[0]).toEqual({ type: 'reset', header: JSON.parse(lines[0]!), replay: true })
    const replayed = posted.slice(1).flatMap((e) => {
      expect(e).toMatchObject({ type: 'events', replay: true })
      return e.type === 'events' ? e.events : []
    })
    expect(replayed).toEqual(lines.slice(1).map((l) => JSON.parse(l)))
    const report = (await s.handle('check', { source: 'opened' })) as CheckReport
    expect(report.safety.length).toBeGreaterThanOrEqual(5)
    expect(report.safety.filter((p) => !p.ok)).toEqual([])
    expect(report.linearizable).toBe(true)
    expect(report.operations).toBeGreaterThan(20)
    expect(report.summary).not.toHaveProperty('simulated ms')
  })

  it('refuses a bad trace with its line number, as the lab does, and posts nothing', async () => {
    const lines = (await exportedTrace()).trimEnd().split('\n')
    const { s, posted } = session()
    const notJson = [...lines.slice(0, 2), '{"seq":', ...lines.slice(3)].join('\n')
    await expect(s.handle('openTrace', { text: notJson })).rejects.toThrow(
      'opened trace:3: not JSON'
    )
    const badHeader = ['{"kind":"header"}', ...lines.slice(1)].join('\n')
    await expect(s.handle('openTrace', { text: badHeader })).rejects.toThrow(
      /^opened trace:1: not a Raft Lab trace header: schema: /
    )
    await expect(s.handle('openTrace', { text: '\n\n' })).rejects.toThrow(
      'opened trace: no trace header'
    )
    expect(posted).toEqual([])
    await expect(s.handle('check', { source: 'opened' })).rejects.toThrow(/no trace opened/)
  })

  it('opens a trace beside a running simulation without changing its run', async () => {
    const text = await exportedTrace(4)
    const timed = ['checking ms']
    const checked = async (s: SimSession, source: 'current' | 'opened') => {
      const report = (await s.handle('check', { source })) as CheckReport
      return { ...report, summary: omit(report.summary, timed) }
    }
    const alone = session()
    await alone.s.handle('openTrace', { text })
    const openedAlone = await checked(alone.s, 'opened')

    const runs: { events: TraceEvent[]; check: CheckReport }[] = []
    for (const open of [false, true]) {
      const { s, posted } = session()
      await s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed: 2 })
      await s.handle('startWorkload', {})
      for (let i = 0; i < 20; i++) s.tick()
      if (open) await s.handle('openTrace', { text })
      for (let i = 0; i < 20; i++) s.tick()
      expect(s.status()).toMatchObject({ running: true, config: { nodes: 3 }, elapsedMs: 2000 })
      const events = posted.flatMap((e) => (e.type === 'events' && !e.replay ? e.events : []))
      runs.push({ events, check: await checked(s, 'current') })
      if (open) expect(await checked(s, 'opened')).toEqual(openedAlone)
    }
    expect(runs[1]).toEqual(runs[0])
    expect(runs[0]!.events.length).toBeGreaterThan(100)
    expect(runs[0]!.check.operations).not.toBe(openedAlone.operations)
  })
})

describe('SimSession workload', () => {
  const invokes = (es: TraceEvent[]) => es.flatMap((e) => (e.kind === 'invoke' ? [e] : []))

  it('starts idle, as the lab does; a workload starts and stops with the settings asked for', async () => {
    const { s, events } = session()
    await s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed: 11 })
    for (let i = 0; i < 20; i++) s.tick()
    expect(invokes(events())).toEqual([])
    expect(s.status().workload).toBeNull()
    const started = (await s.handle('startWorkload', {
      clients: 2,
      rate: 40,
      keys: 1,
      mix: { put: 0, get: 1, cas: 0 }
    })) as LabStatus
    expect(started.workload).toMatchObject({ running: true })
    await expect(s.handle('startWorkload', {})).rejects.toThrow(/already running; stop it first/)
    const from = s.status().elapsedMs
    for (let i = 0; i < 20; i++) s.tick()
    // 40 ops/s for one virtual second, from the two clients, all gets of the one key (k0, as the lab names it).
    const during = invokes(events()).filter((e) => e.t >= from)
    expect(during.length).toBeGreaterThanOrEqual(34)
    expect(during.length).toBeLessThanOrEqual(42)
    expect(new Set(during.map((e) => e.client))).toEqual(new Set(['c1', 'c2']))
    expect(new Set(during.map((e) => JSON.stringify(e.input)))).toEqual(
      new Set([JSON.stringify({ op: 'get', key: 'k0' })])
    )
    expect(s.status().workload?.opsPerSec).toBeGreaterThan(20)
    const stopped = (await s.handle('stopWorkload', {})) as LabStatus
    expect(stopped.workload).toMatchObject({ running: false })
    const stoppedAt = s.status().elapsedMs
    for (let i = 0; i < 20; i++) s.tick()
    expect(invokes(events()).filter((e) => e.t > stoppedAt)).toEqual([])
  })

  it('says what is wrong with a workload it cannot run', async () => {
    const { s } = session()
    await expect(s.handle('startWorkload', {})).rejects.toThrow(/press Start first/)
    await s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed: 1 })
    await expect(s.handle('startWorkload', { mix: { put: 0, get: 0, cas: 0 } })).rejects.toThrow(
      'startWorkload: mix: at least one of put, get, cas must be above 0'
    )
    await expect(s.handle('startWorkload', { clients: 0 })).rejects.toThrow(
      /startWorkload: clients/
    )
    await expect(s.handle('startWorkload', { threads: 2 })).rejects.toThrow(/startWorkload/)
    expect(s.status().workload).toBeNull()
  })
})

describe('SimSession exports', () => {
  async function ranSession() {
    const x = session()
    await x.s.handle('startCluster', { mode: 'sim', config: { nodes: 3 }, seed: 9 })
    await x.s.handle('startWorkload', { rate: 100 })
    for (let i = 0; i < 30; i++) x.s.tick()
    return x
  }
  const exported = async (s: SimSession, kind: string) =>
    (await s.handle('exportExperiment', { kind })) as { path: null; text: string }

  it('exports the trace as `raftlab sim --trace` writes one: header, then every event', async () => {
    const { s, events } = await ranSession()
    const { path, text } = await exported(s, 'trace')
    expect(path).toBeNull()
    const lines = text.trimEnd().split('\n')
    expect(JSON.parse(lines[0]!)).toMatchObject({
      kind: 'header',
      schema: 'raftlab-trace',
      source: 'sim',
      seed: 9,
      config: { nodes: 3 }
    })
    // Every event the simulator emitted, in seq order; the sampled status events are the view's only.
    const run = events().filter((e) => e.kind !== 'status')
    expect(lines.slice(1).map((l) => JSON.parse(l))).toEqual(JSON.parse(JSON.stringify(run)))
    expect(run.length).toBeGreaterThan(100)
  })

  it('exports the history, metrics and report with the lab formatters', async () => {
    const { s } = await ranSession()
    const edn = (await exported(s, 'history-edn')).text
    expect(edn.split('\n')[0]).toMatch(/^\{:index 0, :time \d+, :type :invoke, :process 0, :f :/)
    const lincheck = (await exported(s, 'history-lincheck')).text.trimEnd().split('\n')
    expect(JSON.parse(lincheck[0]!)).toMatchObject({ kind: 'header', source: 'sim' })
    expect(lincheck.slice(1).every((l) => /"kind":"(invoke|complete)"/.test(l))).toBe(true)
    expect(lincheck.length).toBeGreaterThan(50)
    const csv = (await exported(s, 'metrics-csv')).text.split('\n')
    expect(csv[0]).toBe(
      'second,ops_ok,ops_fail,ops_unknown,latency_ms_p50,latency_ms_p99,messages,messages_dropped,leaders_elected'
    )
    expect(Number(csv[1]!.split(',')[1])).toBeGreaterThan(0)
    const html = (await exported(s, 'report-html')).text
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).toContain('seed 9')
    expect(html).toContain('class="ok">Linearizable')
  })

  it('names the kinds it can export, and needs a run', async () => {
    const empty = session()
    await expect(exported(empty.s, 'trace')).rejects.toThrow(
      'exportExperiment: start a simulation first'
    )
    const { s } = await ranSession()
    await expect(exported(s, 'folder')).rejects.toThrow(
      'exportExperiment: a simulated run has no folder; it exports as trace, history-edn, history-lincheck, report-html, metrics-csv'
    )
    await expect(
      s.handle('exportExperiment', { kind: 'trace', path: '/tmp/x.jsonl' })
    ).rejects.toThrow(/writes no files/)
    // A stopped run can still be exported.
    await s.handle('stopCluster', {})
    expect((await exported(s, 'trace')).text.length).toBeGreaterThan(1000)
  })
})

describe('SimSession scenarios', () => {
  const SCENARIO = `
name: Leader crash
cluster: { nodes: 3 }
workload: { clients: 2, rate: 40, keys: 2 }
duration: 2s
seed: 3
steps:
  - at: 500ms
    when: leader
    crash: leader
  - when: new-leader
    within: 1s
    put: { key: x, value: '1' }
expect:
  safety: true
  linearizable: true
  leader-within: 1s
`

  /** Tick until the scenario is over (at most `max` ticks). */
  function finish(s: SimSession, max = 200, realMs?: number): void {
    for (let i = 0; i < max && s.status().scenario?.running; i++) s.tick(realMs)
  }

  it('plays a scenario in virtual time with the progress, events and verdicts of the lab', async () => {
    const { s, posted, events } = session()
    const started = (await s.handle('runScenario', { text: SCENARIO })) as LabStatus
    expect(started.scenario).toEqual({ name: 'Leader crash', step: 0, steps: 2, running: true })
    expect(started.workload).toMatchObject({ running: true })
    expect(posted.find((e) => e.type === 'reset')).toMatchObject({
      header: { source: 'sim', seed: 3, scenario: 'Leader crash', config: { nodes: 3 } }
    })
    await expect(s.handle('runScenario', { text: SCENARIO })).rejects.toThrow(/already running/)
    await expect(s.handle('startCluster', {})).rejects.toThrow(/a scenario is running/)
    finish(s)
    const status = s.status()
    // The run ends with the scenario, as the lab stops its processes.
    expect(status.running).toBe(false)
    expect(status.scenario).toEqual({ name: 'Leader crash', step: 2, steps: 2, running: false })
    const tl = new Timeline(['n1', 'n2', 'n3'])
    tl.append(events())
    expect(tl.live.scenario?.ended).toBe(true)
    expect(tl.live.scenario?.expectations.map((e) => [e.text.split(':')[0], e.ok])).toEqual([
      ['steps', true],
      ['safety', true],
      ['linearizable', true],
      ['leader-within', true]
    ])
    const logs = posted.flatMap((e) => (e.type === 'log' ? [e.message] : []))
    expect(logs.at(-1)).toBe('Leader crash: PASS (simulated, seed 3)')
    // The finished run still exports, under the scenario's name.
    const { text } = (await s.handle('exportExperiment', { kind: 'trace' })) as { text: string }
    expect(JSON.parse(text.split('\n')[0]!)).toMatchObject({ scenario: 'Leader crash' })
  })

  it('replays the same trace whatever the speed it is watched at', async () => {
    const traces: string[] = []
    for (const realMs of [50, 7, 333]) {
      const { s } = session()
      await s.handle('runScenario', { text: SCENARIO })
      finish(s, 2000, realMs)
      traces.push(
        ((await s.handle('exportExperiment', { kind: 'trace' })) as { text: string }).text
      )
    }
    expect(traces[1]).toBe(traces[0])
    expect(traces[2]).toBe(traces[0])
  })

  it('stops a scenario early; its expectations are still judged, never passed unseen', async () => {
    const { s, posted } = session()
    await s.handle('runScenario', { text: SCENARIO })
    for (let i = 0; i < 5; i++) s.tick()
    const stopped = (await s.handle('stopScenario', {})) as LabStatus
    expect(stopped.running).toBe(false)
    expect(stopped.scenario?.running).toBe(false)
    const logs = posted.flatMap((e) => (e.type === 'log' ? [e.message] : []))
    expect(logs).toContain('FAIL steps: the run was stopped early')
    expect(logs.at(-1)).toBe('Leader crash: FAIL (simulated, seed 3)')
  })

  it('refuses what it cannot run, and validates as the lab does', async () => {
    const { s } = session()
    await expect(
      s.handle('runScenario', {
        text: 'name: x\ncluster: { node-command: [./my-node] }\nduration: 1s\nsteps:\n  - stop: n1\n'
      })
    ).rejects.toThrow(
      'x: cannot run in simulation mode; run it with real processes:\ncluster.node-command: the simulator runs the built-in Raft core only'
    )
    await expect(
      s.handle('runScenario', {
        text: 'name: x\nduration: 1s\nsteps:\n  - crash: leadr\n',
        path: 'labs/x.yaml'
      })
    ).rejects.toThrow('x.yaml:4: steps.0.crash: "leadr" is not valid here (did you mean "leader"?)')
    expect(await s.handle('validateScenario', { text: SCENARIO })).toEqual({
      ok: true,
      errors: [],
      name: 'Leader crash'
    })
    expect(
      await s.handle('validateScenario', { text: 'name: x\nduration: 1s\nsteps:\n  - crash: n7\n' })
    ).toMatchObject({
      ok: false,
      errors: [{ line: 4, message: expect.stringMatching(/n7 does not exist/) }]
    })
    await expect(s.handle('readScenario', { path: 'a.yaml' })).rejects.toThrow(
      /read and written by the lab engine/
    )
  })
})

describe('createSimLabApi', () => {
  it('turns LabApi calls into worker messages and back', async () => {
    let listener: ((e: MessageEvent<WorkerReply>) => void) | null = null
    const sent: WorkerRequest[] = []
    const worker: WorkerLike = {
      postMessage: (m) => sent.push(m),
      addEventListener: (_t, l) => (listener = l)
    }
    const api = createSimLabApi(worker)
    const seen: LabEvent[] = []
    api.onEvent((e) => seen.push(e))
    const reply = api.simControl({ action: 'step' })
    expect(sent).toEqual([{ id: 1, method: 'simControl', request: { action: 'step' } }])
    const deliver = (data: WorkerReply) => listener!({ data } as MessageEvent<WorkerReply>)
    deliver({ type: 'event', event: { type: 'log', level: 'info', message: 'hi' } })
    deliver({ type: 'reply', id: 1, ok: false, error: 'No simulation is running' })
    await expect(reply).rejects.toThrow('No simulation is running')
    expect(seen).toEqual([{ type: 'log', level: 'info', message: 'hi' }])
  })
})
