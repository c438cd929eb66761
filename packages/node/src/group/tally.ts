/**
 * Vote tallying for working-group proposals. Pure and deterministic: every member that holds the
 * same set of votes computes the same tally, whatever order the votes arrived in. Time is always a
 * parameter.
 *
 * Rules (the same for every policy unless said otherwise):
 * - Eligible voters are the proposal's `voters` (duplicates counted once). `N` is their number.
 * - One vote per eligible voter counts: the latest one by the vote's own timestamp `at` (ties:
 *   {@link compareVotes}). A vote is in time when both `at` and `receivedAt` are at or before the
 *   deadline; the deadline is the last millisecond in which votes count.
 * - Participation = voters who voted (yes, no or abstain) / N. The participation quorum is met
 *   when at least `ceil(minParticipation × N)` voters voted.
 * - Abstentions alone never decide: when nobody voted yes or no, the outcome is `no-quorum`.
 * - `majority`: approved when yes > no (abstentions left out) and the participation quorum is
 *   met; a tie (yes = no) is `rejected`.
 * - `unanimous`: a single `no` is a veto: `rejected` as soon as it is counted, whatever the
 *   participation. Abstentions do NOT block unanimity (an abstaining member stands aside), but
 *   every eligible voter must vote: approved when all N voted, none voted no and at least one
 *   voted yes; a voter missing at the deadline gives `no-quorum`. `minParticipation` is not used
 *   (unanimity needs everyone).
 * - `threshold:f`: approved when yes ≥ `ceil(f × N)` (a fraction of the eligible voters, not of the
 *   votes cast; at least one yes) and the participation quorum is met; otherwise `rejected` at the
 *   deadline, or `no-quorum` when the participation quorum is not met.
 * - Finality: the tally is `final` as soon as no possible set of remaining votes (each voter who
 *   has not voted may vote yes, no, abstain or not at all) can change the outcome; otherwise it
 *   becomes final after the deadline. While not final the outcome is `pending`.
 * - {@link recordVote} closes the ballot once the tally is final: later votes, including changes
 *   of earlier votes, are refused with `DECIDED`, so a decided outcome never changes.
 *
 * Convergence: the tally is a function of the set of counted votes. With one vote per voter,
 * members that receive the votes in different orders (and so may close their ballots at
 * different sets) still reach the same outcome: the union of two closing sets completes both,
 * so both outcomes equal its outcome. The counts (for, against, …) of an early decision may
 * differ between members. A vote change that one member records before closing and another
 * after can make outcomes differ, so the group layer should publish the proposer's decision
 * together with the votes it counted.
 */
import type { Json, QuorumPolicy } from '@swarm/protocol'
import { VOTE_CHOICES } from '@swarm/protocol'

/** A voter's choice. */
export type VoteChoice = typeof VOTE_CHOICES[number]

/** A proposal put to the group's members. */
export interface Proposal {
  proposalId: string
  groupId: string
  taskId: string
  /** What the group would do, in free text. */
  action: string
  /** Structured parameters of the action. */
  params?: Json
  quorum: QuorumPolicy
  /** Fraction (0..1) of the eligible voters that must vote for a decision. */
  minParticipation: number
  /** Eligible voters: the peer ids of the group's members when the proposal was made. */
  voters: string[]
  /** Last instant (epoch ms) at which votes count. */
  deadline: number
  /** Peer id of the member that made the proposal. */
  proposer: string
  /** When the proposal was made (epoch ms). */
  openedAt: number
}

/** One vote as received. */
export interface CastVote {
  /** The proposal voted on; when given and not the ballot's, the vote is `UNKNOWN_PROPOSAL`. */
  proposalId?: string
  /** Peer id of the voter (the authenticated sender, never a field the sender fills in). */
  voter: string
  choice: VoteChoice
  /** The voter's confidence in its choice, 0..1. */
  confidence: number
  reason?: string
  /** The vote's own timestamp (epoch ms), set by the voter. */
  at: number
  /** When this member received the vote (epoch ms). */
  receivedAt: number
  /**
   * The voter's signature of the vote (base64url, group/vote-certificate.ts), checked before
   * the vote reached the ballot; kept for the decision's vote certificate, never tallied.
   */
  sig?: string
}

/** The votes collected for one proposal: at most one (the latest) per voter. */
export interface Ballot {
  readonly proposal: Proposal
  /** Voter peer id → that voter's counted vote. */
  readonly votes: Readonly<Record<string, CastVote>>
}

/**
 * Why a vote was not recorded.
 * - `UNKNOWN_PROPOSAL`: no ballot, or the vote names another proposal.
 * - `INVALID`: unknown choice, confidence outside 0..1, or a timestamp that is not a finite number.
 * - `NOT_ELIGIBLE`: the voter is not one of the proposal's voters.
 * - `AFTER_DEADLINE`: the vote's `at` or `receivedAt` is after the deadline.
 * - `DECIDED`: the ballot is closed (the tally is final).
 * - `SUPERSEDED`: the voter already has a vote that is as new or newer (see {@link compareVotes});
 *   a duplicate is superseded too. Not a fault of the sender.
 */
