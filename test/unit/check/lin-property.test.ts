// The checker against a brute-force one: every order of the operations that
// respects real time, tried against the model, on small random histories with
// several keys, cas, appends and indeterminate operations.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { History, HistoryOperation, KvInput, KvOutput } from '../../../src/shared/history'
import { checkLinearizability } from '../../../src/shared/check/linearizability'
import type { MissingValue, ModelName } from '../../../src/shared/check/models'

/** Apply one op to a map of keys; undefined when its recorded output cannot happen here. */
function apply(
  state: Map<string, string>,
  op: HistoryOperation,
  model: ModelName,
  missing: MissingValue
): Map<string, string> | undefined {
  const key = model === 'register' ? 'the register' : op.input.key
  const current = state.get(key) ?? missing
  const { input, output } = op
  switch (input.op) {
    case 'get': {
      if (output === undefined) return state
      const read = output.value ?? null
      const same = read === current || (missing === '' && (read ?? '') === (current ?? ''))
      return same ? state : undefined
    }
    case 'put':
      return new Map(state).set(key, input.value)
    case 'append':
      return new Map(state).set(key, (current ?? '') + input.value)
    case 'cas': {
      const from = missing === '' ? (input.from ?? '') : input.from
      const matches = from === (missing === '' ? (current ?? '') : current)
      if (output?.swapped !== undefined && output.swapped !== matches) return undefined
      return matches ? new Map(state).set(key, input.to) : state
    }
  }
}

/** Some order of all determinate ops (and any of the indeterminate ones) that real time and the model allow. */
function bruteForce(history: History, model: ModelName, missing: MissingValue): boolean {
  const search = (remaining: HistoryOperation[], state: Map<string, string>): boolean => {
    if (remaining.every((op) => op.output === undefined)) return true
    return remaining.some((op, i) => {
      // op can go next only if nothing left had already returned when op was invoked.
      if (remaining.some((other) => other !== op && other.ret < op.call)) return false
      const after = apply(state, op, model, missing)
      return (
        after !== undefined &&
        search(
          remaining.filter((_, j) => j !== i),
          after
        )
      )
    })
  }
  return search([...history], new Map())
}

const VALUES = ['a', 'b', 'c']

interface OpSpec {
  client: number
  key: number
  kind: 'get' | 'put' | 'cas' | 'append'
  value: number
  value2: number
  call: number
  length: number
  point: number
  indeterminate: boolean
  mutate: boolean
}

const opSpec = fc.record({
  client: fc.integer({ min: 0, max: 3 }),
  key: fc.integer({ min: 0, max: 2 }),
  kind: fc.constantFrom('get', 'get', 'put', 'cas', 'append'),
  value: fc.integer({ min: 0, max: 2 }),
  value2: fc.integer({ min: 0, max: 3 }),
  call: fc.integer({ min: 0, max: 12 }),
  length: fc.integer({ min: 0, max: 6 }),
  point: fc.double({ min: 0, max: 1, noNaN: true }),
  indeterminate: fc.boolean(),
  mutate: fc.boolean()
})

/**
 * A history that is linearizable by construction (outputs computed at random
 * linearization points), then, when `mutate` is set on an op, with that op's
 * output changed: a mix of both verdicts.
 */
function buildHistory(
  specs: OpSpec[],
  withAppend: boolean,
  missing: MissingValue,
  model: ModelName
): History {
  const inputs = specs.map((s): KvInput => {
    const key = `k${s.key}`
    const kind = s.kind === 'append' && !withAppend ? 'put' : s.kind
    if (kind === 'get') return { op: 'get', key }
    if (kind === 'cas') {
      const from = s.value2 === 3 ? (missing === '' ? '' : null) : VALUES[s.value2]!
      return { op: 'cas', key, from, to: VALUES[s.value]! }
    }
    return { op: kind, key, value: VALUES[s.value]! }
  })
  const points = specs.map((s) => s.call + s.point * s.length)
  const order = specs.map((_, i) => i).sort((a, b) => points[a]! - points[b]! || a - b)
  const outputs: KvOutput[] = []
  const state = new Map<string, string>()
  for (const i of order) {
    const input = inputs[i]!
    const key = model === 'register' ? 'the register' : input.key
    const current = state.get(key) ?? missing
    if (input.op === 'get') outputs[i] = { value: current }
    else if (input.op === 'put') {
      state.set(key, input.value)
      outputs[i] = {}
    } else if (input.op === 'append') {
      state.set(key, (current ?? '') + input.value)
      outputs[i] = {}
    } else {
      const swapped = input.from === current
      if (swapped) state.set(key, input.to)
      outputs[i] = { swapped }
    }
  }
  return specs.map((s, i): HistoryOperation => {
    let output: KvOutput | undefined = outputs[i]!
    if (s.mutate && output.value !== undefined) output = { value: VALUES[s.value2 % 3]! }
    if (s.mutate && output.swapped !== undefined) output = { swapped: !output.swapped }
    const indeterminate = s.indeterminate && s.kind !== 'get'
    return {
      id: i,
      client: `c${s.client}`,
      input: inputs[i]!,
      call: s.call,
      ret: indeterminate ? Infinity : s.call + s.length,
      output: indeterminate ? undefined : output,
      source: `op ${i}`
    }
  })
}

