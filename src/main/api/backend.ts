// What both adapters (Electron IPC, browser-mode WebSocket) drive: the lab engine seen as one
// handler per LabApi command, plus its event stream. Validation happens here, once, for both.
import {
  isLabCommandName,
  parseLabRequest,
  type LabCommandName,
  type LabEvent,
  type LabParsedRequest,
  type LabResults
} from '../../shared/lab-api'
import type { LabReply } from '../../shared/lab-transport'

export type LabHandlers = {
  [K in LabCommandName]: (request: LabParsedRequest<K>) => Promise<LabResults[K]>
}

export type LabBackend = LabHandlers & {
  onEvent(listener: (event: LabEvent) => void): () => void
  /** Stops every node and workload; called when the window closes or the server stops. */
  dispose(): Promise<void>
}

/**
 * Validate an untrusted command name and payload, run the command, and turn any failure into
 * a reply with a clear message (a command's own error keeps its message).
 */
export async function dispatchLabCommand(
  backend: LabHandlers,
  name: unknown,
  payload: unknown
): Promise<LabReply> {
  if (typeof name !== 'string' || !isLabCommandName(name)) {
    return { ok: false, error: `unknown command ${JSON.stringify(name)}` }
  }
  try {
    const request = parseLabRequest(name, payload)
    const handler = backend[name] as (request: unknown) => Promise<unknown>
    const result = await handler.call(backend, request)
    return { ok: true, result }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    return { ok: false, error: message.startsWith(`${name}:`) ? message : `${name}: ${message}` }
  }
}
