/**
 * The networked shell of working groups. For every group this node is in (as a member, as the
 * announcer, or both) it moves proposals, signed votes, decisions, blackboard updates, claims,
 * versioned data and escalations on the group's members-only gossip topic, serves and asks for
 * the group's state over direct streams (late joiners, replacements), and keeps blackboards,
 * proposals and escalations in the store. Every decision is taken by the pure parts
 * ({@link GroupSession}, tally, conflicts, escalations); this file only moves validated messages.
 *
 * Trust: the sender of every gossip message is its gossipsub signer (StrictSign), never a body
 * field. A vote counts for its signer only; messages from peers outside the group are refused by
 * the topic validator (so gossipsub's peer scoring punishes their senders) and counted.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_BLACKBOARD_BASE64_CHARS, QuorumPolicySchema, createMessage, newId, parseTopic, topics } from '@swarm/protocol'
import { z } from 'zod'
import { SwarmError } from '../errors.js'
import { Blackboard, BlackboardError } from './blackboard.js'
import { hypothesisConfidence } from './confidence.js'
import { EscalationRecordSchema, EscalationStateError, createEscalation, resolveEscalation, severityOfNoQuorum } from './escalations.js'
import { GroupSession } from './group-session.js'
import type { BlackboardSnapshot, HypothesisStatus } from './blackboard.js'
import type { FindingKind } from './confidence.js'
import type { EscalationInput, EscalationRecord, EscalationSeverity } from './escalations.js'
import type { ProposalView, VoteView } from './group-session.js'
import type { Outcome, Proposal, VoteChoice } from './tally.js'
import type { Logger } from '../logger.js'
import type { DirectMessenger } from '../net/direct.js'
import type { GossipDelivery, GossipRouter } from '../net/gossip.js'
import type { SwarmStore } from '../store/store.js'
import type { PeerId } from '@libp2p/interface'
import type { GroupMember, Json, MessageOf, QuorumPolicy, SwarmMessage, VerifyPolicy } from '@swarm/protocol'

/** What `blackboard:changed` carries. */
export interface BlackboardChangedEvent {
  taskId: string
  groupId: string
  /** True for a write made on this node. */
  local: boolean
  /** The member whose update was applied (this node for local writes). */
  from: string
  findings: number
  hypotheses: number
  actions: number
}

/** Events of working groups, on the node's emitter. */
export interface GroupEvents {
  'proposal:opened': ProposalView
  'proposal:decided': ProposalView
  'blackboard:changed': BlackboardChangedEvent
  'escalation:created': EscalationRecord
  'escalation:resolved': EscalationRecord
}

/** A quorum as users write it: `majority`, `unanimous`, `threshold:0.6`, or the wire object. */
export const QuorumInputSchema = z.union([
  QuorumPolicySchema,
  z.string().trim().transform((text, ctx): QuorumPolicy => {
    if (text === 'majority' || text === 'unanimous') return { kind: text }
    const m = /^threshold:(\d*\.?\d+)$/.exec(text)
    const fraction = m === null ? NaN : Number(m[1])
    if (!(fraction > 0 && fraction <= 1)) {
      ctx.addIssue({ code: 'custom', message: 'use majority, unanimous or threshold:<fraction> with a fraction above 0 and at most 1, e.g. threshold:0.6' })
      return z.NEVER
    }
    return { kind: 'threshold', fraction }
  })
])

/** What `propose` takes. */
export const ProposeInputSchema = z.object({
  action: z.string().trim().min(1, 'say what the group would do').max(4096),
  params: z.json().optional(),
  quorum: QuorumInputSchema.default({ kind: 'majority' }),
  /** Fraction of the eligible voters that must vote (default 0.5). */
  minParticipation: z.number().min(0).max(1).default(0.5),
  /** Time to vote, milliseconds (default 30 s). */
  timeoutMs: z.number().int().min(100).max(24 * 3600 * 1000).default(30_000)
}).strict()
export type ProposeInput = z.input<typeof ProposeInputSchema>

/** What `vote` takes. */
export const VoteInputSchema = z.object({
  choice: z.enum(['yes', 'no', 'abstain']),
  confidence: z.number().min(0).max(1).default(1),
  reason: z.string().max(4096).optional()
}).strict()
export type VoteInput = z.input<typeof VoteInputSchema>

/** A finding as a member posts it (author and time are filled in). */
export const FindingInputSchema = z.object({
  kind: z.enum(['observation', 'hypothesis', 'conclusion']),
  content: z.string().min(1).max(4096),
  confidence: z.number().min(0).max(1),
  evidence: z.array(z.string().max(256)).max(16).optional(),
  hypothesisId: z.string().optional(),
  supports: z.boolean().optional(),
  id: z.string().optional()
}).strict()
export type PostFindingInput = z.input<typeof FindingInputSchema>

/** What `escalate` takes. */
export const EscalateInputSchema = z.object({
  issue: z.string().trim().min(1).max(4096),
  severity: z.enum(['low', 'medium', 'high', 'critical']).default('medium'),
  context: z.json().optional(),
  attemptedResolutions: z.array(z.string().max(4096)).max(32).default([])
}).strict()
export type EscalateInput = z.input<typeof EscalateInputSchema>

/** The blackboard of a task as shown to users. */
export interface BlackboardView extends BlackboardSnapshot {
  taskId: string
  groupId: string
  /** Whether the group is still working (false: as stored when it dissolved). */
  live: boolean
  /** Aggregated confidence of each hypothesis (noisy-or over the findings that bear on it). */
  confidence: Record<string, number>
}

/** Who holds a resource, from this member's point of view. */
export interface ClaimView {
  resourceId: string
  /** Whether this node holds it now. */
  granted: boolean
  holder?: string
  /** When this node lost: how long until the holder's lease ends. */
  retryAfterMs?: number
}

/** What a node offers to the skill handlers of a group it works in. */
export interface HandlerGroupApi {
  postFinding: (finding: PostFindingInput) => string
  postHypothesis: (statement: string) => string
  recordAction: (description: string, result?: Json) => string
  blackboard: () => BlackboardSnapshot
  propose: (input: ProposeInput) => Promise<ProposalView>
  vote: (proposalId: string, input: VoteInput) => ProposalView
  escalate: (input: EscalateInput) => Promise<{ escalationId: string }>
  /** Decides this member's vote on the verification of the task's result (default: yes if its own part succeeded). */
  onVerify: (decide: (proposal: ProposalView) => VoteInput | undefined) => void
}

export interface GroupServiceOptions {
  self: PeerId
  network: string
  gossip: GossipRouter
  messenger: DirectMessenger
  store: SwarmStore
  logger: Logger
  emit: <K extends keyof GroupEvents>(event: K, payload: GroupEvents[K]) => void
  audit: (taskId: string, action: string, detail?: Json) => void
  /** After joining, a member asks the announcer for the group's state once more after this long (default 1.5 s). */
  resyncMs?: number
}

