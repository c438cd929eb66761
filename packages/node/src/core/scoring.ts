/**
 * Offer scoring: how well one candidate fits one required skill, as a number in 0..1.
 * Pure functions; the announcer uses them to rank offers and the bidder to score its own offer.
 */
import type { Level, RequiredSkill } from '@swarm/protocol'
import { LEVELS, levelRank } from '@swarm/protocol'
import { NEUTRAL_REPUTATION, blendSuccessRate, observedReliability } from './reputation.js'
import type { Observations } from './reputation.js'

/** One skill of a candidate, as advertised in its offer. */
export interface CandidateSkill {
  name: string
  level: Level
  /** Fraction of past tasks with this skill that succeeded, 0..1. */
  successRate: number
  /** Mean completion time of past tasks with this skill, milliseconds. */
  avgCompletionMs: number
}

/** A peer that offered to work on a task. */
export interface Candidate {
  peerId: string
  skills: CandidateSkill[]
  /** Tasks running plus capacity reserved by open offers. */
  load: number
  /** Tasks the peer runs at once at most. */
  capacity: number
  /** What the announcer thinks of the peer, 0..1; {@link DEFAULT_REPUTATION} when unknown. */
  reputation?: number
  /** The peer's own estimate of the completion time, milliseconds. */
  estimateMs?: number
  /**
   * What the announcer itself saw of the peer's work; it outweighs the claimed `successRate` of
   * the skills the more outcomes it holds (see {@link blendSuccessRate}), and its failures and
   * no-shows scale the whole score down (see {@link observedReliability}).
   */
  observed?: Observations
}

/** Relative weights of the score components. They are normalised, so only their ratios matter. */
export interface ScoreWeights {
  level: number
  successRate: number
  availability: number
  speed: number
  reputation: number
}

/** Default weights; they sum to 1. */
export const DEFAULT_SCORE_WEIGHTS: Readonly<ScoreWeights> = Object.freeze({
  level: 0.25,
  successRate: 0.3,
  availability: 0.2,
  speed: 0.1,
  reputation: 0.15
})

/** Reputation of a peer nobody has worked with yet. */
export const DEFAULT_REPUTATION = NEUTRAL_REPUTATION

/** Completion time that earns half of the speed component, milliseconds. */
export const DEFAULT_SPEED_REFERENCE_MS = 10_000

/** The components of a score, each 0..1, before weighting. */
export interface ScoreComponents {
  level: number
  successRate: number
  availability: number
  speed: number
  reputation: number
}

function clamp01 (value: number): number {
  if (Number.isNaN(value)) return 0
  return Math.min(1, Math.max(0, value))
}

/** Whether `level` is at least `minLevel`. */
export function meetsLevel (level: Level, minLevel: Level): boolean {
  return levelRank(level) >= levelRank(minLevel)
}

/**
 * Level component: 0.5 for exactly the minimum level, rising in equal steps to 1 for the highest
 * level (expert); 1 when the minimum already is the highest level. Undefined below the minimum.
 */
export function levelComponent (level: Level, minLevel: Level): number | undefined {
  const rank = levelRank(level)
  const minRank = levelRank(minLevel)
  if (rank < minRank) return undefined
  const headroom = LEVELS.length - 1 - minRank
  if (headroom <= 0) return 1
  return 0.5 + 0.5 * (rank - minRank) / headroom
}

/** Availability component: the free fraction of capacity; 0 when the peer is full or has no capacity. */
export function availabilityComponent (load: number, capacity: number): number {
  if (!(capacity > 0) || !(load < capacity)) return 0
  return clamp01((capacity - Math.max(0, load)) / capacity)
}

/**
 * Speed component: `ref / (ms + ref)`, so 1 for instant work, 0.5 at the reference time, and
 * towards 0 for slow work.
 */
export function speedComponent (avgCompletionMs: number, referenceMs: number = DEFAULT_SPEED_REFERENCE_MS): number {
  if (!(referenceMs > 0)) throw new RangeError(`speed reference must be a positive number of milliseconds, got ${referenceMs}`)
  const ms = Number.isFinite(avgCompletionMs) ? Math.max(0, avgCompletionMs) : Number.POSITIVE_INFINITY
  if (ms === Number.POSITIVE_INFINITY) return 0
  return referenceMs / (ms + referenceMs)
}

