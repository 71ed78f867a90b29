// Peer transport. Every node dials one outgoing connection to each peer and
// sends all its messages for that peer on it (so the lab's proxy sees one
// directed link per pair); incoming peer connections only receive.
import net from 'node:net'
import type { NodeId, RaftMessage } from '../shared/raft/types'
import { helloSchema, raftMessageSchema } from '../shared/protocol'
import { FrameConnection } from './connection'

export interface PeerAddress {
  host: string
  port: number
}

export interface TransportOptions {
  id: NodeId
  peers: Map<NodeId, PeerAddress>
  onMessage(message: RaftMessage): void
  log(text: string): void
  /** Messages kept per peer while it is unreachable or slow; the oldest are dropped beyond it. */
  queueLimit?: number
}

export const DEFAULT_PEER_QUEUE_LIMIT = 1024
/** Bytes buffered in a socket before we keep messages in the (bounded) queue instead. */
const SOCKET_HIGH_WATER = 1024 * 1024
const BACKOFF_MIN_MS = 20
const BACKOFF_MAX_MS = 1000

class OutboundLink {
  private conn: FrameConnection | null = null
  private connected = false
  private readonly queue: string[] = []
  private backoffMs = BACKOFF_MIN_MS
  private retryTimer: NodeJS.Timeout | null = null
  private stopped = false
  dropped = 0

  constructor(
    private readonly from: NodeId,
    private readonly to: NodeId,
    private readonly address: PeerAddress,
    private readonly queueLimit: number,
    private readonly log: (text: string) => void
  ) {}

  start(): void {
    if (this.stopped) return
    const socket = net.connect({ host: this.address.host, port: this.address.port })
    socket.setNoDelay(true)
    const conn = new FrameConnection(socket, (frame) => {
      // The peer only ever writes an Error frame before closing on us.
      if (frame && typeof frame === 'object' && 'message' in frame) {
        this.log(`peer ${this.to} rejected our connection: ${String(frame.message)}`)
      }
    })
    this.conn = conn
    socket.on('connect', () => {
      // TCP self-connect: a dialled port in the ephemeral range can be handed to our own
      // socket while the peer is down, which would then hold the peer's port.
      if (socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress) {
        socket.destroy()
        return
      }
      this.connected = true
      this.backoffMs = BACKOFF_MIN_MS
      conn.send({ type: 'Hello', from: this.from, to: this.to })
      this.flush()
    })
    socket.on('drain', () => this.flush())
    socket.on('close', () => {
      this.connected = false
      this.conn = null
      this.scheduleRetry()
    })
  }

  send(message: RaftMessage): void {
    this.queue.push(JSON.stringify(message) + '\n')
    // Raft tolerates lost messages; a slow or dead peer must not grow our memory.
    if (this.queue.length > this.queueLimit) {
      this.queue.shift()
      this.dropped++
    }
    this.flush()
  }

  stop(): void {
    this.stopped = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.conn?.socket.destroy()
  }

  private flush(): void {
    const conn = this.conn
    if (!this.connected || !conn) return
    while (this.queue.length > 0 && conn.socket.writableLength < SOCKET_HIGH_WATER) {
      conn.socket.write(this.queue.shift()!)
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return
    const delay = this.backoffMs * (0.5 + Math.random() / 2)
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.start()
    }, delay)
  }
}

export class PeerTransport {
  private readonly links = new Map<NodeId, OutboundLink>()
  private readonly inbound = new Map<NodeId, FrameConnection>()

  constructor(private readonly options: TransportOptions) {
    for (const [peer, address] of options.peers) {
      this.links.set(
        peer,
        new OutboundLink(
          options.id,
          peer,
          address,
          options.queueLimit ?? DEFAULT_PEER_QUEUE_LIMIT,
          options.log
        )
      )
    }
  }

  start(): void {
    for (const link of this.links.values()) link.start()
  }

  send(messages: RaftMessage[]): void {
    for (const m of messages) this.links.get(m.to)?.send(m)
  }

  /** Messages dropped because a peer's queue was full, per peer. */
  droppedCounts(): Record<NodeId, number> {
    return Object.fromEntries([...this.links].map(([id, link]) => [id, link.dropped]))
  }

  /** A connection whose first frame was a Hello: check who it claims to be, then receive from it. */
  acceptPeer(conn: FrameConnection, hello: unknown): void {
    const parsed = helloSchema.safeParse(hello)
    if (!parsed.success) return conn.fail('BAD_REQUEST', 'malformed Hello frame')
    const { from, to } = parsed.data
    if (to !== this.options.id) {
      return conn.fail('WRONG_PEER', `this is node ${this.options.id}, not ${to}`)
    }
    if (!this.options.peers.has(from)) {
      return conn.fail('WRONG_PEER', `${from} is not a peer of ${this.options.id}`)
    }
    // One incoming connection per peer: a reconnecting peer replaces its old one.
    this.inbound.get(from)?.close()
    this.inbound.set(from, conn)
    conn.socket.on('close', () => {
      if (this.inbound.get(from) === conn) this.inbound.delete(from)
    })
    conn.setHandler((frame) => {
      const result = raftMessageSchema.safeParse(frame)
      if (!result.success) {
        const issue = result.error.issues[0]
        return conn.fail(
          'BAD_REQUEST',
          `malformed Raft message from ${from}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`
        )
      }
      const message = result.data
      if (message.from !== from || message.to !== this.options.id) {
        return conn.fail(
          'WRONG_PEER',
          `message from ${message.from} to ${message.to} on ${from}'s connection to ${this.options.id}`
        )
      }
      this.options.onMessage(message)
    })
  }

  stop(): void {
    for (const link of this.links.values()) link.stop()
    for (const conn of this.inbound.values()) conn.socket.destroy()
  }
}
