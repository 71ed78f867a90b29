// A view of a linearizability result: per key, each client's operations as bars
// on a time axis, the linearization found as numbered points joined by a line,
// the first operation that cannot be placed marked, and on hover the operation
// and the model's state after it. Pure string building: the CLI writes it as a
// self-contained file, the desktop app hosts the same fragment (see
// docs/linearizability.md). Every text from the history is escaped.
import type { History, HistoryOperation } from '../history'
import { statesAlong, type KeyResult, type LinearizabilityResult } from './linearizability'
import { describeOperation, formatValue } from './models'

export interface LinViewOptions {
  title?: string
}

const STEP = 16
const LANE = 26
const LEFT = 90
const TOP = 22
const BAR = 16

const COLORS = {
  placed: { fill: '#cfe8cf', stroke: '#3d8b3d' },
  unplaced: { fill: '#e4e4e4', stroke: '#8a8a8a' },
  first: { fill: '#f7c6c6', stroke: '#c0392b' },
  free: { fill: '#ffffff', stroke: '#9a9a9a' }
} as const

/** Styles for the fragment's HTML parts; the SVG carries its own colours, so it reads without them. */
export const LIN_VIEW_CSS = `
.lin-view { font: 13px/1.4 system-ui, sans-serif; color: #222; }
.lin-view h2 { font-size: 15px; margin: 18px 0 4px; }
.lin-view .lin-summary { margin: 4px 0 10px; }
.lin-view .lin-bad { color: #c0392b; font-weight: 600; }
.lin-view .lin-ok { color: #2e7d32; font-weight: 600; }
.lin-view .lin-unknown { color: #b26a00; font-weight: 600; }
.lin-view .lin-scroll { overflow-x: auto; border: 1px solid #ddd; background: #fcfcfc; }
.lin-view .lin-legend span { display: inline-block; margin-right: 14px; }
.lin-view .lin-legend i { display: inline-block; width: 14px; height: 10px; margin-right: 4px; border: 1px solid; vertical-align: middle; }
.lin-view [data-info]:hover { stroke-width: 3; cursor: default; }
.lin-view details { margin: 6px 0; }
.lin-view details > summary { cursor: pointer; }
`.trim()

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

function verdictText(verdict: KeyResult['linearizable'], reason?: string): string {
  if (verdict === true) return '<span class="lin-ok">linearizable</span>'
  if (verdict === false) return '<span class="lin-bad">not linearizable</span>'
  return `<span class="lin-unknown">unknown${reason ? ` (${escapeHtml(reason)})` : ''}</span>`
}

/** The view's body: a summary, a legend, and one section per key (failing keys first). */
export function renderLinViewFragment(result: LinearizabilityResult, history: History): string {
  const byId = new Map(history.map((op) => [op.id, op]))
  const rank = (k: KeyResult) =>
    k.linearizable === false ? 0 : k.linearizable === 'unknown' ? 1 : 2
  const keys = [...result.keys].sort((a, b) => rank(a) - rank(b))
  const legend = (Object.keys(COLORS) as (keyof typeof COLORS)[])
    .map((kind) => {
      const c = COLORS[kind]
      const label = {
        placed: 'linearized',
        unplaced: 'not placed',
        first: 'first that cannot be placed',
        free: 'indeterminate read (needs no place)'
      }[kind]
      return `<span><i style="background:${c.fill};border-color:${c.stroke}"></i>${label}</span>`
    })
    .join('')
  const sections = keys.map((key) => {
    const section = renderKey(key, byId, result)
    return key.linearizable === true
      ? `<details><summary>${section.title}: ${section.detail}</summary>${section.body}</details>`
      : `<div><h2>${section.title}</h2><p class="lin-summary">${section.detail}</p>${section.body}</div>`
  })
  return [
    '<div class="lin-view">',
    `<p class="lin-summary">${verdictText(result.linearizable)}: ${result.operations} operations, ${result.keys.length} key(s), model ${escapeHtml(result.model)}, checked in ${result.ms.toFixed(1)} ms.` +
      (result.failingKeys.length
        ? ` Failing keys: ${result.failingKeys.map(escapeHtml).join(', ')}.`
        : '') +
      '</p>',
    `<p class="lin-legend">${legend}<span>dashed end: no response (indeterminate)</span><span>numbered dots: the linearization, in order</span></p>`,
    ...sections,
    '</div>'
  ].join('\n')
}

