// Expectations and summaries over hand-made traces: each check can fail.
import { describe, expect, it } from 'vitest'
import {
  analyzeTrace,
  failovers,
  judge,
  metricsCsv,
  type RunResult,
  type StepRecord
} from '../../../src/shared/check/analysis'
import { historyEdn } from '../../../src/shared/check/exports'
import type { TraceEvent, UnstampedEvent } from '../../../src/shared/trace'

function trace(...events: [number, UnstampedEvent][]): TraceEvent[] {
  return events.map(([t, e], i) => ({ ...e, seq: i + 1, t }) as TraceEvent)
}

function step(index: number, t: number, extra: Partial<StepRecord> = {}): StepRecord {
  return {
    index,
    action: 'crash',
    text: 'crash',
    t,
    ok: true,
    message: '',
    nodes: [],
    disruptsLeader: false,
    leaderTerm: 0,
    ...extra
  }
}

function runOf(steps: StepRecord[], rangeNodes: RunResult['rangeNodes'] = {}): RunResult {
  return { steps, rangeNodes, startT: 0, endT: 5000, stopped: false }
}

const leader = (t: number, node: string, term: number): [number, UnstampedEvent] => [
  t,
  { kind: 'role', node, role: 'leader', term, leader: node }
]
const commit = (t: number, node: string, commitIndex: number): [number, UnstampedEvent] => [
  t,
  { kind: 'commit', node, commitIndex, term: 1 }
]
const put = (t: number, opId: number, ok: boolean, dt = 10): [number, UnstampedEvent][] => [
  [t, { kind: 'invoke', client: 'c', opId, input: { op: 'put', key: 'k', value: String(opId) } }],
  [
    t + dt,
    ok
      ? { kind: 'complete', client: 'c', opId, status: 'ok', output: {} }
      : { kind: 'complete', client: 'c', opId, status: 'info', error: 'timeout' }
  ]
]

describe('judge', () => {
  it('leader-within: a new leader after a step that took the leader away, in time or not', () => {
    const events = trace(
      leader(100, 'n1', 1),
      [1000, { kind: 'proc', node: 'n1', action: 'crash' }],
      leader(1900, 'n2', 2)
    )
    const a = analyzeTrace(events)
    const steps = [step(1, 1000, { disruptsLeader: true, leaderTerm: 1 })]
    expect(judge({ 'leader-within': 1000 }, runOf(steps), events, a).at(-1)).toMatchObject({
      ok: true
    })
    expect(judge({ 'leader-within': 500 }, runOf(steps), events, a).at(-1)).toMatchObject({
      ok: false,
      message: 'no new leader within 500 ms of step 1 (took 900 ms)'
    })
    expect(failovers(events)).toEqual([900])
  })

  it('no-commit-during: a commit above the baseline on a watched node fails', () => {
    const events = trace(
      commit(500, 'n1', 3),
      commit(1500, 'n4', 3),
      commit(2000, 'n1', 4),
      commit(3500, 'n1', 5)
    )
    const a = analyzeTrace(events)
    const steps = [step(1, 1000), step(2, 3000)]
    const range = { steps: [1, 1] as [number, number], nodes: undefined }
    expect(
      judge(
        { 'no-commit-during': range },
        runOf(steps, { 'no-commit-during': ['n4', 'n5'] }),
        events,
        a
      ).at(-1)
    ).toMatchObject({ ok: true })
    expect(
      judge(
        { 'no-commit-during': range },
        runOf(steps, { 'no-commit-during': ['n1'] }),
        events,
        a
      ).at(-1)
    ).toMatchObject({
      ok: false,
      message: 'n1 committed index 4 at t=2000'
    })
  })

  it('available and unavailable look at operations invoked inside the range', () => {
    const events = trace(...put(500, 1, true), ...put(1200, 2, false, 900), ...put(2200, 3, true))
    const a = analyzeTrace(events)
    const steps = [step(1, 1000), step(2, 2000)]
    const r = { steps: [1, 1] as [number, number], nodes: undefined }
    expect(judge({ unavailable: r }, runOf(steps), events, a).at(-1)).toMatchObject({ ok: true })
    expect(judge({ available: r }, runOf(steps), events, a).at(-1)).toMatchObject({ ok: false })
    const later = { steps: [2, 2] as [number, number], nodes: undefined }
    expect(judge({ available: later }, runOf(steps), events, a).at(-1)).toMatchObject({ ok: true })
    expect(judge({ unavailable: later }, runOf(steps), events, a).at(-1)).toMatchObject({
      ok: false
    })
  })

  it('a failed step or an early stop fails `steps`', () => {
    const a = analyzeTrace([])
    expect(
      judge(
        {},
        runOf([step(1, 10), step(2, null as never, { ok: false, message: 'no leader' })]),
        [],
        a
      )[0]
    ).toMatchObject({
      ok: false,
      message: 'step 2 (crash): no leader'
    })
    expect(judge({}, { ...runOf([]), stopped: true }, [], a)[0]).toMatchObject({ ok: false })
  })
})

describe('summary and exports', () => {
  it('counts operations, latency and messages; metrics per second; Jepsen EDN', () => {
    const events = trace(
      leader(10, 'n1', 1),
      ...put(100, 1, true, 20),
      [
        150,
        {
          kind: 'net',
          action: 'send',
          from: 'n1',
          to: 'n2',
          msgId: 1,
          type: 'AppendEntries',
          term: 1,
          size: 100
        }
      ],
      ...put(1100, 2, false, 50)
    )
    const a = analyzeTrace(events)
    expect(a.report.summary).toMatchObject({
      opsOk: 1,
      opsUnknown: 1,
      latencyMsP50: 20,
      messages: 1,
      messagesPerOp: 1,
      maxLeadersPerTerm: 1
    })
    expect(metricsCsv(events).trim().split('\n')).toEqual([
      'second,ops_ok,ops_fail,ops_unknown,latency_ms_p50,latency_ms_p99,messages,messages_dropped,leaders_elected',
      '0,1,0,0,20,20,1,0,1',
      '1,0,0,1,0,0,0,0,0'
    ])
    expect(historyEdn(events).trim().split('\n')).toEqual([
      '{:index 0, :time 100000000, :type :invoke, :process 0, :f :write, :value ["k" "1"]}',
      '{:index 1, :time 120000000, :type :ok, :process 0, :f :write, :value ["k" "1"]}',
      '{:index 2, :time 1100000000, :type :invoke, :process 0, :f :write, :value ["k" "2"]}',
      '{:index 3, :time 1150000000, :type :info, :process 0, :f :write, :value ["k" "2"]}'
    ])
  })
})
