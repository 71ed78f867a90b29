import type { Entry, HardState, LogStorage, Ready } from './types'

interface Write {
  hardState: HardState | null
  entries: Entry[]
}

/**
 * An in-memory disk for tests and the simulator. Writes made with `sync` are
 * durable; writes made without it stay volatile (the page cache) until a later
 * synced write, and `crash()` loses them, as power loss would.
 */
export class MemoryStorage implements LogStorage {
  private durableHardState: HardState
  private durableEntries: Entry[]
  private volatile: Write[] = []

  constructor(initial?: { hardState?: HardState; entries?: Entry[] }) {
    this.durableHardState = initial?.hardState ?? { currentTerm: 0, votedFor: null }
    this.durableEntries = [...(initial?.entries ?? [])]
  }

  /** What a restart recovers: only durable writes. */
  initialState(): { hardState: HardState; entries: Entry[] } {
    return { hardState: { ...this.durableHardState }, entries: [...this.durableEntries] }
  }

  /** Step 1 of the driver loop: persist a Ready's hard state and entries. */
  save(ready: Pick<Ready, 'hardState' | 'entries' | 'mustSync'>): void {
    if (ready.hardState === null && ready.entries.length === 0) return
    this.volatile.push({ hardState: ready.hardState, entries: ready.entries })
    if (ready.mustSync) this.sync()
  }

  /** Lose every write not yet synced. */
  crash(): void {
    this.volatile = []
  }

  /** The state as the running node sees it, synced or not. */
  current(): { hardState: HardState; entries: Entry[] } {
    const state = this.initialState()
    for (const w of this.volatile) applyWrite(state, w)
    return state
  }

  /** Make every write durable, as a clean shutdown does: what a node wrote survives it. */
  sync(): void {
    const state = { hardState: this.durableHardState, entries: this.durableEntries }
    for (const w of this.volatile) applyWrite(state, w)
    this.durableHardState = state.hardState
    this.durableEntries = state.entries
    this.volatile = []
  }
}

/** Truncate from the first new entry's index, then append (Ready's contract). */
function applyWrite(state: { hardState: HardState; entries: Entry[] }, w: Write): void {
  if (w.hardState !== null) state.hardState = { ...w.hardState }
  const first = w.entries[0]
  if (first === undefined) return
  // In place: copying the whole log on every write would make a long run quadratic.
  if (state.entries.length > first.index - 1) state.entries.length = first.index - 1
  for (const e of w.entries) state.entries.push(e)
}
