// The Electron IPC adapter: one `ipcMain.handle` per LabApi command, every request checked for
// its sender and validated with the command's schema; events pushed to the app's windows in
// batches on IPC_EVENT_CHANNEL.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron'
import {
  IPC_CHANNELS,
  IPC_EVENT_CHANNEL,
  labCommands,
  type LabCommandName,
  type LabEvent
} from '../../shared/lab-api'
import type { LabReply } from '../../shared/lab-transport'
import { dispatchLabCommand, type LabBackend, type LabHandlers } from '../api/backend'
import { EventBatcher } from '../api/event-batcher'

/** Decides whether an IPC message comes from one of the app's own pages. */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean

const commandNames = Object.keys(labCommands) as LabCommandName[]

/** Register a handler per command; returns a function that removes them all. */
export function registerLabIpc(handlers: LabHandlers, isTrustedSender: SenderCheck): () => void {
  for (const name of commandNames) {
    ipcMain.handle(IPC_CHANNELS[name], async (event, payload: unknown): Promise<LabReply> => {
      if (!isTrustedSender(event)) {
        return {
          ok: false,
          error: `${name}: refused: the request does not come from Raft Lab's window`
        }
      }
      return dispatchLabCommand(handlers, name, payload)
    })
  }
  return () => {
    for (const name of commandNames) ipcMain.removeHandler(IPC_CHANNELS[name])
  }
}

export interface EventForwarder {
  /** Send an event that originates in the app itself (e.g. a menu action), in order. */
  push(event: LabEvent): void
  /** Deliver what is pending and unsubscribe. */
  stop(): void
}

/** Send the backend's events, batched, to every live target. */
export function forwardLabEvents(
  backend: LabBackend,
  targets: () => WebContents[]
): EventForwarder {
  const batcher = new EventBatcher((batch) => {
    for (const contents of targets()) {
      if (!contents.isDestroyed()) contents.send(IPC_EVENT_CHANNEL, batch)
    }
  })
  const unsubscribe = backend.onEvent((event) => batcher.push(event))
  return {
    push: (event) => batcher.push(event),
    stop() {
      unsubscribe()
      batcher.flush()
    }
  }
}
