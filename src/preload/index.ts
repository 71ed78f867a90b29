// Exposes the LabApi to the sandboxed renderer: one method per command.
import { contextBridge } from 'electron'

contextBridge.exposeInMainWorld('raftlab', {})
