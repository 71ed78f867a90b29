// Global keyboard shortcuts; ignored while typing in a field.
import { onMounted, onUnmounted } from 'vue'

export interface Shortcut {
  /** As shown in the help; also what is matched unless `match` is given. */
  key: string
  label: string
  match?: (key: string) => boolean
  run: (key: string) => void
}

export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)
}

export function useKeyboard(shortcuts: () => readonly Shortcut[]): void {
  const onKey = (e: KeyboardEvent): void => {
    if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return
    const key = e.key === ' ' ? 'Space' : e.key.length === 1 ? e.key.toLowerCase() : e.key
    const s = shortcuts().find((x) =>
      x.match ? x.match(key) : x.key.toLowerCase() === key.toLowerCase()
    )
    if (!s) return
    e.preventDefault()
    s.run(key)
  }
  onMounted(() => window.addEventListener('keydown', onKey))
  onUnmounted(() => window.removeEventListener('keydown', onKey))
}
