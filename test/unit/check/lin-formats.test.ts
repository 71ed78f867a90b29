// Reading histories: the three formats, the trace's invoke/complete pairing, and
// malformed input reported with its line number.
import { describe, expect, it } from 'vitest'
import {
  HistoryFormatError,
  historyFromTrace,
  parseEdnMap,
  parseHistory,
  sniffFormat
} from '../../../src/shared/check/history-formats'
import { checkLinearizability } from '../../../src/shared/check/linearizability'
import { defaultClusterConfig } from '../../../src/shared/config'
import { TRACE_SCHEMA, TRACE_VERSION, type TraceEvent } from '../../../src/shared/trace'

const jepsenLine = (process: number, type: string, f: string, value: string) =>
  `INFO  jepsen.util - ${process}\t:${type}\t:${f}\t${value}`

/** The error parseHistory throws, or a test failure if it does not throw. */
function parseError(text: string, format: Parameters<typeof parseHistory>[1]): HistoryFormatError {
  try {
    parseHistory(text, format, 'h.txt')
  } catch (err) {
    expect(err).toBeInstanceOf(HistoryFormatError)
    return err as HistoryFormatError
  }
  throw new Error('expected a HistoryFormatError')
}

describe('jepsen format', () => {
  const log = [
    jepsenLine(0, 'invoke', 'write', '3'),
    jepsenLine(1, 'invoke', 'read', 'nil'),
    'INFO  jepsen.util - :nemesis\t:info\t:start\tnil',
    jepsenLine(0, 'ok', 'write', '3'),
    jepsenLine(1, 'ok', 'read', '3'),
    jepsenLine(2, 'invoke', 'cas', '[3 4]'),
    jepsenLine(2, 'fail', 'cas', '[3 4]'),
    jepsenLine(3, 'invoke', 'cas', '[3 5]'),
    jepsenLine(3, 'info', 'cas', ':timed-out'),
    jepsenLine(4, 'invoke', 'write', '7'),
    ''
  ].join('\n')

  it('reads invokes and returns into a register history', () => {
    const parsed = parseHistory(log, 'auto', 'etcd.log')
    expect(parsed.format).toBe('jepsen')
    expect(parsed.model).toBe('register')
    const ops = parsed.history
    expect(ops.map((op) => op.input)).toEqual([
      { op: 'put', key: 'register', value: '3' },
      { op: 'get', key: 'register' },
      { op: 'cas', key: 'register', from: '3', to: '4' },
      { op: 'cas', key: 'register', from: '3', to: '5' },
      { op: 'put', key: 'register', value: '7' }
    ])
    expect(ops[0]).toMatchObject({ call: 1, ret: 4, output: {}, source: 'etcd.log:1' })
    expect(ops[1]).toMatchObject({ call: 2, ret: 5, output: { value: '3' } })
    // A failed cas did not swap; :info and no return at all are indeterminate.
    expect(ops[2]).toMatchObject({ output: { swapped: false } })
    expect(ops[3]).toMatchObject({ call: 8, ret: Infinity, output: undefined })
    expect(ops[4]).toMatchObject({ call: 10, ret: Infinity, output: undefined })
  })

  it('reports a truncated last line with its number', () => {
    const e = parseError(log.trimEnd() + '\nINFO  jepsen.ut', 'jepsen')
    expect(e.line).toBe(11)
    expect(e.message).toMatch(/^h\.txt:11: truncated/)
    expect(parseError(log + jepsenLine(5, 'invo', '', ''), 'jepsen').line).toBe(11)
  })

  it('reports a return without an invoke', () => {
    const e = parseError(
      jepsenLine(0, 'invoke', 'read', 'nil') + '\n' + jepsenLine(1, 'ok', 'read', '2'),
      'jepsen'
    )
    expect(e.message).toBe('h.txt:2: :ok :read of process 1 without an :invoke before it')
  })

  it('reports an unknown operation, a bad value and a second invoke', () => {
    expect(parseError(jepsenLine(0, 'invoke', 'delete', '1'), 'jepsen').message).toMatch(
      /^h\.txt:1: unknown operation :delete/
    )
    expect(parseError(jepsenLine(0, 'invoke', 'cas', '[1]'), 'jepsen').message).toMatch(
      /^h\.txt:1: :cas value: expected "\[from to\]"/
    )
    const twice = [jepsenLine(0, 'invoke', 'read', 'nil'), jepsenLine(0, 'invoke', 'read', 'nil')]
    expect(parseError(twice.join('\n'), 'jepsen').message).toMatch(
      /^h\.txt:2: process 0 invokes again while its operation from line 1/
    )
    const mismatch = [jepsenLine(0, 'invoke', 'read', 'nil'), jepsenLine(0, 'ok', 'write', '1')]
    expect(parseError(mismatch.join('\n'), 'jepsen').line).toBe(2)
  })
})