/** A key's linearization respects real time among its ops and the key's ops left out, and the model accepts it. */
function expectValidPrefix(
  history: History,
  order: number[],
  model: ModelName,
  missing: MissingValue
): void {
  const byId = new Map(history.map((op) => [op.id, op]))
  const placed = new Set(order)
  let state: Map<string, string> | undefined = new Map()
  order.forEach((id, i) => {
    const op = byId.get(id)!
    for (const later of order.slice(i + 1)) expect(byId.get(later)!.ret >= op.call).toBe(true)
    for (const other of history) {
      const needsPlace = !(other.input.op === 'get' && other.output === undefined)
      if (!placed.has(other.id) && needsPlace) expect(other.ret >= op.call).toBe(true)
    }
    state = apply(state!, op, model, missing)
    expect(state, `op ${id} at position ${i}`).toBeDefined()
  })
}

function agreeOn(model: ModelName, missing: MissingValue, withAppend: boolean) {
  let verdicts = { true: 0, false: 0 }
  fc.assert(
    fc.property(fc.array(opSpec, { minLength: 1, maxLength: 7 }), (specs) => {
      const history = buildHistory(specs, withAppend, missing, model)
      const expected = bruteForce(history, model, missing)
      const result = checkLinearizability(history, { model, missing })
      expect(result.linearizable).toBe(expected)
      verdicts = { ...verdicts, [String(expected)]: verdicts[String(expected) as 'true'] + 1 }
      for (const key of result.keys) {
        const ops = history.filter((op) => key.operations.includes(op.id))
        expectValidPrefix(ops, key.linearization, model, missing)
        if (key.linearizable === true) {
          expect(key.linearization.length + key.free.length).toBe(key.operations.length)
        } else {
          expect(key.unplaced).toContain(key.firstUnplaced)
        }
      }
    }),
    { numRuns: 600, seed: 20261126 }
  )
  // Both verdicts occur often enough for the agreement to mean something.
  expect(verdicts.true).toBeGreaterThan(100)
  expect(verdicts.false).toBeGreaterThan(100)
}

describe('linearizability checker vs brute force', () => {
  it('agrees on kv histories (get, put, cas; several keys; indeterminate ops)', () => {
    agreeOn('kv', null, false)
  })

  it("agrees on kv histories with append, reading a missing key as '' (Porcupine's kv)", () => {
    agreeOn('kv', '', true)
  })

  it('agrees on register histories (all operations on one cell, keys ignored)', () => {
    agreeOn('register', null, false)
  })

  it('agrees when all keys must be searched to the end (allKeys)', () => {
    fc.assert(
      fc.property(fc.array(opSpec, { minLength: 1, maxLength: 7 }), (specs) => {
        const history = buildHistory(specs, true, null, 'kv')
        const all = checkLinearizability(history, { allKeys: true })
        expect(all.linearizable).toBe(bruteForce(history, 'kv', null))
        expect(all.unknownKeys).toEqual([])
        // Each key on its own is exactly what the brute force says of that key's ops.
        for (const key of all.keys) {
          const ops = history.filter((op) => op.input.key === key.key)
          expect(key.linearizable, `key ${key.key}`).toBe(bruteForce(ops, 'kv', null))
        }
      }),
      { numRuns: 300, seed: 7 }
    )
  })
})
