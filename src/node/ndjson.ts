// NDJSON framing: one JSON object per line. A line longer than the limit is
// reported instead of buffered, so a peer cannot make us hold unbounded memory.
import type { Socket } from 'node:net'

export class LineSplitter {
  private parts: Buffer[] = []
  private partBytes = 0
  private overflowed = false

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOversize: () => void
  ) {}

  push(chunk: Buffer): void {
    if (this.overflowed) return
    let start = 0
    for (;;) {
      const nl = chunk.indexOf(0x0a, start)
      if (nl < 0) break
      const piece = chunk.subarray(start, nl)
      if (this.partBytes + piece.length > this.maxLineBytes) return this.overflow()
      const line =
        this.partBytes === 0
          ? piece.toString('utf8')
          : Buffer.concat([...this.parts, piece]).toString('utf8')
      this.parts = []
      this.partBytes = 0
      start = nl + 1
      if (line.trim() !== '') this.onLine(line)
      // The callback may have closed the stream.
      if (this.overflowed) return
    }
    const rest = chunk.subarray(start)
    if (rest.length === 0) return
    if (this.partBytes + rest.length > this.maxLineBytes) return this.overflow()
    this.parts.push(Buffer.from(rest))
    this.partBytes += rest.length
  }

  /** Stop delivering lines (after an oversized one, or when the owner closes). */
  stop(): void {
    this.overflowed = true
    this.parts = []
    this.partBytes = 0
  }

  private overflow(): void {
    this.stop()
    this.onOversize()
  }
}

/**
 * Holds a socket's writes until this turn of the event loop is over, so the
 * frames written meanwhile (the answers to one batch, the requests of clients
 * answered by one read) leave in one write: on loopback each write that wakes
 * the reader costs tens of µs.
 */
export function coalesceWrites(socket: Socket): void {
  if (socket.writableCorked > 0) return
  socket.cork()
  process.nextTick(() => socket.uncork())
}

/** Parses a line as JSON, or returns undefined. */
export function parseJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown
  } catch {
    return undefined
  }
}