describe('porcupine-kv format', () => {
  const kv = (process: number, type: string, f: string, key: string, value: string) =>
    `{:process ${process}, :type :${type}, :f :${f}, :key "${key}", :value ${value}}`
  const text = [
    kv(0, 'invoke', 'append', 'x', '"a"'),
    kv(1, 'invoke', 'get', 'x', 'nil'),
    kv(0, 'ok', 'append', 'x', '"a"'),
    kv(1, 'ok', 'get', 'x', '""'),
    kv(2, 'invoke', 'put', 'y', '"b \\"q\\""'),
    kv(2, 'info', 'put', 'y', '"b \\"q\\""')
  ].join('\n')

  it('reads EDN maps, with "" for a missing key', () => {
    const parsed = parseHistory(text, 'auto', 'c.txt')
    expect(parsed).toMatchObject({ format: 'porcupine-kv', model: 'kv', missing: '' })
    expect(parsed.history).toEqual([
      expect.objectContaining({ input: { op: 'append', key: 'x', value: 'a' }, call: 1, ret: 3 }),
      expect.objectContaining({ input: { op: 'get', key: 'x' }, output: { value: '' } }),
      expect.objectContaining({ input: { op: 'put', key: 'y', value: 'b "q"' }, ret: Infinity })
    ])
    // The get read the key before the append: linearizable with "" meaning missing.
    expect(checkLinearizability(parsed.history, { missing: '' }).linearizable).toBe(true)
  })

  it('reports malformed lines with their number', () => {
    const truncated = text + '\n' + '{:process 3, :type :invoke, :f :get, :key "x"'
    expect(parseError(truncated, 'porcupine-kv').message).toMatch(/^h\.txt:7: truncated/)
    expect(parseError(kv(0, 'invoke', 'delete', 'x', 'nil'), 'porcupine-kv').message).toMatch(
      /^h\.txt:1: unknown operation :delete \(expected :get, :put or :append\)/
    )
    expect(parseError(kv(0, 'ok', 'get', 'x', '"1"'), 'porcupine-kv').message).toBe(
      'h.txt:1: :ok of process 0 without an :invoke before it'
    )
    expect(parseError('{:process 0, :type :invoke, :f :get}', 'porcupine-kv').message).toBe(
      'h.txt:1: missing :key'
    )
    expect(parseError(kv(0, 'invoke', 'put', 'x', 'nil'), 'porcupine-kv').message).toBe(
      'h.txt:1: :put needs a string :value'
    )
  })

  it('parses EDN maps and points at the column of a problem', () => {
    expect([...parseEdnMap('{:a 1, :b "x\\ny", :c nil, :d :kw}')]).toEqual([
      ['a', 1],
      ['b', 'x\ny'],
      ['c', null],
      ['d', { keyword: 'kw' }]
    ])
    expect(() => parseEdnMap('{:a ?}')).toThrow('unexpected "?" at column 5')
    expect(() => parseEdnMap('{:a "open')).toThrow('truncated: unterminated string')
  })
})

