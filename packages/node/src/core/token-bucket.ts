/**
 * Token buckets per key (a peer id), pure: a bucket holds up to `burst` tokens and refills at
 * `perSecond`; a message that finds a token takes it, one that finds none is over the rate.
 * The refill is computed from the time of the last take, so no timer runs.
 */

export interface Bucket {
  tokens: number
  at: number
}

export interface Rate {
  perSecond: number
  burst: number
}

/** The bucket at `now` after one take, and whether the take was allowed. */
export function take (bucket: Bucket | undefined, rate: Rate, now: number, cost = 1): { bucket: Bucket, allowed: boolean } {
  const start = bucket === undefined ? rate.burst : Math.min(rate.burst, bucket.tokens + Math.max(0, now - bucket.at) * rate.perSecond / 1000)
  if (start >= cost) return { bucket: { tokens: start - cost, at: now }, allowed: true }
  return { bucket: { tokens: start, at: now }, allowed: false }
}

/**
 * The buckets of many keys, with a bound on how many are kept: the one used longest ago is
 * forgotten first (a forgotten key starts again with a full bucket, which costs at most one burst).
 */
export class RateLimiter {
  readonly #rate: Rate
  readonly #maxKeys: number
  readonly #buckets = new Map<string, Bucket>()
  /** Takes refused since creation. */
  limited = 0

  constructor (rate: Rate, maxKeys = 10_000) {
    this.#rate = rate
    this.#maxKeys = maxKeys
  }

  /** Whether `key` may send one more message at `now` (and takes its token when it may). */
  allow (key: string, now: number, cost = 1): boolean {
    const result = take(this.#buckets.get(key), this.#rate, now, cost)
    this.#buckets.delete(key)
    this.#buckets.set(key, result.bucket)
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next()
      if (oldest.done !== true) this.#buckets.delete(oldest.value)
    }
    if (!result.allowed) this.limited++
    return result.allowed
  }
}
