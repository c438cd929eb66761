/** Percentile summary (nearest rank) of a list of numbers. */
export interface Summary {
  n: number
  p50: number
  p95: number
  p99: number
  max: number
  mean: number
}

export function percentile (sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

export function summarize (values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const mean = sorted.length === 0 ? NaN : sorted.reduce((s, v) => s + v, 0) / sorted.length
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, mean }
}

/**
 * Gini coefficient of non-negative values: 0 when all are equal, towards 1 when one has
 * everything. 0 for an empty list or all zeros.
 */
export function gini (values: readonly number[]): number {
  const n = values.length
  if (n === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const total = sorted.reduce((s, v) => s + v, 0)
  if (total === 0) return 0
  let weighted = 0
  sorted.forEach((v, i) => { weighted += (i + 1) * v })
  return (2 * weighted) / (n * total) - (n + 1) / n
}

/** Counts of values per bucket of `bucketMs`, from `start` to `end`. */
export function timeSeries (times: readonly number[], start: number, end: number, bucketMs: number): Array<{ t: number, count: number }> {
  const buckets = Math.max(1, Math.ceil((end - start) / bucketMs))
  const counts = new Array<number>(buckets).fill(0)
  for (const time of times) {
    const i = Math.floor((time - start) / bucketMs)
    if (i >= 0 && i < buckets) counts[i] = (counts[i] ?? 0) + 1
  }
  return counts.map((count, i) => ({ t: i * bucketMs, count }))
}

/** Points of an empirical CDF: (value, fraction ≤ value), at most `points` of them. */
export function cdf (values: readonly number[], points = 200): Array<{ x: number, y: number }> {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return []
  const step = Math.max(1, Math.floor(sorted.length / points))
  const out: Array<{ x: number, y: number }> = []
  for (let i = 0; i < sorted.length; i += step) out.push({ x: sorted[i] as number, y: (i + 1) / sorted.length })
  const last = sorted[sorted.length - 1] as number
  if (out[out.length - 1]?.x !== last || out[out.length - 1]?.y !== 1) out.push({ x: last, y: 1 })
  return out
}