/** Types this service handles on group topics. */
const GROUP_TYPES = new Set<SwarmMessage['type']>(['PROPOSAL', 'VOTE', 'PROPOSAL_DECIDED', 'BLACKBOARD_UPDATE', 'ESCALATION', 'CLAIM', 'DATA_WRITE', 'DISSOLVE'])
/** Types only the announcer may send. */
const ANNOUNCER_TYPES = new Set<SwarmMessage['type']>(['ESCALATION', 'DISSOLVE'])

interface Live {
  session: GroupSession
  topic: string
  roles: Set<'announcer' | 'member'>
  deadlineTimer?: NodeJS.Timeout
  saveTimer?: NodeJS.Timeout
  resyncTimer?: NodeJS.Timeout
  off: Array<() => void>
  /** Outcome of this node's own parts, by skill (for its verification vote). */
  ownResults: Map<string, boolean>
  verifyDeciders: Array<(proposal: ProposalView) => VoteInput | undefined>
  waiters: Map<string, Array<(view: ProposalView) => void>>
  /** Escalations of this group this node heard of, by id. */
  escalations: Map<string, EscalationRecord>
  handler: (delivery: GossipDelivery) => void
}

/** Counters of what the group layer accepted and refused. */
export interface GroupStats {
  groupsJoined: number
  proposalsOpened: number
  proposalsDecided: number
  votesAccepted: number
  /** Refused votes by reason (NOT_A_MEMBER, NOT_ELIGIBLE, AFTER_DEADLINE, UNKNOWN_PROPOSAL, DECIDED, SUPERSEDED, INVALID, WRONG_GROUP). */
  votesRejected: Record<string, number>
  /** Other refused group messages, by `TYPE:REASON`. */
  rejected: Record<string, number>
  blackboardUpdatesApplied: number
  syncsServed: number
  syncsDone: number
  syncsFailed: number
  /** Decisions of a proposer that differ from this node's own. */
  decisionMismatches: number
  escalationsCreated: number
  escalationsResolved: number
}

function toBase64 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

function fromBase64 (text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'))
}

function isVerification (params: Json | undefined): boolean {
  return typeof params === 'object' && params !== null && !Array.isArray(params) && params.kind === 'verification'
}

/** The quorum policy of a `verify` setting. */
export function verifyQuorum (policy: VerifyPolicy): QuorumPolicy {
  if (policy === 'unanimous') return { kind: 'unanimous' }
  if (policy.startsWith('threshold:')) return { kind: 'threshold', fraction: Number(policy.slice('threshold:'.length)) }
  return { kind: 'majority' }
}

/**
 * Working groups of one node. The negotiation layer tells it when this node joins a group
 * ({@link join}), when the members change and when the group ends ({@link leave}).
 */
export class GroupService {
  readonly #o: GroupServiceOptions
  readonly #log: Logger
  readonly #self: string
  readonly #live = new Map<string, Live>()
  /** Task id → group id of its current (or last) group on this node. */
  readonly #taskGroup = new Map<string, string>()
  /** Ids of refused messages already counted (the validator and the delivery may both see one). */
  readonly #counted = new Set<string>()
  #stopped = false
  readonly stats: GroupStats = {
    groupsJoined: 0,
    proposalsOpened: 0,
    proposalsDecided: 0,
    votesAccepted: 0,
    votesRejected: {},
    rejected: {},
    blackboardUpdatesApplied: 0,
    syncsServed: 0,
    syncsDone: 0,
    syncsFailed: 0,
    decisionMismatches: 0,
    escalationsCreated: 0,
    escalationsResolved: 0
  }

  constructor (options: GroupServiceOptions) {
    this.#o = options
    this.#log = options.logger
    this.#self = options.self.toString()
  }

