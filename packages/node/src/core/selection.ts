/**
 * Group selection: which candidates form the working group of a task. A weighted set cover of the
 * required skill slots (a required skill with count n is n slots filled by n distinct members)
 * under a maximum group size, solved greedily. Pure and deterministic.
 */
import type { GroupMember, Level, RequiredSkill } from '@swarm/protocol'
import { levelRank } from '@swarm/protocol'
import type { Candidate, ScoreWeights } from './scoring.js'
import { DEFAULT_SCORE_WEIGHTS, DEFAULT_SPEED_REFERENCE_MS, assertValidWeights, scoreCandidateForSkill } from './scoring.js'

/** Scores closer than this count as equal, so that ties are broken by load and peer id. */
const SCORE_EPSILON = 1e-9

/** Options of {@link selectGroup}. */
export interface SelectionOptions {
  /** Members of the group at most. */
  maxGroupSize: number
  /** Backups to name per skill (default 1). */
  backupsPerSkill?: number
  weights?: ScoreWeights
  /** Peer ids never to choose (for example the announcer itself, or peers that declined). */
  exclude?: Iterable<string>
  /** Reference time of the speed component, milliseconds. */
  speedReferenceMs?: number
}

/** A required skill that not enough candidates cover. */
export interface MissingSkill {
  skill: string
  /** Distinct members the skill needs. */
  needed: number
  /** Candidates with free capacity that cover it at the required level. */
  available: number
}

/** A group was found. */
export interface GroupSelected {
  ok: true
  /** Chosen members, best first, each with the skills it is assigned. */
  members: GroupMember[]
  /** Skill name → peer ids assigned to it. */
  assignments: Record<string, string[]>
  /** Skill name → backup peer ids (not in the group), best first. */
  backups: Record<string, string[]>
  /** Mean score of the filled slots, 0..1. */
  score: number
}

/** No group could be formed. */
export interface GroupNotSelected {
  ok: false
  /** Human-readable explanation. */
  reason: string
  /** Skills without enough candidates; empty when the group size limit was the problem. */
  missing: MissingSkill[]
}

/** Result of {@link selectGroup}. */
export type GroupSelection = GroupSelected | GroupNotSelected

/** A candidate's score for a slot, with what breaks ties. */
interface Ranked {
  peerId: string
  score: number
  load: number
}

/**
 * Orders best first: higher score, then lower load, then lower peer id (by UTF-16 code units, so
 * the order does not depend on the locale).
 */
function compareRanked (a: Ranked, b: Ranked): number {
  if (Math.abs(a.score - b.score) > SCORE_EPSILON) return b.score - a.score
  if (a.load !== b.load) return a.load - b.load
  if (a.peerId === b.peerId) return 0
  return a.peerId < b.peerId ? -1 : 1
}

/**
 * Merges repeated required skills of the same name: counts add up and the strictest minimum level
 * wins. Keeps the order of first appearance.
 */
export function mergeRequiredSkills (required: readonly RequiredSkill[]): RequiredSkill[] {
  const merged = new Map<string, RequiredSkill>()
  for (const req of required) {
    const seen = merged.get(req.name)
    if (seen === undefined) {
      merged.set(req.name, { name: req.name, minLevel: req.minLevel, count: req.count })
    } else {
      const minLevel: Level = levelRank(req.minLevel) > levelRank(seen.minLevel) ? req.minLevel : seen.minLevel
      merged.set(req.name, { name: req.name, minLevel, count: seen.count + req.count })
    }
  }
  return [...merged.values()]
}

/** Whether the candidate can take one more task. */
export function hasFreeCapacity (candidate: Candidate): boolean {
  return candidate.capacity > 0 && candidate.load < candidate.capacity
}

/**
 * Candidates that may be chosen: not excluded, with free capacity, one per peer id (a later entry
 * replaces an earlier one, as a newer offer replaces an older).
 */
