import { describe, expect, it } from 'vitest'
import { RaftLog, type Entry } from '../../../src/shared/raft'

function entries(terms: number[], from = 1): Entry[] {
  return terms.map((term, i) => ({ index: from + i, term, command: { op: 'noop' } }))
}
const terms = (es: Entry[]) => es.map((e) => e.term)

describe('RaftLog', () => {
  it('refuses a stored log that is not 1..n', () => {
    expect(() => new RaftLog(entries([1, 1], 2))).toThrow(/index 2/)
  })

  it('answers term() with 0 before the log and past its end', () => {
    const log = new RaftLog(entries([1, 2]))
    expect([log.term(0), log.term(1), log.term(2), log.term(3)]).toEqual([0, 1, 2, 0])
    expect([log.lastIndex(), log.lastTerm()]).toEqual([2, 2])
  })

  it.each([
    { index: 0, term: 0, want: true },
    { index: 2, term: 2, want: true },
    { index: 2, term: 1, want: false },
    { index: 3, term: 2, want: false }
  ])('matchTerm($index, $term) = $want', ({ index, term, want }) => {
    expect(new RaftLog(entries([1, 2])).matchTerm(index, term)).toBe(want)
  })

  // §5.4.1, on a log whose last entry is index 3 of term 2.
  it.each([
    { lastIndex: 3, lastTerm: 2, want: true },
    { lastIndex: 9, lastTerm: 2, want: true },
    { lastIndex: 2, lastTerm: 2, want: false },
    { lastIndex: 1, lastTerm: 3, want: true },
    { lastIndex: 9, lastTerm: 1, want: false }
  ])('isUpToDate($lastIndex, $lastTerm) = $want', ({ lastIndex, lastTerm, want }) => {
    expect(new RaftLog(entries([1, 1, 2])).isUpToDate(lastIndex, lastTerm)).toBe(want)
  })

  it('finds the run of a term and the last entry of a term (fast backtracking)', () => {
    const log = new RaftLog(entries([1, 1, 1, 4, 4, 5, 5, 6, 6, 6]))
    expect([log.firstIndexOfTerm(10), log.firstIndexOfTerm(5), log.firstIndexOfTerm(1)]).toEqual([
      8, 4, 1
    ])
    expect(log.lastIndexOfTerm(4, 10)).toBe(5)
    expect(log.lastIndexOfTerm(6, 8)).toBe(8)
    expect(log.lastIndexOfTerm(3, 10)).toBe(0)
    expect(log.lastIndexOfTerm(2, 10)).toBe(0)
  })

  it.each([
    { incoming: [1, 2], from: 1, want: 0 },
    { incoming: [2, 3], from: 2, want: 3 },
    { incoming: [3, 3], from: 2, want: 2 },
    { incoming: [4], from: 4, want: 4 },
    { incoming: [], from: 1, want: 0 }
  ])('findConflict($incoming from $from) = $want', ({ incoming, from, want }) => {
    expect(new RaftLog(entries([1, 2, 2])).findConflict(entries(incoming, from))).toBe(want)
  })

  it('hands out entries once, persists them on stableTo, and re-hands them after a truncation', () => {
    const log = new RaftLog(entries([1]))
    expect(log.persisted).toBe(1)
    log.append(entries([1, 1], 2))
    expect(terms(log.takeUnstable())).toEqual([1, 1])
    expect(log.takeUnstable()).toEqual([])
    log.stableTo(3, 1)
    expect(log.persisted).toBe(3)

    log.truncateAndAppend(entries([2], 3))
    expect(log.persisted).toBe(2)
    expect(log.takeUnstable().map((e) => [e.index, e.term])).toEqual([[3, 2]])
    // A stale acknowledgement of the replaced entry (3, term 1) must not count.
    log.stableTo(3, 1)
    expect(log.persisted).toBe(2)
    log.stableTo(3, 2)
    expect(log.persisted).toBe(3)
  })

  it('hands committed entries out once and tracks lastApplied', () => {
    const log = new RaftLog(entries([1, 1, 1]))
    log.commitTo(2)
    expect(log.takeCommitted().map((e) => e.index)).toEqual([1, 2])
    expect(log.hasCommittedToApply()).toBe(false)
    log.appliedTo(2)
    log.commitTo(9)
    expect(log.commitIndex).toBe(3)
    expect(log.takeCommitted().map((e) => e.index)).toEqual([3])
    expect(log.lastApplied).toBe(2)
  })

  it('refuses an append that leaves a gap', () => {
    expect(() => new RaftLog([]).append(entries([1], 2))).toThrow(/append of entry 2/)
  })
})