  /** Stops timers and stores every live blackboard (call before the store closes). */
  stop (): void {
    this.#stopped = true
    for (const live of this.#live.values()) {
      this.#clearTimers(live)
      this.#saveBlackboard(live, true)
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Membership (called by the negotiation layer)

  /** This node is in a group: as its announcer, or as a member that started work. */
  join (info: { taskId: string, groupId: string, announcer: string, members: GroupMember[], role: 'announcer' | 'member' }): void {
    if (this.#stopped) return
    const existing = this.#live.get(info.groupId)
    if (existing !== undefined) {
      existing.roles.add(info.role)
      if (info.role === 'announcer') existing.session.setMembers(info.members)
      return
    }
    const session = new GroupSession({
      taskId: info.taskId,
      groupId: info.groupId,
      self: this.#self,
      announcer: info.announcer,
      members: info.members,
      blackboard: new Blackboard({ onListenerError: err => { this.#log.warn('blackboard listener failed', { err }) } })
    })
    const topic = topics.group(this.#o.network, info.groupId)
    const live: Live = {
      session,
      topic,
      roles: new Set([info.role]),
      off: [],
      ownResults: new Map(),
      verifyDeciders: [],
      waiters: new Map(),
      escalations: new Map(),
      handler: delivery => { this.#onGossip(live, delivery) }
    }
    this.#live.set(info.groupId, live)
    this.#taskGroup.set(info.taskId, info.groupId)
    this.stats.groupsJoined++
    live.off.push(session.blackboard.onLocalUpdate(update => { this.#publishBlackboard(live, update) }))
    live.off.push(session.blackboard.onChange(change => {
      const snap = session.blackboard.snapshot()
      this.#o.emit('blackboard:changed', {
        taskId: session.taskId,
        groupId: session.groupId,
        local: change.local,
        from: change.local ? this.#self : typeof change.origin === 'string' ? change.origin : session.announcer,
        findings: snap.findings.length,
        hypotheses: snap.hypotheses.length,
        actions: snap.actions.length
      })
      this.#scheduleSave(live)
    }))
    this.#o.gossip.subscribe(topic, 'group', live.handler, (message, signer) => this.#authorize(live, message, signer))
    this.#log.debug('joined group', { taskId: info.taskId, groupId: info.groupId, role: info.role })
    if (info.role === 'member' && info.announcer !== this.#self) {
      void this.#sync(live)
      // The first proposals and updates may have gone out before our subscription was known.
      live.resyncTimer = setTimeout(() => { void this.#sync(live) }, this.#o.resyncMs ?? 1_500)
      live.resyncTimer.unref()
    }
  }

  /** The members of a group changed (a member was replaced by a backup). */
  membersChanged (groupId: string, members: GroupMember[]): void {
    this.#live.get(groupId)?.session.setMembers(members)
  }

  /**
   * This node is no longer in the group (dissolved, or it left). Open proposals are decided if
   * their tally is final, closed otherwise; the blackboard is stored with the task.
   */
  leave (groupId: string): void {
    const live = this.#live.get(groupId)
    if (live === undefined) return
    this.#live.delete(groupId)
    const { session } = live
    session.closed = true
    this.#clearTimers(live)
    const now = Date.now()
    for (const view of session.closeOpen(now)) {
      if (view.status === 'decided') this.#onDecided(live, view, false)
      else {
        this.#saveProposal(view)
        this.#wake(live, view)
      }
    }
    this.#saveBlackboard(live, false)
    for (const off of live.off) off()
    // What stays (proposals, the blackboard) is in the store; memory does not grow with the groups a node was ever in.
    if (this.#taskGroup.get(session.taskId) === groupId) this.#taskGroup.delete(session.taskId)
    session.blackboard.destroy()
    this.#log.debug('left group', { taskId: session.taskId, groupId })
  }

  /** Leaves the group of a topic (a member leaving on DISSOLVE or its deadline). */
  leaveTopic (topic: string): void {
    const parsed = parseTopic(topic)
    if (parsed?.kind === 'group') this.leave(parsed.groupId)
  }

  /** This member's own part of a task ended (its default verification vote follows it). */
  ownResult (groupId: string, skill: string, ok: boolean): void {
    this.#live.get(groupId)?.ownResults.set(skill, ok)
  }

  /** Whether this node is in a live group of the task. */
  inGroup (taskId: string): boolean {
    const groupId = this.#taskGroup.get(taskId)
    return groupId !== undefined && this.#live.has(groupId)
  }

  /** The live group of a task: its id and members, or undefined. */
  groupOf (taskId: string): { groupId: string, announcer: string, members: GroupMember[], roles: Array<'announcer' | 'member'> } | undefined {
    const live = this.#liveOfTask(taskId)
    if (live === undefined) return undefined
    return { groupId: live.session.groupId, announcer: live.session.announcer, members: live.session.members(), roles: [...live.roles] }
  }

  // ---------------------------------------------------------------------------------------------
  // Proposals and votes

  /** Puts a proposal to the group of `taskId`; the group's current members are its voters. */
  async propose (taskId: string, input: ProposeInput): Promise<ProposalView> {
    const live = this.#requireLive(taskId)
    const parsed = parseInput(ProposeInputSchema, input, 'proposal')
    return await this.#propose(live, parsed)
  }

  async #propose (live: Live, input: z.output<typeof ProposeInputSchema>): Promise<ProposalView> {
    const { session } = live
    const voters = session.members().map(m => m.peerId)
    const message = createMessage('PROPOSAL', {
      proposalId: newId(),
      taskId: session.taskId,
      groupId: session.groupId,
      action: input.action,
      ...(input.params !== undefined ? { params: input.params } : {}),
      quorum: input.quorum,
      minParticipation: input.minParticipation,
      voters,
      deadline: Date.now() + input.timeoutMs
    })
    const opened = session.openProposal(this.#proposalOf(message, this.#self), Date.now())
    if (!opened.ok) throw new SwarmError('GROUP_NOT_FOUND', `the proposal could not be opened: ${opened.reason}`)
    this.#onOpened(live, opened.view)
    await this.#publish(live, message)
    return opened.view
  }

  /** Votes on a proposal of a group this node is in. Throws VOTE_REJECTED with the reason. */
  vote (proposalId: string, input: VoteInput): ProposalView {
    const parsed = parseInput(VoteInputSchema, input, 'vote')
    const live = this.#liveOfProposal(proposalId)
    if (live === undefined) {
      const stored = this.#o.store.getProposal(proposalId)
      if (stored !== undefined) throw new SwarmError('VOTE_REJECTED', `proposal ${proposalId} is ${stored.status}: its group no longer votes`, { proposalId, reason: 'DECIDED' })
      throw new SwarmError('PROPOSAL_NOT_FOUND', `no open proposal ${proposalId} in a group of this node: list them with "swarm-node proposals" or GET /v1/proposals`, { proposalId })
    }
    const { session } = live
    // A changed vote must be newer than the one it replaces, even within the same millisecond.
    const previous = session.countedVotes(proposalId).find(v => v.voter === this.#self)
    const ts = Math.max(Date.now(), (previous?.at ?? 0) + 1)
    const message = createMessage('VOTE', { proposalId, groupId: session.groupId, choice: parsed.choice, confidence: parsed.confidence, ...(parsed.reason !== undefined ? { reason: parsed.reason } : {}) }, { ts })
    const now = Date.now()
    const result = session.recordVote({ proposalId, voter: this.#self, choice: parsed.choice, confidence: parsed.confidence, ...(parsed.reason !== undefined ? { reason: parsed.reason } : {}), at: message.ts, receivedAt: now }, session.groupId, now)
    if (!result.accepted) {
      throw new SwarmError('VOTE_REJECTED', `vote refused: ${voteRefusalText(result.reason)}`, { proposalId, reason: result.reason })
    }
    this.stats.votesAccepted++
    void this.#publish(live, message)
    const view = result.decided ?? session.view(proposalId, now) as ProposalView
    this.#saveProposal(view)
    if (result.decided !== undefined) this.#onDecided(live, result.decided, true)
    return view
  }

  /** A proposal by id: live, recently ended, or from the store. */
  proposal (proposalId: string): ProposalView | undefined {
    const view = this.#liveOfProposal(proposalId)?.session.view(proposalId, Date.now())
    if (view !== undefined) return view
    const stored = this.#o.store.getProposal(proposalId)
    return stored === undefined ? undefined : stored.proposal as unknown as ProposalView
  }

  /** Proposals, newest first: every one this node saw (from the store), with live tallies. */
  proposals (taskId?: string, limit = 200): ProposalView[] {
    const byId = new Map<string, ProposalView>()
    for (const stored of this.#o.store.listProposals({ ...(taskId !== undefined ? { taskId } : {}), limit })) {
      byId.set(stored.proposalId, stored.proposal as unknown as ProposalView)
    }
    const now = Date.now()
    for (const live of this.#live.values()) {
      if (taskId !== undefined && live.session.taskId !== taskId) continue
      for (const view of live.session.proposals(now)) byId.set(view.proposalId, view)
    }
    return [...byId.values()].sort((a, b) => b.openedAt - a.openedAt || (a.proposalId < b.proposalId ? 1 : -1)).slice(0, limit)
  }

  /** Resolves once the proposal is decided (or closed with its group). */
  async decision (proposalId: string): Promise<ProposalView> {
    const current = this.proposal(proposalId)
    if (current === undefined) throw new SwarmError('PROPOSAL_NOT_FOUND', `no proposal ${proposalId} on this node`, { proposalId })
    if (current.status !== 'open') return current
    const live = this.#liveOfProposal(proposalId)
    if (live === undefined) return current
    return await new Promise(resolve => {
      const list = live.waiters.get(proposalId) ?? []
      list.push(resolve)
      live.waiters.set(proposalId, list)
    })
  }

  /**
   * The announcer asks the group to verify the task's aggregated result. Resolves with the
   * outcome; a group that ends before deciding gives `no-quorum`.
   */
  async verify (info: { taskId: string, groupId: string, attempt: number, policy: VerifyPolicy, timeoutMs: number }): Promise<{ outcome: Outcome, proposalId?: string, tally?: ProposalView['tally'] }> {
    const live = this.#live.get(info.groupId)
    if (live === undefined || info.policy === 'none') return { outcome: 'no-quorum' }
    const view = await this.#propose(live, {
      action: `verify the result of task ${info.taskId} (attempt ${info.attempt})`,
      params: { kind: 'verification', attempt: info.attempt },
      quorum: verifyQuorum(info.policy),
      minParticipation: 0.5,
      timeoutMs: Math.max(100, info.timeoutMs)
    })
    const decided = await this.decision(view.proposalId)
    return { outcome: decided.outcome ?? 'no-quorum', proposalId: view.proposalId, tally: decided.tally }
  }

  // ---------------------------------------------------------------------------------------------
  // Blackboard

  /** Posts a finding on the blackboard of the task's group; returns its id. */
  postFinding (taskId: string, input: PostFindingInput): string {
    const live = this.#requireLive(taskId)
    const f = parseInput(FindingInputSchema, input, 'finding')
    return blackboardCall(() => live.session.blackboard.addFinding({
      kind: f.kind as FindingKind,
      content: f.content,
      confidence: f.confidence,
      ...(f.evidence !== undefined ? { evidence: f.evidence } : {}),
      ...(f.hypothesisId !== undefined ? { hypothesisId: f.hypothesisId } : {}),
      ...(f.supports !== undefined ? { supports: f.supports } : {}),
      ...(f.id !== undefined ? { id: f.id } : {}),
      author: this.#self,
      at: Date.now()
    }))
  }

  postHypothesis (taskId: string, statement: string, id?: string): string {
    const live = this.#requireLive(taskId)
    return blackboardCall(() => live.session.blackboard.addHypothesis({ statement, author: this.#self, at: Date.now(), ...(id !== undefined ? { id } : {}) }))
  }

  setHypothesisStatus (taskId: string, hypothesisId: string, status: HypothesisStatus): void {
    const live = this.#requireLive(taskId)
    blackboardCall(() => { live.session.blackboard.setHypothesisStatus(hypothesisId, status, this.#self, Date.now()) })
  }

  recordAction (taskId: string, description: string, result?: Json): string {
    const live = this.#requireLive(taskId)
    return blackboardCall(() => live.session.blackboard.recordAction({ description, author: this.#self, at: Date.now(), ...(result !== undefined ? { result } : {}) }))
  }

  /** The blackboard of a task: the live group's, else the last one stored with the task. */
  blackboard (taskId: string): BlackboardView | undefined {
    const live = this.#liveOfTask(taskId)
    if (live !== undefined) return viewOf(taskId, live.session.groupId, true, live.session.blackboard.snapshot())
    const stored = this.#o.store.isOpen ? this.#o.store.listBlackboards(taskId)[0] : undefined
    if (stored !== undefined) return viewOf(taskId, stored.groupId, false, stored.snapshot as unknown as BlackboardSnapshot)
    return undefined
  }

  // ---------------------------------------------------------------------------------------------
  // Conflicts

  /** Claims a resource of the group for `leaseMs` (0 releases); returns who holds it now as this node sees it. */
  async claim (taskId: string, resourceId: string, leaseMs: number, priority = 0): Promise<ClaimView> {
    const live = this.#requireLive(taskId)
    if (!(Number.isInteger(leaseMs) && leaseMs >= 0 && leaseMs <= 7 * 24 * 3600 * 1000)) throw new SwarmError('API_BAD_REQUEST', `leaseMs must be a whole number of milliseconds from 0 to a week, got ${leaseMs}`)
    const now = Date.now()
    const claim = live.session.ownClaim(resourceId, leaseMs, Math.trunc(priority), now)
    live.session.recordClaim(claim)
    await this.#publish(live, createMessage('CLAIM', { taskId, groupId: live.session.groupId, resourceId, priority: claim.priority, claimedAt: now, leaseMs, seq: claim.seq ?? 0 }))
    return this.claimStatus(taskId, resourceId)
  }

  /** Who holds a resource now, as this node sees it. */
  claimStatus (taskId: string, resourceId: string): ClaimView {
    const live = this.#requireLive(taskId)
    const now = Date.now()
    const r = live.session.resolveClaim(resourceId, now)
    const mine = r.losers.find(l => l.claim.holder === this.#self)
    return {
      resourceId,
      granted: r.winner?.holder === this.#self,
      ...(r.winner !== undefined ? { holder: r.winner.holder } : {}),
      ...(mine !== undefined ? { retryAfterMs: mine.retryAfterMs } : {})
    }
  }

  /** Writes a shared value with the next version; the newer version wins everywhere. */
  async writeData (taskId: string, key: string, value: Json): Promise<{ version: number, applied: boolean }> {
    const live = this.#requireLive(taskId)
    const version = live.session.nextVersion(key)
    const result = live.session.writeData(key, { value, version, writer: this.#self })
    await this.#publish(live, createMessage('DATA_WRITE', { taskId, groupId: live.session.groupId, key, version, value }))
    return { version, applied: result?.applied ?? false }
  }

  readData (taskId: string, key: string): { value: Json, version: number, writer: string } | undefined {
    return this.#requireLive(taskId).session.readData(key)
  }

  // ---------------------------------------------------------------------------------------------
  // Escalations

  /**
   * Hands an issue to a human: at the announcer the record is created at once; a member sends it
   * to the announcer. Returns the escalation's id.
   */
  async escalate (taskId: string, input: EscalateInput): Promise<{ escalationId: string }> {
    const live = this.#requireLive(taskId)
    const e = parseInput(EscalateInputSchema, input, 'escalation')
    const { session } = live
    if (session.announcer === this.#self) {
      const record = this.raise({ taskId, groupId: session.groupId, announcer: this.#self, raisedBy: this.#self, source: 'member', severity: e.severity, issue: e.issue, ...(e.context !== undefined ? { context: e.context } : {}), attemptedResolutions: e.attemptedResolutions })
      return { escalationId: record.id }
    }
    const reply = await this.#o.messenger.request(peerIdFromString(session.announcer), createMessage('ESCALATE', {
      taskId, groupId: session.groupId, severity: e.severity, issue: e.issue, ...(e.context !== undefined ? { context: e.context } : {}), attemptedResolutions: e.attemptedResolutions
    }), { timeoutMs: 10_000 })
    if (reply.type === 'ACK' && typeof reply.body.data === 'object' && reply.body.data !== null && !Array.isArray(reply.body.data) && typeof reply.body.data.escalationId === 'string') {
      return { escalationId: reply.body.data.escalationId }
    }
    throw new SwarmError('ESCALATION_STATE', `the announcer did not take the escalation: ${reply.type === 'ERROR' ? reply.body.message : reply.type}`)
  }

  /** Creates an escalation at this node (the task's announcer), stores it and tells the group. */
  raise (input: EscalationInput): EscalationRecord {
    const record = createEscalation(input, newId(), Date.now())
    this.#storeEscalation(record)
    this.stats.escalationsCreated++
    this.#o.audit(record.taskId, 'escalation-created', { escalationId: record.id, source: record.source, severity: record.severity, issue: record.issue, ...(record.proposalId !== undefined ? { proposalId: record.proposalId } : {}) })
    this.#o.emit('escalation:created', record)
    const live = record.groupId === undefined ? undefined : this.#live.get(record.groupId)
    if (live !== undefined) {
      live.escalations.set(record.id, record)
      void this.#publish(live, createMessage('ESCALATION', escalationBody(record)))
    }
    return record
  }

  /** Escalations this node keeps, newest first. */
  escalations (filter: { status?: 'open' | 'resolved', taskId?: string } = {}): EscalationRecord[] {
    const out: EscalationRecord[] = []
    for (const stored of this.#o.store.listEscalations({ ...filter, limit: 1000 })) {
      const parsed = EscalationRecordSchema.safeParse(stored.record)
      if (parsed.success) out.push(parsed.data)
    }
    return out
  }

  escalation (id: string): EscalationRecord | undefined {
    const stored = this.#o.store.getEscalation(id)
    if (stored === undefined) return undefined
    const parsed = EscalationRecordSchema.safeParse(stored.record)
    return parsed.success ? parsed.data : undefined
  }

  /** Records the human's decision on an escalation this node keeps as announcer; the group (if still working) hears it. */
  resolveEscalation (id: string, decision: string): EscalationRecord {
    const record = this.escalation(id)
    if (record === undefined) throw new SwarmError('ESCALATION_NOT_FOUND', `no escalation ${id} on this node: list them with "swarm-node escalations"`, { escalationId: id })
    if (record.announcer !== this.#self) {
      throw new SwarmError('ESCALATION_STATE', `escalation ${id} is kept by the task's announcer ${record.announcer}: resolve it there`, { escalationId: id, announcer: record.announcer })
    }
    let resolved: EscalationRecord
    try {
      resolved = resolveEscalation(record, decision, Date.now())
    } catch (err) {
      if (err instanceof EscalationStateError) throw new SwarmError('ESCALATION_STATE', err.message, { escalationId: id })
      throw err
    }
    this.#storeEscalation(resolved)
    this.stats.escalationsResolved++
    this.#o.audit(resolved.taskId, 'escalation-resolved', { escalationId: id, decision: resolved.decision ?? '' })
    this.#o.emit('escalation:resolved', resolved)
    const live = resolved.groupId === undefined ? undefined : this.#live.get(resolved.groupId)
    if (live !== undefined) {
      live.escalations.set(resolved.id, resolved)
      void this.#publish(live, createMessage('ESCALATION', escalationBody(resolved)))
    }
    return resolved
  }

  // ---------------------------------------------------------------------------------------------
  // Handler context

  /** The group functions a skill handler of this task gets through its context. */
  handlerApi (taskId: string, groupId: string): HandlerGroupApi {
    const live = (): Live => {
      const l = this.#live.get(groupId)
      if (l === undefined) throw new SwarmError('GROUP_NOT_FOUND', `the group of task ${taskId} has ended`)
      return l
    }
    return {
      postFinding: finding => this.postFinding(taskId, finding),
      postHypothesis: statement => this.postHypothesis(taskId, statement),
      recordAction: (description, result) => this.recordAction(taskId, description, result),
      blackboard: () => live().session.blackboard.snapshot(),
      propose: async input => await this.propose(taskId, input),
      vote: (proposalId, input) => this.vote(proposalId, input),
      escalate: async input => await this.escalate(taskId, input),
      onVerify: decide => { live().verifyDeciders.push(decide) }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Direct messages

  /** GROUP_SYNC_REQUEST (a participant catching up) and ESCALATE (a member, to its announcer). */
  handleDirect (message: SwarmMessage, from: PeerId): SwarmMessage {
    const sender = from.toString()
    if (message.type === 'GROUP_SYNC_REQUEST') {
      const { taskId, groupId } = message.body
      const live = this.#live.get(groupId)
      if (live === undefined || live.session.taskId !== taskId) return createMessage('ERROR', { ref: message.id, code: 'UNKNOWN_GROUP', message: 'no such group here' })
      if (!live.session.isParticipant(sender)) return createMessage('ERROR', { ref: message.id, code: 'NOT_A_MEMBER', message: 'only members of the group may read its state' })
      let update: Uint8Array
      try {
        update = live.session.blackboard.encodeDiff(fromBase64(message.body.stateVector))
      } catch (err) {
        return createMessage('ERROR', { ref: message.id, code: 'INVALID_STATE_VECTOR', message: (err as Error).message.slice(0, 1000) })
      }
      this.stats.syncsServed++
      const proposals = live.session.openProposals().map(p => ({
        proposal: { proposalId: p.proposalId, taskId: p.taskId, groupId: p.groupId, action: p.action, ...(p.params !== undefined ? { params: p.params } : {}), quorum: p.quorum, minParticipation: p.minParticipation, voters: p.voters, deadline: p.deadline },
        proposer: p.proposer,
        openedAt: p.openedAt
      }))
      return createMessage('GROUP_SYNC_RESPONSE', { taskId, groupId, update: toBase64(update), proposals })
    }
    if (message.type === 'ESCALATE') {
      const b = message.body
      const live = this.#live.get(b.groupId)
      if (live === undefined || live.session.taskId !== b.taskId || live.session.announcer !== this.#self) {
        return createMessage('ERROR', { ref: message.id, code: 'UNKNOWN_GROUP', message: 'this node is not the announcer of a working group with that id' })
      }
      if (!live.session.isMember(sender)) return createMessage('ERROR', { ref: message.id, code: 'NOT_A_MEMBER', message: 'only members of the group may escalate its issues' })
      const record = this.raise({ taskId: b.taskId, groupId: b.groupId, announcer: this.#self, raisedBy: sender, source: 'member', severity: b.severity, issue: b.issue, ...(b.context !== undefined ? { context: b.context } : {}), attemptedResolutions: b.attemptedResolutions })
      return createMessage('ACK', { ref: message.id, data: { escalationId: record.id } })
    }
    return createMessage('ERROR', { ref: message.id, code: 'UNEXPECTED', message: `${message.type} is not for the group layer` })
  }

  // ---------------------------------------------------------------------------------------------
  // Gossip

  #authorize (live: Live, message: SwarmMessage, signer: PeerId): boolean {
    if (!GROUP_TYPES.has(message.type)) return false
    const s = signer.toString()
    const ok = ANNOUNCER_TYPES.has(message.type) ? s === live.session.announcer : live.session.isParticipant(s)
    if (!ok) this.#countRefused(message, 'NOT_A_MEMBER', s)
    return ok
  }

  #countRefused (message: SwarmMessage, reason: string, from: string): void {
    if (this.#counted.has(message.id)) return
    this.#counted.add(message.id)
    if (this.#counted.size > 10_000) {
      const oldest = this.#counted.values().next().value
      if (oldest !== undefined) this.#counted.delete(oldest)
    }
    if (message.type === 'VOTE') this.stats.votesRejected[reason] = (this.stats.votesRejected[reason] ?? 0) + 1
    else this.stats.rejected[`${message.type}:${reason}`] = (this.stats.rejected[`${message.type}:${reason}`] ?? 0) + 1
    this.#log.debug('group message refused', { type: message.type, reason, from })
  }

  #onGossip (live: Live, delivery: GossipDelivery): void {
    const { message, from } = delivery
    const sender = from.toString()
    if (!this.#live.has(live.session.groupId)) return
    switch (message.type) {
      case 'PROPOSAL': this.#onProposal(live, message, sender); break
      case 'VOTE': this.#onVote(live, message, sender); break
      case 'PROPOSAL_DECIDED': this.#onPublishedDecision(live, message, sender); break
      case 'BLACKBOARD_UPDATE': this.#onBlackboardUpdate(live, message, sender); break
      case 'ESCALATION': this.#onEscalation(live, message); break
      case 'CLAIM': {
        const b = message.body
        if (b.groupId !== live.session.groupId) return this.#countRefused(message, 'WRONG_GROUP', sender)
        live.session.recordClaim({ resourceId: b.resourceId, holder: sender, priority: b.priority, claimedAt: b.claimedAt, leaseMs: b.leaseMs, seq: b.seq })
        break
      }
      case 'DATA_WRITE': {
        const b = message.body
        if (b.groupId !== live.session.groupId) return this.#countRefused(message, 'WRONG_GROUP', sender)
        live.session.writeData(b.key, { value: b.value, version: b.version, writer: sender })
        break
      }
      case 'DISSOLVE':
        if (message.body.groupId === live.session.groupId) this.leave(live.session.groupId)
        break
      default:
        break
    }
  }

  #proposalOf (message: MessageOf<'PROPOSAL'>, proposer: string): Proposal {
    const b = message.body
    return {
      proposalId: b.proposalId,
      groupId: b.groupId,
      taskId: b.taskId,
      action: b.action,
      ...(b.params !== undefined ? { params: b.params } : {}),
      quorum: b.quorum,
      minParticipation: b.minParticipation,
      voters: b.voters,
      deadline: b.deadline,
      proposer,
      openedAt: message.ts
    }
  }

  #onProposal (live: Live, message: MessageOf<'PROPOSAL'>, sender: string): void {
    const opened = live.session.openProposal(this.#proposalOf(message, sender), Date.now())
    if (!opened.ok) {
      if (opened.reason !== 'DUPLICATE') this.#countRefused(message, opened.reason, sender)
      return
    }
    this.#onOpened(live, opened.view)
  }

  #onOpened (live: Live, view: ProposalView): void {
    this.stats.proposalsOpened++
    this.#saveProposal(view)
    this.#o.audit(view.taskId, 'proposal-opened', { proposalId: view.proposalId, proposer: view.proposer, action: view.action.slice(0, 256), quorum: view.quorum, voters: view.voters.length, deadline: view.deadline })
    this.#o.emit('proposal:opened', view)
    this.#armDeadline(live)
    if (isVerification(view.params) && view.proposer === live.session.announcer && view.voters.includes(this.#self) && live.roles.has('member')) {
      setImmediate(() => { this.#verificationVote(live, view) })
    }
  }

  /** This member's vote on the verification of its task: a handler's decision, or yes when its own parts succeeded. */
  #verificationVote (live: Live, view: ProposalView): void {
    if (!this.#live.has(live.session.groupId)) return
    let vote: VoteInput | undefined
    for (const decide of live.verifyDeciders) {
      try {
        vote = decide(view) ?? vote
      } catch (err) {
        this.#log.warn('verification decider failed', { taskId: view.taskId, err })
      }
    }
    if (vote === undefined) {
      const results = [...live.ownResults.values()]
      vote = results.length === 0
        ? { choice: 'abstain', confidence: 0, reason: 'no part of this task ran here' }
        : results.every(ok => ok)
          ? { choice: 'yes', confidence: 1, reason: 'my part succeeded' }
          : { choice: 'no', confidence: 1, reason: 'my part failed' }
    }
    try {
      this.vote(view.proposalId, vote)
    } catch (err) {
      this.#log.info('verification vote not cast', { taskId: view.taskId, proposalId: view.proposalId, err })
    }
  }

  #onVote (live: Live, message: MessageOf<'VOTE'>, sender: string): void {
    const b = message.body
    const now = Date.now()
    const result = live.session.recordVote({ proposalId: b.proposalId, voter: sender, choice: b.choice as VoteChoice, confidence: b.confidence, ...(b.reason !== undefined ? { reason: b.reason } : {}), at: message.ts, receivedAt: now }, b.groupId, now)
    if (!result.accepted) {
      this.#countRefused(message, result.reason, sender)
      return
    }
    this.stats.votesAccepted++
    const view = result.decided ?? live.session.view(b.proposalId, now)
    if (view !== undefined) this.#saveProposal(view)
    if (result.decided !== undefined) this.#onDecided(live, result.decided, true)
  }

  #onPublishedDecision (live: Live, message: MessageOf<'PROPOSAL_DECIDED'>, sender: string): void {
    const b = message.body
    if (b.groupId !== live.session.groupId) return this.#countRefused(message, 'WRONG_GROUP', sender)
    const result = live.session.adoptDecision(b.proposalId, sender, {
      outcome: b.outcome,
      tally: { outcome: b.outcome, for: b.for, against: b.against, abstentions: b.abstentions, eligible: b.eligible, participation: b.participation, weightedConfidence: b.weightedConfidence, decidedAt: b.decidedAt, final: true }
    })
    if (result.refused !== undefined) return this.#countRefused(message, result.refused, sender)
    if (result.mismatch) {
      this.stats.decisionMismatches++
      this.#log.warn('the proposer decided otherwise than this node', { proposalId: b.proposalId, theirs: b.outcome })
    }
    if (result.adopted !== undefined) this.#onDecided(live, result.adopted, false)
  }

  #onDecided (live: Live, view: ProposalView, publishIfProposer: boolean): void {
    this.stats.proposalsDecided++
    this.#saveProposal(view)
    this.#o.audit(view.taskId, 'proposal-decided', { proposalId: view.proposalId, outcome: view.outcome ?? 'no-quorum', for: view.tally.for, against: view.tally.against, abstentions: view.tally.abstentions, by: view.decidedBy ?? 'tally' })
    this.#o.emit('proposal:decided', view)
    this.#wake(live, view)
    if (publishIfProposer && view.proposer === this.#self && !live.session.closed) {
      const votes = live.session.countedVotes(view.proposalId).map(v => ({ voter: v.voter, choice: v.choice, confidence: v.confidence, at: v.at }))
      void this.#publish(live, createMessage('PROPOSAL_DECIDED', {
        proposalId: view.proposalId,
        taskId: view.taskId,
        groupId: view.groupId,
        outcome: view.outcome ?? 'no-quorum',
        for: view.tally.for,
        against: view.tally.against,
        abstentions: view.tally.abstentions,
        eligible: view.tally.eligible,
        participation: view.tally.participation,
        weightedConfidence: Math.max(-1, Math.min(1, view.tally.weightedConfidence)),
        decidedAt: view.decidedAt ?? Date.now(),
        votes
      }))
    }
    if (view.outcome === 'no-quorum' && live.session.announcer === this.#self) {
      const verification = isVerification(view.params)
      this.raise({
        taskId: view.taskId,
        groupId: view.groupId,
        announcer: this.#self,
        raisedBy: this.#self,
        source: verification ? 'verification' : 'no-quorum',
        severity: severityOfNoQuorum(verification) as EscalationSeverity,
        issue: `the group could not decide "${view.action.slice(0, 200)}": ${view.tally.for + view.tally.against + view.tally.abstentions} of ${view.tally.eligible} voted (${view.tally.for} yes, ${view.tally.against} no, ${view.tally.abstentions} abstained) under ${quorumText(view.quorum)} with ${Math.round(view.minParticipation * 100)}% participation needed`,
        context: { proposalId: view.proposalId, votes: view.votes.map(v => ({ voter: v.voter, choice: v.choice, confidence: v.confidence })) },
        attemptedResolutions: [`vote until ${new Date(view.deadline).toISOString()}`],
        proposalId: view.proposalId
      })
    }
    this.#armDeadline(live)
  }

  #wake (live: Live, view: ProposalView): void {
    const waiters = live.waiters.get(view.proposalId)
    if (waiters === undefined) return
    live.waiters.delete(view.proposalId)
    for (const resolve of waiters) resolve(view)
  }

  #onBlackboardUpdate (live: Live, message: MessageOf<'BLACKBOARD_UPDATE'>, sender: string): void {
    const b = message.body
    if (b.groupId !== live.session.groupId) return this.#countRefused(message, 'WRONG_GROUP', sender)
    const bytes = fromBase64(b.update)
    try {
      const inspection = Blackboard.inspectUpdate(bytes)
      if (inspection.deletions > 0 || inspection.foreign > 0 || inspection.authors.some(a => a !== sender)) {
        return this.#countRefused(message, 'FORGED_CONTENT', sender)
      }
      live.session.blackboard.applyUpdate(bytes, sender)
      this.stats.blackboardUpdatesApplied++
    } catch (err) {
      this.#countRefused(message, err instanceof BlackboardError ? err.code : 'INVALID_UPDATE', sender)
    }
  }

  #onEscalation (live: Live, message: MessageOf<'ESCALATION'>): void {
    const b = message.body
    if (b.groupId !== live.session.groupId) return
    const known = live.escalations.get(b.escalationId)
    const record: EscalationRecord = {
      id: b.escalationId,
      taskId: b.taskId,
      groupId: b.groupId,
      announcer: live.session.announcer,
      raisedBy: b.raisedBy,
      source: b.source,
      severity: b.severity,
      issue: b.issue,
      attemptedResolutions: b.attemptedResolutions,
      ...(b.proposalId !== undefined ? { proposalId: b.proposalId } : {}),
      createdAt: b.createdAt,
      status: b.status,
      ...(b.decision !== undefined ? { decision: b.decision } : {}),
      ...(b.resolvedAt !== undefined ? { resolvedAt: b.resolvedAt } : {})
    }
    if (known?.status === 'resolved' || (known !== undefined && record.status === 'open')) return
    live.escalations.set(record.id, record)
    this.#storeEscalation(record)
    if (known === undefined) this.#o.emit('escalation:created', { ...record, status: 'open' })
    if (record.status === 'resolved') this.#o.emit('escalation:resolved', record)
  }

  async #publish (live: Live, message: SwarmMessage): Promise<void> {
    try {
      await this.#o.gossip.publish(live.topic, message)
    } catch (err) {
      this.#log.warn('group message not published', { type: message.type, groupId: live.session.groupId, err })
    }
  }

  #publishBlackboard (live: Live, update: Uint8Array): void {
    const text = toBase64(update)
    if (text.length > MAX_BLACKBOARD_BASE64_CHARS) {
      // Too large for gossip: the members get it when they next sync.
      this.#log.warn('blackboard update too large for gossip, left to the next sync', { groupId: live.session.groupId, bytes: update.byteLength })
      return
    }
    void this.#publish(live, createMessage('BLACKBOARD_UPDATE', { taskId: live.session.taskId, groupId: live.session.groupId, update: text }))
  }

  /** Asks the announcer for what this member lacks: blackboard entries and open proposals. */
  async #sync (live: Live): Promise<void> {
    const { session } = live
    if (!this.#live.has(session.groupId) || session.announcer === this.#self) return
    try {
      const reply = await this.#o.messenger.request(peerIdFromString(session.announcer), createMessage('GROUP_SYNC_REQUEST', {
        taskId: session.taskId, groupId: session.groupId, stateVector: toBase64(session.blackboard.encodeStateVector())
      }), { timeoutMs: 5_000 })
      if (reply.type !== 'GROUP_SYNC_RESPONSE') throw new Error(reply.type === 'ERROR' ? `${reply.body.code}: ${reply.body.message}` : `unexpected ${reply.type}`)
      if (!this.#live.has(session.groupId)) return
      const update = fromBase64(reply.body.update)
      if (update.byteLength > 0) session.blackboard.applyUpdate(update, session.announcer)
      for (const open of reply.body.proposals) {
        if (session.hasProposal(open.proposal.proposalId)) continue
        const opened = session.openProposal({ ...open.proposal, proposer: open.proposer, openedAt: open.openedAt }, Date.now())
        if (opened.ok) this.#onOpened(live, opened.view)
      }
      this.stats.syncsDone++
    } catch (err) {
      this.stats.syncsFailed++
      this.#log.debug('group sync failed', { groupId: session.groupId, err })
    }
  }

  #armDeadline (live: Live): void {
    clearTimeout(live.deadlineTimer)
    const next = live.session.nextDeadline()
    if (next === undefined || this.#stopped) return
    live.deadlineTimer = setTimeout(() => {
      if (!this.#live.has(live.session.groupId)) return
      for (const view of live.session.decideDue(Date.now())) this.#onDecided(live, view, true)
      this.#armDeadline(live)
    }, Math.max(0, next - Date.now() + 1))
    live.deadlineTimer.unref()
  }

  #scheduleSave (live: Live): void {
    if (live.saveTimer !== undefined || this.#stopped) return
    live.saveTimer = setTimeout(() => {
      live.saveTimer = undefined
      if (this.#live.has(live.session.groupId)) this.#saveBlackboard(live, true)
    }, 250)
    live.saveTimer.unref()
  }

  /** Writes to the store if it is open; a failed write is logged, never thrown into the group. */
  #persist (what: string, fields: Record<string, unknown>, write: () => void): void {
    try {
      if (this.#o.store.isOpen) write()
    } catch (err) {
      this.#log.warn(`${what} not saved`, { ...fields, err })
    }
  }

  #saveBlackboard (live: Live, stillLive: boolean): void {
    const { session } = live
    this.#persist('blackboard', { taskId: session.taskId }, () => {
      this.#o.store.saveBlackboard({
        taskId: session.taskId,
        groupId: session.groupId,
        role: live.roles.has('announcer') ? 'announcer' : 'member',
        state: session.blackboard.encodeUpdate(),
        snapshot: session.blackboard.snapshot() as unknown as Json,
        live: stillLive,
        updatedAt: Date.now()
      })
    })
  }

  #saveProposal (view: ProposalView): void {
    this.#persist('proposal', { proposalId: view.proposalId }, () => {
      this.#o.store.saveProposal({
        proposalId: view.proposalId,
        taskId: view.taskId,
        groupId: view.groupId,
        proposal: view as unknown as Json,
        votes: view.votes as unknown as Json,
        status: view.status,
        ...(view.status === 'decided' ? { tally: view.tally as unknown as Json } : {}),
        openedAt: view.openedAt,
        updatedAt: Date.now()
      })
    })
  }

  #storeEscalation (record: EscalationRecord): void {
    this.#persist('escalation', { escalationId: record.id }, () => {
      this.#o.store.saveEscalation({
        escalationId: record.id,
        taskId: record.taskId,
        ...(record.groupId !== undefined ? { groupId: record.groupId } : {}),
        record: record as unknown as Json,
        status: record.status,
        createdAt: record.createdAt,
        updatedAt: record.resolvedAt ?? record.createdAt
      })
    })
  }

  #clearTimers (live: Live): void {
    clearTimeout(live.deadlineTimer)
    clearTimeout(live.resyncTimer)
    if (live.saveTimer !== undefined) clearTimeout(live.saveTimer)
    live.saveTimer = undefined
  }

  #liveOfTask (taskId: string): Live | undefined {
    const groupId = this.#taskGroup.get(taskId)
    return groupId === undefined ? undefined : this.#live.get(groupId)
  }

