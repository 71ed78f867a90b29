import { describe, expect, it } from 'vitest'
import { histogram, percentile, ratePerSecond, ratio, summarize } from './stats'

describe('bench stats', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(sorted, 50)).toBe(50)
    expect(percentile(sorted, 99)).toBe(99)
    expect(percentile(sorted, 100)).toBe(100)
    expect(percentile([7], 99)).toBe(7)
    expect(percentile([], 50)).toBeNaN()
  })

  it('summarizes unsorted samples', () => {
    const s = summarize([5, 1, 3, 2, 4])
    expect(s).toMatchObject({ count: 5, min: 1, max: 5, p50: 3, mean: 3 })
    expect(summarize([]).count).toBe(0)
  })

  it('bins several series on shared edges, outliers in the last bin', () => {
    const h = histogram([[0, 1, 2, 9], [5]], 10, 10)
    expect(h.edges).toHaveLength(10)
    expect(h.counts[0]).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 1])
    expect(histogram([[100]], 4, 10).counts[0]).toEqual([0, 0, 0, 1])
  })

  it('counts completions per second in buckets', () => {
    expect(ratePerSecond([0, 100, 999, 1000, 2500], 3000)).toEqual([3, 1, 1])
    expect(ratePerSecond([50, 60], 200, 100)).toEqual([20, 0])
  })

  it('gives NaN for a ratio over nothing', () => {
    expect(ratio(2, 4)).toBe(0.5)
    expect(ratio(2, 0)).toBeNaN()
  })
})
