import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { useClusterStore } from '@renderer/stores/cluster'
import { useReplayStore } from '@renderer/stores/replay'
import { useSettingsStore } from '@renderer/stores/settings'
import type { TraceHeader } from '@shared/trace'
import { defaultClusterConfig } from '@shared/config'
import { createFakeApi } from '../fake-api'
import { idleStatus } from '../../stubs/fake-lab-backend'
import { eventBuilder, put } from '../events'

function header(nodes: number): TraceHeader {
  return {
    kind: 'header',
    schema: 'raftlab-trace',
    version: 1,
    started: '2026-01-01T00:00:00Z',
    source: 'lab',
    config: defaultClusterConfig({ nodes }),
    seed: null,
    scenario: null,
    versions: {}
  }
}

/** Collects scheduled refreshes so a test decides when a frame happens. */
function manualFrames(): { scheduler: (cb: () => void) => void; run: () => number } {
  let pending: (() => void)[] = []
  return {
    scheduler: (cb) => pending.push(cb),
    run: () => {
      const n = pending.length
      pending.forEach((cb) => cb())
      pending = []
      return n
    }
  }
}

describe('cluster store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('folds event batches into the timeline, one refresh per frame', async () => {
    const fake = createFakeApi()
    const frames = manualFrames()
    const cluster = useClusterStore()
    cluster.connect({ real: fake.api, sim: null }, { scheduler: frames.scheduler })
    expect(fake.listeners).toBe(1)
    fake.emit({ type: 'reset', header: header(3), replay: false })
    expect(cluster.timeline.live.nodeIds).toEqual(['n1', 'n2', 'n3'])
    const ev = eventBuilder()
    const before = cluster.version
    fake.emit({
      type: 'events',
      replay: false,
      events: [ev(1, { kind: 'role', node: 'n2', role: 'leader', term: 1, leader: 'n2' })]
    })
    fake.emit({
      type: 'events',
      replay: false,
      events: [ev(2, { kind: 'append', node: 'n2', entries: [put(1, 1, 'a', '1')] })]
    })
    expect(cluster.version).toBe(before)
    expect(frames.run()).toBe(1)
    expect(cluster.version).toBe(before + 1)
    expect(cluster.received).toBe(2)
    const replay = useReplayStore()
    expect(replay.frame.live).toBe(true)
    expect(replay.frame.state.nodes.n2!.role).toBe('leader')
    expect(replay.frame.state.nodes.n2!.log).toHaveLength(1)
  })

  it('keeps status snapshots and the status a command returns', async () => {
    const fake = createFakeApi()
    const cluster = useClusterStore()
    cluster.connect({ real: fake.api, sim: null })
    fake.emit({ type: 'status', status: idleStatus({ elapsedMs: 1234 }) })
    expect(cluster.status?.elapsedMs).toBe(1234)
    await cluster.call('startCluster', { mode: 'real', config: { nodes: 5 } })
    expect(cluster.running).toBe(true)
    expect(fake.calls.map((c) => c.name)).toEqual(['getStatus', 'startCluster'])
    expect(fake.calls[1]!.request).toEqual({ mode: 'real', config: { nodes: 5 } })
  })

  it('shows a failed command as an error instead of throwing', async () => {
    const fake = createFakeApi({ nodeAction: new Error('nodeAction: node: unknown node "n9"') })
    const cluster = useClusterStore()
    cluster.connect({ real: fake.api, sim: null })
    const r = await cluster.call('nodeAction', { node: 'n9', action: 'crash' })
    expect(r).toBeNull()
    expect(cluster.error).toBe('nodeAction: node: unknown node "n9"')
  })

  it('switches to the simulator: stops the running cluster and listens to the other api', async () => {
    const real = createFakeApi()
    const sim = createFakeApi()
    let created = 0
    const cluster = useClusterStore()
    cluster.connect({
      real: real.api,
      sim: () => {
        created += 1
        return sim.api
      }
    })
    await cluster.call('startCluster', {})
    await cluster.setMode('sim')
    expect(created).toBe(1)
    expect(real.calls.map((c) => c.name)).toContain('stopCluster')
    expect(real.listeners).toBe(0)
    expect(sim.listeners).toBe(1)
    await cluster.call('simControl', { action: 'step' })
    expect(sim.calls.map((c) => c.name)).toEqual(['getStatus', 'simControl'])
  })

  it('in simulation mode, scenario files still come from the real lab; runs go to the simulator', async () => {
    const list = [{ id: 'a', name: 'A', description: '', path: '/labs/a.yaml' }]
    const real = createFakeApi({ listScenarios: list })
    const sim = createFakeApi()
    const cluster = useClusterStore()
    cluster.connect({ real: real.api, sim: () => sim.api })
    await cluster.setMode('sim')
    expect(await cluster.call('listScenarios', {})).toEqual(list)
    await cluster.call('readScenario', { path: '/labs/a.yaml' })
    await cluster.call('saveScenario', { path: '/labs/a.yaml', text: 'name: a' })
    await cluster.call('validateScenario', { text: 'name: a' })
    await cluster.call('runScenario', { text: 'name: a' })
    await cluster.call('exportExperiment', { kind: 'trace' })
    expect(real.calls.map((c) => c.name)).toEqual([
      'getStatus',
      'listScenarios',
      'readScenario',
      'saveScenario',
      'validateScenario'
    ])
    expect(sim.calls.map((c) => c.name)).toEqual(['getStatus', 'runScenario', 'exportExperiment'])
  })

  it('in simulation mode without a real lab, the simulator answers for scenarios', async () => {
    const sim = createFakeApi({ listScenarios: [] })
    const cluster = useClusterStore()
    cluster.connect({ real: null, sim: () => sim.api })
    expect(await cluster.call('listScenarios', {})).toEqual([])
    expect(sim.calls.map((c) => c.name)).toEqual(['getStatus', 'listScenarios'])
  })

  it('says so when the simulator cannot start', async () => {
    const real = createFakeApi()
    const cluster = useClusterStore()
    cluster.connect({
      real: real.api,
      sim: () => {
        throw new Error('workers are not allowed here')
      }
    })
    await cluster.setMode('sim')
    expect(cluster.error).toBe('Simulation mode could not start: workers are not allowed here')
    expect(await cluster.call('simControl', { action: 'step' })).toBeNull()
    expect(cluster.error).toBe('The simulator is not available.')
  })

  it('an opened trace is shown beside the live experiment, which keeps folding', () => {
    const fake = createFakeApi()
    const cluster = useClusterStore()
    cluster.connect({ real: fake.api, sim: null }, { scheduler: (cb) => cb() })
    const ev = eventBuilder()
    fake.emit({ type: 'reset', header: header(3), replay: false })
    fake.emit({
      type: 'events',
      replay: false,
      events: [ev(1, { kind: 'timer', node: 'n1', ms: 5 })]
    })
    fake.emit({ type: 'reset', header: header(5), replay: true })
    fake.emit({
      type: 'events',
      replay: true,
      events: [ev(1, { kind: 'timer', node: 'n4', ms: 9 })]
    })
    expect(cluster.opened).toBe(true)
    expect(cluster.header?.config.nodes).toBe(5)
    expect(cluster.timeline.live.nodes.n4!.timer).toEqual({ setAt: 1, ms: 9 })
    // Live batches keep going to the live experiment while the opened trace is on show.
    fake.emit({
      type: 'events',
      replay: false,
      events: [ev(2, { kind: 'timer', node: 'n2', ms: 7 })]
    })
    expect(cluster.timeline.live.nodes.n2!.timer).toBeNull()
    cluster.showLive()
    expect(cluster.header?.config.nodes).toBe(3)
    expect(cluster.timeline.live.nodes.n2!.timer).toEqual({ setAt: 2, ms: 7 })
    expect(cluster.timeline.size).toBe(2)
    cluster.showOpened()
    expect(cluster.timeline.live.nodeIds).toHaveLength(5)
  })
})