  #requireLive (taskId: string): Live {
    const live = this.#liveOfTask(taskId)
    if (live === undefined) {
      throw new SwarmError('GROUP_NOT_FOUND', `this node is not in a working group of task ${taskId} (it is not its announcer or a member, or the group has dissolved)`, { taskId })
    }
    return live
  }

  #liveOfProposal (proposalId: string): Live | undefined {
    for (const live of this.#live.values()) if (live.session.hasProposal(proposalId)) return live
    return undefined
  }
}

function parseInput<T extends z.ZodType> (schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.map(i => `${i.path.join('.') || '(root)'}: ${i.message}`)
  throw new SwarmError('API_BAD_REQUEST', `invalid ${what}: ${issues.join('; ')}`, { issues })
}

function blackboardCall<T> (fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof BlackboardError) throw new SwarmError('API_BAD_REQUEST', err.message, { code: err.code })
    throw err
  }
}

function viewOf (taskId: string, groupId: string, live: boolean, snap: BlackboardSnapshot): BlackboardView {
  const confidence: Record<string, number> = {}
  for (const h of snap.hypotheses) {
    confidence[h.id] = hypothesisConfidence(h.id, snap.findings.filter(f => f.hypothesisId !== undefined).map(f => ({ confidence: f.confidence, kind: f.kind, ...(f.supports !== undefined ? { supports: f.supports } : {}), hypothesisId: f.hypothesisId as string })))
  }
  return { taskId, groupId, live, ...snap, confidence }
}

