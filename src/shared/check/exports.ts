// Exports of an experiment: the client history as Jepsen EDN and in the format
// `raftlab lincheck` reads, per-second metrics as CSV, and a self-contained
// HTML report (docs/trace-format.md, "Exports").
import type { TraceEvent, TraceEventOf, TraceHeader } from '../trace'
import type { CheckReport } from '../lab-api'
import type { LinearizabilityResult } from './linearizability'
import type { History } from '../history'
import { metricsCsv } from './analysis'

export { metricsCsv }

function edn(value: string | null): string {
  return value === null ? 'nil' : JSON.stringify(value)
}

/**
 * Jepsen's history format: one EDN map a line, {:index :time (ns) :type
 * :invoke|:ok|:fail|:info :process :f :read|:write|:cas :value [key v]}, with
 * cas values as [key [from to]] (jepsen.independent tuples).
 */
export function historyEdn(events: TraceEvent[]): string {
  const processes = new Map<string, number>()
  const invokes = new Map<string, TraceEventOf<'invoke'>>()
  const lines: string[] = []
  const proc = (client: string): number => {
    let p = processes.get(client)
    if (p === undefined) {
      p = processes.size
      processes.set(client, p)
    }
    return p
  }
  const fOf = (op: string): string => (op === 'get' ? 'read' : op === 'put' ? 'write' : op)
  for (const e of events) {
    if (e.kind !== 'invoke' && e.kind !== 'complete') continue
    const id = `${e.client}\u0000${e.opId}`
    const inv = e.kind === 'invoke' ? e : invokes.get(id)
    if (!inv) continue
    if (e.kind === 'invoke') invokes.set(id, e)
    const input = inv.input
    let value: string
    if (input.op === 'get') {
      const read = e.kind === 'complete' && e.status === 'ok' ? edn(e.output?.value ?? null) : 'nil'
      value = `[${edn(input.key)} ${read}]`
    } else if (input.op === 'cas')
      value = `[${edn(input.key)} [${edn(input.from)} ${edn(input.to)}]]`
    else value = `[${edn(input.key)} ${edn(input.value)}]`
    let type = 'invoke'
    if (e.kind === 'complete') {
      // A cas that did not swap definitely did not take effect: Jepsen calls that :fail.
      type =
        e.status === 'ok' && input.op === 'cas' && e.output?.swapped === false ? 'fail' : e.status
    }
    lines.push(
      `{:index ${lines.length}, :time ${Math.round(e.t * 1e6)}, :type :${type}, :process ${proc(e.client)}, :f :${fOf(input.op)}, :value ${value}}`
    )
  }
  return lines.join('\n') + (lines.length ? '\n' : '')
}

/** A trace reduced to its header and client events: what `raftlab lincheck` reads as format `trace`. */
export function historyLincheck(header: TraceHeader, events: TraceEvent[]): string {
  const { h: _h, ...plainHeader } = header
  const lines = [JSON.stringify(plainHeader)]
  for (const e of events) {
    if (e.kind === 'invoke' || e.kind === 'complete') {
      const { h: _eh, ...plain } = e
      lines.push(JSON.stringify(plain))
    }
  }
  return lines.join('\n') + '\n'
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A bar chart as inline SVG (no scripts, no external files). */
function barChart(title: string, values: number[], unit: string): string {
  const w = 640
  const h = 140
  const max = Math.max(1, ...values)
  const bw = values.length ? w / values.length : w
  const bars = values
    .map((v, i) => {
      const bh = (v / max) * (h - 20)
      return `<rect x="${(i * bw).toFixed(1)}" y="${(h - bh).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}"><title>${i}s: ${v} ${unit}</title></rect>`
    })
    .join('')
  return `<figure><figcaption>${esc(title)} (max ${max} ${esc(unit)})</figcaption><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">${bars}</svg></figure>`
}

/** The linearizability view: per failing key, the longest linearizable prefix and the op that cannot be placed. */
function linView(lin: LinearizabilityResult | null, history: History | null): string {
  if (!lin || !history) return '<p>The client history could not be checked.</p>'
  const describe = (id: number): string => {
    const op = history[id]
    if (!op) return `op ${id}`
    const out = op.output === undefined ? 'unknown outcome' : JSON.stringify(op.output)
    const ret = Number.isFinite(op.ret) ? `${op.ret.toFixed(1)} ms` : 'never'
    return `${op.client}: ${JSON.stringify(op.input)} → ${out} (called ${op.call.toFixed(1)} ms, returned ${ret})`
  }
  const failing = lin.keys.filter((k) => k.linearizable !== true)
  if (failing.length === 0)
    return `<p class="ok">Linearizable: ${lin.operations} operations on ${lin.keys.length} keys.</p>`
  return failing
    .map(
      (k) =>
        `<h3>key ${esc(k.key)}: ${k.linearizable === false ? 'not linearizable' : `unknown (${k.reason ?? ''})`}</h3>
<p>Longest linearizable prefix (${k.linearization.length} ops):</p><ol>${k.linearization.map((id) => `<li>${esc(describe(id))}</li>`).join('')}</ol>
${k.firstUnplaced !== null ? `<p class="bad">Cannot be placed after it: ${esc(describe(k.firstUnplaced))}</p>` : ''}`
    )
    .join('\n')
}

export function htmlReport(
  title: string,
  header: TraceHeader | null,
  events: TraceEvent[],
  report: CheckReport,
  lin: LinearizabilityResult | null,
  history: History | null
): string {
  const csv = metricsCsv(events).trim().split('\n').slice(1)
  const col = (i: number): number[] => csv.map((l) => Number(l.split(',')[i]))
  const safety = report.safety
    .map(
      (p) =>
        `<tr><td>${esc(p.property)}</td><td class="${p.ok ? 'ok' : 'bad'}">${p.ok ? 'holds' : 'VIOLATED'}</td><td>${esc(
          p.violations
            .slice(0, 3)
            .map((v) => v.message)
            .join(' | ')
        )}</td></tr>`
    )
    .join('')
  const summary = Object.entries(report.summary)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(String(v))}</td></tr>`)
    .join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}td{padding:2px 8px;border-bottom:1px solid #ddd;vertical-align:top}
.ok{color:#176b2c}.bad{color:#b00020;font-weight:bold}svg rect{fill:#4a72b8}figure{margin:1em 0}</style></head>
<body><h1>${esc(title)}</h1>
<p>Scenario: ${esc(header?.scenario ?? '(none)')} · started ${esc(header?.started ?? '?')} · seed ${esc(String(header?.seed ?? '-'))} · ${esc(JSON.stringify(header?.config ?? {}))}</p>
<h2>Safety</h2><table>${safety}</table>
<h2>Linearizability</h2>${linView(lin, history)}
<h2>Summary</h2><table>${summary}</table>
<h2>Per second</h2>
${barChart('operations completed ok', col(1), 'ops')}
${barChart('latency p99', col(5), 'ms')}
${barChart('messages sent', col(6), 'msgs')}
</body></html>
`
}
