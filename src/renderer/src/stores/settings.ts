// The student's preferences, kept in localStorage (the renderer has no Node).
import { defineStore } from 'pinia'
import { ref, watch } from 'vue'

export type Theme = 'light' | 'dark'

const STORAGE_KEY = 'raftlab.settings'

interface Saved {
  theme: Theme
  timelineWindowMs: number
  followLogTail: boolean
}

function load(): Partial<Saved> {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY)
    return raw ? (JSON.parse(raw) as Partial<Saved>) : {}
  } catch {
    // A corrupt or unavailable store falls back to the defaults.
    return {}
  }
}

function preferredTheme(): Theme {
  const dark = globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches
  return dark ? 'dark' : 'light'
}

export const useSettingsStore = defineStore('settings', () => {
  const saved = load()
  const theme = ref<Theme>(
    saved.theme === 'dark' || saved.theme === 'light' ? saved.theme : preferredTheme()
  )
  /** How much recent time the Lamport diagram shows. */
  const timelineWindowMs = ref(
    typeof saved.timelineWindowMs === 'number' && saved.timelineWindowMs > 0
      ? saved.timelineWindowMs
      : 1000
  )
  const followLogTail = ref(saved.followLogTail ?? true)
  const helpOpen = ref(false)

  function toggleTheme(): void {
    theme.value = theme.value === 'dark' ? 'light' : 'dark'
  }

  watch([theme, timelineWindowMs, followLogTail], () => {
    const data: Saved = {
      theme: theme.value,
      timelineWindowMs: timelineWindowMs.value,
      followLogTail: followLogTail.value
    }
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(data))
    } catch {
      // Not being able to save a preference is not worth interrupting the student.
    }
  })

  return { theme, timelineWindowMs, followLogTail, helpOpen, toggleTheme }
})
