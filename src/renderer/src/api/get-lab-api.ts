// The renderer's LabApi: the desktop app's preload bridge when there is one, otherwise the
// browser mode's WebSocket on the server that served this page, authenticated by the token in
// the page's URL.
import type { LabApi } from '../../../shared/lab-api'
import { createWsLabApi, labSocketUrl } from './ws-lab-client'

let api: LabApi | null | undefined

/**
 * null when neither is available (the page was opened without the token); the UI then says so.
 * The same object is returned on every call.
 */
export function getLabApi(): LabApi | null {
  if (api !== undefined) return api
  if (window.raftlab) api = window.raftlab
  else {
    const url = labSocketUrl(window.location)
    api = url === null ? null : createWsLabApi(url)
  }
  return api
}
