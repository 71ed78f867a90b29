// The application menu. Items only call the actions they are given, so the template can be
// checked without Electron.
import type { MenuItemConstructorOptions } from 'electron'
import { EXPORT_KINDS, type ExportKind } from '../../shared/lab-api'

export interface MenuActions {
  newExperiment(): void
  openScenario(): void
  openTrace(): void
  openExperiment(dir?: string): void
  exportAs(kind: ExportKind): void
  openLabGuide(): void
}

const exportLabels: Record<ExportKind, string> = {
  trace: 'Trace (JSON Lines)…',
  folder: 'Experiment Folder…',
  'history-edn': 'History (EDN)…',
  'history-lincheck': 'History (Linearizability Checker Format)…',
  'report-html': 'HTML Report…',
  'metrics-csv': 'Metrics (CSV)…'
}

export function buildMenuTemplate(
  actions: MenuActions,
  recentExperiments: string[],
  options: { platform?: NodeJS.Platform; devTools?: boolean } = {}
): MenuItemConstructorOptions[] {
  const mac = (options.platform ?? process.platform) === 'darwin'
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      {
        label: 'New Experiment',
        accelerator: 'CmdOrCtrl+N',
        click: () => actions.newExperiment()
      },
      { type: 'separator' },
      {
        label: 'Open Scenario…',
        accelerator: 'CmdOrCtrl+O',
        click: () => actions.openScenario()
      },
      {
        label: 'Open Trace…',
        accelerator: 'CmdOrCtrl+Shift+O',
        click: () => actions.openTrace()
      },
      { label: 'Open Experiment Folder…', click: () => actions.openExperiment() },
      {
        label: 'Open Recent Experiment',
        enabled: recentExperiments.length > 0,
        submenu: recentExperiments.map((dir) => ({
          label: dir,
          click: () => actions.openExperiment(dir)
        }))
      },
      { type: 'separator' },
      {
        label: 'Export',
        submenu: EXPORT_KINDS.map((kind) => ({
          label: exportLabels[kind],
          click: () => actions.exportAs(kind)
        }))
      },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit' }
    ]
  }
  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      { role: 'reload' },
      ...(options.devTools ? [{ role: 'toggleDevTools' } as const] : []),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' }
    ]
  }
  const help: MenuItemConstructorOptions = {
    role: 'help',
    submenu: [{ label: 'Lab Guide', accelerator: 'F1', click: () => actions.openLabGuide() }]
  }
  // The Edit menu makes copy, paste and undo work in the scenario editor on macOS.
  return [...(mac ? [{ role: 'appMenu' } as const] : []), file, { role: 'editMenu' }, view, help]
}
