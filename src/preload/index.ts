// Exposes the LabApi to the sandboxed renderer as `window.raftlab`: one method per command, each
// sending on its own channel, plus `onEvent`. ipcRenderer itself is never exposed. Only zod-free
// modules are imported: a sandboxed preload can require nothing but `electron`.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import type { LabApi, LabCommandName, LabEvent } from '../shared/lab-api'
import { LAB_COMMAND_NAMES, LAB_EVENT_CHANNEL, labChannel } from '../shared/lab-channels'
import type { LabReply } from '../shared/lab-transport'

async function call(name: LabCommandName, request: unknown): Promise<unknown> {
  const reply = (await ipcRenderer.invoke(labChannel(name), request)) as LabReply
  if (!reply.ok) throw new Error(reply.error)
  return reply.result
}

const commands = Object.fromEntries(
  LAB_COMMAND_NAMES.map((name) => [name, (request: unknown) => call(name, request)])
)

const api = {
  ...commands,
  onEvent(listener: (event: LabEvent) => void): () => void {
    const receive = (_event: IpcRendererEvent, batch: LabEvent[]): void => {
      for (const event of batch) listener(event)
    }
    ipcRenderer.on(LAB_EVENT_CHANNEL, receive)
    return () => ipcRenderer.removeListener(LAB_EVENT_CHANNEL, receive)
  }
} as LabApi

contextBridge.exposeInMainWorld('raftlab', api)
