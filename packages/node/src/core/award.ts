/**
 * Awards: the record of how a task's group was chosen, sent with GROUP_FORMED to the members and
 * with OFFER_RELEASE to the other bidders. It lists the digest and the score inputs of every
 * signed offer of the attempt, the selection rule's parameters, the members the rule chose, the
 * backups invited in order, and the group. {@link verifyAward} re-runs the pure selection
 * (core/selection.ts) over the listed inputs: a bidder checks that its offer is listed with the
 * inputs it signed and that the rule gives the announced group, so it was not passed over.
 * Pure and deterministic.
 */
import { MAX_AWARD_OFFERS } from '@swarm/protocol'
import { DEFAULT_REPUTATION, DEFAULT_SCORE_WEIGHTS, DEFAULT_SPEED_REFERENCE_MS, scoreCandidateForSkill } from './scoring.js'
import { replacementFor, selectGroup } from './selection.js'
import type { Candidate, ScoreWeights } from './scoring.js'
import type { Award, AwardOffer, GroupMember, RequiredSkill, SkillOfferBody } from '@swarm/protocol'

/** What {@link buildAward} is given: the attempt, the rule, the offers and what formation did. */
export interface AwardInput {
  taskId: string
  attempt: number
  announcer: string
  required: RequiredSkill[]
  maxGroupSize: number
  weights?: ScoreWeights
  speedReferenceMs?: number
  /** Peers excluded from the selection (they failed this task before). */
  excluded: Iterable<string>
  /** Every offer of the attempt, as a selection candidate, with its signed offer's digest. */
  offers: Array<{ candidate: Candidate, digest: string }>
  /** The members the selection chose. */
  selected: GroupMember[]
  /** Backups invited, in order. */
  replacements: Array<{ skill: string, by: string }>
  members: GroupMember[]
}

/** The outcome of a verification: what was checked, and what failed (none: verified). */
export interface AwardCheck {
  ok: boolean
  checks: string[]
  problems: string[]
}

function entryOf (candidate: Candidate, digest: string): AwardOffer {
  return {
    peerId: candidate.peerId,
    digest,
    skills: candidate.skills.map(s => ({ name: s.name, level: s.level, successRate: s.successRate, avgCompletionMs: s.avgCompletionMs })),
    load: candidate.load,
    capacity: candidate.capacity,
    estimateMs: candidate.estimateMs ?? 0,
    reputation: Math.min(1, Math.max(0, candidate.reputation ?? DEFAULT_REPUTATION)),
    observed: { successes: candidate.observed?.successes ?? 0, total: candidate.observed?.total ?? 0 }
  }
}

/** The selection candidate an award entry stands for. */
function candidateOf (entry: AwardOffer): Candidate {
  return { peerId: entry.peerId, skills: entry.skills, load: entry.load, capacity: entry.capacity, reputation: entry.reputation, observed: entry.observed, estimateMs: entry.estimateMs }
}

/** The sum of a candidate's scores over the required skills: how offers beyond the cap are ranked. */
function totalScore (candidate: Candidate, required: readonly RequiredSkill[], weights: ScoreWeights, speedReferenceMs: number): number {
  return required.reduce((sum, req) => sum + (scoreCandidateForSkill(candidate, req, weights, speedReferenceMs) ?? 0), 0)
}

/**
 * The award of an attempt. At most MAX_AWARD_OFFERS offers are listed: the chosen members and
 * the backups invited always (so the selection over the list gives the same group: at each
 * greedy step the winner over all offers is listed, hence also the winner over the list), then
 * the others by their total score, best first; `omitted` counts the rest.
 */
