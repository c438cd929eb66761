/**
 * Confidence aggregation across blackboard findings. Pure and deterministic: values are combined
 * in sorted order, so the same findings give the same number (to the last bit) in any order.
 *
 * Each finding bears on one claim (for {@link hypothesisConfidence}: one hypothesis), supporting
 * it (`supports` true or absent) or contradicting it (`supports: false`), with a confidence 0..1
 * and a kind. Kinds are weighted ({@link KIND_WEIGHTS}): observations are direct evidence (1);
 * conclusions are inferences that usually restate observations, down-weighted to limit double
 * counting (0.75); hypotheses are conjectures (0.5).
 *
 * Methods (no findings gives 0 with every method):
 * - `noisy-or` (default; for independent pieces of evidence that accumulate): each finding's
 *   strength is s = weight(kind) × confidence; support P+ = 1 − Π(1 − s) over the supporting
 *   findings, opposition P− = 1 − Π(1 − s) over the contradicting ones; the result is
 *   P+ × (1 − P−). Two observations at 0.8 give 0.96; adding a contradicting observation at 0.5
 *   halves it to 0.48.
 * - `mean` (the findings' consensus, kinds ignored): the mean of p over all findings, where
 *   p = confidence for a supporting finding and 1 − confidence for a contradicting one (a finding
 *   that is 90 % sure the claim is false leaves 10 % for it).
 * - `weighted`: the same p, averaged with the kind weights: Σ weight × p / Σ weight.
 */

/** Kinds of findings on a blackboard. */
export const FINDING_KINDS = ['observation', 'hypothesis', 'conclusion'] as const
/** A kind of finding. */
export type FindingKind = typeof FINDING_KINDS[number]

/** Aggregation methods of {@link aggregateConfidence}. */
export const AGGREGATION_METHODS = ['noisy-or', 'mean', 'weighted'] as const
/** An aggregation method. */
export type AggregationMethod = typeof AGGREGATION_METHODS[number]

/** A piece of evidence for or against one claim. */
export interface Evidence {
  /** 0..1. */
  confidence: number
  kind: FindingKind
  /** False when the finding contradicts the claim; true or absent when it supports it. */
  supports?: boolean
}

/** Evidence that names the hypothesis it bears on. */
export interface HypothesisEvidence extends Evidence {
  hypothesisId?: string
}

/** Default weight of each kind of finding (each 0..1). */
export const KIND_WEIGHTS: Readonly<Record<FindingKind, number>> = Object.freeze({
  observation: 1,
  conclusion: 0.75,
  hypothesis: 0.5
})

/**
 * Aggregates the confidence of several findings about one claim into one confidence, 0..1, with
 * the formulas in this module's doc comment. Throws a RangeError for a confidence or weight
 * outside 0..1, an unknown kind or an unknown method.
 */
export function aggregateConfidence (
  findings: readonly Evidence[],
  method: AggregationMethod = 'noisy-or',
  weights: Readonly<Record<FindingKind, number>> = KIND_WEIGHTS
): number {
  if (!(AGGREGATION_METHODS as readonly string[]).includes(method)) throw new RangeError(`unknown aggregation method "${String(method)}"`)
  for (const kind of FINDING_KINDS) checkUnit(weights[kind], `weight of ${kind}`)
  for (const f of findings) {
    if (!(FINDING_KINDS as readonly string[]).includes(f.kind)) throw new RangeError(`unknown finding kind "${String(f.kind)}"`)
    checkUnit(f.confidence, 'confidence')
  }
  if (findings.length === 0) return 0
  switch (method) {
    case 'noisy-or': {
      const support: number[] = []
      const against: number[] = []
      for (const f of findings) (f.supports === false ? against : support).push(weights[f.kind] * f.confidence)
      return clampUnit(noisyOr(support) * (1 - noisyOr(against)))
    }
    case 'mean': {
      const values = findings.map(p).sort(ascending)
      return clampUnit(sum(values) / values.length)
    }
    case 'weighted': {
      const pairs = findings.map(f => [weights[f.kind], p(f)] as const)
        .sort((a, b) => ascending(a[0], b[0]) || ascending(a[1], b[1]))
      const totalWeight = sum(pairs.map(([w]) => w))
      if (totalWeight === 0) return 0
      return clampUnit(sum(pairs.map(([w, v]) => w * v)) / totalWeight)
    }
    default:
      throw new RangeError(`unknown aggregation method "${String(method)}"`)
  }
}

/**
 * The confidence in one hypothesis: {@link aggregateConfidence} over the findings whose
 * `hypothesisId` is `hypothesisId` (others are ignored); 0 when none bears on it.
 */
export function hypothesisConfidence (
  hypothesisId: string,
  findings: readonly HypothesisEvidence[],
  method: AggregationMethod = 'noisy-or',
  weights: Readonly<Record<FindingKind, number>> = KIND_WEIGHTS
): number {
  return aggregateConfidence(findings.filter(f => f.hypothesisId === hypothesisId), method, weights)
}

/** 1 − Π(1 − s), over the strengths in ascending order; 0 for none. */
function noisyOr (strengths: number[]): number {
  let none = 1
  for (const s of strengths.sort(ascending)) none *= 1 - s
  return 1 - none
}

/** The probability the finding gives the claim: its confidence, or 1 − it when it contradicts. */
function p (f: Evidence): number {
  return f.supports === false ? 1 - f.confidence : f.confidence
}

function sum (values: readonly number[]): number {
  let total = 0
  for (const v of values) total += v
  return total
}

function ascending (a: number, b: number): number {
  return a - b
}

function clampUnit (x: number): number {
  return Math.min(1, Math.max(0, x))
}

function checkUnit (x: number, what: string): void {
  if (typeof x !== 'number' || !(x >= 0 && x <= 1)) throw new RangeError(`${what} must be a number from 0 to 1, got ${String(x)}`)
}
