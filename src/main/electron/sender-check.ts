// Which IPC senders are the app's own: the main frame of a window this app created, showing the
// app's page (the built index.html, or the dev server's origin under `npm run dev`). A page the
// window was somehow navigated to, or a subframe, cannot drive the lab (Electron's security
// checklist, item 17: validate the sender of all IPC messages).
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron'
import { pathToFileURL } from 'node:url'

export interface AppPage {
  /** The built renderer's index.html, loaded with loadFile. */
  file: string
  /** The dev server's URL (ELECTRON_RENDERER_URL) when running `npm run dev`. */
  devUrl?: string
}

export function isAppPageUrl(url: string, page: AppPage): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol === 'file:') return parsed.pathname === pathToFileURL(page.file).pathname
  return page.devUrl !== undefined && parsed.origin === new URL(page.devUrl).origin
}

export function makeSenderCheck(
  windows: () => BrowserWindow[],
  page: AppPage
): (event: IpcMainInvokeEvent) => boolean {
  return (event) => {
    const frame = event.senderFrame
    if (!frame || frame.parent !== null) return false
    if (!windows().some((w) => !w.isDestroyed() && w.webContents === event.sender)) return false
    return isAppPageUrl(frame.url, page)
  }
}
