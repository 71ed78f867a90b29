// The relays of the fault proxy: one per directed link i→j. Node i is told that
// peer j lives at the relay's port; the relay forwards each NDJSON frame to j's
// real port after applying the link's faults (down, loss, delay+jitter,
// duplication, reordering, max entries), and reports every frame as a `net`
// event. Nodes send only on their own outgoing connections
// (docs/node-protocol.md), so one relay sees exactly one direction; bytes coming
// back (an Error frame before a close) are passed through untouched.
// This code runs in the proxy's worker thread (proxy-worker.ts).
import net from 'node:net'
import type { Rng } from '../../shared/raft/types'
import { HEALTHY_LINK, type LinkFault, type TraceEventOf } from '../../shared/trace'

type NetEvent = Omit<TraceEventOf<'net'>, 'seq' | 't' | 'h'>

/** Messages at most this long (bytes of JSON) are copied into the trace. */
export const NET_MSG_LIMIT = 2048
/** A relay holding more delayed frames than this drops new ones ("queue full"). */
const MAX_PENDING = 10_000
/** A frame longer than this closes the relay connection (nodes reject them too). */
const MAX_LINE = 4 * 1024 * 1024
/** A reordered frame waits at most this long for a later frame to overtake it. */
const REORDER_HOLD_MS = 50

interface Frame {
  /** The frame as received, newline included. */
  bytes: Buffer
  type: string
  term: number
  /** The parsed message when it is short enough to copy into the trace. */
  msg: Record<string, unknown> | undefined
  /** Set when the proxy cut an AppendEntries' entries (max entries). */
  cut?: string
}

export interface RelayOptions {
  rng: Rng
  /** A `net` event, unstamped, as JSON text. */
  record(text: string): void
  /** Where node j really listens right now, or null when it is down. */
  targetPort(nodeId: string): number | null
}

class Relay {
  server: net.Server
  port = 0
  fault: LinkFault = { ...HEALTHY_LINK }
  private msgId = 0
  private readonly sockets = new Set<net.Socket>()
  private pending = 0
  /** Delivery time of the last frame scheduled, so delay alone keeps FIFO order. */
  private lastDue = 0
  private held: { frame: Frame; id: number; timer: NodeJS.Timeout; deliver: () => void } | null =
    null

