import { beforeEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BrowserWindow, resetElectronFake, session } from '../../stubs/electron'
import { createMainWindow, hardenSession } from '../../../src/main/electron/window'

const page = { file: join('/opt/raftlab/out/renderer', 'index.html') }

beforeEach(() => resetElectronFake())

describe('main window', () => {
  it('is isolated and sandboxed, without Node, and loads the built page', () => {
    const win = createMainWindow(
      page,
      '/opt/raftlab/out/preload/index.js'
    ) as unknown as BrowserWindow
    expect(win.options.webPreferences).toMatchObject({
      preload: '/opt/raftlab/out/preload/index.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false
    })
    expect(win.loaded).toEqual({ file: page.file })
  })

  it('uses the dev server under `npm run dev`', () => {
    const win = createMainWindow(
      { ...page, devUrl: 'http://localhost:5173/' },
      '/p.js'
    ) as unknown as BrowserWindow
    expect(win.loaded).toEqual({ url: 'http://localhost:5173/' })
  })

  it('stays on the app page: other navigations, new windows and webviews are denied', () => {
    const win = createMainWindow(page, '/p.js') as unknown as BrowserWindow
    const contents = win.webContents
    expect(contents.navigate('https://example.com/')).toBe(true)
    expect(contents.navigate('file:///etc/passwd')).toBe(true)
    expect(contents.navigate(pathToFileURL(page.file).href + '#replay')).toBe(false)
    expect(contents.openWindow('https://example.com/')).toBe('deny')
    expect(contents.openWindow(pathToFileURL(page.file).href)).toBe('deny')
    const attach = {
      defaultPrevented: false,
      preventDefault: () => (attach.defaultPrevented = true)
    }
    contents.emit('will-attach-webview', attach)
    expect(attach.defaultPrevented).toBe(true)
  })
})

describe('session hardening', () => {
  it('adds the CSP header to every response and refuses permissions', () => {
    hardenSession(session.defaultSession as never, page)
    const listener = session.defaultSession.webRequest.headersListener
    expect(listener).not.toBeNull()
    let headers: Record<string, string[]> | undefined
    listener?.({ url: 'file:///x', responseHeaders: { 'X-Other': ['1'] } }, (r) => {
      headers = r.responseHeaders
    })
    expect(headers?.['X-Other']).toEqual(['1'])
    const csp = headers?.['Content-Security-Policy']?.[0] ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("object-src 'none'")
    expect(csp).not.toContain('ws://')
    let granted: boolean | undefined
    const decide = session.defaultSession.permissionRequestHandler as (
      c: unknown,
      p: string,
      cb: (ok: boolean) => void
    ) => void
    decide(null, 'media', (ok) => (granted = ok))
    expect(granted).toBe(false)
  })

  it('lets the dev page reach its dev server', () => {
    hardenSession(session.defaultSession as never, { ...page, devUrl: 'http://localhost:5173/' })
    let csp = ''
    session.defaultSession.webRequest.headersListener?.({ url: 'http://localhost:5173/' }, (r) => {
      csp = r.responseHeaders?.['Content-Security-Policy']?.[0] ?? ''
    })
    expect(csp).toContain("connect-src 'self' http://localhost:5173 ws://localhost:5173")
  })
})
