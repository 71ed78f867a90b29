// Same colour, same term, everywhere (ring, log cells, charts, timeline).
// Hues chosen to stay distinguishable on light and dark backgrounds; status
// and role are never shown by colour alone.
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#9c755f',
  '#ff9da7',
  '#8cd17d'
] as const

export const NO_TERM_COLOR = '#9aa0a6'

export function termColor(term: number): string {
  if (term <= 0) return NO_TERM_COLOR
  return PALETTE[(term - 1) % PALETTE.length]!
}

/** Readable text on top of termColor(term). */
export function termTextColor(term: number): string {
  const hex = termColor(term)
  const r = parseInt(hex.slice(1, 3), 16)
  const g = parseInt(hex.slice(3, 5), 16)
  const b = parseInt(hex.slice(5, 7), 16)
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#111' : '#fff'
}
