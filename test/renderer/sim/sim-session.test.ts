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
    for (let i = 0; i < 60; i++) s.tick()
    await s.handle('nodeAction', { node: 'n1', action: 'crash' })
    for (let i = 0; i < 30; i++) s.tick()
    const report = (await s.handle('check', {})) as CheckReport
    expect(report.safety.length).toBeGreaterThanOrEqual(5)
    expect(report.safety.filter((p) => !p.ok)).toEqual([])
    expect(report.linearizable).toBe(true)
    expect(report.operations).toBeGreaterThan(0)
    await expect(s.handle('check', { source: 'opened' })).rejects.toThrow(/real processes/)
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
    await expect(s.handle('startWorkload', {})).rejects.toThrow(/not available in simulation mode/)
    await expect(s.handle('nodeAction', { node: 'n9', action: 'bogus' })).rejects.toThrow(
      /nodeAction/
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