export type VoteRejection = 'UNKNOWN_PROPOSAL' | 'INVALID' | 'NOT_ELIGIBLE' | 'AFTER_DEADLINE' | 'DECIDED' | 'SUPERSEDED'

/** What {@link recordVote} returns. */
export interface RecordVoteResult {
  /** The new ballot when accepted, otherwise the ballot given (unchanged). */
  ballot: Ballot | undefined
  accepted: boolean
  rejection?: VoteRejection
}

/** A decided outcome. */
export type Outcome = 'approved' | 'rejected' | 'no-quorum'

/** The tally of a ballot at one instant. */
export interface Tally {
  /** The decision once final, `pending` before. */
  outcome: Outcome | 'pending'
  /** Yes votes. */
  for: number
  /** No votes. */
  against: number
  abstentions: number
  /** Number of eligible voters (N). */
  eligible: number
  /** Fraction of the eligible voters that voted (yes, no or abstain), 0..1. */
  participation: number
  /**
   * Confidence-weighted net support, -1..1: (sum of the confidences of the yes votes − sum of
   * the confidences of the no votes) / (number of yes and no votes). Abstentions are left out;
   * 0 when nobody voted yes or no.
   */
  weightedConfidence: number
  /**
   * When the outcome was decided: for an early decision the latest `at` among the counted votes
   * (never before `openedAt`), otherwise the deadline. Absent while pending.
   */
  decidedAt?: number
  /** True when the outcome can no longer change. */
  final: boolean
}

/** Rank of choices for tie-breaking two votes of one voter with the same `at`: no wins. */
const CHOICE_RANK: Readonly<Record<VoteChoice, number>> = Object.freeze({ yes: 0, abstain: 1, no: 2 })

/** Tolerance for products like 0.6 × 5 that are 3.0000000000000004 in floating point. */
const EPSILON = 1e-9

/** A new ballot without votes. */
export function openBallot (proposal: Proposal): Ballot {
  return { proposal, votes: {} }
}

/** The eligible voters of a proposal: unique, in code-unit order. */
export function eligibleVoters (proposal: Proposal): string[] {
  return [...new Set(proposal.voters)].sort(compareStrings)
}

/**
 * Orders two votes of the same voter: positive when `a` replaces `b`, negative when `b` replaces
 * `a`, 0 when they are the same vote. The later `at` wins; with equal `at`, the choice ranked
 * no > abstain > yes wins (the cautious one), then the higher confidence, then the reason that
 * is greater in code-unit order (no reason is smallest). `receivedAt` is never compared, so every
 * member keeps the same vote whatever the arrival order.
 */
export function compareVotes (a: CastVote, b: CastVote): number {
  if (a.at !== b.at) return a.at > b.at ? 1 : -1
  const rank = CHOICE_RANK[a.choice] - CHOICE_RANK[b.choice]
  if (rank !== 0) return rank
  if (a.confidence !== b.confidence) return a.confidence > b.confidence ? 1 : -1
  if (a.reason === b.reason) return 0
  if (a.reason === undefined) return -1
  if (b.reason === undefined) return 1
  return compareStrings(a.reason, b.reason)
}

/**
 * Records one vote. Returns a new ballot when the vote is accepted (the given ballot is not
 * modified). Checks, in this order: the proposal is known, the vote is well formed, the voter is
 * eligible, the vote is in time, the ballot is still open at `now` (its tally is not final), and
 * the vote is newer than the voter's recorded vote (a later vote replaces the earlier one).
 */
export function recordVote (ballot: Ballot | undefined, vote: CastVote, now: number): RecordVoteResult {
  if (ballot === undefined || (vote.proposalId !== undefined && vote.proposalId !== ballot.proposal.proposalId)) {
    return { ballot, accepted: false, rejection: 'UNKNOWN_PROPOSAL' }
  }
  const { proposal } = ballot
  if (!isWellFormed(vote)) return { ballot, accepted: false, rejection: 'INVALID' }
  if (!proposal.voters.includes(vote.voter)) return { ballot, accepted: false, rejection: 'NOT_ELIGIBLE' }
  if (!inTime(vote, proposal)) return { ballot, accepted: false, rejection: 'AFTER_DEADLINE' }
  if (tally(ballot, now).final) return { ballot, accepted: false, rejection: 'DECIDED' }
  const previous = ownVote(ballot, vote.voter)
  if (previous !== undefined && compareVotes(vote, previous) <= 0) {
    return { ballot, accepted: false, rejection: 'SUPERSEDED' }
  }
  return { ballot: { proposal, votes: { ...ballot.votes, [vote.voter]: { ...vote } } }, accepted: true }
}

/**
 * Tallies a ballot at `now` under the rules in this module's doc comment. Only votes that
 * {@link recordVote} would count are counted (an ineligible, late or malformed entry, or one
 * filed under another voter's key, is ignored), and sums run in voter order, so the result is a
 * function of the set of votes alone.
 */
