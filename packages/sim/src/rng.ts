/** A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence. */
export interface Random {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max]. */
  int(min: number, max: number): number
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T
  /** `n` distinct elements of an array (n ≤ length). */
  sample<T>(items: readonly T[], n: number): T[]
  /** A key drawn with probability proportional to its weight. */
  weighted<K extends string>(weights: Partial<Record<K, number>>): K
}

export function createRandom (seed: number): Random {
  let a = (seed >>> 0) || 0x9e3779b9
  const next = (): number => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  return {
    next,
    int,
    pick: items => {
      if (items.length === 0) throw new RangeError('pick from an empty array')
      return items[Math.floor(next() * items.length)] as (typeof items)[number]
    },
    sample: (items, n) => {
      const copy = [...items]
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1))
        const tmp = copy[i] as (typeof copy)[number]
        copy[i] = copy[j] as (typeof copy)[number]
        copy[j] = tmp
      }
      return copy.slice(0, n)
    },
    weighted: weights => {
      const entries = Object.entries(weights).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0)
      const total = entries.reduce((s, [, w]) => s + w, 0)
      if (total <= 0) throw new RangeError('no positive weight')
      let r = next() * total
      for (const [key, w] of entries) {
        r -= w
        if (r < 0) return key as keyof typeof weights & string
      }
      return (entries[entries.length - 1] as [string, number])[0] as keyof typeof weights & string
    }
  }
}
