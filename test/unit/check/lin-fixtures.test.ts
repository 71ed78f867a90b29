// Every history Porcupine's own test suite checks, with the verdict it asserts.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseHistory } from '../../../src/shared/check/history-formats'
import { checkLinearizability } from '../../../src/shared/check/linearizability'

const dir = resolve(import.meta.dirname, '../../fixtures/porcupine')
const expected = JSON.parse(readFileSync(resolve(dir, 'expected.json'), 'utf8')) as {
  linearizable: Record<string, boolean>
  not_checked: Record<string, string>
}

describe("Porcupine's fixtures", () => {
  const files = Object.entries(expected.linearizable)

  it('has the 102 etcd histories and 6 kv histories', () => {
    expect(files.filter(([f]) => f.startsWith('jepsen/'))).toHaveLength(102)
    expect(files.filter(([f]) => f.startsWith('kv/'))).toHaveLength(6)
  })

  it.each(files)('%s is linearizable: %s', (file, verdict) => {
    const parsed = parseHistory(readFileSync(resolve(dir, file), 'utf8'), 'auto', file)
    expect(parsed.format).toBe(file.startsWith('jepsen/') ? 'jepsen' : 'porcupine-kv')
    const result = checkLinearizability(parsed.history, {
      model: parsed.model,
      missing: parsed.missing
    })
    expect(result.linearizable).toBe(verdict)
    expect(result.operations).toBe(parsed.history.length)
    if (verdict) {
      for (const key of result.keys) {
        expect(key.linearization.length + key.free.length).toBe(key.operations.length)
      }
    } else {
      expect(result.failingKeys.length).toBeGreaterThan(0)
      for (const name of result.failingKeys) {
        const key = result.keys.find((k) => k.key === name)!
        expect(key.unplaced.length).toBeGreaterThan(0)
        expect(key.unplaced).toContain(key.firstUnplaced)
      }
    }
  })

  it('rejects the empty etcd_095.log instead of calling it linearizable', () => {
    expect(Object.keys(expected.not_checked)).toEqual(['jepsen/etcd_095.log'])
    const text = readFileSync(resolve(dir, 'jepsen/etcd_095.log'), 'utf8')
    expect(() => parseHistory(text, 'auto', 'etcd_095.log')).toThrow(/empty/)
    expect(() => parseHistory(text, 'jepsen', 'etcd_095.log')).toThrow(/no Jepsen operations/)
  })
})
