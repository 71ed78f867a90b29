import type { Entry } from './types'

/**
 * The log of Figure 2 (entries 1..lastIndex, kept whole in memory), with the
 * marks a driver needs: which entries it has been handed to persist, which are
 * known to be persisted, which are committed, handed out to apply and applied.
 */
export class RaftLog {
  private entries: Entry[]
  /** Index of the highest entry known to be committed (Figure 2). */
  commitIndex = 0
  /** Index of the highest entry applied to the state machine (Figure 2). */
  lastApplied = 0
  /** Index of the highest committed entry handed out in a Ready (applied once advanced). */
  applying = 0
  /** First index not yet handed out in Ready.entries. */
  unstableFrom: number
  /** Entries 1..persisted were handed out and the driver advanced past them: they are on disk. */
  persisted: number

  constructor(entries: Entry[]) {
    entries.forEach((e, i) => {
      if (e.index !== i + 1) {
        throw new Error(`log entry ${i + 1} has index ${e.index}: the stored log must be 1..n`)
      }
    })
    this.entries = [...entries]
    this.persisted = entries.length
    this.unstableFrom = entries.length + 1
  }

  lastIndex(): number {
    return this.entries.length
  }

  lastTerm(): number {
    return this.term(this.lastIndex())
  }

  /** Term of the entry at `index`; 0 for index 0 (before the log) and for indexes past the end. */
  term(index: number): number {
    return this.entries[index - 1]?.term ?? 0
  }

  entry(index: number): Entry | undefined {
    return this.entries[index - 1]
  }

  /** Entries lo..hi inclusive (clamped to the log). */
  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(Math.max(lo, 1) - 1, Math.max(hi, 0))
  }

  /** §5.3: does the log contain an entry at `index` whose term is `term`? */
  matchTerm(index: number, term: number): boolean {
    if (index === 0) return term === 0
    return index <= this.lastIndex() && this.term(index) === term
  }

  /**
   * §5.4.1: a candidate's log is at least as up-to-date as ours if its last
   * term is later, or the last terms are equal and its log is at least as long.
   */
  isUpToDate(lastLogIndex: number, lastLogTerm: number): boolean {
    const term = this.lastTerm()
    return lastLogTerm > term || (lastLogTerm === term && lastLogIndex >= this.lastIndex())
  }

  /** First index of the run of entries that share the term of the entry at `index` (fast backtracking). */
  firstIndexOfTerm(index: number): number {
    const term = this.term(index)
    let i = index
    while (i > 1 && this.term(i - 1) === term) i--
    return i
  }

  /** The last index at or below `atMost` whose entry has `term`, or 0 if the log has no entry of that term there. */
  lastIndexOfTerm(term: number, atMost: number): number {
    for (let i = Math.min(atMost, this.lastIndex()); i > 0; i--) {
      const t = this.term(i)
      if (t === term) return i
      if (t < term) return 0
    }
    return 0
  }

  /** The leader's append (§5.3: "append entry to local log"). */
  append(entries: Entry[]): void {
    for (const e of entries) {
      if (e.index !== this.lastIndex() + 1) {
        throw new Error(`append of entry ${e.index} after last index ${this.lastIndex()}`)
      }
      this.entries.push(e)
    }
  }

  /**
   * The first of `entries` that is not in the log: its index conflicts with an
   * existing entry (different term) or lies past the end. 0 when all are present.
   */
  findConflict(entries: Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index
    }
    return 0
  }

  /**
   * §5.3: delete the existing entry at `entries[0].index` and all that follow
   * it, then append `entries`. Truncated entries leave the persisted range and
   * are handed out again from there.
   */
  truncateAndAppend(entries: Entry[]): void {
    const first = entries[0]
    if (first === undefined) return
    this.entries.length = first.index - 1
    this.persisted = Math.min(this.persisted, first.index - 1)
    this.unstableFrom = Math.min(this.unstableFrom, first.index)
    this.append(entries)
  }

  /** Entries not yet handed out in a Ready; marks them handed out. */
  takeUnstable(): Entry[] {
    const out = this.slice(this.unstableFrom, this.lastIndex())
    this.unstableFrom = this.lastIndex() + 1
    return out
  }

  hasUnstable(): boolean {
    return this.unstableFrom <= this.lastIndex()
  }

  /**
   * The driver persisted entries up to `index`. Ignored if that entry has since
   * been replaced: by the Log Matching Property an entry with the same index and
   * term means the whole prefix is the same.
   */
  stableTo(index: number, term: number): void {
    if (this.term(index) === term && index < this.unstableFrom) {
      this.persisted = Math.max(this.persisted, index)
    }
  }

  commitTo(index: number): void {
    this.commitIndex = Math.max(this.commitIndex, Math.min(index, this.lastIndex()))
  }

  /** Committed entries not yet handed out to apply; marks them handed out. */
  takeCommitted(): Entry[] {
    const out = this.slice(this.applying + 1, this.commitIndex)
    this.applying = Math.max(this.applying, this.commitIndex)
    return out
  }

  hasCommittedToApply(): boolean {
    return this.commitIndex > this.applying
  }

  appliedTo(index: number): void {
    this.lastApplied = Math.max(this.lastApplied, index)
  }
}
