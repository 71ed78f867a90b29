// Budgets: when time or memory runs out the verdict is 'unknown', never a guess;
// after one key fails, the others are not searched forever.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseHistory } from '../../../src/shared/check/history-formats'
import { checkLinearizability } from '../../../src/shared/check/linearizability'

const load = (file: string) =>
  parseHistory(
    readFileSync(resolve(import.meta.dirname, '../../fixtures/porcupine', file), 'utf8'),
    'auto',
    file
  )

describe('linearizability budgets', () => {
  // A linearizable history whose search remembers about 180,000 states.
  const hard = load('jepsen/etcd_002.log')

  it("says 'unknown' when the state budget runs out", () => {
    const result = checkLinearizability(hard.history, { model: 'register', maxStates: 1000 })
    expect(result.linearizable).toBe('unknown')
    expect(result.keys[0]).toMatchObject({ linearizable: 'unknown', reason: 'state budget' })
    expect(result.keys[0]!.states).toBeGreaterThan(1000)
    expect(result.unknownKeys).toEqual(['register'])
  })

  it("says 'unknown' when the time budget runs out", () => {
    // A clock that moves 1 ms each time it is read: the budget runs out after a few slices.
    let t = 0
    const result = checkLinearizability(hard.history, {
      model: 'register',
      timeoutMs: 5,
      now: () => t++
    })
    expect(result.linearizable).toBe('unknown')
    expect(result.keys[0]!.reason).toBe('timeout')
    // What was found so far is still reported.
    expect(result.keys[0]!.linearization.length).toBeGreaterThan(0)
  })

  it('stops the other keys once one key has failed, and says so', () => {
    const bad = load('kv/c50-bad.txt')
    const result = checkLinearizability(bad.history, { missing: bad.missing })
    expect(result.linearizable).toBe(false)
    expect(result.failingKeys.length).toBeGreaterThan(0)
    const stopped = result.keys.filter((k) => k.reason === 'another key failed')
    expect(stopped.length).toBeGreaterThan(0)
    expect(result.unknownKeys).toEqual(stopped.map((k) => k.key))
  })
})
