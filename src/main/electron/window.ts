// The main window, locked down (Electron's security checklist): context isolation, sandbox, no
// Node in the renderer, a CSP header, no permissions, no navigation away from the app's page,
// no new windows, no <webview>.
import { BrowserWindow, session, type Session } from 'electron'
import { rendererCsp } from '../api/csp'
import { isAppPageUrl, type AppPage } from './sender-check'

export interface WindowBounds {
  x?: number
  y?: number
  width: number
  height: number
}

/** Add the CSP header to every response and refuse every permission request (camera, ...). */
export function hardenSession(target: Session, page: AppPage): void {
  // Under `npm run dev` the page and its hot-reload socket come from the dev server.
  const dev = page.devUrl ? new URL(page.devUrl) : null
  const csp = rendererCsp(dev ? [dev.origin, `ws://${dev.host}`] : [])
  target.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] }
    })
  })
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
}

export function createMainWindow(
  page: AppPage,
  preload: string,
  bounds: WindowBounds = { width: 1280, height: 800 }
): BrowserWindow {
  const win = new BrowserWindow({
    ...bounds,
    minWidth: 960,
    minHeight: 600,
    title: 'Raft Lab',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      session: session.defaultSession
    }
  })
  const contents = win.webContents
  contents.on('will-navigate', (event) => {
    if (!isAppPageUrl(event.url, page)) event.preventDefault()
  })
  contents.on('will-redirect', (event) => {
    if (!isAppPageUrl(event.url, page)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  win.once('ready-to-show', () => win.show())
  if (page.devUrl) void win.loadURL(page.devUrl)
  else void win.loadFile(page.file)
  return win
}
