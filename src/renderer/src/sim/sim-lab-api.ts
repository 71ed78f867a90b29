// Simulation mode's LabApi: the same shape as the real lab's, served by the
// simulator in a Web Worker, so the views do not care which one runs.
import type { LabApi, LabCommandName, LabEvent } from '@shared/lab-api'
import type { LabReply } from '@shared/lab-transport'
import { labCommands } from '@shared/lab-api'

export interface WorkerRequest {
  id: number
  method: LabCommandName
  request: unknown
}

export type WorkerReply =
  ({ type: 'reply'; id: number } & LabReply) | { type: 'event'; event: LabEvent }

/** What the api needs of a Worker (a MessagePort-like object), so tests can pass a fake. */
export interface WorkerLike {
  postMessage(message: WorkerRequest): void
  addEventListener(type: 'message', listener: (e: MessageEvent<WorkerReply>) => void): void
}

export function createSimLabApi(worker: WorkerLike): LabApi {
  let nextId = 1
  const waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>()
  const listeners = new Set<(e: LabEvent) => void>()

  worker.addEventListener('message', (e) => {
    const msg = e.data
    if (msg.type === 'event') {
      for (const l of listeners) l(msg.event)
      return
    }
    const w = waiting.get(msg.id)
    if (!w) return
    waiting.delete(msg.id)
    if (msg.ok) w.resolve(msg.result)
    else w.reject(new Error(msg.error))
  })

  const api: Record<string, unknown> = {
    onEvent(listener: (e: LabEvent) => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    }
  }
  for (const method of Object.keys(labCommands) as LabCommandName[]) {
    api[method] = (request: unknown) =>
      new Promise((resolve, reject) => {
        const id = nextId++
        waiting.set(id, { resolve, reject })
        worker.postMessage({ id, method, request })
      })
  }
  return api as unknown as LabApi
}

/** The real thing: a module worker bundled by Vite. */
export function startSimWorker(): LabApi {
  const worker = new Worker(new URL('./sim.worker.ts', import.meta.url), { type: 'module' })
  return createSimLabApi(worker)
}
