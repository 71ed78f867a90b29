// Electron main: the desktop app. Everything but the wiring lives in src/main/electron (shell)
// and src/main/lab (the engine).
import { app } from 'electron'
import { join } from 'node:path'
import { appPaths } from './electron/app-paths'
import { startDesktopApp } from './electron/desktop-app'
import { SettingsStore } from './electron/settings'
import { createLab } from './lab/lab'

const paths = appPaths({
  isPackaged: app.isPackaged,
  mainDir: __dirname,
  resourcesPath: process.resourcesPath
})

startDesktopApp({
  createBackend: () =>
    createLab({
      experimentsDir: join(app.getPath('documents'), 'Raft Lab', 'experiments'),
      scenarioDirs: [paths.scenarios],
      nodeEntry: paths.nodeEntry,
      version: app.getVersion()
    }),
  page: {
    file: paths.rendererPage,
    devUrl: app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL
  },
  preload: paths.preload,
  settings: new SettingsStore(),
  labGuide: paths.labGuide
}).catch((err: unknown) => {
  process.stderr.write(
    `Raft Lab could not start: ${err instanceof Error ? err.stack : String(err)}\n`
  )
  app.exit(1)
})
