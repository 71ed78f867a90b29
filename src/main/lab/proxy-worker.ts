// The fault proxy's worker thread: every relay lives here, so relaying a frame
// never waits behind the lab's main thread (trace recording, node events,
// clients). Messages: see ProxyToWorker and WorkerToProxy in proxy.ts.
import { parentPort, workerData } from 'node:worker_threads'
import { seededRng } from '../../shared/rng'
import { Relays } from './relay'
import type { ProxyToWorker, ProxyWorkerData, WorkerToProxy } from './proxy'

const port = parentPort
if (!port) throw new Error('proxy-worker.js runs as a worker thread of the lab')
const data = workerData as ProxyWorkerData
const targets = new Map<string, number | null>()
let lines: string[] = []
let flushScheduled = false

const post = (message: WorkerToProxy): void => port.postMessage(message)

/** Events go out once per turn of the event loop: one message for every frame relayed in it. */
function flush(): void {
  flushScheduled = false
  if (lines.length === 0) return
  post({ type: 'events', lines })
  lines = []
}

const relays = new Relays(data.nodeIds, {
  rng: seededRng(data.seed),
  record: (text) => {
    lines.push(text)
    if (!flushScheduled) {
      flushScheduled = true
      setImmediate(flush)
    }
  },
  targetPort: (node) => targets.get(node) ?? null
})

port.on('message', (m: ProxyToWorker) => {
  switch (m.type) {
    case 'faults':
      for (const [key, fault] of m.faults) relays.setFault(key, fault)
      // Frames relayed under the old faults are reported before the change is acknowledged.
      flush()
      post({ type: 'ack', id: m.id })
      break
    case 'target':
      targets.set(m.node, m.port)
      // Only a node that went down: one that (re)starts has dialled its peers already,
      // before the lab read its "listening" line, and its old connections died with it.
      if (m.port === null) relays.targetChanged(m.node)
      break
    case 'close':
      relays.close()
      flush()
      post({ type: 'closed' })
      port.close()
      break
  }
})

relays.start().then(
  (ports) => post({ type: 'ready', ports }),
  (err: unknown) => post({ type: 'failed', message: (err as Error).message })
)