export function buildAward (input: AwardInput): Award {
  const weights = input.weights ?? DEFAULT_SCORE_WEIGHTS
  const speedReferenceMs = input.speedReferenceMs ?? DEFAULT_SPEED_REFERENCE_MS
  const keep = new Set([...input.selected.map(m => m.peerId), ...input.replacements.map(r => r.by), ...input.members.map(m => m.peerId)])
  const ranked = [...input.offers].sort((a, b) => {
    const ka = keep.has(a.candidate.peerId) ? 1 : 0
    const kb = keep.has(b.candidate.peerId) ? 1 : 0
    if (ka !== kb) return kb - ka
    const d = totalScore(b.candidate, input.required, weights, speedReferenceMs) - totalScore(a.candidate, input.required, weights, speedReferenceMs)
    if (d !== 0) return d
    return a.candidate.peerId < b.candidate.peerId ? -1 : a.candidate.peerId > b.candidate.peerId ? 1 : 0
  })
  const listed = ranked.slice(0, MAX_AWARD_OFFERS)
  const listedIds = new Set(listed.map(o => o.candidate.peerId))
  return {
    v: 1,
    taskId: input.taskId,
    attempt: input.attempt,
    announcer: input.announcer,
    rule: {
      skills: input.required.map(r => ({ name: r.name, minLevel: r.minLevel, count: r.count })),
      maxGroupSize: input.maxGroupSize,
      weights: { ...weights },
      speedReferenceMs,
      excluded: [...new Set(input.excluded)].filter(p => listedIds.has(p)).slice(0, MAX_AWARD_OFFERS)
    },
    offers: listed.map(o => entryOf(o.candidate, o.digest)),
    omitted: ranked.length - listed.length,
    selected: input.selected.map(m => ({ peerId: m.peerId, skills: [...m.skills] })),
    replacements: input.replacements.slice(0, MAX_AWARD_OFFERS).map(r => ({ skill: r.skill, by: r.by })),
    members: input.members.map(m => ({ peerId: m.peerId, skills: [...m.skills] }))
  }
}