  constructor(
    readonly from: string,
    readonly to: string,
    private readonly opts: RelayOptions
  ) {
    this.server = net.createServer((s) => this.accept(s))
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port
        resolve()
      })
    })
  }

  private accept(down: net.Socket): void {
    const port = this.opts.targetPort(this.to)
    this.sockets.add(down)
    down.on('close', () => this.sockets.delete(down))
    down.on('error', () => undefined)
    if (port === null) {
      // The target is down: refuse like a dead host would, so the node backs off and redials.
      down.destroy()
      return
    }
    down.setNoDelay(true)
    const up = net.connect({ host: '127.0.0.1', port })
    up.setNoDelay(true)
    this.sockets.add(up)
    up.on('close', () => {
      this.sockets.delete(up)
      down.destroy()
    })
    up.on('error', () => undefined)
    down.on('close', () => up.destroy())
    up.on('data', (chunk) => {
      if (!down.destroyed) down.write(chunk)
    })
    let first = true
    let client = false
    // Chunks holding no newline wait here (as received) until one completes their frame.
    let parts: Buffer[] = []
    let partBytes = 0
    down.on('data', (chunk: Buffer) => {
      if (client) {
        up.write(chunk)
        return
      }
      if (chunk.indexOf(0x0a) < 0) {
        parts.push(chunk)
        partBytes += chunk.length
        if (partBytes > MAX_LINE) {
          down.destroy()
          up.destroy()
        }
        return
      }
      const data = parts.length > 0 ? Buffer.concat([...parts, chunk]) : chunk
      parts = []
      partBytes = 0
      let start = 0
      if (first) {
        first = false
        const nl = data.indexOf(0x0a)
        // A node's leader hint names the peer address it knows, which is a relay: a client
        // that follows it is passed through untouched (clients are not behind the proxy).
        client = readFrame(data.subarray(0, nl + 1)).type !== 'Hello'
        if (client) {
          up.write(data)
          return
        }
        // The Hello frame names the connection, it is not a Raft message: pass it on.
        up.write(data.subarray(0, nl + 1))
        start = nl + 1
      }
      const end = data.lastIndexOf(0x0a) + 1
      if (end > start) this.relayFrames(data.subarray(start, end), up)
      const rest = data.subarray(Math.max(start, end))
      if (rest.length > MAX_LINE) {
        down.destroy()
        up.destroy()
      } else if (rest.length > 0) {
        parts = [rest]
        partBytes = rest.length
      }
    })
  }

  /** Whether frames can go out as they came: nothing to drop, delay, copy, hold or cut. */
  private passThrough(up: net.Socket): boolean {
    const f = this.fault
    return (
      f.up &&
      f.loss === 0 &&
      f.delayMs === 0 &&
      f.jitterMs === 0 &&
      f.duplicate === 0 &&
      f.reorder === 0 &&
      f.maxEntries === undefined &&
      this.pending === 0 &&
      this.held === null &&
      !up.destroyed
    )
  }

  /** Complete frames, each ending in a newline. */
  private relayFrames(block: Buffer, up: net.Socket): void {
    // A healthy link forwards the whole block in one write: one syscall, however many frames.
    const whole = this.passThrough(up)
    if (whole) up.write(block)
    let start = 0
    while (start < block.length) {
      const nl = block.indexOf(0x0a, start)
      const bytes = block.subarray(start, nl + 1)
      start = nl + 1
      if (bytes.length === 1) continue
      const frame = readFrame(bytes)
      if (!whole) {
        this.onFrame(frame, up)
        continue
      }
      const id = ++this.msgId
      this.netEvent('send', frame, id)
      this.netEvent('deliver', frame, id)
    }
  }

  private netEvent(
    action: 'send' | 'deliver' | 'drop' | 'duplicate',
    frame: Frame,
    id: number,
    extra: { reason?: string; delayMs?: number } = {}
  ): void {
    const event: NetEvent = {
      kind: 'net',
      action,
      from: this.from,
      to: this.to,
      msgId: id,
      type: frame.type,
      term: frame.term,
      size: frame.bytes.length,
      ...extra,
      ...(action === 'send' && frame.msg ? { msg: frame.msg } : {})
    }
    this.opts.record(JSON.stringify(event))
  }

  private onFrame(frame: Frame, up: net.Socket): void {
    const id = ++this.msgId
    const f = this.fault
    const rng = this.opts.rng
    this.netEvent('send', frame, id)
    if (!f.up) return this.netEvent('drop', frame, id, { reason: 'link down' })
    if (f.loss > 0 && rng() < f.loss) return this.netEvent('drop', frame, id, { reason: 'loss' })
    if (this.pending >= MAX_PENDING)
      return this.netEvent('drop', frame, id, { reason: 'queue full' })
    const copies = f.duplicate > 0 && rng() < f.duplicate ? 2 : 1
    if (copies === 2) this.netEvent('duplicate', frame, id)
    const sent = f.maxEntries !== undefined ? truncateEntries(frame, f.maxEntries) : frame
    for (let c = 0; c < copies; c++) this.schedule(sent, id, up)
  }

  private schedule(frame: Frame, id: number, up: net.Socket): void {
    const f = this.fault
    const delay = f.delayMs + (f.jitterMs > 0 ? this.opts.rng() * f.jitterMs : 0)
    const now = performance.now()
    const due = Math.max(now + delay, this.lastDue)
    this.lastDue = due
    const deliver = (): void => {
      this.pending--
      if (up.destroyed) return this.netEvent('drop', frame, id, { reason: 'node down' })
      up.write(frame.bytes)
      this.netEvent('deliver', frame, id, {
        ...(delay > 0 ? { delayMs: Math.round(delay) } : {}),
        ...(frame.cut ? { reason: frame.cut } : {})
      })
    }
    this.pending++
    const release = (): void => {
      // A frame held for reordering goes out right after the one that overtakes it.
      const held = this.held
      this.held = null
      deliver()
      if (held) {
        clearTimeout(held.timer)
        held.deliver()
      }
    }
    if (f.reorder > 0 && this.held === null && this.opts.rng() < f.reorder) {
      const timer = setTimeout(
        () => {
          if (this.held?.id === id) {
            this.held = null
            deliver()
          }
        },
        due - now + REORDER_HOLD_MS
      )
      this.held = { frame, id, timer, deliver }
      return
    }
    if (due - now <= 0) release()
    else setTimeout(release, due - now)
  }

  close(): void {
    if (this.held) clearTimeout(this.held.timer)
    for (const s of this.sockets) s.destroy()
    this.server.close()
  }

  /** Cut every connection through this relay (its target went away). */
  reset(): void {
    for (const s of this.sockets) s.destroy()
  }
}

