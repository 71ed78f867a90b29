import { it } from 'vitest'
import { SimSession } from '@renderer/sim/sim-session'
import { Timeline } from '@renderer/model/timeline'
import { stateHistory, conflictingIndexes, maxLogIndex } from '@renderer/model/derive'
import type { LabEvent } from '@shared/lab-api'
import type { TraceEvent } from '@shared/trace'

it('perf', async () => {
  const batches: TraceEvent[][] = []
  const s = new SimSession(
    (e: LabEvent) => {
      if (e.type === 'events') batches.push(e.events)
    },
    { setInterval: () => 1, clearInterval: () => undefined }
  )
  await s.handle('startCluster', { mode: 'sim', config: { nodes: 5 }, seed: 1 })
  await s.handle('simControl', { action: 'resume', speed: 10 })
  let t0 = performance.now()
  for (let i = 0; i < 10; i++) s.tick()
  const simMs = performance.now() - t0
  const all = batches.flat()
  const kinds: Record<string, number> = {}
  for (const e of all) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1
  const tl = new Timeline(['n1', 'n2', 'n3', 'n4', 'n5'])
  t0 = performance.now()
  for (const b of batches) tl.append(b)
  const foldMs = performance.now() - t0
  t0 = performance.now()
  for (let i = 0; i < 10; i++) for (const id of tl.live.nodeIds) stateHistory(tl.live.nodes[id]!)
  const histMs = (performance.now() - t0) / 10
  t0 = performance.now()
  const json = JSON.stringify(all).length
  const clone = structuredClone(all).length
  const cloneMs = performance.now() - t0
  console.log(
    JSON.stringify({
      events: all.length,
      virtualMs: tl.live.t,
      simMs,
      foldMs,
      perEventUs: (foldMs * 1000) / all.length,
      histMsPerFrame: histMs,
      cloneMs,
      json,
      clone,
      kinds,
      maxIdx: maxLogIndex(tl.live),
      conf: conflictingIndexes(tl.live).size
    })
  )
}, 120_000)
