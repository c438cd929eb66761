/**
 * Learning from outcomes: per-skill statistics (success rate, average completion time) as
 * exponential moving averages, and a peer's reputation. Pure.
 */
import { DEFAULT_REPUTATION } from './scoring.js'

/** What an agent knows about its own past work with one skill. */
export interface SkillStats {
  /** 0..1 */
  successRate: number
  avgCompletionMs: number
  /** Outcomes seen. */
  samples: number
}

/** One finished piece of work. */
export interface WorkOutcome {
  ok: boolean
  durationMs: number
}

/** Default smoothing of {@link updateSkillStats}: weight of the newest outcome. */
export const DEFAULT_STATS_ALPHA = 0.2

/**
 * Folds one outcome into the statistics: an exponential moving average with weight `alpha`
 * (default 0.2) for the newest outcome; the first outcome sets the values. Every outcome counts
 * toward the completion time, so slow failures (timeouts) make a skill look slower.
 */
export function updateSkillStats (stats: SkillStats, outcome: WorkOutcome, options: { alpha?: number } = {}): SkillStats {
  const alpha = options.alpha ?? DEFAULT_STATS_ALPHA
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`)
  const success = outcome.ok ? 1 : 0
  const duration = Number.isFinite(outcome.durationMs) ? Math.max(0, outcome.durationMs) : 0
  if (!(stats.samples > 0)) return { successRate: success, avgCompletionMs: duration, samples: 1 }
  return {
    successRate: Math.min(1, Math.max(0, (1 - alpha) * stats.successRate + alpha * success)),
    avgCompletionMs: (1 - alpha) * stats.avgCompletionMs + alpha * duration,
    samples: stats.samples + 1
  }
}

/** How a peer did on work it accepted. */
export type ReputationOutcome = 'success' | 'failure' | 'no-show'

/** Steps of {@link updateReputation}. */
export interface ReputationOptions {
  /** Added for a success (default 0.05). */
  successGain?: number
  /** Removed for a failure (default 0.1). */
  failurePenalty?: number
  /** Removed for accepting and then not showing up, or going silent (default 0.2). */
  noShowPenalty?: number
}

/** Defaults of {@link ReputationOptions}. */
const DEFAULT_REPUTATION_OPTIONS: Readonly<Required<ReputationOptions>> = Object.freeze({
  successGain: 0.05,
  failurePenalty: 0.1,
  noShowPenalty: 0.2
})

/**
 * The reputation after one outcome, clamped to 0..1: up a little for a success, down more for a
 * failure, and most for a no-show. The input is clamped to 0..1 first; a reputation that is not a
 * number starts from the default.
 */
export function updateReputation (reputation: number, outcome: ReputationOutcome, options: ReputationOptions = {}): number {
  const o = { ...DEFAULT_REPUTATION_OPTIONS, ...options }
  const start = Number.isNaN(reputation) ? DEFAULT_REPUTATION : Math.min(1, Math.max(0, reputation))
  let next: number
  switch (outcome) {
    case 'success': next = start + o.successGain; break
    case 'failure': next = start - o.failurePenalty; break
    case 'no-show': next = start - o.noShowPenalty; break
  }
  return Math.min(1, Math.max(0, next))
}
