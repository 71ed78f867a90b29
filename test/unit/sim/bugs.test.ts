import { describe, expect, it } from 'vitest'
import {
  FAULT_KINDS,
  runSimulation,
  type FaultKind,
  type RunOptions
} from '../../../src/shared/sim'
import type { TeachingBug } from '../../../src/shared/raft/types'

// Each teaching bug is caught by the checkers within the number of seeds stated
// here, and the same seeds without the bug are clean (the catch is the bug's doing).
interface BugCase {
  bug: TeachingBug
  /** The first violation must come within this many seeds. */
  withinSeeds: number
  /** A violation of one of these properties counts as catching the bug. */
  properties: string[]
  faults: readonly FaultKind[]
  options: Omit<RunOptions, 'seed' | 'faults'>
}

const CASES: BugCase[] = [
  {
    bug: 'vote-without-log-check',
    withinSeeds: 100,
    properties: ['leader-completeness', 'state-machine-safety', 'log-matching'],
    faults: FAULT_KINDS,
    options: { durationMs: 3000 }
  },
  {
    bug: 'no-fsync',
    withinSeeds: 60,
    properties: [
      'election-safety',
      'leader-completeness',
      'state-machine-safety',
      'log-matching',
      'acknowledged-writes-applied'
    ],
    faults: ['crash', 'delay'],
    options: { durationMs: 3000, config: { nodes: 3 } }
  },
  {
    // A voter that forgets its vote must restart between two candidates' requests
    // of one term: three nodes, close election timeouts, no PreVote, and crashes
    // right after a disk write (crash points) make that common enough.
    bug: 'forget-vote',
    withinSeeds: 150,
    properties: ['election-safety'],
    faults: ['crash', 'delay', 'reorder'],
    options: {
      durationMs: 3000,
      crashPoints: 0.2,
      config: { nodes: 3, electionTimeoutMs: [50, 70], heartbeatMs: 50, prevote: false }
    }
  },
  {
    // Random faults never stage Figure 8 (thousands of seeds tried): the figure8
    // schedule does, with the cast and timings drawn from the seed (faults.ts).
    bug: 'commit-old-term',
    withinSeeds: 30,
    properties: ['leader-completeness', 'state-machine-safety'],
    faults: ['figure8'],
    options: { durationMs: 5000 }
  },
  {
    bug: 'stale-read',
    withinSeeds: 60,
    properties: ['linearizability'],
    faults: FAULT_KINDS,
    options: { durationMs: 3000 }
  }
]

function firstViolation(c: BugCase, bug: TeachingBug | null, seeds: number) {
  for (let seed = 1; seed <= seeds; seed++) {
    const r = runSimulation({
      ...c.options,
      seed,
      faults: c.faults,
      config: { ...c.options.config, bug }
    })
    if (r.safety.length > 0) return { seed, properties: r.safety.map((p) => p.property) }
  }
  return null
}

describe('teaching bugs are caught in simulation', () => {
  for (const c of CASES) {
    it(`${c.bug}: within ${c.withinSeeds} seeds`, { timeout: 300_000 }, () => {
      const found = firstViolation(c, c.bug, c.withinSeeds)
      expect(found, `${c.bug} not caught in ${c.withinSeeds} seeds`).not.toBeNull()
      expect(found?.properties.some((p) => c.properties.includes(p))).toBe(true)
      expect(firstViolation(c, null, found?.seed ?? 0)).toBeNull()
    })
  }
})

describe('the figure8 schedule', () => {
  it('stages nothing unsafe for a correct Raft', { timeout: 300_000 }, () => {
    const c = CASES.find((k) => k.bug === 'commit-old-term') as BugCase
    expect(firstViolation(c, null, c.withinSeeds)).toBeNull()
  })
})
