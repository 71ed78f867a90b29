// Reading a trace's text, as both the lab engine and the simulator in the browser do.
import { describe, expect, it } from 'vitest'
import { defaultClusterConfig } from '@shared/config'
import { replayEvents } from '@shared/lab-api'
import { TRACE_SCHEMA, TRACE_VERSION, type TraceEvent, type TraceHeader } from '@shared/trace'
import { MAX_ERRORS, openableHeader, parseTraceText } from '@shared/trace-text'

const header: TraceHeader = {
  kind: 'header',
  schema: TRACE_SCHEMA,
  version: TRACE_VERSION,
  started: new Date(0).toISOString(),
  source: 'sim',
  config: defaultClusterConfig({ nodes: 3 }),
  seed: 1,
  scenario: null,
  versions: {}
}
const note = (seq: number): TraceEvent => ({ seq, t: seq, kind: 'note', text: `note ${seq}` })
const jsonl = (...values: unknown[]) => values.map((v) => JSON.stringify(v)).join('\n')

describe('parseTraceText', () => {
  it('reads the header, then one event per line, skipping blank lines and CRs', () => {
    const text = jsonl(header, note(1)) + '\r\n\n' + jsonl(note(2)) + '\n'
    expect(parseTraceText(text, 't.jsonl')).toEqual({
      header,
      events: [note(1), note(2)],
      problems: []
    })
  })

  it('numbers the bad lines and keeps reading the good ones', () => {
    const text = [
      jsonl(header, note(1)),
      'nope',
      jsonl({ seq: 3, t: 3, kind: 'vote' }),
      jsonl(note(4))
    ]
    const t = parseTraceText(text.join('\n'), 't.jsonl')
    expect(t.events).toEqual([note(1), note(4)])
    expect(t.problems).toEqual([
      { line: 3, message: 'not JSON' },
      { line: 4, message: expect.stringMatching(/^bad event "vote": node: /) }
    ])
  })

  it('reads nothing after a line 1 that is not a Raft Lab header', () => {
    const t = parseTraceText(jsonl({ ...header, schema: 'other' }, note(1)), 't.jsonl')
    expect(t).toEqual({
      header: null,
      events: [],
      problems: [
        { line: 1, message: expect.stringMatching(/^not a Raft Lab trace header: schema: /) }
      ]
    })
  })

  it(`gives up after ${MAX_ERRORS} bad lines, and refuses text over the size limit`, () => {
    const bad = Array.from({ length: MAX_ERRORS + 5 }, () => 'x')
    const t = parseTraceText([jsonl(header), ...bad, jsonl(note(1))].join('\n'), 't.jsonl')
    expect(t.problems).toHaveLength(MAX_ERRORS)
    expect(t.events).toEqual([])
    expect(parseTraceText(jsonl(header), 't.jsonl', 10).problems).toEqual([
      { line: null, message: `t.jsonl: ${jsonl(header).length} bytes is over the limit of 10` }
    ])
  })
})

describe('openableHeader', () => {
  it('names the trace and the line of the first problem, as the lab reports it', () => {
    expect(openableHeader('t.jsonl', parseTraceText(jsonl(header, note(1)), 't.jsonl'))).toEqual(
      header
    )
    expect(() =>
      openableHeader('t.jsonl', parseTraceText(jsonl(header) + '\n{', 't.jsonl'))
    ).toThrow('t.jsonl:2: not JSON')
    expect(() => openableHeader('t.jsonl', parseTraceText('\n', 't.jsonl'))).toThrow(
      't.jsonl: no trace header'
    )
    // A problem about the whole trace already names it.
    expect(() => openableHeader('t.jsonl', parseTraceText('{}', 't.jsonl', 1))).toThrow(
      /^t\.jsonl: 2 bytes is over the limit of 1$/
    )
  })
})

describe('replayEvents', () => {
  it('sends a replay reset, then the events in batches of at most 5000', () => {
    const events = Array.from({ length: 12_001 }, (_, i) => note(i + 1))
    const out = replayEvents(header, events)
    expect(out[0]).toEqual({ type: 'reset', header, replay: true })
    const batches = out.slice(1).map((e) => (e.type === 'events' && e.replay ? e.events : []))
    expect(batches.map((b) => b.length)).toEqual([5000, 5000, 2001])
    expect(batches.flat()).toEqual(events)
    expect(replayEvents(header, [])).toEqual([{ type: 'reset', header, replay: true }])
  })
})
