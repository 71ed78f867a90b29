// A trace exported from simulation mode is a trace the CLI reads: `raftlab check`
// and `raftlab grade` load it with trace-file.ts and judge it with the same checkers.
import { describe, expect, it } from 'vitest'
import { SimSession } from '../../../src/renderer/src/sim/sim-session'
import { loadTraceText } from '../../../src/main/lab/trace-file'
import { checkSafety } from '../../../src/shared/check/safety'
import { analyzeTrace } from '../../../src/shared/check/analysis'

describe('a trace exported in simulation mode', () => {
  it('parses with the CLI trace reader and passes the safety and linearizability checks', async () => {
    const s = new SimSession(() => undefined, {
      setInterval: () => 0,
      clearInterval: () => undefined
    })
    await s.handle('startCluster', { mode: 'sim', config: { nodes: 5 }, seed: 21 })
    await s.handle('startWorkload', { rate: 200, clients: 4 })
    for (let i = 0; i < 40; i++) s.tick()
    const leader = s.status().nodes.find((n) => n.role === 'leader')
    expect(leader).toBeDefined()
    await s.handle('nodeAction', { node: leader!.id, action: 'crash' })
    await s.handle('network', {
      action: 'partition',
      groups: [
        ['n1', 'n2'],
        ['n3', 'n4', 'n5']
      ]
    })
    for (let i = 0; i < 40; i++) s.tick()
    await s.handle('network', { action: 'heal' })
    await s.handle('nodeAction', { node: leader!.id, action: 'restart' })
    for (let i = 0; i < 40; i++) s.tick()

    const { text } = (await s.handle('exportExperiment', { kind: 'trace' })) as { text: string }
    const trace = await loadTraceText(text, 'sim.jsonl')
    expect(trace.problems).toEqual([])
    expect(trace.header).toMatchObject({ source: 'sim', seed: 21 })
    expect(trace.events).toHaveLength(text.trimEnd().split('\n').length - 1)
    const kinds = new Set(trace.events.map((e) => e.kind))
    for (const k of ['proc', 'fault', 'commit', 'apply', 'invoke', 'complete'])
      expect(kinds).toContain(k)

    const safety = checkSafety(trace.events)
    expect(safety.length).toBeGreaterThanOrEqual(6)
    expect(safety.filter((p) => !p.ok)).toEqual([])
    const { report } = analyzeTrace(trace.events)
    expect(report.linearizable).toBe(true)
    expect(report.operations).toBeGreaterThan(100)
  })
})
