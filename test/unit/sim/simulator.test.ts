import { describe, expect, it } from 'vitest'
import {
  EventQueue,
  FAULT_KINDS,
  faultSchedule,
  parseFaultKinds,
  runSimulation,
  SimNetwork,
  Simulator
} from '../../../src/shared/sim'
import { defaultClusterConfig, type ClusterConfig } from '../../../src/shared/config'
import { seededRng } from '../../../src/shared/rng'
import { HEALTHY_LINK, traceEventSchema, type TraceEvent } from '../../../src/shared/trace'

const ALL = FAULT_KINDS

function events(seed: number, durationMs = 2000): TraceEvent[] {
  return runSimulation({ seed, durationMs, faults: ALL, record: true }).events
}

/** A simulation with no injected faults, and the log of every event it emits. */
function faultFreeSim(seed: number, durationMs: number, config: ClusterConfig) {
  const sim = new Simulator({ seed, durationMs, faults: [], config })
  const log: TraceEvent[] = []
  sim.onEvent((e) => log.push(e))
  return { sim, log }
}

describe('Simulator determinism', { timeout: 120_000 }, () => {
  it('gives the same trace, event for event, for the same seed', () => {
    const a = events(42)
    const b = events(42)
    expect(a.length).toBeGreaterThan(1000)
    expect(JSON.stringify(b)).toBe(JSON.stringify(a))
  })

  it('gives a different trace for another seed', () => {
    expect(JSON.stringify(events(43))).not.toBe(JSON.stringify(events(42)))
  })

  it('runs the same step by step as in one go', () => {
    const whole = events(7, 1500)
    const sim = new Simulator({
      seed: 7,
      durationMs: 1500,
      faults: ALL,
      config: defaultClusterConfig()
    })
    const stepped: TraceEvent[] = []
    sim.onEvent((e) => stepped.push(e))
    sim.runUntil(333.3)
    expect(sim.now).toBe(333.3)
    for (let i = 0; i < 500; i++) sim.step()
    sim.runUntil(1000)
    while (sim.step()) {
      /* to the end */
    }
    expect(sim.done).toBe(true)
    expect(JSON.stringify(stepped)).toBe(JSON.stringify(whole))
  })

  it('steps one trace event at a time (stepEvent) through the same run', () => {
    const whole = events(8, 300)
    const sim = new Simulator({
      seed: 8,
      durationMs: 300,
      faults: ALL,
      config: defaultClusterConfig()
    })
    const stepped: TraceEvent[] = []
    sim.onEvent((e) => stepped.push(e))
    let steps = 0
    while (sim.stepEvent()) {
      steps++
      expect(stepped.length).toBeGreaterThanOrEqual(steps)
    }
    expect(sim.stepEvent()).toBe(false)
    expect(steps).toBeGreaterThan(10)
    expect(JSON.stringify(stepped)).toBe(JSON.stringify(whole))
  })

  it('emits events that match the trace schema, in seq order, with time never going back', () => {
    const all = events(5, 1500)
    let t = 0
    all.forEach((e, i) => {
      expect(e.seq).toBe(i)
      expect(e.t).toBeGreaterThanOrEqual(t)
      t = e.t
    })
    for (const e of all) {
      const parsed = traceEventSchema.safeParse(JSON.parse(JSON.stringify(e)))
      if (!parsed.success) throw new Error(`${JSON.stringify(e)}: ${parsed.error.message}`)
    }
    const kinds = new Set(all.map((e) => e.kind))
    for (const k of [
      'role',
      'vote',
      'append',
      'persist',
      'commit',
      'apply',
      'timer',
      'recover',
      'net',
      'proc',
      'fault',
      'invoke',
      'complete'
    ]) {
      expect(kinds, k).toContain(k)
    }
  })
})

