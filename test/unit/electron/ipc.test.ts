import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  IPC_CHANNELS,
  IPC_EVENT_CHANNEL,
  labCommands,
  type LabEvent
} from '../../../src/shared/lab-api'
import {
  BrowserWindow,
  FakeWebContents,
  FakeWebFrame,
  ipcMain,
  resetElectronFake
} from '../../stubs/electron'
import { createFakeLabBackend, idleStatus, type FakeLabBackend } from '../../stubs/fake-lab-backend'
import { forwardLabEvents, registerLabIpc } from '../../../src/main/electron/ipc'
import { makeSenderCheck } from '../../../src/main/electron/sender-check'

let dir: string
let page: { file: string }
let win: BrowserWindow
let backend: FakeLabBackend
let unregister: () => void

beforeEach(async () => {
  resetElectronFake()
  dir = mkdtempSync(join(tmpdir(), 'raftlab-ipc-'))
  page = { file: join(dir, 'index.html') }
  writeFileSync(page.file, '<!doctype html>')
  win = new BrowserWindow()
  await win.loadFile(page.file)
  backend = createFakeLabBackend()
  const check = makeSenderCheck(() => [win as never], page)
  unregister = registerLabIpc(backend, check as never)
})

afterEach(() => {
  unregister()
  rmSync(dir, { recursive: true, force: true })
})

const fromWindow = () => ({ contents: win.webContents })

describe('Electron IPC adapter', () => {
  it('registers one handler per command on its lab: channel', () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual(Object.values(IPC_CHANNELS).sort())
    expect(Object.keys(IPC_CHANNELS).sort()).toEqual(Object.keys(labCommands).sort())
  })

  it('validates and fills in defaults before calling the engine', async () => {
    const reply = await ipcMain.invoke(IPC_CHANNELS.startCluster, fromWindow(), {
      config: { nodes: 3 }
    })
    expect(reply).toMatchObject({ ok: true, result: { running: true, mode: 'real' } })
    expect(backend.calls).toMatchObject([
      { name: 'startCluster', request: { mode: 'real', config: { nodes: 3, heartbeatMs: 50 } } }
    ])
  })

  it('refuses a malformed request with a message naming the field, and runs nothing', async () => {
    const reply = await ipcMain.invoke(IPC_CHANNELS.nodeAction, fromWindow(), {
      node: 'n1',
      action: 'explode'
    })
    expect(reply).toMatchObject({ ok: false })
    expect((reply as { error: string }).error).toMatch(/^nodeAction: action: /)
    const missing = await ipcMain.invoke(IPC_CHANNELS.readScenario, fromWindow(), {})
    expect((missing as { error: string }).error).toMatch(/^readScenario: path: /)
    expect(backend.calls).toEqual([])
  })

  it("passes the engine's own error back with the command's name", async () => {
    backend.failures.set('nodeAction', 'no such node n9')
    const reply = await ipcMain.invoke(IPC_CHANNELS.nodeAction, fromWindow(), {
      node: 'n9',
      action: 'crash'
    })
    expect(reply).toEqual({ ok: false, error: 'nodeAction: no such node n9' })
  })

  it('refuses requests from other windows, subframes, and pages navigated away from the app', async () => {
    const stranger = new FakeWebContents()
    stranger.mainFrame.url = pathToFileURL(page.file).href
    const subframe = new FakeWebFrame(pathToFileURL(page.file).href)
    subframe.parent = win.webContents.mainFrame
    const otherPage = new FakeWebFrame('https://example.com/')
    const senders = [
      { contents: stranger },
      { contents: win.webContents, frame: subframe },
      { contents: win.webContents, frame: otherPage },
      { contents: win.webContents, frame: null }
    ]
    for (const sender of senders) {
      const reply = await ipcMain.invoke(IPC_CHANNELS.stopCluster, sender, {})
      expect(reply).toEqual({
        ok: false,
        error: "stopCluster: refused: the request does not come from Raft Lab's window"
      })
    }
    expect(backend.calls).toEqual([])
  })

  it('removes every handler when unregistered', () => {
    unregister()
    expect(ipcMain.handlers.size).toBe(0)
    unregister = () => {}
  })
})

describe('event forwarding', () => {
  it('sends events in one batch: trace events merged, only the latest status kept', async () => {
    const forwarder = forwardLabEvents(backend, () => [win.webContents as never])
    const event = (seq: number) =>
      ({ seq, t: seq, kind: 'node-exit', node: 'n1', code: 0, signal: null }) as never
    backend.emit({ type: 'events', events: [event(1)], replay: false })
    backend.emit({ type: 'events', events: [event(2), event(3)], replay: false })
    backend.emit({ type: 'status', status: idleStatus({ eventCount: 3 }) })
    backend.emit({ type: 'status', status: idleStatus({ eventCount: 4 }) })
    forwarder.push({ type: 'log', level: 'info', message: 'hello' })
    expect(win.webContents.sent).toEqual([])
    forwarder.stop()
    expect(win.webContents.sent).toHaveLength(1)
    const [sent] = win.webContents.sent
    expect(sent?.channel).toBe(IPC_EVENT_CHANNEL)
    const batch = sent?.args[0] as LabEvent[]
    expect(batch.map((e) => e.type)).toEqual(['events', 'status', 'log'])
    expect(batch[0]).toMatchObject({ events: [{ seq: 1 }, { seq: 2 }, { seq: 3 }] })
    expect(batch[1]).toMatchObject({ status: { eventCount: 4 } })
    // Unsubscribed: later events go nowhere.
    backend.emit({ type: 'log', level: 'info', message: 'late' })
    await new Promise((r) => setTimeout(r, 80))
    expect(win.webContents.sent).toHaveLength(1)
  })

  it('delivers on its own after a short wait, and skips a destroyed window', async () => {
    const forwarder = forwardLabEvents(backend, () => [win.webContents as never])
    backend.emit({ type: 'log', level: 'warn', message: 'one' })
    await expect.poll(() => win.webContents.sent.length).toBe(1)
    win.close()
    backend.emit({ type: 'log', level: 'warn', message: 'two' })
    expect(() => forwarder.stop()).not.toThrow()
    expect(win.webContents.sent).toHaveLength(1)
  })
})
