// Native file dialogs for the desktop app: where an export goes, which scenario or trace to open.
import { dialog, type BrowserWindow, type FileFilter } from 'electron'
import type { ExportKind } from '../../shared/lab-api'
import type { LabHandlers } from '../api/backend'

const exportTargets: Record<ExportKind, { name: string; filters: FileFilter[] }> = {
  trace: { name: 'trace.jsonl', filters: [{ name: 'Trace (JSON Lines)', extensions: ['jsonl'] }] },
  folder: { name: 'experiment', filters: [] },
  'history-edn': { name: 'history.edn', filters: [{ name: 'EDN history', extensions: ['edn'] }] },
  'history-lincheck': {
    name: 'history.txt',
    filters: [{ name: 'Linearizability history', extensions: ['txt', 'log'] }]
  },
  'report-html': { name: 'report.html', filters: [{ name: 'HTML report', extensions: ['html'] }] },
  'metrics-csv': { name: 'metrics.csv', filters: [{ name: 'CSV', extensions: ['csv'] }] }
}

/** Ask where to write an export; null when the user cancels. */
export async function askExportPath(
  win: BrowserWindow | null,
  kind: ExportKind
): Promise<string | null> {
  const target = exportTargets[kind]
  const options = {
    title: `Export ${kind}`,
    defaultPath: target.name,
    filters: target.filters,
    properties: ['createDirectory', 'showOverwriteConfirmation'] as const
  }
  const result = win
    ? await dialog.showSaveDialog(win, { ...options, properties: [...options.properties] })
    : await dialog.showSaveDialog({ ...options, properties: [...options.properties] })
  return result.canceled || !result.filePath ? null : result.filePath
}

export type OpenTarget = 'scenario' | 'trace' | 'experiment'

const openTargets: Record<
  OpenTarget,
  { title: string; filters: FileFilter[]; directory: boolean }
> = {
  scenario: {
    title: 'Open scenario',
    filters: [{ name: 'Scenario (YAML)', extensions: ['yaml', 'yml'] }],
    directory: false
  },
  trace: {
    title: 'Open trace',
    filters: [{ name: 'Trace (JSON Lines)', extensions: ['jsonl'] }],
    directory: false
  },
  experiment: { title: 'Open experiment folder', filters: [], directory: true }
}

/** Ask for one file (or folder) to open; null when the user cancels. */
export async function askOpenPath(
  win: BrowserWindow | null,
  what: OpenTarget
): Promise<string | null> {
  const target = openTargets[what]
  const options = {
    title: target.title,
    filters: target.filters,
    properties: [target.directory ? ('openDirectory' as const) : ('openFile' as const)]
  }
  const result = win
    ? await dialog.showOpenDialog(win, options)
    : await dialog.showOpenDialog(options)
  return result.canceled ? null : (result.filePaths[0] ?? null)
}

/**
 * The desktop's handlers: an export without a path asks with a save dialog (browser mode
 * downloads instead); opening a trace without a path or text asks with an open dialog.
 */
export function withDialogs(handlers: LabHandlers, win: () => BrowserWindow | null): LabHandlers {
  return {
    ...handlers,
    async exportExperiment(request) {
      if (request.path !== undefined) return handlers.exportExperiment(request)
      const path = await askExportPath(win(), request.kind)
      if (path === null) return { path: null }
      return handlers.exportExperiment({ ...request, path })
    },
    async openTrace(request) {
      if (request.path !== undefined || request.text !== undefined) {
        return handlers.openTrace(request)
      }
      const path = await askOpenPath(win(), 'trace')
      if (path === null) throw new Error('no trace chosen')
      return handlers.openTrace({ path })
    }
  }
}