describe('Simulator behaviour', { timeout: 120_000 }, () => {
  it('elects a leader and serves clients on a healthy network', () => {
    const r = runSimulation({ seed: 1, durationMs: 3000, faults: [], record: true })
    expect(r.safety).toEqual([])
    expect(r.stats.elections).toBeGreaterThanOrEqual(1)
    expect(r.stats.opsCompleted).toBeGreaterThan(50)
    expect(r.stats.opsIndeterminate).toBe(0)
    const invoked = r.events.filter((e) => e.kind === 'invoke').length
    const completed = r.events.filter((e) => e.kind === 'complete').length
    expect(invoked - completed).toBeLessThanOrEqual(3) // one in flight per client at the end
  })

  it('restarts a node from what it synced: the recovered log ends where the last synced write did', () => {
    for (const bug of [null, 'no-fsync'] as const) {
      const r = runSimulation({
        seed: 3,
        durationMs: 4000,
        faults: ['crash'],
        record: true,
        config: { bug }
      })
      const synced = new Map<string, number>()
      let recovered = 0
      for (const e of r.events) {
        if (e.kind === 'persist' && e.synced) synced.set(e.node, e.lastIndex)
        if (e.kind === 'recover' && e.t > 0) {
          recovered++
          expect(e.lastIndex, `${bug} ${e.node} seq ${e.seq}`).toBe(synced.get(e.node) ?? 0)
        }
      }
      expect(recovered).toBeGreaterThan(0)
      if (bug === 'no-fsync') expect(synced.size).toBe(0)
    }
  })

  it('a paused node neither ticks nor receives until resumed, then gets what queued', () => {
    const { sim, log } = faultFreeSim(9, 3000, defaultClusterConfig())
    sim.runUntil(1000)
    const follower = sim.nodeStates().find((n) => n.core?.role === 'follower')?.id ?? 'none'
    sim.perform({ action: 'pause', node: follower })
    const pausedAt = log.length
    sim.runUntil(1500)
    const during = log.slice(pausedAt)
    expect(during.filter((e) => 'node' in e && e.node === follower)).toEqual([])
    expect(
      during.filter((e) => e.kind === 'net' && e.action === 'deliver' && e.to === follower)
    ).toEqual([])
    expect(
      during.filter((e) => e.kind === 'net' && e.action === 'send' && e.to === follower).length
    ).toBeGreaterThan(0)
    const resumedAt = log.length
    sim.perform({ action: 'resume', node: follower })
    sim.runUntil(1501)
    expect(
      log
        .slice(resumedAt)
        .filter((e) => e.kind === 'net' && e.action === 'deliver' && e.to === follower).length
    ).toBeGreaterThan(0)
    expect(sim.nodeStates().find((n) => n.id === follower)?.status).toBe('running')
  })

  it('a crashed node drops what arrives and comes back from disk on restart', () => {
    const { sim, log } = faultFreeSim(2, 3000, defaultClusterConfig({ nodes: 3 }))
    sim.runUntil(1000)
    sim.perform({ action: 'crash', node: 'n3' })
    expect(sim.nodeStates()[2]).toMatchObject({ id: 'n3', status: 'crashed', core: null })
    sim.runUntil(1200)
    expect(
      log.some(
        (e) => e.kind === 'net' && e.action === 'drop' && e.reason === 'node down' && e.to === 'n3'
      )
    ).toBe(true)
    sim.perform({ action: 'restart', node: 'n3' })
    sim.runUntil(2000)
    const [n1, , n3] = sim.nodeStates()
    expect(n3?.status).toBe('running')
    expect(n3?.core?.commitIndex).toBeGreaterThan(0)
    expect(n3?.kv).toEqual(n1?.kv)
  })

  it('a stopped node keeps what it wrote, synced or not; a crashed one loses what was not synced', () => {
    // no-fsync: no write is ever synced, so a crash loses the whole log.
    const { sim, log } = faultFreeSim(5, 3000, defaultClusterConfig({ nodes: 5, bug: 'no-fsync' }))
    sim.runUntil(1000)
    const [stopped, crashed] = sim
      .nodeStates()
      .filter((n) => n.core?.role === 'follower' && n.lastIndex > 0)
      .map((n) => n.id)
    if (!stopped || !crashed) throw new Error('expected two followers with entries')
    const written = sim.nodeStates().find((n) => n.id === stopped)!.lastIndex
    const from = log.length
    sim.perform({ action: 'stop', node: stopped })
    sim.perform({ action: 'crash', node: crashed })
    expect(sim.nodeStates().find((n) => n.id === stopped)).toMatchObject({
      status: 'stopped',
      core: null
    })
    expect(sim.nodeStates().find((n) => n.id === crashed)?.status).toBe('crashed')
    expect(sim.stats.crashes).toBe(1)
    // A stopped node is down like a crashed one: it receives nothing, and stopping it again does nothing.
    sim.perform({ action: 'stop', node: stopped })
    sim.runUntil(1200)
    expect(
      log.some(
        (e) =>
          e.kind === 'net' && e.action === 'drop' && e.reason === 'node down' && e.to === stopped
      )
    ).toBe(true)
    sim.perform({ action: 'restart', node: stopped })
    sim.perform({ action: 'restart', node: crashed })
    const procs = log
      .slice(from)
      .flatMap((e) => (e.kind === 'proc' || e.kind === 'recover' ? [e] : []))
      .map((e) =>
        e.kind === 'proc' ? `${e.node} ${e.action}` : `${e.node} recover ${e.lastIndex}`
      )
    expect(procs).toEqual([
      `${stopped} stop`,
      `${crashed} crash`,
      `${stopped} restart`,
      `${stopped} recover ${written}`,
      `${crashed} restart`,
      `${crashed} recover 0`
    ])
    expect(sim.nodeStates().find((n) => n.id === stopped)?.status).toBe('running')
  })

  it('wipes a node as the lab does: crashed if it was up, then its disk emptied; it comes back blank and catches up', () => {
    const { sim, log } = faultFreeSim(6, 4000, defaultClusterConfig({ nodes: 3 }))
    sim.runUntil(1000)
    const follower = sim.nodeStates().find((n) => n.core?.role === 'follower')!
    expect(follower.lastIndex).toBeGreaterThan(0)
    const from = log.length
    sim.perform({ action: 'wipe', node: follower.id })
    expect(sim.nodeStates().find((n) => n.id === follower.id)).toMatchObject({
      status: 'crashed',
      core: null,
      hardState: { currentTerm: 0, votedFor: null },
      lastIndex: 0
    })
    sim.perform({ action: 'restart', node: follower.id })
    expect(log.slice(from, from + 4)).toMatchObject([
      { kind: 'proc', node: follower.id, action: 'crash' },
      { kind: 'proc', node: follower.id, action: 'wipe' },
      { kind: 'proc', node: follower.id, action: 'restart' },
      { kind: 'recover', node: follower.id, currentTerm: 0, votedFor: null, lastIndex: 0 }
    ])
    sim.runUntil(2000)
    const leader = sim.nodeStates().find((n) => n.core?.role === 'leader')!
    const back = sim.nodeStates().find((n) => n.id === follower.id)!
    expect(back.lastIndex).toBeGreaterThan(0)
    expect(back.kv).toEqual(leader.kv)

    // A node already down is not crashed again: a stopped node stays stopped, its disk emptied.
    sim.perform({ action: 'stop', node: follower.id })
    const wipedAt = log.length
    sim.perform({ action: 'wipe', node: follower.id })
    expect(log.slice(wipedAt)).toMatchObject([{ kind: 'proc', node: follower.id, action: 'wipe' }])
    expect(sim.nodeStates().find((n) => n.id === follower.id)).toMatchObject({
      status: 'stopped',
      lastIndex: 0
    })
  })

  it('starts idle with workload null; a workload started and stopped at runtime replays exactly', () => {
    const run = () => {
      const sim = new Simulator({
        seed: 4,
        durationMs: 6000,
        faults: [],
        config: defaultClusterConfig({ nodes: 3 }),
        workload: null
      })
      const log: TraceEvent[] = []
      sim.onEvent((e) => log.push(e))
      const options = {
        clients: 2,
        keys: 2,
        mix: { put: 1, get: 0, cas: 0 },
        paceMs: 20,
        valueSize: 12
      }
      sim.runUntil(500)
      sim.startWorkload(options)
      expect(() => sim.startWorkload()).toThrow('a workload is already running: stop it first')
      sim.runUntil(1500)
      sim.stopWorkload()
      sim.runUntil(3000)
      sim.startWorkload(options)
      sim.runUntil(3500)
      sim.stopWorkload()
      sim.runUntil(5000)
      return { sim, log }
    }
    const { sim, log } = run()
    expect(sim.workloadRunning).toBe(false)
    const invokes = log.flatMap((e) => (e.kind === 'invoke' ? [e] : []))
    const inWindow = (from: number, to: number) =>
      invokes.filter((e) => e.t >= from && e.t <= to).length
    expect(inWindow(0, 500)).toBe(0)
    // Two clients paced 20 ms apart for a second: about 100 operations.
    expect(inWindow(500, 1500)).toBeGreaterThanOrEqual(90)
    expect(inWindow(500, 1500)).toBeLessThanOrEqual(102)
    expect(inWindow(1500.001, 3000)).toBe(0)
    expect(inWindow(3000, 3500)).toBeGreaterThan(40)
    expect(inWindow(3500.001, 5000)).toBe(0)
    expect(new Set(invokes.map((e) => e.client))).toEqual(new Set(['c1', 'c2']))
    for (const e of invokes) {
      expect(e.input).toMatchObject({ op: 'put', key: expect.stringMatching(/^k[12]$/) })
      expect(e.input.op === 'put' && e.input.value.length).toBe(12)
    }
    // The same clients resume: an opId is never reused, and every operation completes.
    const ids = invokes.map((e) => `${e.client}#${e.opId}`)
    expect(new Set(ids).size).toBe(ids.length)
    expect(log.filter((e) => e.kind === 'complete')).toHaveLength(invokes.length)
    expect(JSON.stringify(run().log)).toBe(JSON.stringify(log))
  })

  it('reports bad actions clearly', () => {
    const sim = new Simulator({
      seed: 1,
      durationMs: 100,
      faults: [],
      config: defaultClusterConfig({ nodes: 3 })
    })
    sim.start()
    expect(() => sim.perform({ action: 'crash', node: 'n9' })).toThrow(
      'unknown node "n9" (nodes: n1, n2, n3)'
    )
    expect(() => sim.perform({ action: 'partition', groups: [['n1'], ['x']] })).toThrow(
      'unknown node "x"'
    )
  })
})

