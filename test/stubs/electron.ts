// Stand-in for the `electron` module in unit tests: the real package would try to download its
// binary. A recording fake: it keeps what the code under test did (windows created, handlers
// registered, messages sent, menus built) and lets a test play the user or the renderer
// (navigate, invoke a channel, answer a dialog). `resetElectronFake()` between tests.
import { EventEmitter } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

type Listener = (...args: never[]) => unknown

/** A navigation-like event: `preventDefault()` is recorded. */
export class FakeEvent {
  defaultPrevented = false
  constructor(readonly url = '') {}
  preventDefault(): void {
    this.defaultPrevented = true
  }
}

export class FakeWebFrame {
  parent: FakeWebFrame | null = null
  constructor(public url: string) {}
}

let nextContentsId = 1

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++
  readonly sent: { channel: string; args: unknown[] }[] = []
  readonly mainFrame = new FakeWebFrame('about:blank')
  readonly session = session.defaultSession
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null
  private destroyed = false

  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed')
    this.sent.push({ channel, args })
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = handler
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  destroy(): void {
    this.destroyed = true
  }
  /** Play a navigation: returns true when a listener prevented it. */
  navigate(url: string): boolean {
    const event = new FakeEvent(url)
    this.emit('will-navigate', event, url)
    if (!event.defaultPrevented) this.mainFrame.url = url
    return event.defaultPrevented
  }
  /** Play `window.open(url)`: returns what the window-open handler decided. */
  openWindow(url: string): 'allow' | 'deny' {
    return this.windowOpenHandler ? this.windowOpenHandler({ url }).action : 'allow'
  }
}

export class BrowserWindow extends EventEmitter {
  static readonly created: BrowserWindow[] = []
  readonly webContents = new FakeWebContents()
  loaded: { file?: string; url?: string } | null = null
  private destroyed = false
  private bounds = { x: 0, y: 0, width: 0, height: 0 }

  constructor(readonly options: Record<string, unknown> = {}) {
    super()
    this.bounds.width = Number(options.width ?? 800)
    this.bounds.height = Number(options.height ?? 600)
    BrowserWindow.created.push(this)
  }
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.created.filter((w) => !w.destroyed)
  }
  static fromWebContents(contents: unknown): BrowserWindow | null {
    return BrowserWindow.created.find((w) => w.webContents === contents) ?? null
  }
  async loadFile(file: string): Promise<void> {
    this.loaded = { file }
    this.webContents.mainFrame.url = pathToFileURL(file).href
  }
  async loadURL(url: string): Promise<void> {
    this.loaded = { url }
    this.webContents.mainFrame.url = url
  }
  getBounds(): { x: number; y: number; width: number; height: number } {
    return { ...this.bounds }
  }
  show(): void {}
  focus(): void {}
  isDestroyed(): boolean {
    return this.destroyed
  }
  /** Like the user closing the window: 'close', then 'closed'. */
  close(): void {
    if (this.destroyed) return
    this.emit('close', new FakeEvent())
    this.destroyed = true
    this.webContents.destroy()
    this.emit('closed')
  }
}

type Handler = (event: unknown, ...args: unknown[]) => unknown

export const ipcMain = {
  handlers: new Map<string, Handler>(),
  listeners: new Map<string, Listener[]>(),
  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel)) {
      throw new Error(`Attempted to register a second handler for '${channel}'`)
    }
    this.handlers.set(channel, handler)
  },
  removeHandler(channel: string): void {
    this.handlers.delete(channel)
  },
  on(channel: string, listener: Listener): void {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener])
  },
  /** Play the renderer calling `ipcRenderer.invoke(channel, ...args)` from `sender`. */
  async invoke(
    channel: string,
    sender: { contents: FakeWebContents; frame?: FakeWebFrame | null },
    ...args: unknown[]
  ): Promise<unknown> {
    const handler = this.handlers.get(channel)
    if (!handler) throw new Error(`No handler registered for '${channel}'`)
    const senderFrame = sender.frame === undefined ? sender.contents.mainFrame : sender.frame
    return handler({ sender: sender.contents, senderFrame }, ...args)
  }
}

export const ipcRenderer = {
  invocations: [] as { channel: string; args: unknown[] }[],
  /** What `invoke` resolves to; tests replace it. */
  respond: (_channel: string, ..._args: unknown[]): unknown => undefined,
  emitter: new EventEmitter(),
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invocations.push({ channel, args })
    return this.respond(channel, ...args)
  },
  on(channel: string, listener: (...args: unknown[]) => void): void {
    this.emitter.on(channel, listener)
  },
  removeListener(channel: string, listener: (...args: unknown[]) => void): void {
    this.emitter.removeListener(channel, listener)
  },
  /** Play main sending `webContents.send(channel, ...args)` to this renderer. */
  deliver(channel: string, ...args: unknown[]): void {
    this.emitter.emit(channel, { sender: null }, ...args)
  }
}

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown): void {
    if (this.exposed.has(key)) throw new Error(`Cannot bind an API on top of an existing property`)
    this.exposed.set(key, api)
  }
}