export function tally (ballot: Ballot, now: number): Tally {
  const { proposal } = ballot
  const eligible = eligibleVoters(proposal)
  const n = eligible.length
  let yes = 0
  let no = 0
  let abstain = 0
  let confidenceFor = 0
  let confidenceAgainst = 0
  let latest = proposal.openedAt
  for (const voter of eligible) {
    const vote = ownVote(ballot, voter)
    if (vote === undefined || vote.voter !== voter || !isWellFormed(vote) || !inTime(vote, proposal)) continue
    if (vote.choice === 'yes') {
      yes++
      confidenceFor += vote.confidence
    } else if (vote.choice === 'no') {
      no++
      confidenceAgainst += vote.confidence
    } else {
      abstain++
    }
    if (vote.at > latest) latest = vote.at
  }
  const counts: Counts = { n, required: requiredVotes(proposal.minParticipation, n), yes, no, abstain }
  const sided = yes + no
  const base = {
    for: yes,
    against: no,
    abstentions: abstain,
    eligible: n,
    participation: n === 0 ? 0 : (yes + no + abstain) / n,
    weightedConfidence: sided === 0 ? 0 : (confidenceFor - confidenceAgainst) / sided
  }
  const early = earlyOutcome(proposal.quorum, counts)
  if (early !== undefined) return { outcome: early, ...base, decidedAt: latest, final: true }
  if (now > proposal.deadline) {
    return { outcome: deadlineOutcome(proposal.quorum, counts), ...base, decidedAt: proposal.deadline, final: true }
  }
  return { outcome: 'pending', ...base, final: false }
}

/** Vote counts of a ballot, with the participation quorum. */
interface Counts {
  /** Eligible voters. */
  n: number
  /** Votes needed for the participation quorum. */
  required: number
  yes: number
  no: number
  abstain: number
}

/** Votes needed for the participation quorum: ceil(minParticipation × N), minParticipation clamped to 0..1. */
function requiredVotes (minParticipation: number, n: number): number {
  const fraction = Number.isFinite(minParticipation) ? Math.min(1, Math.max(0, minParticipation)) : 1
  return Math.max(0, Math.ceil(fraction * n - EPSILON))
}

/** Yes votes needed under `threshold:fraction`: ceil(fraction × N), at least 1. */
function thresholdVotes (fraction: number, n: number): number {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 1
  return Math.max(1, Math.ceil(f * n - EPSILON))
}

/** The outcome when no more votes come (at the deadline, or when everyone voted). */
function deadlineOutcome (quorum: QuorumPolicy, c: Counts): Outcome {
  const votes = c.yes + c.no + c.abstain
  if (quorum.kind === 'unanimous') {
    if (c.no > 0) return 'rejected'
    if (votes < c.n || c.yes === 0) return 'no-quorum'
    return 'approved'
  }
  if (votes < c.required || c.yes + c.no === 0) return 'no-quorum'
  if (quorum.kind === 'majority') return c.yes > c.no ? 'approved' : 'rejected'
  return c.yes >= thresholdVotes(quorum.fraction, c.n) ? 'approved' : 'rejected'
}

/**
 * The outcome when the remaining voters can no longer change it, whatever they do (vote yes, no,
 * abstain, or not at all), else undefined. Each case below is the closed form of "every
 * completion of the ballot gives the same {@link deadlineOutcome}" (the tests check it against
 * that enumeration).
 */
function earlyOutcome (quorum: QuorumPolicy, c: Counts): Outcome | undefined {
  const votes = c.yes + c.no + c.abstain
  const remaining = c.n - votes
  if (remaining <= 0) return deadlineOutcome(quorum, c)
  switch (quorum.kind) {
    case 'majority':
      // Quorum met and yes wins even if every remaining voter says no.
      if (votes >= c.required && c.yes > c.no + remaining) return 'approved'
      // Quorum met, someone took a side, and yes cannot win even if every remaining voter says yes.
      if (votes >= c.required && c.no > 0 && c.yes + remaining <= c.no) return 'rejected'
      return undefined
    case 'unanimous':
      return c.no > 0 ? 'rejected' : undefined
    case 'threshold': {
      const needed = thresholdVotes(quorum.fraction, c.n)
      if (votes >= c.required && c.yes >= needed) return 'approved'
      if (votes >= c.required && c.yes + c.no > 0 && c.yes + remaining < needed) return 'rejected'
      return undefined
    }
  }
}

function ownVote (ballot: Ballot, voter: string): CastVote | undefined {
  return Object.hasOwn(ballot.votes, voter) ? ballot.votes[voter] : undefined
}

function isWellFormed (vote: CastVote): boolean {
  return typeof vote.voter === 'string' &&
    (VOTE_CHOICES as readonly string[]).includes(vote.choice) &&
    typeof vote.confidence === 'number' && vote.confidence >= 0 && vote.confidence <= 1 &&
    Number.isFinite(vote.at) && Number.isFinite(vote.receivedAt) &&
    (vote.reason === undefined || typeof vote.reason === 'string')
}

function inTime (vote: CastVote, proposal: Proposal): boolean {
  return vote.at <= proposal.deadline && vote.receivedAt <= proposal.deadline
}

/** Code-unit order, independent of the locale. */
function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