describe('EventQueue', () => {
  it('orders by time, then by insertion', () => {
    const q = new EventQueue<string>()
    q.push(5, 'a')
    q.push(1, 'b')
    q.push(5, 'c')
    q.push(1, 'd')
    q.push(3, 'e')
    const out: string[] = []
    for (let e = q.pop(); e; e = q.pop()) out.push(e.item)
    expect(out).toEqual(['b', 'd', 'e', 'a', 'c'])
    expect(q.size).toBe(0)
  })

  it('keeps insertion order among many equal times', () => {
    const q = new EventQueue<number>()
    const rng = seededRng(1)
    const items = Array.from({ length: 500 }, (_, i) => ({ t: Math.floor(rng() * 10), i }))
    for (const { t, i } of items) q.push(t, i)
    const expected = [...items].sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.i)
    const out: number[] = []
    for (let e = q.pop(); e; e = q.pop()) out.push(e.item)
    expect(out).toEqual(expected)
  })
})

describe('SimNetwork', () => {
  const nodes = ['n1', 'n2', 'n3']
  it('cuts links between groups, keeps a bridge node connected, and heals', () => {
    const net = new SimNetwork(nodes, seededRng(1), [1, 2])
    net.partition([
      ['n1', 'n2'],
      ['n2', 'n3']
    ])
    expect(net.route('n1', 'n3')).toEqual({ drop: 'link down' })
    expect(net.route('n3', 'n1')).toEqual({ drop: 'link down' })
    expect('delays' in net.route('n1', 'n2')).toBe(true)
    expect('delays' in net.route('n3', 'n2')).toBe(true)
    net.heal()
    expect('delays' in net.route('n1', 'n3')).toBe(true)
  })

  it('heals every fault, as the lab proxy does: loss, delay and max entries too', () => {
    const net = new SimNetwork(nodes, seededRng(1), [1, 2])
    net.setLink('*', '*', { up: false, loss: 1, delayMs: 500, duplicate: 1, maxEntries: 1 })
    net.heal()
    for (const [from, to] of [
      ['n1', 'n2'],
      ['n3', 'n1']
    ] as const) {
      expect(net.link(from, to)).toEqual(HEALTHY_LINK)
      const route = net.route(from, to)
      expect('delays' in route && route.delays.length === 1 && (route.delays[0] ?? 99) <= 2).toBe(
        true
      )
    }
  })

  it('cuts one direction only', () => {
    const net = new SimNetwork(nodes, seededRng(1), [1, 2])
    net.setLink('n1', 'n2', { up: false })
    expect(net.route('n1', 'n2')).toEqual({ drop: 'link down' })
    expect('delays' in net.route('n2', 'n1')).toBe(true)
  })

  it('applies loss, delay with jitter, duplication and reordering', () => {
    const net = new SimNetwork(nodes, seededRng(1), [1, 2])
    net.setLink('*', '*', { loss: 1 })
    expect(net.route('n2', 'n3')).toEqual({ drop: 'loss' })
    net.setLink('*', '*', { loss: 0, duplicate: 1, delayMs: 50, jitterMs: 10 })
    const route = net.route('n2', 'n3')
    expect('delays' in route && route.delays.length).toBe(2)
    for (const d of 'delays' in route ? route.delays : []) {
      expect(d).toBeGreaterThanOrEqual(51)
      expect(d).toBeLessThanOrEqual(62)
    }
    net.setLink('*', '*', { duplicate: 0, delayMs: 0, jitterMs: 0, reorder: 1 })
    const held = net.route('n1', 'n2')
    expect('delays' in held && (held.delays[0] ?? 0) > 2).toBe(true)
  })

  it('isolates nodes one after another, as the lab proxy does: each cut adds to the last', () => {
    const net = new SimNetwork(nodes, seededRng(1), [1, 2])
    net.isolate('n1')
    net.isolate('n2')
    for (const [a, b] of [
      ['n1', 'n2'],
      ['n1', 'n3'],
      ['n2', 'n3']
    ] as const) {
      expect(net.route(a, b)).toEqual({ drop: 'link down' })
      expect(net.route(b, a)).toEqual({ drop: 'link down' })
    }
  })

  it('rejects an unknown node', () => {
    const net = new SimNetwork(nodes, seededRng(1), [1, 2])
    expect(() => net.setLink('n1', 'n7', { up: false })).toThrow('unknown node')
  })
})

