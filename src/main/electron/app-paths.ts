// Where the desktop app finds its parts, in development and packaged (electron-builder.yml puts
// scenarios and docs in extraResources and unpacks the node entry from app.asar, since each
// node is a separate process that must run a real file).
import { join } from 'node:path'

export interface AppPaths {
  nodeEntry: string
  scenarios: string
  labGuide: string
  rendererPage: string
  preload: string
}

/** `mainDir`: the folder of the built main (out/main, inside app.asar when packaged). */
export function appPaths(options: {
  isPackaged: boolean
  mainDir: string
  resourcesPath: string
}): AppPaths {
  const { isPackaged, mainDir } = options
  const resources = isPackaged ? options.resourcesPath : join(mainDir, '..', '..')
  const nodeEntry = join(mainDir, 'node.js')
  return {
    nodeEntry: isPackaged
      ? nodeEntry.replace(/app\.asar([\\/])/, 'app.asar.unpacked$1')
      : nodeEntry,
    scenarios: join(resources, isPackaged ? 'scenarios' : join('resources', 'scenarios')),
    labGuide: join(resources, 'docs', 'lab-guide.md'),
    rendererPage: join(mainDir, '..', 'renderer', 'index.html'),
    preload: join(mainDir, '..', 'preload', 'index.js')
  }
}