function eligibleCandidates (candidates: readonly Candidate[], exclude: ReadonlySet<string>): Candidate[] {
  const byPeer = new Map<string, Candidate>()
  for (const candidate of candidates) {
    byPeer.delete(candidate.peerId)
    byPeer.set(candidate.peerId, candidate)
  }
  return [...byPeer.values()].filter(c => !exclude.has(c.peerId) && hasFreeCapacity(c))
}

function plural (n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

function missingReason (missing: MissingSkill, minLevel: Level): string {
  if (missing.available === 0) return `no offer covers skill "${missing.skill}" at level ${minLevel} or above`
  return `skill "${missing.skill}" needs ${plural(missing.needed, 'member')} at level ${minLevel} or above but only ${plural(missing.available, 'offer')} cover${missing.available === 1 ? 's' : ''} it`
}

function checkSelectionOptions (options: SelectionOptions): { maxGroupSize: number, backupsPerSkill: number, weights: ScoreWeights, exclude: Set<string>, speedReferenceMs: number } {
  const { maxGroupSize, backupsPerSkill = 1, weights = DEFAULT_SCORE_WEIGHTS, speedReferenceMs = DEFAULT_SPEED_REFERENCE_MS } = options
  if (!Number.isInteger(maxGroupSize) || maxGroupSize < 1) throw new RangeError(`maxGroupSize must be an integer >= 1, got ${maxGroupSize}`)
  if (!Number.isInteger(backupsPerSkill) || backupsPerSkill < 0) throw new RangeError(`backupsPerSkill must be an integer >= 0, got ${backupsPerSkill}`)
  assertValidWeights(weights)
  return { maxGroupSize, backupsPerSkill, weights, exclude: new Set(options.exclude ?? []), speedReferenceMs }
}

/** A selection plus the score of every filled slot (used by {@link coveredWell}). */
interface DetailedSelection {
  selection: GroupSelection
  slotScores: number[]
}

/** A failed selection, with no slot scores. */
function notSelected (reason: string, missing: MissingSkill[] = []): DetailedSelection {
  return { selection: { ok: false, reason, missing }, slotScores: [] }
}

/** `table.get(peerId).get(skill)`: a candidate's score for a skill, defined only where it qualifies. */
type ScoreTable = Map<string, Map<string, number>>

function scoreTable (eligible: readonly Candidate[], skills: readonly RequiredSkill[], weights: ScoreWeights, speedReferenceMs: number): ScoreTable {
  const scores: ScoreTable = new Map()
  for (const candidate of eligible) {
    const row = new Map<string, number>()
    for (const req of skills) {
      const score = scoreCandidateForSkill(candidate, req, weights, speedReferenceMs)
      if (score !== undefined) row.set(req.name, score)
    }
    scores.set(candidate.peerId, row)
  }
  return scores
}

/** The failure naming every skill with fewer qualified candidates than it needs; undefined when none. */
function missingSkills (skills: readonly RequiredSkill[], eligible: readonly Candidate[], scores: ScoreTable): DetailedSelection | undefined {
  const missing: MissingSkill[] = []
  const reasons: string[] = []
  for (const req of skills) {
    const available = eligible.filter(c => scores.get(c.peerId)?.has(req.name) === true).length
    if (available < req.count) {
      const entry = { skill: req.name, needed: req.count, available }
      missing.push(entry)
      reasons.push(missingReason(entry, req.minLevel))
    }
  }
  return missing.length > 0 ? notSelected(reasons.join('; '), missing) : undefined
}

/** The open slots a candidate would fill, one per skill, and the ranking of that choice. */
interface Pick {
  ranked: Ranked
  fills: Array<{ skill: string, score: number }>
}

/**
 * The candidate not chosen yet with the highest total score over the open slots it can fill (at
 * most one slot per skill); undefined when no one can fill any.
 */
function bestPick (skills: readonly RequiredSkill[], eligible: readonly Candidate[], scores: ScoreTable, open: ReadonlyMap<string, number>, chosen: ReadonlySet<string>): Pick | undefined {
  let best: Pick | undefined
  for (const candidate of eligible) {
    if (chosen.has(candidate.peerId)) continue
    const row = scores.get(candidate.peerId)
    const fills: Pick['fills'] = []
    for (const req of skills) {
      const score = row?.get(req.name)
      if (score !== undefined && (open.get(req.name) ?? 0) > 0) fills.push({ skill: req.name, score })
    }
    if (fills.length === 0) continue
    const ranked: Ranked = { peerId: candidate.peerId, score: fills.reduce((sum, f) => sum + f.score, 0), load: candidate.load }
    if (best === undefined || compareRanked(ranked, best.ranked) < 0) best = { ranked, fills }
  }
  return best
}

/** The outcome of {@link greedyCover}. */
interface Cover {
  members: GroupMember[]
  assignments: Record<string, string[]>
  /** Peer ids of the members. */
  chosen: Set<string>
  slotScores: number[]
  /** Slots no one could fill (0 when the cover is complete). */
  openSlots: number
}

/** Greedy cover: takes the {@link bestPick} until every slot is filled or no one can fill more. */
function greedyCover (skills: readonly RequiredSkill[], eligible: readonly Candidate[], scores: ScoreTable): Cover {
  const open = new Map(skills.map(req => [req.name, req.count]))
  const cover: Cover = {
    members: [],
    assignments: Object.fromEntries(skills.map(req => [req.name, []])),
    chosen: new Set(),
    slotScores: [],
    openSlots: totalSlots(skills)
  }
  while (cover.openSlots > 0) {
    const best = bestPick(skills, eligible, scores, open, cover.chosen)
    // Cannot happen once every skill has enough candidates, but never loop forever.
    if (best === undefined) break
    cover.chosen.add(best.ranked.peerId)
    cover.members.push({ peerId: best.ranked.peerId, skills: best.fills.map(f => f.skill) })
    for (const fill of best.fills) {
      open.set(fill.skill, (open.get(fill.skill) ?? 0) - 1)
      cover.assignments[fill.skill]?.push(best.ranked.peerId)
      cover.slotScores.push(fill.score)
      cover.openSlots--
    }
  }
  return cover
}

function totalSlots (skills: readonly RequiredSkill[]): number {
  return skills.reduce((sum, req) => sum + req.count, 0)
}

function tooLargeReason (skills: readonly RequiredSkill[], maxGroupSize: number, members: number): string {
  const slots = totalSlots(skills)
  const what = slots === skills.length ? plural(skills.length, 'skill') : `${plural(skills.length, 'skill')} (${slots} member slots)`
  return `covering ${what} needs more than the maximum group size ${maxGroupSize} (the best group found has ${members} members)`
}

/** Skill name → up to `perSkill` qualified candidates outside the group, best first. */
function pickBackups (skills: readonly RequiredSkill[], eligible: readonly Candidate[], scores: ScoreTable, chosen: ReadonlySet<string>, perSkill: number): Record<string, string[]> {
  const backups: Record<string, string[]> = {}
  for (const req of skills) {
    const ranked: Ranked[] = []
    for (const candidate of eligible) {
      const score = scores.get(candidate.peerId)?.get(req.name)
      if (score !== undefined && !chosen.has(candidate.peerId)) ranked.push({ peerId: candidate.peerId, score, load: candidate.load })
    }
    backups[req.name] = ranked.sort(compareRanked).slice(0, perSkill).map(r => r.peerId)
  }
  return backups
}

function selectGroupDetailed (required: readonly RequiredSkill[], candidates: readonly Candidate[], options: SelectionOptions): DetailedSelection {
  const { maxGroupSize, backupsPerSkill, weights, exclude, speedReferenceMs } = checkSelectionOptions(options)
  const skills = mergeRequiredSkills(required)
  if (skills.length === 0) return notSelected('the task requires no skills')

  const eligible = eligibleCandidates(candidates, exclude)
  const scores = scoreTable(eligible, skills, weights, speedReferenceMs)
  const missing = missingSkills(skills, eligible, scores)
  if (missing !== undefined) return missing

  const { members, assignments, chosen, slotScores, openSlots } = greedyCover(skills, eligible, scores)
  if (openSlots > 0) return notSelected('no group covers every required skill')
  if (members.length > maxGroupSize) return notSelected(tooLargeReason(skills, maxGroupSize, members.length))

  const backups = pickBackups(skills, eligible, scores, chosen, backupsPerSkill)
  const score = slotScores.reduce((sum, s) => sum + s, 0) / slotScores.length
  return { selection: { ok: true, members, assignments, backups, score }, slotScores }
}

/**
 * Chooses the working group for a task: greedily, the candidate with the highest sum of scores
 * over the still open slots it can fill (one member may fill slots of several skills, which keeps
 * the group small, but at most one slot per skill), ties broken by lower load, then lower peer id.
 * Candidates without free capacity or in `exclude` are never chosen. Fails with a reason when a
 * skill has too few qualified candidates or the group would exceed `maxGroupSize`. Names up to
 * `backupsPerSkill` backups per skill among the qualified candidates left out, best first.
 */
export function selectGroup (required: RequiredSkill[], candidates: Candidate[], options: SelectionOptions): GroupSelection {
  return selectGroupDetailed(required, candidates, options).selection
}

/** Options of {@link replacementFor}. */
export interface ReplacementOptions {
  weights?: ScoreWeights
  speedReferenceMs?: number
}

/**
 * The best peer to take over `skill` when a member declines or goes silent: a candidate with free
 * capacity that covers the skill at its minimum level, is not a member of the group, and is not
 * in `exclude` (put the member being replaced and earlier decliners there). Ranked like the
 * backups of {@link selectGroup}, so with unchanged candidates this is the first usable backup.
 * Pass the current members (a selection, or a task state after earlier replacements).
 */
export function replacementFor (
  skill: RequiredSkill,
  selection: { readonly members: readonly GroupMember[] },
  candidates: readonly Candidate[],
  exclude: Iterable<string> = [],
  options: ReplacementOptions = {}
): string | undefined {
  const { weights = DEFAULT_SCORE_WEIGHTS, speedReferenceMs = DEFAULT_SPEED_REFERENCE_MS } = options
  const skip = new Set(exclude)
  for (const member of selection.members) skip.add(member.peerId)
  let best: Ranked | undefined
  for (const candidate of eligibleCandidates(candidates, skip)) {
    const score = scoreCandidateForSkill(candidate, skill, weights, speedReferenceMs)
    if (score === undefined) continue
    const ranked: Ranked = { peerId: candidate.peerId, score, load: candidate.load }
    if (best === undefined || compareRanked(ranked, best) < 0) best = ranked
  }
  return best?.peerId
}

/** Options of {@link coveredWell}. */
export interface CoveredWellOptions {
  /** Lowest acceptable score of a filled slot, 0..1. */
  minScore: number
  /** Backups every skill must have. */
  backupsPerSkill: number
  maxGroupSize: number
  weights?: ScoreWeights
  exclude?: Iterable<string>
  speedReferenceMs?: number
}

/**
 * Whether the offers so far are good enough to close bidding early: a group can be selected,
 * every filled slot scores at least `minScore`, and every skill has `backupsPerSkill` backups.
 */
export function coveredWell (required: RequiredSkill[], candidates: Candidate[], options: CoveredWellOptions): boolean {
  const { minScore, backupsPerSkill, ...rest } = options
  const { selection, slotScores } = selectGroupDetailed(required, candidates, { ...rest, backupsPerSkill })
  if (!selection.ok) return false
  if (slotScores.some(score => score < minScore)) return false
  return Object.values(selection.backups).every(list => list.length >= backupsPerSkill)
}
