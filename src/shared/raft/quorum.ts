// Majorities (§5.2, §5.3): the one counting rule behind elections and commits.

/** How many of `clusterSize` servers make a majority. */
export function majority(clusterSize: number): number {
  return Math.floor(clusterSize / 2) + 1
}

/**
 * The highest log index stored on a majority, given every server's matchIndex
 * (the leader's own included): the majority-th largest of them.
 */
export function quorumIndex(matchIndexes: readonly number[]): number {
  const sorted = [...matchIndexes].sort((a, b) => b - a)
  return sorted[majority(sorted.length) - 1] ?? 0
}

export type VoteResult = 'won' | 'lost' | 'pending'

/** An election's outcome once `votes` (granted or not, by voter) are counted in a cluster of `clusterSize`. */
export function voteResult(votes: ReadonlyMap<string, boolean>, clusterSize: number): VoteResult {
  let granted = 0
  let rejected = 0
  for (const v of votes.values()) {
    if (v) granted++
    else rejected++
  }
  const needed = majority(clusterSize)
  if (granted >= needed) return 'won'
  if (rejected > clusterSize - needed) return 'lost'
  return 'pending'
}
