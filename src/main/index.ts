// Electron main: the desktop app. Everything but the wiring lives in src/main/electron (shell)
// and src/main/lab (the engine).
import { app } from 'electron'
import { join } from 'node:path'
import { startDesktopApp } from './electron/desktop-app'
import { SettingsStore } from './electron/settings'
import { createLab } from './lab/lab'

// Packaged, the node entry and its chunks are unpacked from app.asar (electron-builder.yml),
// because each node is a separate process; scenarios and the guide are extraResources.
const unpacked = (path: string): string => path.replace(/app\.asar([\\/])/, 'app.asar.unpacked$1')
const resources = app.isPackaged ? process.resourcesPath : join(__dirname, '..', '..')

startDesktopApp({
  createBackend: () =>
    createLab({
      experimentsDir: join(app.getPath('documents'), 'Raft Lab', 'experiments'),
      scenarioDirs: [join(resources, app.isPackaged ? 'scenarios' : 'resources/scenarios')],
      nodeEntry: unpacked(join(__dirname, 'node.js')),
      version: app.getVersion()
    }),
  page: {
    file: join(__dirname, '..', 'renderer', 'index.html'),
    devUrl: app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL
  },
  preload: join(__dirname, '..', 'preload', 'index.js'),
  settings: new SettingsStore(),
  labGuide: join(resources, 'docs', 'lab-guide.md')
}).catch((err: unknown) => {
  process.stderr.write(
    `Raft Lab could not start: ${err instanceof Error ? err.stack : String(err)}\n`
  )
  app.exit(1)
})
