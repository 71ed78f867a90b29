import { describe, expect, it } from 'vitest'
import { MemoryStorage, type Entry } from '../../../src/shared/raft'

const entries = (terms: number[], from = 1): Entry[] =>
  terms.map((term, i) => ({ index: from + i, term, command: { op: 'noop' } }))
const terms = (s: { entries: Entry[] }) => s.entries.map((e) => e.term)

describe('MemoryStorage', () => {
  it('truncates from the first new entry, then appends', () => {
    const disk = new MemoryStorage({ entries: entries([1, 1, 1]) })
    disk.save({
      hardState: { currentTerm: 2, votedFor: 'n2' },
      entries: entries([2], 2),
      mustSync: true
    })
    expect(terms(disk.initialState())).toEqual([1, 2])
    expect(disk.initialState().hardState).toEqual({ currentTerm: 2, votedFor: 'n2' })
  })

  it('loses unsynced writes in a crash and keeps synced ones', () => {
    const disk = new MemoryStorage()
    disk.save({
      hardState: { currentTerm: 1, votedFor: null },
      entries: entries([1]),
      mustSync: true
    })
    disk.save({
      hardState: { currentTerm: 2, votedFor: 'n1' },
      entries: entries([2], 2),
      mustSync: false
    })
    expect(terms(disk.current())).toEqual([1, 2])
    disk.crash()
    expect(terms(disk.initialState())).toEqual([1])
    expect(disk.initialState().hardState).toEqual({ currentTerm: 1, votedFor: null })
  })

  it('makes earlier unsynced writes durable with the next synced one', () => {
    const disk = new MemoryStorage()
    disk.save({ hardState: null, entries: entries([1]), mustSync: false })
    disk.save({ hardState: null, entries: entries([1], 2), mustSync: true })
    disk.crash()
    expect(terms(disk.initialState())).toEqual([1, 1])
  })

  it('hands out copies, so a driver cannot change the disk by accident', () => {
    const disk = new MemoryStorage({ entries: entries([1]) })
    disk.initialState().entries.pop()
    expect(terms(disk.initialState())).toEqual([1])
  })
})