/** An AppendEntries cut to its first `max` entries; other frames unchanged. */
function truncateEntries(frame: Frame, max: number): Frame {
  if (frame.type !== 'AppendEntries') return frame
  const obj = parseObject(frame.bytes.toString('utf8', 0, frame.bytes.length - 1))
  const entries = obj?.entries
  if (!Array.isArray(entries) || entries.length <= max) return frame
  const cut = { ...obj, entries: entries.slice(0, max) }
  const line = JSON.stringify(cut)
  return {
    ...frame,
    bytes: Buffer.from(line + '\n'),
    msg: line.length <= NET_MSG_LIMIT ? cut : undefined,
    cut: `delivered ${max} of ${entries.length} entries (max entries)`
  }
}

/** How much of a long frame is read to find its type and term. */
const HEAD_BYTES = 256
const HEAD_TYPE = /[{,]"type":"([A-Za-z0-9_]{1,64})"[,}]/
const HEAD_TERM = /[{,]"term":(0|[1-9][0-9]{0,14})[,}]/

/** Type and term of a frame (line bytes, newline included); only short frames are parsed whole. */
function readFrame(bytes: Buffer): Frame {
  const length = bytes.length - 1
  if (length > NET_MSG_LIMIT) {
    // Parsing a long AppendEntries just to name it would cost more than relaying it.
    const head = readHead(bytes.toString('latin1', 0, Math.min(length, HEAD_BYTES)))
    if (head) return { bytes, ...head, msg: undefined }
  }
  const o = parseObject(bytes.toString('utf8', 0, length))
  if (!o) return { bytes, type: 'invalid', term: 0, msg: undefined }
  return {
    bytes,
    type: typeof o.type === 'string' ? o.type.slice(0, 64) : 'unknown',
    term: typeof o.term === 'number' && Number.isInteger(o.term) && o.term >= 0 ? o.term : 0,
    msg: length <= NET_MSG_LIMIT ? o : undefined
  }
}

/**
 * `type` and `term` when both are top-level keys written before the first nested
 * value (as the nodes write them); null sends the caller to a full parse. Quotes
 * inside JSON strings are escaped, so `,"term":` can only be a key here.
 */
function readHead(head: string): { type: string; term: number } | null {
  if (head.charCodeAt(0) !== 0x7b) return null
  const nested = head.slice(1).search(/[[{]/)
  const flat = nested < 0 ? head : head.slice(0, nested + 1)
  const type = HEAD_TYPE.exec(flat)
  const term = HEAD_TERM.exec(flat)
  return type && term ? { type: type[1] as string, term: Number(term[1]) } : null
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>
  } catch {
    // Not JSON: still relayed, so the receiving node decides what to do with it.
  }
  return undefined
}

/** Every directed link between `nodeIds`, keyed `from>to`. */
export class Relays {
  private readonly relays = new Map<string, Relay>()

  constructor(nodeIds: readonly string[], opts: RelayOptions) {
    for (const i of nodeIds)
      for (const j of nodeIds) if (i !== j) this.relays.set(linkKey(i, j), new Relay(i, j, opts))
  }

  /** Listens on every relay; returns each link's port. */
  async start(): Promise<Record<string, number>> {
    await Promise.all([...this.relays.values()].map((r) => r.listen()))
    return Object.fromEntries([...this.relays].map(([key, r]) => [key, r.port]))
  }

  setFault(key: string, fault: LinkFault): void {
    const r = this.relays.get(key)
    if (!r) throw new Error(`no link ${key}`)
    r.fault = fault
  }

  /** A node went down: drop the connections through it (and the frames held for it). */
  targetChanged(node: string): void {
    for (const r of this.relays.values()) if (r.to === node || r.from === node) r.reset()
  }

  close(): void {
    for (const r of this.relays.values()) r.close()
  }
}

export function linkKey(from: string, to: string): string {
  return `${from}>${to}`
}
