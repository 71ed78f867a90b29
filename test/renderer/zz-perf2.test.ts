import { it } from 'vitest'
import { SimSession } from '@renderer/sim/sim-session'
import { applyEvent, createClusterState } from '@renderer/model/cluster-state'
import type { LabEvent } from '@shared/lab-api'
import type { TraceEvent } from '@shared/trace'

it('perf by kind', async () => {
  const batches: TraceEvent[][] = []
  const s = new SimSession(
    (e: LabEvent) => {
      if (e.type === 'events') batches.push(e.events)
    },
    { setInterval: () => 1, clearInterval: () => undefined }
  )
  await s.handle('startCluster', { mode: 'sim', config: { nodes: 5 }, seed: 1 })
  await s.handle('simControl', { action: 'resume', speed: 10 })
  for (let i = 0; i < 20; i++) s.tick()
  const all = batches.flat()
  for (let rep = 0; rep < 3; rep++) {
    const st = createClusterState(['n1', 'n2', 'n3', 'n4', 'n5'])
    const by: Record<string, number> = {}
    const t00 = performance.now()
    for (const e of all) {
      const t0 = performance.now()
      applyEvent(st, e)
      by[e.kind] = (by[e.kind] ?? 0) + performance.now() - t0
    }
    console.log(JSON.stringify({ n: all.length, total: performance.now() - t00, by }))
  }
}, 120_000)
