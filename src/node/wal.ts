// The write-ahead log: the node's durable log and hard state (Figure 2,
// "Persistent state on all servers"). Byte layout in docs/wal-format.md.
//
// Append-only segment files `NNNNNNNNNNNNNNNN.wal`, each starting with the
// 8-byte magic "RAFTWAL1", then records:
//   u32 LE body length | u32 LE CRC32 of body | u32 LE CRC32 of the first 8 bytes | body (JSON)
// Hard state changes and log truncations (§5.3) are records too, so one fsync
// makes a whole Ready durable and a crash leaves either the old or new state.
import fs from 'node:fs'
import path from 'node:path'
import { crc32 } from 'node:zlib'
import { z } from 'zod'
import { entrySchema } from '../shared/trace'
import type { Entry, HardState, LogStorage } from '../shared/raft/types'

export const SEGMENT_MAGIC = Buffer.from('RAFTWAL1', 'latin1')
export const RECORD_HEADER_BYTES = 12
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024
/** A record longer than this is corruption, not data: entries are bounded by the wire limits. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024
const SEGMENT_NAME = /^(\d{16})\.wal$/

const recordSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('state'),
    currentTerm: z.number().int().nonnegative(),
    votedFor: z.string().min(1).nullable()
  }),
  z.object({ type: z.literal('entry'), entry: entrySchema }),
  z.object({ type: z.literal('truncate'), fromIndex: z.number().int().positive() })
])
export type WalRecord = z.infer<typeof recordSchema>

/** The log on disk cannot be trusted: the node must stop rather than drop committed entries. */
export class WalCorruptionError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    problem: string
  ) {
    super(`corrupt write-ahead log: ${file} at offset ${offset}: ${problem}`)
  }
}

export function segmentName(n: number): string {
  return `${String(n).padStart(16, '0')}.wal`
}

export function encodeRecord(record: WalRecord): Buffer {
  const body = Buffer.from(JSON.stringify(record), 'utf8')
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + body.length)
  out.writeUInt32LE(body.length, 0)
  out.writeUInt32LE(crc32(body), 4)
  out.writeUInt32LE(crc32(out.subarray(0, 8)), 8)
  body.copy(out, RECORD_HEADER_BYTES)
  return out
}

export interface RecoveredWal extends ReturnType<LogStorage['initialState']> {
  /** What recovery repaired (a torn tail), or null. */
  repaired: string | null
}

interface SegmentScan {
  records: { record: WalRecord; offset: number }[]
  /** Set when the segment ends inside a record: where the complete records end. */
  tornAt: number | null
}

function scanSegment(file: string, data: Buffer): SegmentScan {
  if (data.length < SEGMENT_MAGIC.length) return { records: [], tornAt: 0 }
  if (!data.subarray(0, SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC)) {
    throw new WalCorruptionError(file, 0, 'missing segment magic "RAFTWAL1"')
  }
  const records: SegmentScan['records'] = []
  let offset = SEGMENT_MAGIC.length
  while (offset < data.length) {
    const rest = data.subarray(offset)
    // A crash of the machine (not of the process) can leave zero-filled blocks past the last write.
    if (rest.every((b) => b === 0)) return { records, tornAt: offset }
    if (rest.length < RECORD_HEADER_BYTES) return { records, tornAt: offset }
    const length = rest.readUInt32LE(0)
    if (crc32(rest.subarray(0, 8)) !== rest.readUInt32LE(8)) {
      throw new WalCorruptionError(file, offset, 'record header checksum mismatch')
    }
    if (length > MAX_RECORD_BYTES) {
      throw new WalCorruptionError(file, offset, `record length ${length} exceeds the maximum`)
    }
    if (rest.length < RECORD_HEADER_BYTES + length) return { records, tornAt: offset }
    const body = rest.subarray(RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + length)
    if (crc32(body) !== rest.readUInt32LE(4)) {
      throw new WalCorruptionError(file, offset, 'record body checksum mismatch')
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      throw new WalCorruptionError(file, offset, 'record body is not JSON')
    }
    const result = recordSchema.safeParse(parsed)
    if (!result.success) {
      throw new WalCorruptionError(
        file,
        offset,
        `unknown record: ${result.error.issues[0]?.message}`
      )
    }
    records.push({ record: result.data, offset })
    offset += RECORD_HEADER_BYTES + length
  }
  return { records, tornAt: null }
}

