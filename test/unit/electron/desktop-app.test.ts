import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IPC_CHANNELS, IPC_EVENT_CHANNEL, type LabEvent } from '../../../src/shared/lab-api'
import {
  app,
  BrowserWindow,
  dialog,
  FakeEvent,
  ipcMain,
  Menu,
  resetElectronFake,
  shell,
  type FakeMenuItem
} from '../../stubs/electron'
import { createFakeLabBackend, type FakeLabBackend } from '../../stubs/fake-lab-backend'
import { startDesktopApp, type DesktopApp } from '../../../src/main/electron/desktop-app'
import { SettingsStore } from '../../../src/main/electron/settings'

let dir: string
let backend: FakeLabBackend
let settings: SettingsStore
let desktop: DesktopApp
let win: BrowserWindow

beforeEach(async () => {
  resetElectronFake()
  dir = mkdtempSync(join(tmpdir(), 'raftlab-desktop-'))
  writeFileSync(join(dir, 'index.html'), '')
  backend = createFakeLabBackend()
  settings = new SettingsStore({ cwd: join(dir, 'config') })
  desktop = await startDesktopApp({
    createBackend: () => backend,
    page: { file: join(dir, 'index.html') },
    preload: join(dir, 'preload.js'),
    settings,
    labGuide: join(dir, 'lab-guide.md')
  })
  win = desktop.window as unknown as BrowserWindow
})

afterEach(async () => {
  await desktop.shutdown()
  rmSync(dir, { recursive: true, force: true })
})

function menuItem(...labels: string[]): FakeMenuItem {
  let items = (Menu.applicationMenu?.template ?? []) as FakeMenuItem[]
  let found: FakeMenuItem | undefined
  for (const label of labels) {
    found = items.find((i) => i.label === label || i.role === label)
    if (!found) throw new Error(`no menu item ${labels.join(' › ')}`)
    items = found.submenu ?? []
  }
  return found as FakeMenuItem
}

const invoke = (name: keyof typeof IPC_CHANNELS, request: unknown) =>
  ipcMain.invoke(IPC_CHANNELS[name], { contents: win.webContents }, request)

const sentEvents = (): LabEvent[] =>
  win.webContents.sent
    .filter((s) => s.channel === IPC_EVENT_CHANNEL)
    .flatMap((s) => s.args[0] as LabEvent[])

describe('desktop app', () => {
  it('opens one window and a File, Edit, View, Help menu', () => {
    expect(BrowserWindow.created).toHaveLength(1)
    const top = (Menu.applicationMenu?.template ?? []) as FakeMenuItem[]
    expect(top.map((i) => i.label ?? i.role)).toEqual(['File', 'editMenu', 'View', 'help'])
    const file = menuItem('File').submenu ?? []
    expect(file.filter((i) => i.label).map((i) => i.label)).toEqual([
      'New Experiment',
      'Open Scenario…',
      'Open Trace…',
      'Open Experiment Folder…',
      'Open Recent Experiment',
      'Export'
    ])
    expect(menuItem('File', 'Export').submenu).toHaveLength(6)
    expect(menuItem('View').submenu?.map((i) => i.role)).toContain('toggleDevTools')
  })

  it('an export without a path asks where to save; a cancel writes nothing', async () => {
    dialog.saveAnswers.push('/home/s/trace.jsonl')
    expect(await invoke('exportExperiment', { kind: 'trace' })).toEqual({
      ok: true,
      result: { path: '/home/s/trace.jsonl' }
    })
    expect(dialog.calls[0]).toMatchObject({ kind: 'save', options: { defaultPath: 'trace.jsonl' } })
    expect(await invoke('exportExperiment', { kind: 'report-html' })).toEqual({
      ok: true,
      result: { path: null }
    })
    expect(backend.calls).toEqual([
      { name: 'exportExperiment', request: { kind: 'trace', path: '/home/s/trace.jsonl' } }
    ])
  })

  it('File › Export › HTML Report asks, then exports there', async () => {
    dialog.saveAnswers.push('/tmp/r.html')
    menuItem('File', 'Export', 'HTML Report…').click?.()
    await expect.poll(() => backend.calls.length).toBe(1)
    expect(backend.calls[0]).toEqual({
      name: 'exportExperiment',
      request: { kind: 'report-html', path: '/tmp/r.html' }
    })
  })

  it('remembers a started experiment for File › Open Recent and New Experiment', async () => {
    await invoke('startCluster', { config: { nodes: 3 } })
    expect(settings.read().recentExperiments).toEqual(['/tmp/exp-1'])
    expect(settings.read().lastClusterConfig).toMatchObject({ nodes: 3 })
    const recent = menuItem('File', 'Open Recent Experiment')
    expect(recent.submenu?.map((i) => i.label)).toEqual(['/tmp/exp-1'])
    recent.submenu?.[0]?.click?.()
    await expect.poll(() => backend.calls.at(-1)?.name).toBe('openTrace')
    expect(backend.calls.at(-1)?.request).toEqual({ path: '/tmp/exp-1' })

    backend.calls.length = 0
    menuItem('File', 'New Experiment').click?.()
    await expect.poll(() => backend.calls.length).toBe(2)
    expect(backend.calls.map((c) => c.name)).toEqual(['stopCluster', 'startCluster'])
    expect(backend.calls[1]?.request).toMatchObject({ mode: 'real', config: { nodes: 3 } })
  })

  it('File › Open Scenario shows the chosen file in the renderer', async () => {
    dialog.openAnswers.push(['/labs/split.yaml'])
    menuItem('File', 'Open Scenario…').click?.()
    await expect.poll(() => sentEvents().length).toBe(1)
    expect(sentEvents()).toEqual([
      { type: 'scenarioOpened', path: '/labs/split.yaml', text: 'name: x\n' }
    ])
    expect(dialog.calls[0]?.options).toMatchObject({ properties: ['openFile'] })
  })

  it('reports a failed menu action in an error box', async () => {
    backend.failures.set('openTrace', 'not a trace: bad header')
    dialog.openAnswers.push(['/tmp/x.jsonl'])
    menuItem('File', 'Open Trace…').click?.()
    await expect.poll(() => dialog.errors.length).toBe(1)
    expect(dialog.errors[0]).toEqual({
      title: 'Could not open the trace',
      content: 'not a trace: bad header'
    })
  })

  it('Help › Lab Guide opens the guide', () => {
    menuItem('help', 'Lab Guide').click?.()
    expect(shell.opened).toEqual([join(dir, 'lab-guide.md')])
  })

  it('closing the window stops every node, removes the IPC handlers and quits', async () => {
    win.close()
    await expect.poll(() => app.quitCalls).toBeGreaterThan(0)
    expect(backend.disposed).toBe(1)
    expect(ipcMain.handlers.size).toBe(0)
    expect(settings.read().windowBounds).toMatchObject({ width: 1280, height: 800 })
  })

  it('quitting waits for the nodes to stop first', async () => {
    const quit = new FakeEvent()
    app.emit('before-quit', quit)
    expect(quit.defaultPrevented).toBe(true)
    await expect.poll(() => backend.disposed).toBe(1)
    await expect.poll(() => app.quitCalls).toBe(1)
    const again = new FakeEvent()
    app.emit('before-quit', again)
    expect(again.defaultPrevented).toBe(false)
    expect(backend.disposed).toBe(1)
  })
})