describe('trace format', () => {
  const header = {
    kind: 'header',
    schema: TRACE_SCHEMA,
    version: TRACE_VERSION,
    started: '2026-11-26T00:00:00.000Z',
    source: 'lab',
    config: defaultClusterConfig(),
    seed: null,
    scenario: null,
    versions: {}
  }
  const events: TraceEvent[] = [
    {
      seq: 1,
      t: 1,
      kind: 'invoke',
      client: 'a',
      opId: 1,
      input: { op: 'put', key: 'x', value: '1' }
    },
    { seq: 2, t: 2, kind: 'complete', client: 'a', opId: 1, status: 'ok', output: {} },
    {
      seq: 3,
      t: 3,
      kind: 'invoke',
      client: 'a',
      opId: 2,
      input: { op: 'put', key: 'x', value: '2' }
    },
    { seq: 4, t: 4, kind: 'complete', client: 'a', opId: 2, status: 'fail', error: 'not leader' },
    {
      seq: 5,
      t: 5,
      kind: 'invoke',
      client: 'b',
      opId: 1,
      input: { op: 'put', key: 'x', value: '3' }
    },
    { seq: 6, t: 9, kind: 'complete', client: 'b', opId: 1, status: 'info', error: 'timeout' },
    { seq: 7, t: 10, kind: 'invoke', client: 'c', opId: 1, input: { op: 'get', key: 'x' } },
    { seq: 8, t: 11, kind: 'complete', client: 'c', opId: 1, status: 'ok', output: { value: '1' } },
    { seq: 9, t: 12, kind: 'note', text: 'not a client event' },
    { seq: 10, t: 13, kind: 'invoke', client: 'c', opId: 2, input: { op: 'get', key: 'x' } }
  ]
  const traceText = [header, ...events].map((e) => JSON.stringify(e)).join('\n') + '\n'

  it('builds the history from invoke and complete events', () => {
    const parsed = parseHistory(traceText, 'auto', 't.jsonl')
    expect(parsed).toMatchObject({ format: 'trace', model: 'kv', missing: null })
    // fail: dropped; info: indeterminate; no complete: indeterminate.
    expect(parsed.history.map((op) => [op.client, op.call, op.ret, op.output])).toEqual([
      ['a', 1, 2, {}],
      ['b', 5, Infinity, undefined],
      ['c', 10, 11, { value: '1' }],
      ['c', 13, Infinity, undefined]
    ])
    expect(parsed.history[0]!.source).toBe('t.jsonl:2')
    // The timed-out put of 3 may never have happened, so reading 1 afterwards is fine.
    expect(checkLinearizability(parsed.history).linearizable).toBe(true)
  })

  it('catches a read that contradicts a completed write', () => {
    const stale = events.map((e) =>
      e.kind === 'complete' && e.seq === 8 ? { ...e, output: { value: '2' } } : e
    )
    // The failed put of 2 definitely did not happen: nothing could have written 2.
    expect(checkLinearizability(historyFromTrace(stale)).linearizable).toBe(false)
  })

  it('reports bad lines and pairing errors with their line numbers', () => {
    const lines = traceText.trimEnd().split('\n')
    expect(parseError(lines.slice(0, 3).join('\n') + '\n{"seq": 3, "t"', 'trace').message).toMatch(
      /^h\.txt:4: truncated line/
    )
    const noInput = JSON.stringify({ seq: 3, t: 3, kind: 'invoke', client: 'a', opId: 9 })
    expect(parseError([lines[0], noInput].join('\n'), 'trace').message).toMatch(
      /^h\.txt:2: bad event: input: /
    )
    expect(() => parseHistory([lines[0], lines[2]].join('\n'), 'trace', 'h.txt')).toThrow(
      'h.txt:2: client a op 1 completes without an invoke before it'
    )
    expect(parseError('{"kind":"header"}', 'trace').message).toMatch(
      /^h\.txt:1: not a trace header/
    )
  })

  it('names events by seq when no lines are known', () => {
    expect(() => historyFromTrace([events[1]!])).toThrow(
      'event seq 2: client a op 1 completes without an invoke before it'
    )
    expect(() => historyFromTrace([events[0]!, events[0]!])).toThrow(
      /event seq 1: client a op 1 is invoked twice/
    )
  })
})

describe('format sniffing and bad histories', () => {
  it('tells the formats apart, or says to pass --format', () => {
    expect(sniffFormat('\n{:process 0}')).toBe('porcupine-kv')
    expect(sniffFormat('{"kind":"header"}')).toBe('trace')
    expect(sniffFormat('noise\nINFO  jepsen.util - 0\t:invoke\t:read\tnil')).toBe('jepsen')
    expect(() => sniffFormat('hello', 'x.txt')).toThrow(
      /x\.txt:1: cannot tell the format.*--format/
    )
    expect(() => sniffFormat('  \n', 'x.txt')).toThrow('x.txt: the file is empty: nothing to check')
  })

  it('rejects histories the checker cannot order', () => {
    const op = { client: 'a', input: { op: 'get' as const, key: 'x' }, output: { value: null } }
    expect(() => checkLinearizability([{ ...op, id: 1, call: 5, ret: 4, source: 'f:3' }])).toThrow(
      'f:3: returns (t=4) before it is invoked (t=5)'
    )
    expect(() =>
      checkLinearizability([
        { ...op, id: 1, call: 1, ret: 2 },
        { ...op, id: 1, call: 3, ret: 4 }
      ])
    ).toThrow('operation id 1 is used twice')
  })
})