describe('replay store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('shows the state at the chosen instant and follows the tail again', () => {
    const fake = createFakeApi()
    const cluster = useClusterStore()
    cluster.connect({ real: fake.api, sim: null }, { scheduler: (cb) => cb() })
    const ev = eventBuilder()
    fake.emit({
      type: 'events',
      replay: false,
      events: [1, 2, 3].map((i) =>
        ev(i * 100, { kind: 'append', node: 'n1', entries: [put(i, 1, 'k', `${i}`)] })
      )
    })
    const replay = useReplayStore()
    replay.seek(250)
    expect(replay.frame.live).toBe(false)
    expect(replay.frame.t).toBe(250)
    expect(replay.frame.state.nodes.n1!.log).toHaveLength(2)
    replay.stepBy(-1000)
    expect(replay.frame.t).toBe(100)
    expect(replay.frame.state.nodes.n1!.log).toHaveLength(1)
    replay.follow()
    expect(replay.frame.state.nodes.n1!.log).toHaveLength(3)
  })
})

describe('settings store', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it('toggles the theme and remembers it', async () => {
    const settings = useSettingsStore()
    const first = settings.theme
    settings.toggleTheme()
    expect(settings.theme).not.toBe(first)
    await Promise.resolve()
    await new Promise((r) => setTimeout(r, 0))
    setActivePinia(createPinia())
    expect(useSettingsStore().theme).toBe(settings.theme)
  })
})