/** `members` as a canonical text (peer ids and their skills, sorted), to compare two groups. */
function groupKey (members: readonly GroupMember[]): string {
  return JSON.stringify(members.map(m => [m.peerId, [...new Set(m.skills)].sort()] as const).sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

function short (peerId: string): string {
  return peerId.length > 12 ? `…${peerId.slice(-8)}` : peerId
}

/** The rule re-run: the selection the announcer makes at the end of bidding (offers.ts closeBidding). */
function reselect (award: Award, candidates: Candidate[]): GroupMember[] | string {
  const { skills, maxGroupSize, weights, speedReferenceMs, excluded } = award.rule
  let selection = selectGroup(skills, candidates, { maxGroupSize, backupsPerSkill: 0, weights, speedReferenceMs, exclude: excluded })
  // Peers that failed before are better than nobody (as the announcer does).
  if (!selection.ok && excluded.length > 0) selection = selectGroup(skills, candidates, { maxGroupSize, backupsPerSkill: 0, weights, speedReferenceMs })
  return selection.ok ? selection.members : selection.reason
}

/** Checks every replacement was the best remaining backup for its skill; returns problems. */
function checkReplacements (award: Award, candidates: Candidate[]): string[] {
  const problems: string[] = []
  const { weights, speedReferenceMs, skills } = award.rule
  const invited = new Set(award.selected.map(m => m.peerId))
  const holders = new Map<string, string[]>()
  for (const m of award.selected) for (const s of m.skills) holders.set(s, [...(holders.get(s) ?? []), m.peerId])
  const memberIds = new Set(award.members.map(m => m.peerId))
  for (const [i, r] of award.replacements.entries()) {
    const req = skills.find(s => s.name === r.skill)
    const replaced = (holders.get(r.skill) ?? []).some(p => !memberIds.has(p))
    if (req === undefined) problems.push(`replacement ${i + 1} is for skill "${r.skill}", which the task does not require`)
    else if (!replaced) problems.push(`replacement ${i + 1} (${short(r.by)} for "${r.skill}") replaced no one: every holder of the skill is in the group`)
    else {
      const best = replacementFor(req, { members: [] }, candidates, invited, { weights, speedReferenceMs })
      if (best !== r.by) problems.push(`replacement ${i + 1} for "${r.skill}" went to ${short(r.by)} but the best backup left was ${best === undefined ? 'nobody' : short(best)}`)
    }
    invited.add(r.by)
    holders.set(r.skill, [...(holders.get(r.skill) ?? []), r.by])
  }
  return problems
}

/** The group formation leads to: the selected members that stayed, plus the backups that joined. */
function expectedGroup (award: Award): GroupMember[] {
  const memberIds = new Set(award.members.map(m => m.peerId))
  const skillsOf = new Map<string, Set<string>>()
  const add = (peerId: string, skills: string[]): void => {
    if (!memberIds.has(peerId)) return
    const set = skillsOf.get(peerId) ?? new Set<string>()
    for (const s of skills) set.add(s)
    skillsOf.set(peerId, set)
  }
  for (const m of award.selected) add(m.peerId, m.skills)
  for (const r of award.replacements) add(r.by, [r.skill])
  return [...skillsOf.entries()].map(([peerId, skills]) => ({ peerId, skills: [...skills] }))
}

/** What a verifier knows of its own part: its peer id and the offer it signed. */
export interface OwnPart {
  self: string
  /** The offer this node sent (its digest is computed by the caller). */
  offer: SkillOfferBody
  digest: string
  /** Whether this node accepted an invite to the group (then it cannot have been replaced). */
  acceptedInvite?: boolean
}

/** Checks the verifier's own offer in the award; returns problems, adds checks. */
function checkOwn (award: Award, own: OwnPart, checks: string[]): string[] {
  const entry = award.offers.find(o => o.peerId === own.self)
  if (entry === undefined) {
    if (award.omitted > 0) {
      checks.push(`own offer not listed: ${award.omitted} offers ranked lowest were omitted (cannot check that it was not passed over)`)
      return []
    }
    return ['own offer is missing from the award']
  }
  const problems: string[] = []
  if (entry.digest !== own.digest) problems.push('own offer is listed with another digest than the offer this node signed')
  const signed = { skills: own.offer.skills, load: own.offer.load, capacity: own.offer.capacity, estimateMs: own.offer.estimateMs }
  const listed = { skills: entry.skills, load: entry.load, capacity: entry.capacity, estimateMs: entry.estimateMs }
  if (JSON.stringify(signed) !== JSON.stringify(listed)) problems.push('own offer is listed with other inputs (skills, load, capacity or estimate) than it signed')
  if (problems.length === 0) checks.push('own offer listed, with the digest and inputs it signed')
  const wasSelected = award.selected.some(m => m.peerId === own.self) || award.replacements.some(r => r.by === own.self)
  if (own.acceptedInvite === true && wasSelected && !award.members.some(m => m.peerId === own.self)) {
    problems.push('this node accepted its invite but the award has it replaced')
  }
  if (award.rule.excluded.includes(own.self)) checks.push('own offer was excluded: the announcer says this node failed the task before')
  return problems
}

/**
 * Verifies an award: offers listed once each; re-running the selection rule over the listed
 * inputs gives the members it says were selected; each backup invited was the best one left for
 * its skill; the group is what those steps lead to. With `own`, also that the verifier's offer
 * is listed with the digest and inputs it signed.
 */
export function verifyAward (award: Award, own?: OwnPart): AwardCheck {
  const checks: string[] = []
  const problems: string[] = []
  const ids = new Set(award.offers.map(o => o.peerId))
  const digests = new Set(award.offers.map(o => o.digest))
  if (ids.size !== award.offers.length || digests.size !== award.offers.length) problems.push('an offer is listed twice')
  else checks.push(`${award.offers.length} offer digests listed${award.omitted > 0 ? ` (${award.omitted} omitted)` : ''}`)
  if (own !== undefined) problems.push(...checkOwn(award, own, checks))
  const candidates = award.offers.map(candidateOf)
  const selected = reselect(award, candidates)
  if (typeof selected === 'string') problems.push(`the selection rule chooses no group from the listed offers: ${selected}`)
  else if (groupKey(selected) !== groupKey(award.selected)) problems.push(`the selection rule chooses ${selected.map(m => short(m.peerId)).join(', ')}, not the members the award says it selected`)
  else checks.push(`the selection rule re-run over the listed inputs chooses the ${selected.length} selected members`)
  const replacementProblems = checkReplacements(award, candidates)
  problems.push(...replacementProblems)
  if (award.replacements.length > 0 && replacementProblems.length === 0) checks.push(`${award.replacements.length} backups invited, each the best one left for its skill`)
  if (groupKey(expectedGroup(award)) !== groupKey(award.members) || award.members.some(m => !ids.has(m.peerId))) problems.push('the group is not what the selection and the replacements lead to')
  else checks.push(`the group (${award.members.length} members) follows from the selection and the replacements`)
  return { ok: problems.length === 0, checks, problems }
}
