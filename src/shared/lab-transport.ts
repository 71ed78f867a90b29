// How LabApi requests, replies and events travel over the two adapters (Electron IPC and the
// browser mode's WebSocket). The request payloads themselves are validated with `labCommands`.
import { z } from 'zod'
import type { LabEvent } from './lab-api'

/** A command's outcome: errors travel as text so both adapters rethrow the same clear message. */
export type LabReply<T = unknown> = { ok: true; result: T } | { ok: false; error: string }

/** Browser mode: the WebSocket endpoint and the query parameter carrying the session token. */
export const WS_PATH = '/api'
export const TOKEN_PARAM = 'token'

/** Browser → server: one command call. `request` is validated later with the command's schema. */
export const wsRequestSchema = z
  .object({
    id: z.number().int().nonnegative(),
    method: z.string().min(1).max(64),
    request: z.unknown()
  })
  .strict()
export type WsRequest = z.infer<typeof wsRequestSchema>

/** Server → browser: a reply to one request, or a batch of events. */
export type WsServerMessage =
  | ({ type: 'reply'; id: number } & LabReply)
  | { type: 'events'; batch: LabEvent[] }
  | { type: 'error'; error: string }
