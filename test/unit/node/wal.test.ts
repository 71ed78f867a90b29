import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Entry } from '../../../src/shared/raft/types'
import {
  RECORD_HEADER_BYTES,
  SEGMENT_MAGIC,
  WalCorruptionError,
  encodeRecord,
  openWal,
  segmentName
} from '../../../src/node/wal'

function put(index: number, term: number, value = `v${index}`): Entry {
  return { index, term, command: { op: 'put', key: 'k', value, client: 'c', seq: index } }
}

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-wal-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

async function writeAndClose(
  batches: { hs?: { currentTerm: number; votedFor: string | null }; entries: Entry[] }[],
  segmentBytes?: number
): Promise<void> {
  const { wal } = openWal(dir, { segmentBytes })
  for (const b of batches) wal.write(b.hs ?? null, b.entries)
  await wal.sync()
  wal.close()
}

const segment = (n: number) => path.join(dir, segmentName(n))

describe('WAL', () => {
  it('starts empty and replays hard state and entries', async () => {
    const first = openWal(dir)
    expect(first.recovered).toEqual({
      hardState: { currentTerm: 0, votedFor: null },
      entries: [],
      repaired: null
    })
    first.wal.close()
    await writeAndClose([
      { hs: { currentTerm: 2, votedFor: 'n1' }, entries: [put(1, 1), put(2, 2)] },
      { hs: { currentTerm: 3, votedFor: null }, entries: [put(3, 3)] }
    ])
    const { wal, recovered } = openWal(dir)
    wal.close()
    expect(recovered.hardState).toEqual({ currentTerm: 3, votedFor: null })
    expect(recovered.entries).toEqual([put(1, 1), put(2, 2), put(3, 3)])
    expect(recovered.repaired).toBeNull()
  })

  it('makes truncation on conflict durable (§5.3)', async () => {
    await writeAndClose([
      { entries: [put(1, 1), put(2, 1), put(3, 1)] },
      { entries: [put(2, 2, 'new')] }
    ])
    const { wal, recovered } = openWal(dir)
    wal.close()
    expect(recovered.entries).toEqual([put(1, 1), put(2, 2, 'new')])
  })

  it('rolls over segments and replays across them', async () => {
    const batches = Array.from({ length: 20 }, (_, i) => ({ entries: [put(i + 1, 1)] }))
    await writeAndClose(batches, 300)
    expect(fs.existsSync(segment(3))).toBe(true)
    const { wal, recovered } = openWal(dir, { segmentBytes: 300 })
    wal.write(null, [put(21, 1)])
    await wal.sync()
    wal.close()
    expect(recovered.entries.map((e) => e.index)).toEqual(batches.map((_, i) => i + 1))
    const again = openWal(dir)
    again.wal.close()
    expect(again.recovered.entries).toHaveLength(21)
  })

  it('cuts a torn record at the tail and reports it', async () => {
    await writeAndClose([{ entries: [put(1, 1), put(2, 1)] }])
    const size = fs.statSync(segment(1)).size
    fs.truncateSync(segment(1), size - 5)
    const { wal, recovered } = openWal(dir)
    expect(recovered.entries).toEqual([put(1, 1)])
    expect(recovered.repaired).toMatch(/torn record .*0000000000000001\.wal at offset \d+/)
    // The repaired log takes appends again and replays cleanly.
    wal.write(null, [put(2, 2)])
    await wal.sync()
    wal.close()
    const again = openWal(dir)
    again.wal.close()
    expect(again.recovered.entries).toEqual([put(1, 1), put(2, 2)])
    expect(again.recovered.repaired).toBeNull()
  })

  it('treats a zero-filled tail as torn', async () => {
    await writeAndClose([{ entries: [put(1, 1)] }])
    fs.appendFileSync(segment(1), Buffer.alloc(4096))
    const { wal, recovered } = openWal(dir)
    wal.close()
    expect(recovered.entries).toEqual([put(1, 1)])
    expect(recovered.repaired).not.toBeNull()
  })

  it('stops on a flipped byte inside a record, naming file and offset', async () => {
    await writeAndClose([{ entries: [put(1, 1), put(2, 1), put(3, 1)] }])
    const data = fs.readFileSync(segment(1))
    const secondRecord =
      SEGMENT_MAGIC.length + encodeRecord({ type: 'entry', entry: put(1, 1) }).length
    data[secondRecord + RECORD_HEADER_BYTES + 10]! ^= 0x01
    fs.writeFileSync(segment(1), data)
    let error: unknown
    try {
      openWal(dir)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(WalCorruptionError)
    expect((error as WalCorruptionError).file).toBe(segment(1))
    expect((error as WalCorruptionError).offset).toBe(secondRecord)
    expect((error as Error).message).toMatch(/body checksum mismatch/)
  })

  it('stops on a flipped byte in the last record too (a crash never leaves a complete bad record)', async () => {
    await writeAndClose([{ entries: [put(1, 1), put(2, 1)] }])
    const data = fs.readFileSync(segment(1))
    data[data.length - 3]! ^= 0x40
    fs.writeFileSync(segment(1), data)
    expect(() => openWal(dir)).toThrow(WalCorruptionError)
  })

  it('stops on a corrupted length field instead of taking it for a torn tail', async () => {
    await writeAndClose([{ entries: [put(1, 1), put(2, 1)] }])
    const data = fs.readFileSync(segment(1))
    data[SEGMENT_MAGIC.length + 1]! ^= 0x10
    fs.writeFileSync(segment(1), data)
    expect(() => openWal(dir)).toThrow(/header checksum mismatch/)
  })

  it('stops when a segment that is not the last was cut in the middle', async () => {
    await writeAndClose(
      Array.from({ length: 20 }, (_, i) => ({ entries: [put(i + 1, 1)] })),
      300
    )
    const size = fs.statSync(segment(1)).size
    fs.truncateSync(segment(1), Math.floor(size / 2) + 3)
    expect(() => openWal(dir)).toThrow(
      /0000000000000001\.wal at offset \d+: segment ends inside a record/
    )
  })

  it('stops when a segment is missing', async () => {
    await writeAndClose(
      Array.from({ length: 20 }, (_, i) => ({ entries: [put(i + 1, 1)] })),
      300
    )
    fs.rmSync(segment(2))
    expect(() => openWal(dir)).toThrow(/segment missing/)
  })

  it('stops on a file that is not a WAL segment', () => {
    fs.writeFileSync(segment(1), 'hello world, not a log')
    expect(() => openWal(dir)).toThrow(/missing segment magic/)
  })

  it('keeps lazy (no-fsync bug) writes in memory until flushed', async () => {
    const { wal } = openWal(dir)
    wal.write(null, [put(1, 1)])
    wal.write({ currentTerm: 1, votedFor: 'n2' }, [put(2, 1)], true)
    // A kill -9 here loses the lazy record: the file does not have it.
    const peek = openWal(dir)
    peek.wal.close()
    expect(peek.recovered.entries).toEqual([put(1, 1)])
    wal.flushLazy()
    await wal.sync()
    wal.close()
    const { wal: reopened, recovered } = openWal(dir)
    reopened.close()
    expect(recovered.entries).toEqual([put(1, 1), put(2, 1)])
    expect(recovered.hardState).toEqual({ currentTerm: 1, votedFor: 'n2' })
  })
})
