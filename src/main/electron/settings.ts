// Settings and recent experiments, kept by electron-store in the user's config folder. The file
// can be edited by hand, so what is read back is validated and falls back to defaults.
import Store from 'electron-store'
import { z } from 'zod'
import { clusterConfigSchema } from '../../shared/config'

const MAX_RECENT = 10

const boundsSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(400),
  height: z.number().int().min(300)
})

const settingsSchema = z.object({
  /** Experiment folders, newest first. */
  recentExperiments: z.array(z.string()).catch([]),
  /** The cluster config last started, reused by File › New experiment. */
  lastClusterConfig: clusterConfigSchema.partial().nullable().catch(null),
  windowBounds: boundsSchema.nullable().catch(null)
})
export type Settings = z.infer<typeof settingsSchema>

const defaults: Settings = { recentExperiments: [], lastClusterConfig: null, windowBounds: null }

export class SettingsStore {
  private readonly store: Store<Settings>

  /** `cwd`: the folder holding settings.json (tests pass a temporary one). */
  constructor(options: { cwd?: string } = {}) {
    this.store = new Store<Settings>({ name: 'settings', defaults, ...options })
  }

  get path(): string {
    return this.store.path
  }

  read(): Settings {
    return settingsSchema.parse({ ...defaults, ...this.store.store })
  }

  addRecentExperiment(dir: string): void {
    const recent = this.read().recentExperiments.filter((d) => d !== dir)
    this.store.set('recentExperiments', [dir, ...recent].slice(0, MAX_RECENT))
  }

  setLastClusterConfig(config: Settings['lastClusterConfig']): void {
    this.store.set('lastClusterConfig', config)
  }

  setWindowBounds(bounds: NonNullable<Settings['windowBounds']>): void {
    this.store.set('windowBounds', bounds)
  }
}
