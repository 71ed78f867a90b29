import { describe, expect, it } from 'vitest'
import { FAULT_KINDS, runSimulation } from '../../../src/shared/sim'

// Seeded runs with every fault: Raft must keep all of Figure 3's properties, every
// acknowledged write, and a linearizable history. Short runs, many seeds.
const SEEDS = 2000
const DURATION_MS = 1500

describe(`${SEEDS} seeded runs with all faults`, () => {
  it('find no violation', { timeout: 300_000 }, () => {
    const failures: string[] = []
    let ops = 0
    let elections = 0
    let crashes = 0
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = runSimulation({
        seed,
        durationMs: DURATION_MS,
        faults: FAULT_KINDS,
        config: { nodes: seed % 2 === 0 ? 3 : 5 }
      })
      ops += r.stats.opsCompleted
      elections += r.stats.elections
      crashes += r.stats.crashes
      for (const p of r.safety)
        failures.push(`seed ${seed}: ${p.property}: ${p.violations[0]?.message}`)
    }
    expect(failures).toEqual([])
    // The runs did something: clients were served, leaders were elected, nodes crashed.
    expect(ops).toBeGreaterThan(SEEDS * 5)
    expect(elections).toBeGreaterThan(SEEDS)
    expect(crashes).toBeGreaterThan(SEEDS / 2)
  })
})
