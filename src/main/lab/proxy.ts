// The fault proxy as the lab sees it: a relay per directed link (relay.ts), run
// in a worker thread (proxy-worker.ts) so that relaying does not queue behind
// the main thread's recording. The links' faults are kept here too, so reading
// them is synchronous; a change resolves once the worker applies it.
import { Worker } from 'node:worker_threads'
import { dirname, join } from 'node:path'
import { HEALTHY_LINK, type LinkFault, type UnstampedEvent } from '../../shared/trace'
import { linkKey } from './relay'

export { NET_MSG_LIMIT } from './relay'

export interface ProxyWorkerData {
  nodeIds: string[]
  /** Seeds loss, duplication, jitter and reordering decisions. */
  seed: number
}

export type ProxyToWorker =
  | { type: 'faults'; id: number; faults: [string, LinkFault][] }
  | { type: 'target'; node: string; port: number | null }
  | { type: 'close' }

export type WorkerToProxy =
  | { type: 'ready'; ports: Record<string, number> }
  | { type: 'failed'; message: string }
  | { type: 'events'; lines: string[] }
  | { type: 'ack'; id: number }
  | { type: 'closed' }

export interface ProxyOptions {
  nodeIds: string[]
  seed: number
  /** The built proxy-worker.js. */
  workerEntry: string
  /** A `net` event and its JSON text (see Recorder.recordText). */
  record(event: UnstampedEvent, text: string): void
}

/** The proxy worker's entry, built beside the node entry (out/main). */
export function proxyWorkerEntry(nodeEntry: string): string {
  return join(dirname(nodeEntry), 'proxy-worker.js')
}

export class FaultProxy {
  private readonly faults = new Map<string, LinkFault>()
  private ports: Record<string, number> = {}
  private worker: Worker | null = null
  private nextId = 1
  private readonly acks = new Map<number, () => void>()
  private closing: Promise<void> | null = null

  constructor(private readonly opts: ProxyOptions) {
    for (const i of opts.nodeIds)
      for (const j of opts.nodeIds) if (i !== j) this.faults.set(linkKey(i, j), { ...HEALTHY_LINK })
  }

  async start(): Promise<void> {
    const worker = new Worker(this.opts.workerEntry, {
      workerData: { nodeIds: this.opts.nodeIds, seed: this.opts.seed } satisfies ProxyWorkerData
    })
    this.worker = worker
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error): void => {
        this.worker = null
        reject(new Error(`the fault proxy did not start: ${err.message}`))
      }
      worker.on('message', (m: WorkerToProxy) => {
        if (m.type === 'ready') {
          this.ports = m.ports
          resolve()
        } else if (m.type === 'failed') {
          void worker.terminate()
          failed(new Error(m.message))
        } else this.onMessage(m)
      })
      worker.once('error', failed)
      worker.once('exit', (code) => {
        this.worker = null
        if (this.closing === null) {
          failed(new Error(`its worker exited with code ${code}`))
          const note: UnstampedEvent = {
            kind: 'note',
            text: `the fault proxy stopped (exit code ${code}): nodes cannot reach each other`
          }
          this.opts.record(note, JSON.stringify(note))
        }
        for (const ack of this.acks.values()) ack()
        this.acks.clear()
      })
    })
  }

  private onMessage(m: WorkerToProxy): void {
    if (m.type === 'events') {
      for (const text of m.lines) this.opts.record(JSON.parse(text) as UnstampedEvent, text)
    } else if (m.type === 'ack') {
      this.acks.get(m.id)?.()
      this.acks.delete(m.id)
    }
  }

  /** The address node `from` must use to reach peer `to`. */
  relayPort(from: string, to: string): number {
    const port = this.ports[linkKey(from, to)]
    if (port === undefined) throw new Error(`no link ${from} → ${to}`)
    return port
  }

  link(from: string, to: string): LinkFault {
    const f = this.faults.get(linkKey(from, to))
    if (!f) throw new Error(`no link ${from} → ${to}`)
    return { ...f }
  }

  links(): { from: string; to: string; fault: LinkFault }[] {
    return [...this.faults].map(([key, fault]) => {
      const [from, to] = key.split('>') as [string, string]
      return { from, to, fault: { ...fault } }
    })
  }

  /** Change one directed link; `*` means every node. */
  setLink(from: string, to: string, change: Partial<LinkFault>): Promise<void> {
    return this.update((f, a, b) =>
      (from === '*' || a === from) && (to === '*' || b === to) ? { ...f, ...change } : f
    )
  }

  /** Cut every link between groups; links inside a group come up. Unlisted nodes form one more group. */
  partition(groups: string[][]): Promise<void> {
    const groupOf = new Map<string, number>()
    groups.forEach((g, i) => g.forEach((n) => groupOf.set(n, i)))
    return this.update((f, a, b) => ({
      ...f,
      up: (groupOf.get(a) ?? -1) === (groupOf.get(b) ?? -1)
    }))
  }

  isolate(node: string): Promise<void> {
    return this.update((f, a, b) => (a === node || b === node ? { ...f, up: false } : f))
  }

  /** Every link up and healthy again. */
  heal(): Promise<void> {
    return this.update(() => ({ ...HEALTHY_LINK }))
  }

  /** Node `node` now listens on `port`, or is down (null): then connections through it are dropped. */
  setTarget(node: string, port: number | null): void {
    this.post({ type: 'target', node, port })
  }

  private update(next: (fault: LinkFault, from: string, to: string) => LinkFault): Promise<void> {
    const changed: [string, LinkFault][] = []
    for (const [key, fault] of this.faults) {
      const [from, to] = key.split('>') as [string, string]
      const f = next(fault, from, to)
      if (f !== fault) {
        this.faults.set(key, f)
        changed.push([key, f])
      }
    }
    if (!this.worker || changed.length === 0) return Promise.resolve()
    const id = this.nextId++
    const applied = new Promise<void>((resolve) => this.acks.set(id, resolve))
    this.post({ type: 'faults', id, faults: changed })
    return applied
  }

  private post(message: ProxyToWorker): void {
    this.worker?.postMessage(message)
  }

  /** Stops relaying; the events of frames already relayed are recorded first. */
  close(): Promise<void> {
    const worker = this.worker
    this.closing ??= worker
      ? new Promise<void>((resolve) => {
          worker.once('exit', () => resolve())
          worker.on('message', (m: WorkerToProxy) => {
            if (m.type === 'closed') void worker.terminate()
          })
          this.post({ type: 'close' })
        })
      : Promise.resolve()
    return this.closing
  }
}
