// Figures computed from raw samples: percentiles, histograms, throughput over time.

export interface LatencySummary {
  count: number
  min: number
  mean: number
  p50: number
  p90: number
  p99: number
  max: number
}

/** Nearest-rank percentile of an ascending array (p in 0..100); NaN for no samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b)
  const sum = sorted.reduce((acc, v) => acc + v, 0)
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN
  }
}

export interface Histogram {
  /** Lower edge of each bin; the last bin also holds everything above its upper edge. */
  edges: number[]
  width: number
  counts: number[][]
}

/**
 * Bins several series on shared edges from 0 to `upTo` (default: the largest p99.9
 * over the series), so a few outliers don't squash the interesting part into one bar.
 */
export function histogram(
  series: readonly (readonly number[])[],
  bins = 40,
  upTo?: number
): Histogram {
  const top =
    upTo ??
    Math.max(
      1,
      ...series
        .map((s) =>
          percentile(
            [...s].sort((a, b) => a - b),
            99.9
          )
        )
        .filter(Number.isFinite)
    )
  const width = top / bins
  const edges = Array.from({ length: bins }, (_, i) => i * width)
  const counts = series.map((s) => {
    const c = new Array<number>(bins).fill(0)
    for (const v of s) {
      const bin = Math.min(bins - 1, Math.max(0, Math.floor(v / width)))
      c[bin] = (c[bin] ?? 0) + 1
    }
    return c
  })
  return { edges, width, counts }
}

/** Operations completed per second in consecutive buckets of `bucketMs`, from time 0 to `endMs`. */
export function ratePerSecond(
  completedAtMs: readonly number[],
  endMs: number,
  bucketMs = 1000
): number[] {
  const buckets = Math.max(1, Math.ceil(endMs / bucketMs))
  const counts = new Array<number>(buckets).fill(0)
  for (const t of completedAtMs) {
    if (t < 0 || t >= buckets * bucketMs) continue
    const bucket = Math.floor(t / bucketMs)
    counts[bucket] = (counts[bucket] ?? 0) + 1
  }
  return counts.map((c) => (c * 1000) / bucketMs)
}

/** a / b rounded for printing, or NaN when b is not a positive number. */
export function ratio(a: number, b: number): number {
  return b > 0 && Number.isFinite(a) ? a / b : Number.NaN
}
