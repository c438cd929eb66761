/**
 * The state of one working group as one node sees it: who is in it, the proposals with their
 * ballots, the blackboard and versioned shared data. No network and no clock of
 * its own (time is a parameter): the group service feeds it validated messages with their
 * authenticated sender and acts on what it returns.
 */
import type { GroupMember, Json } from '@swarm/protocol'
import { Blackboard } from './blackboard.js'
import { applyVersioned } from './conflicts.js'
import { openBallot, recordVote, tally } from './tally.js'
import type { Ballot, CastVote, Outcome, Proposal, Tally, VoteChoice, VoteRejection } from './tally.js'
import type { Versioned } from './conflicts.js'

/** A proposal's life: open, decided (outcome final), or closed (the group ended first). */
export type ProposalStatus = 'open' | 'decided' | 'closed'

/** One counted vote as shown to users. */
export interface VoteView {
  voter: string
  choice: VoteChoice
  confidence: number
  reason?: string
  at: number
}

/** A proposal with its votes and tally, as the library, the control API and events show it. */
export interface ProposalView extends Proposal {
  status: ProposalStatus
  votes: VoteView[]
  tally: Tally
  /** The decision, once decided. */
  outcome?: Outcome
  decidedAt?: number
  /** Who decided: this node's own tally, or the proposer's published decision. */
  decidedBy?: 'tally' | 'proposer'
}

/** A decision published by a proposer, as received. */
export interface PublishedDecision {
  outcome: Outcome
  tally: Tally
}

interface ProposalEntry {
  ballot: Ballot
  status: ProposalStatus
  /** The final tally, once decided. */
  decided?: Tally
  decidedBy?: 'tally' | 'proposer'
}

/** Why a proposal was refused. */
export type ProposalRejection = 'NOT_A_MEMBER' | 'WRONG_GROUP' | 'DUPLICATE' | 'AFTER_DEADLINE' | 'UNKNOWN_VOTER' | 'CLOSED'

/** Why a vote was refused: the tally's reasons, plus a sender outside the group. */
export type VoteRefusal = VoteRejection | 'NOT_A_MEMBER' | 'WRONG_GROUP'

export interface GroupSessionInit {
  taskId: string
  groupId: string
  /** Peer id of this node. */
  self: string
  /** Peer id of the task's announcer. */
  announcer: string
  members: GroupMember[]
  blackboard?: Blackboard
}

/** Most proposals kept per group (older decided ones are dropped from memory first). */
const MAX_PROPOSALS = 256

/**
 * One group's shared state. Proposals, votes and data writes are checked against the group's
 * membership; every method that takes a sender expects the authenticated peer id.
 */
export class GroupSession {
  readonly taskId: string
  readonly groupId: string
  readonly self: string
  readonly announcer: string
  readonly blackboard: Blackboard
  /** Current members: peer id → skills. */
  readonly #members = new Map<string, string[]>()
  /** Everyone who was ever a member (replaced members included). */
  readonly #everMembers = new Set<string>()
  readonly #proposals = new Map<string, ProposalEntry>()
  readonly #data = new Map<string, Versioned<Json>>()
  closed = false

  constructor (init: GroupSessionInit) {
    this.taskId = init.taskId
    this.groupId = init.groupId
    this.self = init.self
    this.announcer = init.announcer
    this.blackboard = init.blackboard ?? new Blackboard()
    this.setMembers(init.members)
  }

  /** Replaces the member list (a member replaced by a backup leaves, the backup joins). */
  setMembers (members: GroupMember[]): void {
    this.#members.clear()
    for (const m of members) {
      this.#members.set(m.peerId, [...m.skills])
      this.#everMembers.add(m.peerId)
    }
  }

