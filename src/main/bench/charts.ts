// PNG charts of bench results: Chart.js drawing on @napi-rs/canvas, in Node, no browser.
import type { ChartConfiguration } from 'chart.js'
import { histogram } from './stats'
import { importAtRuntime } from './runtime-import'

type ChartModule = typeof import('chart.js')
type CanvasModule = typeof import('@napi-rs/canvas')

interface ChartKit {
  chartjs: ChartModule
  canvas: CanvasModule
}

let kit: Promise<ChartKit> | undefined

async function loadChartKit(): Promise<ChartKit> {
  const [chartjs, canvas] = await Promise.all([
    importAtRuntime<ChartModule>('chart.js', 'bench charts'),
    importAtRuntime<CanvasModule>('@napi-rs/canvas', 'bench charts')
  ])
  chartjs.Chart.register(...chartjs.registerables)
  return { chartjs, canvas }
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b']

async function render(config: ChartConfiguration, width = 900, height = 450): Promise<Uint8Array> {
  kit ??= loadChartKit()
  const { chartjs, canvas } = await kit
  const surface = canvas.createCanvas(width, height)
  const ctx = surface.getContext('2d')
  // Chart.js draws on a transparent canvas: paint a white page so the PNG reads in any viewer.
  ctx.fillStyle = '#ffffff'
  ctx.fillRect(0, 0, width, height)
  config.options = { ...config.options, animation: false, responsive: false }
  // @napi-rs/canvas implements the 2D context Chart.js draws on; its types are its own.
  const chart = new chartjs.Chart(
    ctx as unknown as ConstructorParameters<ChartModule['Chart']>[0],
    config
  )
  try {
    return await surface.encode('png')
  } finally {
    chart.destroy()
  }
}

export interface NamedSamples {
  label: string
  values: readonly number[]
}

/** A histogram of latencies (ms), one colour per series, on shared bins. */
export async function latencyHistogramPng(
  title: string,
  series: readonly NamedSamples[],
  xLabel = 'latency (ms)'
): Promise<Uint8Array> {
  const h = histogram(series.map((s) => s.values))
  const digits = h.width < 1 ? 2 : h.width < 10 ? 1 : 0
  return render({
    type: 'bar',
    data: {
      labels: h.edges.map((e) => e.toFixed(digits)),
      datasets: series.map((s, i) => ({
        label: `${s.label} (n=${s.values.length})`,
        data: h.counts[i] ?? [],
        backgroundColor: PALETTE[i % PALETTE.length] + 'b0',
        barPercentage: 1,
        categoryPercentage: 0.9
      }))
    },
    options: {
      plugins: { title: { display: true, text: title } },
      scales: {
        x: { title: { display: true, text: `${xLabel}, bins of ${h.width.toFixed(digits + 1)}` } },
        y: { title: { display: true, text: 'count' }, beginAtZero: true }
      }
    }
  })
}

/** Writes per second over time (one point per bucket), one line per series. */
export async function throughputPng(
  title: string,
  series: readonly { label: string; perSecond: readonly number[] }[],
  bucketMs: number
): Promise<Uint8Array> {
  const longest = Math.max(1, ...series.map((s) => s.perSecond.length))
  return render({
    type: 'line',
    data: {
      labels: Array.from({ length: longest }, (_, i) => ((i * bucketMs) / 1000).toFixed(1)),
      datasets: series.map((s, i) => ({
        label: s.label,
        data: [...s.perSecond],
        borderColor: PALETTE[i % PALETTE.length],
        backgroundColor: PALETTE[i % PALETTE.length],
        pointRadius: 0,
        tension: 0
      }))
    },
    options: {
      plugins: { title: { display: true, text: title } },
      scales: {
        x: { title: { display: true, text: 'time into the run (s)' } },
        y: { title: { display: true, text: 'writes/s' }, beginAtZero: true }
      }
    }
  })
}
