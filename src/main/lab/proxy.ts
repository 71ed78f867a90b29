// The fault proxy: one relay per directed link i→j. Node i is told that peer j
// lives at the relay's port; the relay forwards each NDJSON frame to j's real
// port after applying the link's faults (down, loss, delay+jitter,
// duplication, reordering), and reports every frame as a `net` event.
// Nodes send only on their own outgoing connections (docs/node-protocol.md),
// so one relay sees exactly one direction; bytes coming back (an Error frame
// before a close) are passed through untouched.
import net from 'node:net'
import type { Rng } from '../../shared/raft/types'
import type { LinkFault, UnstampedEvent } from '../../shared/trace'

/** Messages at most this long (bytes of JSON) are copied into the trace. */
export const NET_MSG_LIMIT = 2048
/** A relay holding more delayed frames than this drops new ones ("queue full"). */
const MAX_PENDING = 10_000
/** A frame longer than this closes the relay connection (nodes reject them too). */
const MAX_LINE = 4 * 1024 * 1024
/** A reordered frame waits at most this long for a later frame to overtake it. */
const REORDER_HOLD_MS = 50

export const HEALTHY: LinkFault = {
  up: true,
  loss: 0,
  delayMs: 0,
  jitterMs: 0,
  duplicate: 0,
  reorder: 0
}

interface Frame {
  line: string
  type: string
  term: number
  /** The parsed message, when the line is a JSON object. */
  obj: Record<string, unknown> | undefined
  msg: Record<string, unknown> | undefined
  /** Set when the proxy cut an AppendEntries' entries (max entries). */
  cut?: string
}

export interface ProxyOptions {
  nodeIds: string[]
  rng: Rng
  record(event: UnstampedEvent): void
  /** Where node j really listens right now, or null when it is down. */
  targetPort(nodeId: string): number | null
}

class Relay {
  server: net.Server
  port = 0
  fault: LinkFault = { ...HEALTHY }
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
    private readonly opts: ProxyOptions
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
    let partial = ''
    let first = true
    let client = false
    down.on('data', (chunk: Buffer) => {
      if (client) {
        up.write(chunk)
        return
      }
      partial += chunk.toString('utf8')
      let nl: number
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl)
        partial = partial.slice(nl + 1)
        if (first) {
          first = false
          // A node's leader hint names the peer address it knows, which is a relay: a client
          // that follows it is passed through untouched (clients are not behind the proxy).
          client = parseFrame(line).type !== 'Hello'
          // The Hello frame names the connection, it is not a Raft message: pass it on.
          up.write(line + '\n')
          if (client) {
            up.write(partial)
            partial = ''
            return
          }
          continue
        }
        if (line.length > 0) this.onFrame(parseFrame(line), up)
      }
      if (partial.length > MAX_LINE) {
        down.destroy()
        up.destroy()
      }
    })
  }

  private netEvent(
    action: 'send' | 'deliver' | 'drop' | 'duplicate',
    frame: Frame,
    id: number,
    extra: { reason?: string; delayMs?: number } = {}
  ): void {
    this.opts.record({
      kind: 'net',
      action,
      from: this.from,
      to: this.to,
      msgId: id,
      type: frame.type,
      term: frame.term,
      size: Buffer.byteLength(frame.line) + 1,
      ...extra,
      ...(action === 'send' && frame.msg ? { msg: frame.msg } : {})
    })
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
      up.write(frame.line + '\n')
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
  const entries = frame.obj?.entries
  if (frame.type !== 'AppendEntries' || !Array.isArray(entries) || entries.length <= max)
    return frame
  const obj = { ...frame.obj, entries: entries.slice(0, max) }
  const line = JSON.stringify(obj)
  return {
    ...frame,
    line,
    obj,
    msg: line.length <= NET_MSG_LIMIT ? obj : undefined,
    cut: `delivered ${max} of ${entries.length} entries (max entries)`
  }
}

function parseFrame(line: string): Frame {
  try {
    const v = JSON.parse(line) as unknown
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>
      return {
        line,
        type: typeof o.type === 'string' ? o.type.slice(0, 64) : 'unknown',
        term: typeof o.term === 'number' && Number.isInteger(o.term) && o.term >= 0 ? o.term : 0,
        obj: o,
        msg: line.length <= NET_MSG_LIMIT ? o : undefined
      }
    }
  } catch {
    // Not JSON: still relayed, so the receiving node decides what to do with it.
  }
  return { line, type: 'invalid', term: 0, obj: undefined, msg: undefined }
}

export class FaultProxy {
  private readonly relays = new Map<string, Relay>()

  constructor(private readonly opts: ProxyOptions) {
    for (const i of opts.nodeIds)
      for (const j of opts.nodeIds) if (i !== j) this.relays.set(`${i}>${j}`, new Relay(i, j, opts))
  }

  async start(): Promise<void> {
    await Promise.all([...this.relays.values()].map((r) => r.listen()))
  }

  /** The address node `from` must use to reach peer `to`. */
  relayPort(from: string, to: string): number {
    return this.relay(from, to).port
  }

  private relay(from: string, to: string): Relay {
    const r = this.relays.get(`${from}>${to}`)
    if (!r) throw new Error(`no link ${from} → ${to}`)
    return r
  }

  link(from: string, to: string): LinkFault {
    return { ...this.relay(from, to).fault }
  }

  links(): { from: string; to: string; fault: LinkFault }[] {
    return [...this.relays.values()].map((r) => ({ from: r.from, to: r.to, fault: { ...r.fault } }))
  }

  /** Change one directed link; `*` means every node. */
  setLink(from: string, to: string, change: Partial<LinkFault>): void {
    for (const r of this.relays.values()) {
      if ((from === '*' || r.from === from) && (to === '*' || r.to === to)) {
        r.fault = { ...r.fault, ...change }
      }
    }
  }

  /** Cut every link between groups; links inside a group come up. Unlisted nodes form one more group. */
  partition(groups: string[][]): void {
    const groupOf = new Map<string, number>()
    groups.forEach((g, i) => g.forEach((n) => groupOf.set(n, i)))
    for (const r of this.relays.values()) {
      const a = groupOf.get(r.from) ?? -1
      const b = groupOf.get(r.to) ?? -1
      r.fault = { ...r.fault, up: a === b }
    }
  }

  isolate(node: string): void {
    for (const r of this.relays.values())
      if (r.from === node || r.to === node) r.fault = { ...r.fault, up: false }
  }

  /** Every link up and healthy again. */
  heal(): void {
    for (const r of this.relays.values()) r.fault = { ...HEALTHY }
  }

  /** A node died or restarted: drop connections towards it so peers redial its new port. */
  targetChanged(node: string): void {
    for (const r of this.relays.values()) if (r.to === node || r.from === node) r.reset()
  }

  close(): void {
    for (const r of this.relays.values()) r.close()
  }
}
