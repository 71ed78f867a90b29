import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  IPC_CHANNELS,
  IPC_EVENT_CHANNEL,
  labCommands,
  type LabApi,
  type LabEvent
} from '../../../src/shared/lab-api'
import { LAB_COMMAND_NAMES, LAB_EVENT_CHANNEL, labChannel } from '../../../src/shared/lab-channels'
import {
  BrowserWindow,
  contextBridge,
  ipcMain,
  ipcRenderer,
  resetElectronFake
} from '../../stubs/electron'
import { createFakeLabBackend } from '../../stubs/fake-lab-backend'
import { registerLabIpc } from '../../../src/main/electron/ipc'
import { makeSenderCheck } from '../../../src/main/electron/sender-check'

// The preload runs once, as in a renderer; each test then plays main or the page.
let api: LabApi
let exposedKeys: string[]
beforeAll(async () => {
  resetElectronFake()
  await import('../../../src/preload/index')
  exposedKeys = [...contextBridge.exposed.keys()]
  api = contextBridge.exposed.get('raftlab') as LabApi
})

beforeEach(() => resetElectronFake())

describe('the zod-free channel list the preload uses', () => {
  it('names every command of labCommands and the same channels', () => {
    expect([...LAB_COMMAND_NAMES].sort()).toEqual(Object.keys(labCommands).sort())
    for (const name of LAB_COMMAND_NAMES) expect(labChannel(name)).toBe(IPC_CHANNELS[name])
    expect(LAB_EVENT_CHANNEL).toBe(IPC_EVENT_CHANNEL)
  })
})

describe('preload', () => {
  it('exposes exactly one method per command plus onEvent, and nothing of ipcRenderer', async () => {
    expect(exposedKeys).toEqual(['raftlab'])
    expect(Object.keys(api).sort()).toEqual([...Object.keys(labCommands), 'onEvent'].sort())
    for (const value of Object.values(api)) expect(typeof value).toBe('function')
    expect(Object.values(api)).not.toContain(ipcRenderer.invoke)
  })

  it('sends each call on its channel and unwraps the reply', async () => {
    ipcRenderer.respond = () => ({ ok: true, result: { path: '/x.yaml' } })
    await expect(api.saveScenario({ path: '/x.yaml', text: 'a' })).resolves.toEqual({
      path: '/x.yaml'
    })
    expect(ipcRenderer.invocations).toEqual([
      { channel: 'lab:saveScenario', args: [{ path: '/x.yaml', text: 'a' }] }
    ])
    ipcRenderer.respond = () => ({ ok: false, error: 'saveScenario: path: too short' })
    await expect(api.saveScenario({ path: '', text: '' })).rejects.toThrow(
      'saveScenario: path: too short'
    )
  })

  it('hands each event of a batch to the listener until unsubscribed', async () => {
    const seen: LabEvent[] = []
    const unsubscribe = api.onEvent((event) => seen.push(event))
    const batch: LabEvent[] = [
      { type: 'log', level: 'info', message: 'a' },
      { type: 'log', level: 'info', message: 'b' }
    ]
    ipcRenderer.deliver(IPC_EVENT_CHANNEL, batch)
    unsubscribe()
    ipcRenderer.deliver(IPC_EVENT_CHANNEL, batch)
    expect(seen).toEqual(batch)
  })
})

describe('preload and main together', () => {
  let dir: string
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('a renderer call reaches the engine validated, and its errors come back as errors', async () => {
    dir = mkdtempSync(join(tmpdir(), 'raftlab-preload-'))
    const page = { file: join(dir, 'index.html') }
    writeFileSync(page.file, '')
    const win = new BrowserWindow()
    await win.loadFile(page.file)
    const backend = createFakeLabBackend()
    registerLabIpc(backend, makeSenderCheck(() => [win as never], page) as never)
    ipcRenderer.respond = (channel, ...args) =>
      ipcMain.invoke(channel, { contents: win.webContents }, ...args)

    await expect(api.clientOp({ input: { op: 'get', key: 'a' } })).resolves.toMatchObject({
      status: 'ok'
    })
    expect(backend.calls).toEqual([
      { name: 'clientOp', request: { input: { op: 'get', key: 'a' } } }
    ])
    await expect(api.network({ action: 'partition', groups: [] } as never)).rejects.toThrow(
      /^network: groups: /
    )
  })
})