function renderKey(
  key: KeyResult,
  byId: Map<number, HistoryOperation>,
  result: LinearizabilityResult
): { title: string; detail: string; body: string } {
  const ops = key.operations.map((id) => byId.get(id)!)
  const order = key.linearization.map((id) => byId.get(id)!)
  const states = statesAlong(order, result.missing)
  const position = new Map(key.linearization.map((id, i) => [id, i]))
  const free = new Set(key.free)

  // x is the order of distinct call and return times (not to scale): dense bursts stay readable.
  const times = [...new Set(ops.flatMap((op) => [op.call, op.ret]).filter(Number.isFinite))].sort(
    (a, b) => a - b
  )
  const slot = new Map(times.map((t, i) => [t, i]))
  const end = LEFT + (times.length + 1) * STEP
  const x = (t: number) => (Number.isFinite(t) ? LEFT + slot.get(t)! * STEP + STEP / 2 : end)
  const clients = [...new Set(ops.map((op) => op.client))].sort((a, b) =>
    a.localeCompare(b, undefined, { numeric: true })
  )
  const lane = new Map(clients.map((c, i) => [c, i]))
  const y = (op: HistoryOperation) => TOP + lane.get(op.client)! * LANE
  const width = end + STEP
  const height = TOP + clients.length * LANE + 8

  const parts: string[] = []
  clients.forEach((c, i) => {
    const ly = TOP + i * LANE + BAR / 2 + 4
    parts.push(`<text x="6" y="${ly}" font-size="11" fill="#555">client ${escapeHtml(c)}</text>`)
  })
  for (const op of ops) {
    const kind: keyof typeof COLORS = free.has(op.id)
      ? 'free'
      : position.has(op.id)
        ? 'placed'
        : op.id === key.firstUnplaced
          ? 'first'
          : 'unplaced'
    const c = COLORS[kind]
    const x1 = x(op.call) - STEP / 2 + 2
    const x2 = Math.max(x(op.ret) + (Number.isFinite(op.ret) ? STEP / 2 - 2 : 0), x1 + 6)
    const i = position.get(op.id)
    const info = [
      describeOperation(op.input, op.output),
      `client ${op.client}; invoked t=${op.call}; ${Number.isFinite(op.ret) ? `returned t=${op.ret}` : 'no response'}`,
      i !== undefined
        ? `linearized #${i + 1}; state after: ${formatValue(states[i])}`
        : kind === 'free'
          ? 'indeterminate read: no effect, matches anything'
          : kind === 'first'
            ? 'FIRST OPERATION THAT CANNOT BE PLACED after the longest prefix'
            : 'not placed',
      ...(op.source ? [op.source] : [])
    ].join('\n')
    const dash = Number.isFinite(op.ret) ? '' : ' stroke-dasharray="4 3"'
    const thick = kind === 'first' ? 3 : 1
    parts.push(
      `<rect x="${x1}" y="${y(op)}" width="${x2 - x1}" height="${BAR}" rx="3" fill="${c.fill}" stroke="${c.stroke}" stroke-width="${thick}"${dash} data-info="${escapeHtml(info)}"><title>${escapeHtml(info)}</title></rect>`
    )
    const label = describeOperation(op.input, op.output)
    if ((x2 - x1) / 6.2 >= label.length) {
      parts.push(
        `<text x="${x1 + 3}" y="${y(op) + 12}" font-size="10" fill="#333" pointer-events="none">${escapeHtml(label)}</text>`
      )
    }
  }

  // Linearization points: each at the latest of its invocation and the previous point.
  const points: { x: number; y: number }[] = []
  let last = -Infinity
  order.forEach((op) => {
    const px = Math.min(Math.max(x(op.call) - STEP / 2 + 4, last + 3), x(op.ret) + STEP / 2 - 3)
    last = px
    points.push({ x: px, y: y(op) + BAR / 2 })
  })
  if (points.length > 1) {
    parts.push(
      `<polyline points="${points.map((p) => `${p.x},${p.y}`).join(' ')}" fill="none" stroke="#1f5fa8" stroke-width="1" stroke-opacity="0.6" pointer-events="none"/>`
    )
  }
  points.forEach((p, i) => {
    const op = order[i]!
    const info = `#${i + 1}: ${describeOperation(op.input, op.output)}\nstate after: ${formatValue(states[i])}`
    parts.push(
      `<circle cx="${p.x}" cy="${p.y}" r="3.5" fill="#1f5fa8" data-info="${escapeHtml(info)}"><title>${escapeHtml(info)}</title></circle>`
    )
  })

  const counts =
    key.linearizable === true
      ? `${ops.length} operations`
      : `longest linearizable prefix ${key.linearization.length} of ${key.linearization.length + key.unplaced.length} operations`
  const first = key.firstUnplaced === null ? undefined : byId.get(key.firstUnplaced)
  const title = `key ${escapeHtml(key.key)}: ${verdictText(key.linearizable, key.reason)}`
  const detail =
    `${counts}; ${clients.length} client(s); ${key.states} states searched.` +
    (first
      ? ` Cannot place: <b>${escapeHtml(describeOperation(first.input, first.output))}</b> by client ${escapeHtml(first.client)}${first.source ? ` (${escapeHtml(first.source)})` : ''}.`
      : '')
  const body = `<div class="lin-scroll"><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="operations of key ${escapeHtml(key.key)}">${parts.join('')}</svg></div>`
  return { title, detail, body }
}

/** A complete HTML document (inline CSS and a small inline script; opens offline). */
export function renderLinViewDocument(
  result: LinearizabilityResult,
  history: History,
  options: LinViewOptions = {}
): string {
  const title = `Linearizability: ${options.title ?? 'history'}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>
body { margin: 16px 20px 80px; }
#lin-hover { position: fixed; left: 0; right: 0; bottom: 0; margin: 0; padding: 6px 20px; background: #f4f4f4; border-top: 1px solid #ccc; font: 12px/1.4 ui-monospace, monospace; white-space: pre-wrap; min-height: 3.6em; }
${LIN_VIEW_CSS}
</style>
</head>
<body>
<h1 style="font: 600 18px system-ui, sans-serif">${escapeHtml(title)}</h1>
${renderLinViewFragment(result, history)}
<pre id="lin-hover">Hover over an operation or a point to see it and the model's state.</pre>
<script>
document.addEventListener('mouseover', function (e) {
  var el = e.target && e.target.closest ? e.target.closest('[data-info]') : null
  if (el) document.getElementById('lin-hover').textContent = el.getAttribute('data-info')
})
</script>
</body>
</html>
`
}