  members (): GroupMember[] {
    return [...this.#members.entries()].map(([peerId, skills]) => ({ peerId, skills }))
  }

  /** Everyone who was ever a member (replaced members included): who may have voted. */
  knownMembers (): string[] {
    return [...this.#everMembers]
  }

  isMember (peerId: string): boolean {
    return this.#members.has(peerId)
  }

  /** The announcer or a current member: who may speak on the group topic. */
  isParticipant (peerId: string): boolean {
    return peerId === this.announcer || this.#members.has(peerId)
  }

  // ---------------------------------------------------------------------------------------------
  // Proposals and votes

  /** Opens a proposal made by `proposer` (the signer of its PROPOSAL). */
  openProposal (proposal: Proposal, now: number): { ok: true, view: ProposalView } | { ok: false, reason: ProposalRejection } {
    if (this.closed) return { ok: false, reason: 'CLOSED' }
    if (!this.isParticipant(proposal.proposer)) return { ok: false, reason: 'NOT_A_MEMBER' }
    if (proposal.groupId !== this.groupId || proposal.taskId !== this.taskId) return { ok: false, reason: 'WRONG_GROUP' }
    if (this.#proposals.has(proposal.proposalId)) return { ok: false, reason: 'DUPLICATE' }
    if (proposal.deadline < now) return { ok: false, reason: 'AFTER_DEADLINE' }
    // Voters are members of the group (a late joiner may not know a member replaced since).
    if (proposal.voters.some(v => !this.#everMembers.has(v))) return { ok: false, reason: 'UNKNOWN_VOTER' }
    this.#proposals.set(proposal.proposalId, { ballot: openBallot(proposal), status: 'open' })
    this.#trim()
    return { ok: true, view: this.view(proposal.proposalId, now) as ProposalView }
  }

  hasProposal (proposalId: string): boolean {
    return this.#proposals.has(proposalId)
  }

  /**
   * Records a vote whose voter is the authenticated sender. Returns the decided view when this
   * vote made the outcome final.
   */
  recordVote (vote: CastVote & { proposalId: string }, groupId: string, now: number): { accepted: true, decided?: ProposalView } | { accepted: false, reason: VoteRefusal } {
    if (groupId !== this.groupId) return { accepted: false, reason: 'WRONG_GROUP' }
    if (!this.isParticipant(vote.voter)) return { accepted: false, reason: 'NOT_A_MEMBER' }
    const entry = this.#proposals.get(vote.proposalId)
    if (entry === undefined) return { accepted: false, reason: 'UNKNOWN_PROPOSAL' }
    if (entry.status !== 'open') return { accepted: false, reason: now > entry.ballot.proposal.deadline || vote.at > entry.ballot.proposal.deadline ? 'AFTER_DEADLINE' : 'DECIDED' }
    const result = recordVote(entry.ballot, vote, now)
    if (!result.accepted || result.ballot === undefined) return { accepted: false, reason: result.rejection ?? 'INVALID' }
    entry.ballot = result.ballot
    const decided = this.#decideIfFinal(vote.proposalId, entry, now)
    return decided === undefined ? { accepted: true } : { accepted: true, decided }
  }

  /** Decides every open proposal whose tally is final at `now` (deadlines passed); returns them. */
  decideDue (now: number): ProposalView[] {
    const out: ProposalView[] = []
    for (const [id, entry] of this.#proposals) {
      if (entry.status !== 'open') continue
      const decided = this.#decideIfFinal(id, entry, now)
      if (decided !== undefined) out.push(decided)
    }
    return out
  }

  /**
   * A decision published by the proposal's proposer. Adopted when this node has not decided yet
   * (it may have missed votes); returns `{ adopted, mismatch }` where mismatch says that this
   * node had decided otherwise (its own decision stands, and the difference is counted).
   */
  adoptDecision (proposalId: string, from: string, decision: PublishedDecision): { adopted?: ProposalView, mismatch: boolean, refused?: 'UNKNOWN_PROPOSAL' | 'NOT_PROPOSER' } {
    const entry = this.#proposals.get(proposalId)
    if (entry === undefined) return { mismatch: false, refused: 'UNKNOWN_PROPOSAL' }
    if (entry.ballot.proposal.proposer !== from) return { mismatch: false, refused: 'NOT_PROPOSER' }
    if (entry.status === 'decided') return { mismatch: entry.decided?.outcome !== decision.outcome }
    if (entry.status === 'closed') return { mismatch: false }
    entry.status = 'decided'
    entry.decided = { ...decision.tally, outcome: decision.outcome, final: true }
    entry.decidedBy = 'proposer'
    return { adopted: this.view(proposalId, decision.tally.decidedAt ?? Date.now()), mismatch: false }
  }

  /** Closes the open proposals (the group ended); returns them. */
  closeOpen (now: number): ProposalView[] {
    const out: ProposalView[] = []
    for (const [id, entry] of this.#proposals) {
      if (entry.status !== 'open') continue
      const decided = this.#decideIfFinal(id, entry, now)
      if (decided !== undefined) {
        out.push(decided)
        continue
      }
      entry.status = 'closed'
      out.push(this.view(id, now) as ProposalView)
    }
    return out
  }

  /** The proposal as shown to users, or undefined. */
  view (proposalId: string, now: number): ProposalView | undefined {
    const entry = this.#proposals.get(proposalId)
    if (entry === undefined) return undefined
    const p = entry.ballot.proposal
    const t = entry.decided ?? tally(entry.ballot, now)
    const votes = Object.values(entry.ballot.votes)
      .map(v => ({ voter: v.voter, choice: v.choice, confidence: v.confidence, ...(v.reason !== undefined ? { reason: v.reason } : {}), at: v.at }))
      .sort((a, b) => (a.voter < b.voter ? -1 : a.voter > b.voter ? 1 : 0))
    return {
      proposalId: p.proposalId,
      taskId: p.taskId,
      groupId: p.groupId,
      action: p.action,
      ...(p.params !== undefined ? { params: p.params } : {}),
      quorum: p.quorum,
      minParticipation: p.minParticipation,
      voters: [...p.voters],
      deadline: p.deadline,
      proposer: p.proposer,
      openedAt: p.openedAt,
      status: entry.status,
      votes,
      tally: t,
      ...(entry.status === 'decided' && t.outcome !== 'pending' ? { outcome: t.outcome, ...(t.decidedAt !== undefined ? { decidedAt: t.decidedAt } : {}) } : {}),
      ...(entry.decidedBy !== undefined ? { decidedBy: entry.decidedBy } : {})
    }
  }

  /** Every proposal of the group, oldest first. */
  proposals (now: number): ProposalView[] {
    return [...this.#proposals.keys()].map(id => this.view(id, now) as ProposalView).sort((a, b) => a.openedAt - b.openedAt)
  }

  /** The open proposals, for a late joiner. */
  openProposals (): Proposal[] {
    return [...this.#proposals.values()].filter(e => e.status === 'open').map(e => e.ballot.proposal)
  }

  /** The counted votes of a proposal (for the proposer's published decision). */
  countedVotes (proposalId: string): CastVote[] {
    return Object.values(this.#proposals.get(proposalId)?.ballot.votes ?? {})
  }

  /** The proposal itself. */
  proposal (proposalId: string): Proposal | undefined {
    return this.#proposals.get(proposalId)?.ballot.proposal
  }

  /** The earliest deadline of an open proposal, for the service's timer. */
  nextDeadline (): number | undefined {
    let next: number | undefined
    for (const e of this.#proposals.values()) {
      if (e.status === 'open' && (next === undefined || e.ballot.proposal.deadline < next)) next = e.ballot.proposal.deadline
    }
    return next
  }

  #decideIfFinal (proposalId: string, entry: ProposalEntry, now: number): ProposalView | undefined {
    const t = tally(entry.ballot, now)
    if (!t.final) return undefined
    entry.status = 'decided'
    entry.decided = t
    entry.decidedBy = 'tally'
    return this.view(proposalId, now)
  }

  #trim (): void {
    if (this.#proposals.size <= MAX_PROPOSALS) return
    for (const [id, e] of this.#proposals) {
      if (this.#proposals.size <= MAX_PROPOSALS) break
      if (e.status !== 'open') this.#proposals.delete(id)
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Conflicts: versioned data (resource claims are decided by the announcer, claims.ts)

  /** The next version for a key written by this node. */
  nextVersion (key: string): number {
    return (this.#data.get(key)?.version ?? -1) + 1
  }

  /** Applies a versioned write whose writer is the authenticated sender; undefined when the sender is not in the group. */
  writeData (key: string, incoming: Versioned<Json>): { applied: boolean, current: Versioned<Json> } | undefined {
    if (!this.isParticipant(incoming.writer)) return undefined
    const result = applyVersioned(this.#data.get(key), incoming)
    const current = { value: result.value, version: result.version, writer: result.writer }
    this.#data.set(key, current)
    return { applied: result.applied, current }
  }

  readData (key: string): Versioned<Json> | undefined {
    return this.#data.get(key)
  }
}
