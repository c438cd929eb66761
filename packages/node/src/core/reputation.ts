/**
 * Trust from outcomes: pure rules for how the reputation this node holds for a peer fades with
 * time and how much first-hand observation outweighs what a peer claims about itself.
 */
/** Where every reputation drifts back to when nothing new is observed. */
export const NEUTRAL_REPUTATION = 0.5

/**
 * Reputation of a peer id this node has never observed: below neutral, so a fresh identity
 * (free to make) is not worth as much as an established one; verified results move it up.
 */
export const NEWCOMER_REPUTATION = 0.4

/** Observations at which first-hand results weigh as much as the peer's claimed success rate. */
const DEFAULT_OBSERVATION_PRIOR = 2

/** Successes a peer is credited with before anything is observed, in {@link observedReliability}. */
const DEFAULT_RELIABILITY_PRIOR = 2

/** What this node saw of a peer's work: outcomes recorded, and how many of them were successes. */
export interface Observations {
  successes: number
  total: number
}

/**
 * `score` after `elapsedMs` without news: its distance to neutral halves every `halfLifeMs`, so
 * an old verdict (good or bad) counts less than a recent one. Negative elapsed time (a clock
 * step back) decays nothing.
 */
export function decayReputation (score: number, elapsedMs: number, halfLifeMs: number, neutral: number = NEUTRAL_REPUTATION): number {
  if (!(halfLifeMs > 0)) throw new RangeError(`reputation half-life must be a positive number of milliseconds, got ${halfLifeMs}`)
  if (Number.isNaN(score)) return neutral
  const clamped = Math.min(1, Math.max(0, score))
  const elapsed = Number.isFinite(elapsedMs) ? Math.max(0, elapsedMs) : Number.POSITIVE_INFINITY
  return neutral + (clamped - neutral) * Math.pow(0.5, elapsed / halfLifeMs)
}

/**
 * The success rate to score a peer with: its claimed rate blended with the rate this node
 * observed, the observed one weighing `total / (total + prior)`: nothing observed gives the
 * claim, `prior` observations weigh as much as the claim, many observations all but replace it.
 */
export function blendSuccessRate (claimed: number, observed: Observations | undefined, prior: number = DEFAULT_OBSERVATION_PRIOR): number {
  const claim = Number.isNaN(claimed) ? 0 : Math.min(1, Math.max(0, claimed))
  if (observed === undefined || !(observed.total > 0)) return claim
  const rate = Math.min(1, Math.max(0, observed.successes / observed.total))
  const weight = observed.total / (observed.total + Math.max(0, prior))
  return weight * rate + (1 - weight) * claim
}

/**
 * How far this node trusts a peer to deliver, 0..1, from what it saw of the peer's work only:
 * `(successes + prior) / (total + prior)`, so 1 while it never saw the peer fail (nothing observed
 * included), 2/3 after one failure or no-show with the default prior, and back towards 1 as
 * successes accumulate. Nothing a peer claims enters it: it scales the whole score of an offer
 * (see scoring.ts), so that a peer that took work and did not deliver ranks below peers that
 * delivered or were never seen, whatever it claims of its level, speed, capacity or success.
 */
export function observedReliability (observed: Observations | undefined, prior: number = DEFAULT_RELIABILITY_PRIOR): number {
  if (observed === undefined || !(observed.total > 0)) return 1
  const total = observed.total
  const successes = Math.min(total, Math.max(0, Number.isNaN(observed.successes) ? 0 : observed.successes))
  const credit = Math.max(0, prior)
  if (total + credit <= 0) return 1
  return Math.min(1, Math.max(0, (successes + credit) / (total + credit)))
}
