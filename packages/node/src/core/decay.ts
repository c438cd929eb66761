/** Exponential decay, pure: what a score (a penalty, a count of lapses) is worth some time later. */

/** `score` after `elapsedMs`: halved every `halfLifeMs`. */
export function decayed (score: number, elapsedMs: number, halfLifeMs: number): number {
  if (elapsedMs <= 0) return score
  return score * 0.5 ** (elapsedMs / halfLifeMs)
}
