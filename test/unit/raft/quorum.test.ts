import { describe, expect, it } from 'vitest'
import { majority, quorumIndex, voteResult } from '../../../src/shared/raft'

describe('majority', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
    [7, 4]
  ])('of %i servers is %i', (n, m) => expect(majority(n)).toBe(m))
})

describe('quorumIndex', () => {
  it.each([
    { match: [5], want: 5 },
    { match: [5, 0], want: 0 },
    { match: [5, 3, 1], want: 3 },
    { match: [1, 3, 5], want: 3 },
    { match: [9, 9, 2, 2], want: 2 },
    { match: [7, 6, 5, 0, 0], want: 5 },
    { match: [7, 6, 0, 0, 0], want: 0 }
  ])('$match → $want', ({ match, want }) => expect(quorumIndex(match)).toBe(want))
})

describe('voteResult', () => {
  const votes = (...v: boolean[]) => new Map(v.map((g, i) => [`n${i + 1}`, g]))
  it.each([
    { votes: votes(true), size: 1, want: 'won' },
    { votes: votes(true), size: 3, want: 'pending' },
    { votes: votes(true, true), size: 3, want: 'won' },
    { votes: votes(true, false), size: 3, want: 'pending' },
    { votes: votes(true, false, false), size: 3, want: 'lost' },
    // A split vote in four: two for, two against, nobody can reach three.
    { votes: votes(true, true, false, false), size: 4, want: 'lost' },
    { votes: votes(true, true, false), size: 4, want: 'pending' },
    { votes: votes(true, true, true), size: 5, want: 'won' }
  ])('$size servers, $votes.size votes → $want', ({ votes, size, want }) =>
    expect(voteResult(votes, size)).toBe(want)
  )
})
