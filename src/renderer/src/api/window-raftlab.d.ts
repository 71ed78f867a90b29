// The desktop app's preload (src/preload/index.ts) exposes the LabApi as `window.raftlab`.
// Named unlike the preload: a .d.ts beside a .ts of the same base name is ignored.
import type { LabApi } from '../../../shared/lab-api'

declare global {
  interface Window {
    raftlab?: LabApi
  }
}

export {}
