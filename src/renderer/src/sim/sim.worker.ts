// The simulator in a Web Worker: commands in, replies and event batches out.
import type { LabReply } from '@shared/lab-transport'
import { SimSession } from './sim-session'
import type { WorkerReply, WorkerRequest } from './sim-lab-api'

const post = (message: WorkerReply): void => postMessage(message)

const session = new SimSession((event) => post({ type: 'event', event }), {
  setInterval: (run, ms) => setInterval(run, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>)
})

onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const { id, method, request } = e.data
  let reply: LabReply
  try {
    reply = { ok: true, result: await session.handle(method, request) }
  } catch (err) {
    reply = { ok: false, error: err instanceof Error ? err.message : String(err) }
  }
  post({ type: 'reply', id, ...reply })
}