function escalationBody (r: EscalationRecord): MessageOf<'ESCALATION'>['body'] {
  return {
    escalationId: r.id,
    taskId: r.taskId,
    groupId: r.groupId ?? '',
    status: r.status,
    source: r.source,
    raisedBy: r.raisedBy,
    severity: r.severity,
    issue: r.issue,
    attemptedResolutions: r.attemptedResolutions,
    ...(r.proposalId !== undefined ? { proposalId: r.proposalId } : {}),
    createdAt: r.createdAt,
    ...(r.decision !== undefined ? { decision: r.decision } : {}),
    ...(r.resolvedAt !== undefined ? { resolvedAt: r.resolvedAt } : {})
  }
}

function quorumText (q: QuorumPolicy): string {
  return q.kind === 'threshold' ? `threshold:${q.fraction}` : q.kind
}

function voteRefusalText (reason: string): string {
  switch (reason) {
    case 'NOT_ELIGIBLE': return 'this node is not one of the proposal\'s voters (the group\'s members when it was proposed)'
    case 'AFTER_DEADLINE': return 'the voting deadline has passed'
    case 'DECIDED': return 'the proposal is already decided'
    case 'SUPERSEDED': return 'this node already cast this vote or a newer one'
    case 'NOT_A_MEMBER': return 'this node is not in the proposal\'s group'
    case 'UNKNOWN_PROPOSAL': return 'no such proposal'
    default: return reason
  }
}


