// The LabApi over the browser mode's WebSocket (`raftlab serve`): each call is a request with an
// id, answered by a reply with the same id; events arrive in batches. Calls made before the
// socket opens wait for it; when the socket closes, pending and later calls fail with a message
// that says what to do.
import type { LabApi, LabCommandName, LabEvent } from '../../../shared/lab-api'
import { LAB_COMMAND_NAMES } from '../../../shared/lab-channels'
import {
  TOKEN_PARAM,
  WS_PATH,
  type LabReply,
  type WsRequest,
  type WsServerMessage
} from '../../../shared/lab-transport'

/** The subset of the DOM WebSocket this client uses (so Node's `ws` can stand in for it). */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open', listener: () => void): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void
}

export type WsLabApi = LabApi & {
  /** Close the socket; pending calls fail. */
  close(): void
}

const OPEN = 1

/** The WebSocket URL for a page served by `raftlab serve`, or null when its URL has no token. */
export function labSocketUrl(location: {
  protocol: string
  host: string
  search: string
}): string | null {
  const token = new URLSearchParams(location.search).get(TOKEN_PARAM)
  if (!token) return null
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}${WS_PATH}?${TOKEN_PARAM}=${encodeURIComponent(token)}`
}

export function createWsLabApi(
  url: string,
  connect: (url: string) => WebSocketLike = (u) => new WebSocket(u)
): WsLabApi {
  const socket = connect(url)
  const listeners = new Set<(event: LabEvent) => void>()
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()
  const queued: string[] = []
  let nextId = 1
  let closedReason: string | null = null

  const emit = (event: LabEvent): void => listeners.forEach((listener) => listener(event))

  socket.addEventListener('open', () => {
    for (const data of queued.splice(0)) socket.send(data)
  })
  socket.addEventListener('message', ({ data }) => {
    let message: WsServerMessage
    try {
      message = JSON.parse(String(data)) as WsServerMessage
    } catch {
      return emit({
        type: 'log',
        level: 'error',
        message: 'the lab sent a message that is not JSON'
      })
    }
    if (message.type === 'events') {
      for (const event of message.batch) emit(event)
    } else if (message.type === 'reply') {
      const call = pending.get(message.id)
      pending.delete(message.id)
      const reply: LabReply = message
      if (!call) return
      if (reply.ok) call.resolve(reply.result)
      else call.reject(new Error(reply.error))
    } else {
      emit({ type: 'log', level: 'error', message: `the lab refused a request: ${message.error}` })
    }
  })
  socket.addEventListener('close', ({ code, reason }) => {
    closedReason =
      code === 1000
        ? 'the connection to the lab was closed'
        : `the connection to the lab was lost (${reason || `code ${code}`}); ` +
          'is `raftlab serve` still running? Open the URL it printed.'
    for (const call of pending.values()) call.reject(new Error(closedReason))
    pending.clear()
    emit({ type: 'log', level: 'error', message: closedReason })
  })

  function call(method: LabCommandName, request: unknown): Promise<unknown> {
    if (closedReason !== null) return Promise.reject(new Error(closedReason))
    const id = nextId++
    const message: WsRequest = { id, method, request: request ?? {} }
    const data = JSON.stringify(message)
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      if (socket.readyState === OPEN) socket.send(data)
      else queued.push(data)
    })
  }

  const commands = Object.fromEntries(
    LAB_COMMAND_NAMES.map((name) => [name, (request: unknown) => call(name, request)])
  )
  return {
    ...commands,
    onEvent(listener: (event: LabEvent) => void) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    close: () => socket.close(1000, 'closed by the page')
  } as unknown as WsLabApi
}
