import { describe, expect, it } from 'vitest'
import { KvStore, type ClientCommand, type Entry } from '../../../src/shared/raft'

let index = 0
const entry = (command: ClientCommand | { op: 'noop' }): Entry => ({
  index: ++index,
  term: 1,
  command
})
const put = (key: string, value: string, client = 'a', seq = 1) =>
  entry({ op: 'put', key, value, client, seq })
const cas = (key: string, from: string | null, to: string, client = 'a', seq = 1) =>
  entry({ op: 'cas', key, from, to, client, seq })
const get = (key: string) => entry({ op: 'get', key, client: 'r', seq: 1 })

describe('KvStore', () => {
  it('puts and gets; a missing key reads null; a noop has no output', () => {
    const kv = new KvStore()
    expect(kv.apply(entry({ op: 'noop' }))).toBeNull()
    expect(kv.apply(get('x'))).toEqual({ value: null })
    expect(kv.apply(put('x', '1'))).toEqual({})
    expect(kv.apply(get('x'))).toEqual({ value: '1' })
    expect(kv.get('x')).toBe('1')
  })

  it.each([
    { start: null, from: null, to: 'b', want: { swapped: true, value: 'b' }, after: 'b' },
    { start: 'a', from: null, to: 'b', want: { swapped: false, value: 'a' }, after: 'a' },
    { start: 'a', from: 'a', to: 'b', want: { swapped: true, value: 'b' }, after: 'b' },
    { start: 'a', from: 'z', to: 'b', want: { swapped: false, value: 'a' }, after: 'a' },
    { start: null, from: 'a', to: 'b', want: { swapped: false, value: null }, after: null }
  ])('cas $from→$to on $start', ({ start, from, to, want, after }) => {
    const kv = new KvStore()
    if (start !== null) kv.apply(put('x', start, 'setup'))
    expect(kv.apply(cas('x', from, to))).toEqual(want)
    expect(kv.get('x')).toBe(after)
  })

  it('applies a retried write once and answers it with its first result', () => {
    const kv = new KvStore()
    expect(kv.apply(cas('x', null, 'a', 'c1', 1))).toEqual({ swapped: true, value: 'a' })
    kv.apply(put('x', 'other', 'c2', 1))
    // The retry of c1's seq 1 must not swap again (it would fail now) nor change x.
    expect(kv.apply(cas('x', null, 'a', 'c1', 1))).toEqual({ swapped: true, value: 'a' })
    expect(kv.get('x')).toBe('other')
    expect(kv.apply(put('x', 'retry', 'c2', 1))).toEqual({})
    expect(kv.get('x')).toBe('other')
    // An older write than the client's last is not applied and has no answer.
    kv.apply(put('y', '2', 'c1', 2))
    expect(kv.apply(put('y', '1', 'c1', 1))).toBeNull()
    expect(kv.get('y')).toBe('2')
    expect(kv.sessionSeqs()).toEqual({ c1: 2, c2: 1 })
  })

  it('snapshots the table with sorted keys', () => {
    const kv = new KvStore()
    kv.apply(put('b', '2', 'c', 1))
    kv.apply(put('a', '1', 'c', 2))
    expect(Object.keys(kv.snapshot())).toEqual(['a', 'b'])
    expect(kv.snapshot()).toEqual({ a: '1', b: '2' })
  })
})