/** Throws a RangeError unless every weight is a finite non-negative number and their sum is positive. */
export function assertValidWeights (weights: ScoreWeights): void {
  let total = 0
  for (const [name, value] of Object.entries(weights)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`score weight "${name}" must be a finite number >= 0, got ${String(value)}`)
    }
    total += value
  }
  if (total <= 0) throw new RangeError('score weights must not all be 0')
}

/** Weighted mean of the components, 0..1. */
export function combineComponents (components: ScoreComponents, weights: ScoreWeights = DEFAULT_SCORE_WEIGHTS): number {
  assertValidWeights(weights)
  const total = weights.level + weights.successRate + weights.availability + weights.speed + weights.reputation
  const sum =
    weights.level * components.level +
    weights.successRate * components.successRate +
    weights.availability * components.availability +
    weights.speed * components.speed +
    weights.reputation * components.reputation
  return clamp01(sum / total)
}

/**
 * The candidate's components for a required skill, taken from its best-scoring qualifying entry
 * for that skill (a candidate normally lists a skill once); undefined when it lacks the skill or
 * has it only below `required.minLevel`. `score` is the weighted mean of the components times
 * `reliability`, the share of the work this node saw the candidate deliver
 * ({@link observedReliability}; 1 without failures): first-hand failures weigh on the whole score,
 * so claimed level, speed and capacity cannot buy back a no-show.
 */
export function scoreComponentsForSkill (
  candidate: Candidate,
  required: RequiredSkill,
  weights: ScoreWeights = DEFAULT_SCORE_WEIGHTS,
  speedReferenceMs: number = DEFAULT_SPEED_REFERENCE_MS
): { components: ScoreComponents, reliability: number, score: number } | undefined {
  let best: { components: ScoreComponents, reliability: number, score: number } | undefined
  const reliability = observedReliability(candidate.observed)
  for (const skill of candidate.skills) {
    if (skill.name !== required.name) continue
    const level = levelComponent(skill.level, required.minLevel)
    if (level === undefined) continue
    const components: ScoreComponents = {
      level,
      successRate: blendSuccessRate(skill.successRate, candidate.observed),
      availability: availabilityComponent(candidate.load, candidate.capacity),
      speed: speedComponent(skill.avgCompletionMs, speedReferenceMs),
      reputation: clamp01(candidate.reputation ?? DEFAULT_REPUTATION)
    }
    const score = clamp01(combineComponents(components, weights) * reliability)
    if (best === undefined || score > best.score) best = { components, reliability, score }
  }
  return best
}

/**
 * How well `candidate` fits `required`, 0..1 (higher is better): the weighted mean of level
 * (rewarding levels above the minimum), success rate, availability (free capacity fraction), speed
 * (average completion time against `speedReferenceMs`) and reputation, scaled by the reliability
 * this node observed (see {@link scoreComponentsForSkill}). Undefined when the candidate lacks the
 * skill or its level is below `required.minLevel`.
 */
export function scoreCandidateForSkill (
  candidate: Candidate,
  required: RequiredSkill,
  weights: ScoreWeights = DEFAULT_SCORE_WEIGHTS,
  speedReferenceMs: number = DEFAULT_SPEED_REFERENCE_MS
): number | undefined {
  return scoreComponentsForSkill(candidate, required, weights, speedReferenceMs)?.score
}

/** The required skills that `skills` covers at the required level, in the order of `required`. */
export function coveredRequiredSkills (skills: readonly CandidateSkill[], required: readonly RequiredSkill[]): RequiredSkill[] {
  return required.filter(req => skills.some(skill => skill.name === req.name && meetsLevel(skill.level, req.minLevel)))
}

/**
 * The bidder's own score of its fit for a task: the mean of its scores over the required skills it
 * covers (0 when it covers none). Its reputation is unknown to itself, so the default is used.
 */
export function scoreOwnOffer (
  skills: CandidateSkill[],
  required: RequiredSkill[],
  load: number,
  capacity: number,
  weights: ScoreWeights = DEFAULT_SCORE_WEIGHTS,
  speedReferenceMs: number = DEFAULT_SPEED_REFERENCE_MS
): number {
  const self: Candidate = { peerId: '', skills, load, capacity }
  let sum = 0
  let covered = 0
  for (const req of required) {
    const score = scoreCandidateForSkill(self, req, weights, speedReferenceMs)
    if (score === undefined) continue
    sum += score
    covered++
  }
  return covered === 0 ? 0 : sum / covered
}