describe('fault schedules', () => {
  it('parses fault lists and names the unknown one', () => {
    expect(parseFaultKinds('all')).toEqual([...FAULT_KINDS])
    expect(parseFaultKinds('crash, loss,crash')).toEqual(['crash', 'loss'])
    expect(parseFaultKinds('')).toEqual([])
    expect(() => parseFaultKinds('crash,partiton')).toThrow('unknown fault "partiton"')
    // Staged patterns are asked for by name; `all` is the random kinds.
    expect(parseFaultKinds('all')).not.toContain('figure8')
    expect(parseFaultKinds('all,figure8')).toEqual([...FAULT_KINDS, 'figure8'])
  })

  it('stages Figure 8 with a cast and timings drawn from the seed', () => {
    const options = {
      nodes: ['n1', 'n2', 'n3', 'n4', 'n5'],
      durationMs: 5000,
      kinds: ['figure8'] as const
    }
    const first = (seed: number) => faultSchedule(seededRng(seed), options)
    const campaigns = (seed: number) =>
      first(seed).flatMap(({ at, action }) =>
        action.action === 'campaign' ? [`${at} ${action.node}`] : []
      )
    expect(first(3)).toEqual(first(3))
    expect(new Set([1, 2, 3, 4, 5, 6].map((s) => campaigns(s).join())).size).toBe(6)
    // Elections, crashes, restarts and AppendEntries cut to one entry per message.
    const actions = new Set(first(3).map((a) => a.action.action))
    for (const a of ['campaign', 'partition', 'crash', 'restart', 'heal', 'link'])
      expect(actions).toContain(a)
    expect(
      first(3).some((a) => a.action.action === 'link' && a.action.fault.maxEntries === 1)
    ).toBe(true)
  })

  it('draws the same schedule from the same seed, sorted, with each fault undone', () => {
    const options = { nodes: ['n1', 'n2', 'n3'], durationMs: 10_000, kinds: ALL }
    const a = faultSchedule(seededRng(11), options)
    expect(faultSchedule(seededRng(11), options)).toEqual(a)
    expect(a.map((s) => s.at)).toEqual([...a.map((s) => s.at)].sort((x, y) => x - y))
    const count = (name: string) => a.filter((s) => s.action.action === name).length
    expect(count('crash')).toBe(count('restart'))
    expect(count('pause')).toBe(count('resume'))
    expect(count('crash')).toBeGreaterThan(0)
    expect(
      faultSchedule(seededRng(11), { ...options, kinds: ['pause'] }).every((s) =>
        ['pause', 'resume'].includes(s.action.action)
      )
    ).toBe(true)
  })
})
