// One NDJSON connection: frames in through a bounded line splitter, frames out.
import type { Socket } from 'node:net'
import { MAX_FRAME_BYTES, type ErrorCode } from '../shared/protocol'
import { LineSplitter, coalesceWrites, parseJson } from './ndjson'

/** How long a connection we reject gets to read our Error frame before it is destroyed. */
const CLOSE_GRACE_MS = 200

export class FrameConnection {
  private readonly splitter: LineSplitter
  private handler: (frame: unknown, line: string) => void
  private closed = false

  constructor(
    readonly socket: Socket,
    handler: (frame: unknown, line: string) => void,
    maxLineBytes = MAX_FRAME_BYTES
  ) {
    this.handler = handler
    this.splitter = new LineSplitter(
      maxLineBytes,
      (line) => this.handler(parseJson(line), line),
      () => this.fail('BAD_REQUEST', `frame longer than ${maxLineBytes} bytes`)
    )
    socket.on('data', (chunk: Buffer) => this.splitter.push(chunk))
    socket.on('close', () => {
      this.closed = true
      this.splitter.stop()
    })
    // Errors (ECONNRESET and the like) end the connection; 'close' follows.
    socket.on('error', () => {})
  }

  get isOpen(): boolean {
    return !this.closed && !this.socket.destroyed
  }

  /** Route the following frames elsewhere (after the first frame told what the peer is). */
  setHandler(handler: (frame: unknown, line: string) => void): void {
    this.handler = handler
  }

  /**
   * Writes a frame; false when the socket is closed or its buffer is full. Frames
   * sent in the same turn of the event loop (the answers to one batch of applied
   * writes) leave in one write.
   */
  send(frame: unknown): boolean {
    if (!this.isOpen) return false
    coalesceWrites(this.socket)
    return this.socket.write(JSON.stringify(frame) + '\n')
  }

  /** Sends an Error frame and closes: the node itself keeps running. */
  fail(code: ErrorCode, message: string): void {
    if (this.closed) return
    this.send({ type: 'Error', code, message })
    this.close()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.splitter.stop()
    this.socket.end()
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref()
  }
}