function listSegments(dir: string): number[] {
  const numbers = fs
    .readdirSync(dir)
    .map((name) => SEGMENT_NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
  numbers.forEach((n, i) => {
    if (i > 0 && n !== numbers[i - 1]! + 1) {
      throw new WalCorruptionError(
        path.join(dir, segmentName(numbers[i - 1]! + 1)),
        0,
        `segment missing (found ${segmentName(numbers[i - 1]!)} and ${segmentName(n)})`
      )
    }
  })
  return numbers
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

export interface WalOptions {
  /** Roll over to a new segment once the active one reaches this size. */
  segmentBytes?: number
}

/**
 * Opens (creating if needed) the WAL in `dir` and replays it. A torn record at
 * the tail of the last segment is cut off and reported; anything else that does
 * not check out throws WalCorruptionError naming the file and offset.
 */
export function openWal(
  dir: string,
  options: WalOptions = {}
): { wal: Wal; recovered: RecoveredWal } {
  fs.mkdirSync(dir, { recursive: true })
  const numbers = listSegments(dir)
  const hardState: HardState = { currentTerm: 0, votedFor: null }
  const entries: Entry[] = []
  let repaired: string | null = null

  numbers.forEach((n, i) => {
    const file = path.join(dir, segmentName(n))
    const data = fs.readFileSync(file)
    const scan = scanSegment(file, data)
    for (const { record, offset } of scan.records) {
      if (record.type === 'state') {
        hardState.currentTerm = record.currentTerm
        hardState.votedFor = record.votedFor
      } else if (record.type === 'truncate') {
        if (record.fromIndex > entries.length + 1) {
          throw new WalCorruptionError(
            file,
            offset,
            `truncate from ${record.fromIndex} past the log's end (${entries.length})`
          )
        }
        entries.length = record.fromIndex - 1
      } else {
        if (record.entry.index !== entries.length + 1) {
          throw new WalCorruptionError(
            file,
            offset,
            `entry ${record.entry.index} does not follow entry ${entries.length}`
          )
        }
        entries.push(record.entry)
      }
    }
    if (scan.tornAt === null) return
    const isLast = i === numbers.length - 1
    if (!isLast) {
      throw new WalCorruptionError(
        file,
        scan.tornAt,
        'segment ends inside a record but later segments exist (the file was cut, not torn by a crash)'
      )
    }
    // A crash mid-append: the record was never acknowledged, so dropping it is safe (§5.3 repairs the rest).
    const cut = Math.max(scan.tornAt, SEGMENT_MAGIC.length)
    if (scan.tornAt < SEGMENT_MAGIC.length) fs.writeFileSync(file, SEGMENT_MAGIC)
    fs.truncateSync(file, cut)
    const fd = fs.openSync(file, 'r+')
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    repaired = `truncated a torn record at the tail of ${file} at offset ${scan.tornAt} (${data.length - scan.tornAt} bytes)`
  })

  const wal = new Wal(dir, numbers.at(-1) ?? 0, entries.length, hardState, options)
  return { wal, recovered: { hardState, entries, repaired } }
}

export class Wal {
  private fd = -1
  private segment: number
  private segmentSize = 0
  private readonly segmentBytes: number
  /** Records acknowledged under the no-fsync bug: held in process memory, lost by kill -9. */
  private lazy: Buffer[] = []
  private lastIndex: number
  private hardState: HardState

  constructor(
    private readonly dir: string,
    lastSegment: number,
    lastIndex: number,
    hardState: HardState,
    options: WalOptions
  ) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES
    this.lastIndex = lastIndex
    this.hardState = { ...hardState }
    if (lastSegment === 0) {
      this.segment = 0
      this.startSegment()
    } else {
      this.segment = lastSegment
      const file = path.join(dir, segmentName(lastSegment))
      this.fd = fs.openSync(file, 'a')
      this.segmentSize = fs.fstatSync(this.fd).size
    }
  }

  /** Index of the last entry written (possibly not yet synced). */
  get lastWrittenIndex(): number {
    return this.lastIndex
  }

  get currentHardState(): HardState {
    return { ...this.hardState }
  }

  /**
   * Writes a Ready's hard state and entries (truncating the log from entries[0]
   * first when they overwrite it). With `lazy`, the bytes stay in memory until
   * the next flush: that is the no-fsync teaching bug.
   */
  write(hardState: HardState | null, entries: Entry[], lazy = false): void {
    const records: Buffer[] = []
    if (
      hardState &&
      (hardState.currentTerm !== this.hardState.currentTerm ||
        hardState.votedFor !== this.hardState.votedFor)
    ) {
      records.push(encodeRecord({ type: 'state', ...hardState }))
      this.hardState = { ...hardState }
    }
    const first = entries[0]
    if (first && first.index <= this.lastIndex) {
      records.push(encodeRecord({ type: 'truncate', fromIndex: first.index }))
    }
    for (const entry of entries) records.push(encodeRecord({ type: 'entry', entry }))
    if (first) this.lastIndex = entries.at(-1)!.index
    if (records.length === 0) return
    if (lazy) {
      this.lazy.push(...records)
      return
    }
    this.flushLazy()
    this.writeOut(Buffer.concat(records))
  }

  /** Hands records kept in memory to the OS (no fsync). */
  flushLazy(): void {
    if (this.lazy.length === 0) return
    const data = Buffer.concat(this.lazy)
    this.lazy = []
    this.writeOut(data)
  }

  /** fdatasync of the active segment: everything written before is durable when it resolves. */
  sync(): Promise<void> {
    const fd = this.fd
    return new Promise((resolve, reject) => {
      fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()))
    })
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd)
    this.fd = -1
  }

  private writeOut(data: Buffer): void {
    if (this.segmentSize >= this.segmentBytes) this.rollOver()
    let written = 0
    while (written < data.length) written += fs.writeSync(this.fd, data, written)
    this.segmentSize += data.length
  }

  /** Records never span segments; the finished segment is synced before the next one exists. */
  private rollOver(): void {
    fs.fdatasyncSync(this.fd)
    fs.closeSync(this.fd)
    this.startSegment()
  }

  private startSegment(): void {
    this.segment += 1
    const file = path.join(this.dir, segmentName(this.segment))
    this.fd = fs.openSync(file, 'ax')
    fs.writeSync(this.fd, SEGMENT_MAGIC)
    fs.fsyncSync(this.fd)
    fsyncDir(this.dir)
    this.segmentSize = SEGMENT_MAGIC.length
  }
}