type SaveResult = { canceled: boolean; filePath?: string }
type OpenResult = { canceled: boolean; filePaths: string[] }

export const dialog = {
  calls: [] as { kind: string; options: Record<string, unknown> }[],
  /** The answers the "user" gives, in order; a missing answer is a cancel. */
  saveAnswers: [] as string[],
  openAnswers: [] as string[][],
  errors: [] as { title: string; content: string }[],
  async showSaveDialog(...args: unknown[]): Promise<SaveResult> {
    this.calls.push({ kind: 'save', options: lastOptions(args) })
    const filePath = this.saveAnswers.shift()
    return filePath === undefined ? { canceled: true, filePath: '' } : { canceled: false, filePath }
  },
  async showOpenDialog(...args: unknown[]): Promise<OpenResult> {
    this.calls.push({ kind: 'open', options: lastOptions(args) })
    const filePaths = this.openAnswers.shift()
    return filePaths === undefined
      ? { canceled: true, filePaths: [] }
      : { canceled: false, filePaths }
  },
  showErrorBox(title: string, content: string): void {
    this.errors.push({ title, content })
  }
}

function lastOptions(args: unknown[]): Record<string, unknown> {
  return (args[args.length - 1] ?? {}) as Record<string, unknown>
}

export interface FakeMenuItem {
  label?: string
  role?: string
  type?: string
  accelerator?: string
  enabled?: boolean
  submenu?: FakeMenuItem[]
  click?: (...args: unknown[]) => unknown
}

export class Menu {
  static applicationMenu: Menu | null = null
  constructor(readonly template: FakeMenuItem[]) {}
  static buildFromTemplate(template: FakeMenuItem[]): Menu {
    return new Menu(template)
  }
  static setApplicationMenu(menu: Menu | null): void {
    Menu.applicationMenu = menu
  }
}

type HeadersListener = (
  details: { url: string; responseHeaders?: Record<string, string[]> },
  callback: (response: { responseHeaders?: Record<string, string[]> }) => void
) => void

export const session = {
  defaultSession: {
    webRequest: {
      headersListener: null as HeadersListener | null,
      onHeadersReceived(listener: HeadersListener | null): void {
        this.headersListener = listener
      }
    },
    permissionRequestHandler: null as unknown,
    setPermissionRequestHandler(handler: unknown): void {
      this.permissionRequestHandler = handler
    }
  }
}

export const shell = {
  opened: [] as string[],
  async openPath(path: string): Promise<string> {
    this.opened.push(path)
    return ''
  },
  async openExternal(url: string): Promise<void> {
    this.opened.push(url)
  }
}

class FakeApp extends EventEmitter {
  isPackaged = false
  quitCalls = 0
  private userData = ''
  getPath(_name: string): string {
    this.userData ||= mkdtempSync(join(tmpdir(), 'raftlab-fake-userdata-'))
    return this.userData
  }
  getAppPath(): string {
    return process.cwd()
  }
  getVersion(): string {
    return '0.0.0-test'
  }
  getName(): string {
    return 'Raft Lab'
  }
  async whenReady(): Promise<void> {}
  quit(): void {
    this.quitCalls++
    this.emit('before-quit', new FakeEvent())
  }
}

export const app = new FakeApp()

/** Forget everything recorded; handlers and windows of the previous test are gone. */
export function resetElectronFake(): void {
  BrowserWindow.created.length = 0
  ipcMain.handlers.clear()
  ipcMain.listeners.clear()
  ipcRenderer.invocations.length = 0
  ipcRenderer.respond = () => undefined
  ipcRenderer.emitter.removeAllListeners()
  contextBridge.exposed.clear()
  dialog.calls.length = 0
  dialog.saveAnswers.length = 0
  dialog.openAnswers.length = 0
  dialog.errors.length = 0
  Menu.applicationMenu = null
  session.defaultSession.webRequest.headersListener = null
  session.defaultSession.permissionRequestHandler = null
  shell.opened.length = 0
  app.removeAllListeners()
  app.quitCalls = 0
}

export default {
  app,
  BrowserWindow,
  contextBridge,
  dialog,
  ipcMain,
  ipcRenderer,
  Menu,
  session,
  shell
}
