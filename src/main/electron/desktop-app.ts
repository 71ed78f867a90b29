// The desktop app: one locked-down window over the lab engine, the IPC adapter, the menu, native
// dialogs and remembered settings. Closing the window stops every node before the app quits.
import { app, BrowserWindow, dialog, Menu, session, shell } from 'electron'
import { parseLabRequest, type ExportKind } from '../../shared/lab-api'
import type { LabBackend, LabHandlers } from '../api/backend'
import { askOpenPath, withDialogs } from './dialogs'
import { forwardLabEvents, registerLabIpc } from './ipc'
import { buildMenuTemplate, type MenuActions } from './menu'
import { makeSenderCheck, type AppPage } from './sender-check'
import type { SettingsStore } from './settings'
import { createMainWindow, hardenSession } from './window'

export interface DesktopAppOptions {
  createBackend(): LabBackend
  page: AppPage
  preload: string
  settings: SettingsStore
  /** The lab guide, opened by Help › Lab Guide. */
  labGuide: string
}

export interface DesktopApp {
  window: BrowserWindow
  /** The menu's actions, as the menu calls them. */
  actions: MenuActions
  /** Stop events, IPC and every node; resolves when the engine is disposed. */
  shutdown(): Promise<void>
}

export async function startDesktopApp(options: DesktopAppOptions): Promise<DesktopApp> {
  await app.whenReady()
  hardenSession(session.defaultSession, options.page)
  const { settings } = options
  const backend = options.createBackend()
  const win = createMainWindow(
    options.page,
    options.preload,
    settings.read().windowBounds ?? undefined
  )
  const liveWindow = (): BrowserWindow | null => (win.isDestroyed() ? null : win)

  const refreshMenu = (): void => {
    const template = buildMenuTemplate(actions, settings.read().recentExperiments, {
      devTools: !app.isPackaged
    })
    Menu.setApplicationMenu(Menu.buildFromTemplate(template))
  }
  const handlers = rememberExperiments(withDialogs(backend, liveWindow), settings, refreshMenu)
  const events = forwardLabEvents(backend, () => (win.isDestroyed() ? [] : [win.webContents]))
  const unregisterIpc = registerLabIpc(
    handlers,
    makeSenderCheck(() => [win], options.page)
  )

  const reportFailure = (what: string) => (err: unknown) =>
    dialog.showErrorBox(what, err instanceof Error ? err.message : String(err))
  const actions: MenuActions = {
    newExperiment() {
      const config = settings.read().lastClusterConfig ?? {}
      handlers
        .stopCluster({})
        .then(() => handlers.startCluster(parseLabRequest('startCluster', { config })))
        .catch(reportFailure('New experiment failed'))
    },
    openScenario() {
      askOpenPath(liveWindow(), 'scenario')
        .then(async (path) => {
          if (path === null) return
          const opened = await handlers.readScenario({ path })
          events.push({ type: 'scenarioOpened', ...opened })
        })
        .catch(reportFailure('Could not open the scenario'))
    },
    openTrace() {
      askOpenPath(liveWindow(), 'trace')
        .then((path) => (path === null ? null : handlers.openTrace({ path })))
        .catch(reportFailure('Could not open the trace'))
    },
    openExperiment(dir?: string) {
      const chosen =
        dir !== undefined ? Promise.resolve(dir) : askOpenPath(liveWindow(), 'experiment')
      chosen
        .then(async (path) => {
          if (path === null) return
          await handlers.openTrace({ path })
          settings.addRecentExperiment(path)
          refreshMenu()
        })
        .catch(reportFailure('Could not open the experiment'))
    },
    exportAs(kind: ExportKind) {
      handlers.exportExperiment({ kind }).catch(reportFailure('Export failed'))
    },
    openLabGuide() {
      shell
        .openPath(options.labGuide)
        .then((error) => {
          if (error) throw new Error(`${options.labGuide}: ${error}`)
        })
        .catch(reportFailure('Could not open the lab guide'))
    }
  }
  refreshMenu()

  let stopping: Promise<void> | null = null
  let stopped = false
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      events.stop()
      unregisterIpc()
      try {
        await backend.dispose()
      } finally {
        stopped = true
      }
    })())
  const quitAfterShutdown = (): void => {
    shutdown()
      .catch(reportFailure('Stopping the nodes failed'))
      .finally(() => app.quit())
  }

  win.on('close', () => settings.setWindowBounds(win.getBounds()))
  win.on('closed', quitAfterShutdown)
  // Quitting from the menu or the dock also waits until every node is stopped.
  app.on('before-quit', (event) => {
    if (stopped) return
    event.preventDefault()
    quitAfterShutdown()
  })
  return { window: win, actions, shutdown }
}

/** Remember each started experiment's config and folder for File › New and › Open Recent. */
function rememberExperiments(
  handlers: LabHandlers,
  settings: SettingsStore,
  changed: () => void
): LabHandlers {
  return {
    ...handlers,
    async startCluster(request) {
      const status = await handlers.startCluster(request)
      settings.setLastClusterConfig(request.config)
      if (status.experimentDir) {
        settings.addRecentExperiment(status.experimentDir)
        changed()
      }
      return status
    }
  }
}
