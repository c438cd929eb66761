/**
 * The networked shell of working groups. For every group this node is in (as a member, as the
 * announcer, or both) it moves proposals, signed votes, decisions, blackboard updates, claims,
 * versioned data and escalations on the group's members-only gossip topic, serves and asks for
 * the group's state over direct streams (late joiners, replacements), decides the group's
 * resource claims when it is the announcer (direct CLAIM_REQUEST / CLAIM_RELEASE), and keeps blackboards,
 * proposals and escalations in the store. Every decision is taken by the pure parts
 * ({@link GroupSession}, tally, conflicts, escalations); the service only moves validated
 * messages, one job per file:
 *
 *   live-groups.ts        the groups this node is in (the registry every part shares)
 *   authorization.ts      which sender may send which group message; the refusal counter
 *   proposals.ts          proposals, votes, decisions, deadlines, verification
 *   blackboard-sync.ts    blackboard updates, publishing, sync of late joiners
 *   claims.ts             resource claims (the announcer decides, claim-queue.ts) and versioned data
 *   escalation-service.ts escalations: escalate, raise, resolve
 *   persistence.ts        blackboards, proposals and escalations in the store
 *   inputs.ts             what users hand in (zod schemas) and the views they get
 *
 * Trust: the sender of every gossip message is its gossipsub signer (StrictSign), never a body
 * field. A vote counts for its signer only, and only with the signer's own signature of it
 * (vote-certificate.ts: a decided proposal keeps the signed votes as its vote certificate);
 * messages from peers outside the group are refused by the topic validator (so gossipsub's
 * peer scoring punishes their senders) and counted.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { parseTopic, topics } from '@swarm/protocol'
import { gossipVerdict } from '../net/verdict.js'
import { SwarmError } from '../errors.js'
import { GroupAuthorization } from './authorization.js'
import { BlackboardSync } from './blackboard-sync.js'
import { Claims } from './claims.js'
import { EscalationService } from './escalation-service.js'
import { newGroupStats } from './inputs.js'
import { LiveGroups, clearTimers, createLive } from './live-groups.js'
import { GroupPersistence } from './persistence.js'
import { Proposals } from './proposals.js'
import type { HypothesisStatus } from './blackboard.js'
import type { GroupContext } from './context.js'
import type { EscalationLimits } from './escalation-service.js'
import type { EscalationInput, EscalationRecord } from './escalations.js'
import type { GroupStore } from './group-store.js'
import type { ProposalView } from './group-session.js'
import type { BlackboardView, ClaimView, EscalateInput, GroupEvents, GroupStats, HandlerGroupApi, PostFindingInput, ProposeInput, VoteInput } from './inputs.js'
import type { GroupRole, JoinInfo, Live } from './live-groups.js'
import type { VerifyOutcome, VerifyRequest } from './proposals.js'
import type { CertificateCheck } from './vote-certificate.js'
import type { PenaltySink } from '../net/verdict.js'
import type { SignerPort } from '../ports/signer.js'
import type { LimitsConfig } from '../config-limits.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../ports/clock.js'
import type { EventSink } from '../ports/events.js'
import type { GossipDelivery, GossipPort } from '../ports/gossip.js'
import type { AuditFn } from '../ports/ledger.js'
import type { DirectRegistry, MessengerPort } from '../ports/messenger.js'
import type { PeerId, Startable } from '@libp2p/interface'
import type { GroupMember, Json, SwarmMessage } from '@swarm/protocol'

export { QuorumInputSchema, ProposeInputSchema, VoteInputSchema, EscalateInputSchema } from './inputs.js'
export type { GroupEvents, ProposeInput, VoteInput, PostFindingInput, EscalateInput, BlackboardView, ClaimView, HandlerGroupApi, GroupStats } from './inputs.js'
export { verifyQuorum } from './proposals.js'
export type { VerifyOutcome, VerifyRequest } from './proposals.js'
export type { GroupStore } from './group-store.js'
export type { JoinInfo, GroupRole } from './live-groups.js'

/** What the group service needs of the node. */
export interface GroupServiceComponents {
  gossip: GossipPort
  messenger: MessengerPort
  /** Where it registers the direct messages it answers (GROUP_SYNC_REQUEST, ESCALATE, CLAIM_*). */
  direct: DirectRegistry
  store: GroupStore
  clock: Clock
  events: EventSink<GroupEvents>
  audit: AuditFn
  logger: Logger
  /** Signs this node's votes and checks others' (docs/protocol.md "Vote certificates"). */
  signer: SignerPort
  /** Where a peer whose vote or vote certificate does not verify is charged (the penalty book). */
  penalties?: PenaltySink
}

/** The group service's resolved settings. */
export interface GroupServiceInit {
  self: PeerId
  network: string
  /** After joining, a member asks the announcer for the group's state once more after this long. */
  resyncMs: number
  /** Limits on escalations and proposals (config `limits`; default: the config's defaults). */
  limits?: EscalationLimits & { rates: Pick<LimitsConfig['rates'], 'proposals'> }
}

/** The js-libp2p service shape: `groupService(init)(components)`. */
export function groupService (init: GroupServiceInit): (components: GroupServiceComponents) => GroupService {
  return components => new GroupService(components, init)
}

/** A group as the node's facade shows it. */
export interface GroupInfo {
  groupId: string
  announcer: string
  members: GroupMember[]
  roles: GroupRole[]
}

/**
 * Working groups of one node. The negotiation layer tells it when this node joins a group
 * ({@link join}), when the members change and when the group ends ({@link leave}).
 */
export class GroupService implements Startable {
  readonly stats: GroupStats = newGroupStats()

  /** Escalations and proposals of other members refused or dropped by the limits, by kind (see escalation-service.ts). */
  limited (): Record<string, number> {
    return { ...this.#escalations.limited, proposal: this.#proposals.limited }
  }
  readonly #gossip: GossipPort
  readonly #network: string
  readonly #ctx: GroupContext
  readonly #groups = new LiveGroups()
  readonly #authorization: GroupAuthorization
  readonly #persistence: GroupPersistence
  readonly #escalations: EscalationService
  readonly #proposals: Proposals
  readonly #blackboards: BlackboardSync
  readonly #claims: Claims

  constructor (components: GroupServiceComponents, init: GroupServiceInit) {
    const { clock, logger: log } = components
    this.#gossip = components.gossip
    this.#network = init.network
    this.#authorization = new GroupAuthorization(this.stats, log)
    this.#persistence = new GroupPersistence(components.store, this.#groups, clock, log)
    this.#ctx = {
      self: init.self.toString(),
      groups: this.#groups,
      stats: this.stats,
      log,
      clock,
      events: components.events,
      audit: components.audit,
      persistence: this.#persistence,
      authorization: this.#authorization,
      publish: async (live, message) => { await this.#publish(live, message) }
    }
    this.#escalations = new EscalationService(this.#ctx, components.messenger, init.limits)
    const penalties = components.penalties
    this.#proposals = new Proposals(this.#ctx, this.#escalations, {
      signer: components.signer,
      penalize: peer => { penalties?.(peerIdFromString(peer), gossipVerdict('BAD_SIGNATURE')) }
    }, init.limits?.rates.proposals)
    this.#blackboards = new BlackboardSync(this.#ctx, components.messenger, this.#proposals, init.resyncMs)
    this.#claims = new Claims(this.#ctx, components.messenger)
    components.direct.handle('GROUP_SYNC_REQUEST', this.#blackboards.serveSync)
    components.direct.handle('ESCALATE', this.#escalations.serveEscalate)
    components.direct.handle('CLAIM_REQUEST', this.#claims.serveClaimRequest)
    components.direct.handle('CLAIM_RELEASE', this.#claims.serveClaimRelease)
    components.direct.handle('CLAIM_ANSWER', this.#claims.serveClaimAnswer)
  }

  /** Nothing to start: groups begin with {@link join}. */
  start (): void {
    this.#groups.stopped = false
  }

  /** Stops timers and stores every live blackboard (call before the store closes). */
  stop (): void {
    this.#groups.stopped = true
    for (const live of this.#groups.values()) {
      clearTimers(this.#ctx.clock, live)
      this.#claims.forget(live.session.groupId, true)
      this.#persistence.saveBlackboard(live, true)
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Membership (called by the negotiation layer)

  /** This node is in a group: as its announcer, or as a member that started work. */
  join (info: JoinInfo): void {
    if (this.#groups.stopped) return
    const existing = this.#groups.get(info.groupId)
    if (existing !== undefined) {
      existing.roles.add(info.role)
      if (info.role === 'announcer') {
        existing.session.setMembers(info.members)
        this.#claims.membersChanged(existing)
      }
      return
    }
    const topic = topics.group(this.#network, info.groupId)
    const live = createLive(info, this.#ctx.self, topic, this.#ctx.log, (l, delivery) => { this.#onGossip(l, delivery) })
    this.#groups.add(live)
    this.stats.groupsJoined++
    this.#blackboards.watch(live)
    this.#gossip.subscribe(topic, 'group', live.handler, { authorize: (message, signer) => this.#authorization.authorize(live, message, signer) })
    // Only a resumed group can have a stored claims table: a new one starts empty, with no read.
    if (info.role === 'announcer' && info.resumed === true) this.#claims.adopt(live)
    this.#ctx.log.debug('joined group', { taskId: info.taskId, groupId: info.groupId, role: info.role })
    if (info.role === 'member' && info.announcer !== this.#ctx.self) this.#blackboards.catchUp(live)
  }

  /** The members of a group changed (a member was replaced by a backup). */
  membersChanged (groupId: string, members: GroupMember[]): void {
    const live = this.#groups.get(groupId)
    if (live === undefined) return
    live.session.setMembers(members)
    // At the announcer: what a member that left held goes to the next claimant.
    this.#claims.membersChanged(live)
  }

  /**
   * This node is no longer in the group (dissolved, or it left). Open proposals are decided if
   * their tally is final, closed otherwise; the blackboard is stored with the task.
   */
  leave (groupId: string): void {
    const live = this.#groups.get(groupId)
    if (live === undefined) return
    // Forgotten first: what the closing proposals trigger (escalations) no longer goes to the group.
    this.#groups.remove(live)
    const { session } = live
    session.closed = true
    clearTimers(this.#ctx.clock, live)
    this.#claims.forget(groupId)
    this.#proposals.closeAll(live)
    this.#persistence.saveBlackboard(live, false)
    for (const off of live.off) off()
    session.blackboard.destroy()
    this.#ctx.log.debug('left group', { taskId: session.taskId, groupId })
  }

  /** Leaves the group of a topic (a member leaving on DISSOLVE or its deadline). */
  leaveTopic (topic: string): void {
    const parsed = parseTopic(topic)
    if (parsed?.kind === 'group') this.leave(parsed.groupId)
  }

  /** This member's own part of a task ended (its default verification vote follows it). */
  ownResult (groupId: string, skill: string, ok: boolean): void {
    this.#groups.get(groupId)?.ownResults.set(skill, ok)
  }

  /** Whether this node is in a live group of the task. */
  inGroup (taskId: string): boolean {
    return this.#groups.ofTask(taskId) !== undefined
  }

  /** The live group of a task: its id and members, or undefined. */
  groupOf (taskId: string): GroupInfo | undefined {
    const live = this.#groups.ofTask(taskId)
    if (live === undefined) return undefined
    return { groupId: live.session.groupId, announcer: live.session.announcer, members: live.session.members(), roles: [...live.roles] }
  }

  // ---------------------------------------------------------------------------------------------
  // Proposals and votes (proposals.ts)

  /** Puts a proposal to the group of `taskId`; the group's current members are its voters. */
  async propose (taskId: string, input: ProposeInput): Promise<ProposalView> {
    return await this.#proposals.propose(taskId, input)
  }

  /** Votes on a proposal of a group this node is in. Throws VOTE_REJECTED with the reason. */
  vote (proposalId: string, input: VoteInput): ProposalView {
    return this.#proposals.vote(proposalId, input)
  }

  /** A proposal by id: live, recently ended, or from the store. */
  proposal (proposalId: string): ProposalView | undefined {
    return this.#proposals.proposal(proposalId)
  }

  /** Proposals, newest first: every one this node saw (from the store), with live tallies. */
  proposals (taskId?: string, limit = 200): ProposalView[] {
    return this.#proposals.proposals(taskId, limit)
  }

  /** Resolves once the proposal is decided (or closed with its group). */
  async decision (proposalId: string): Promise<ProposalView> {
    return await this.#proposals.decision(proposalId)
  }

  /**
   * Checks the vote certificate stored with a decided proposal (`swarm-node verify
   * <proposalId>`): every signature, the voters against the group's members as this node knew
   * them, and the outcome against the tally. Undefined when the proposal is unknown here.
   */
  async verifyProposal (proposalId: string): Promise<CertificateCheck | undefined> {
    return await this.#proposals.verifyStored(proposalId)
  }

  /** The announcer asks the group to verify the task's result; `no-quorum` if the group ends first. */
  async verify (info: VerifyRequest): Promise<VerifyOutcome> {
    return await this.#proposals.verify(info)
  }

  // ---------------------------------------------------------------------------------------------
  // Blackboard (blackboard-sync.ts)

  /** Posts a finding on the blackboard of the task's group; returns its id. */
  postFinding (taskId: string, input: PostFindingInput): string {
    return this.#blackboards.postFinding(taskId, input)
  }

  postHypothesis (taskId: string, statement: string, id?: string): string {
    return this.#blackboards.postHypothesis(taskId, statement, id)
  }

  setHypothesisStatus (taskId: string, hypothesisId: string, status: HypothesisStatus): void {
    this.#blackboards.setHypothesisStatus(taskId, hypothesisId, status)
  }

  recordAction (taskId: string, description: string, result?: Json): string {
    return this.#blackboards.recordAction(taskId, description, result)
  }

  /** The blackboard of a task: the live group's, else the last one stored with the task. */
  blackboard (taskId: string): BlackboardView | undefined {
    return this.#blackboards.blackboard(taskId)
  }

  // ---------------------------------------------------------------------------------------------
  // Claims and versioned data (claims.ts)

  /**
   * Claims a resource of the group for `leaseMs` (0 releases) from the group's announcer, which
   * grants it to one member at a time and queues the others (priority, then time).
   */
  async claim (taskId: string, resourceId: string, leaseMs: number, priority = 0): Promise<ClaimView> {
    return await this.#claims.claim(taskId, resourceId, leaseMs, priority)
  }

  /** Who holds a resource now, as the announcer last told this node (at the announcer: as it decides). */
  claimStatus (taskId: string, resourceId: string): ClaimView {
    return this.#claims.claimStatus(taskId, resourceId)
  }

  /** Writes a shared value with the next version; the newer version wins everywhere. */
  async writeData (taskId: string, key: string, value: Json): Promise<{ version: number, applied: boolean }> {
    return await this.#claims.writeData(taskId, key, value)
  }

  readData (taskId: string, key: string): { value: Json, version: number, writer: string } | undefined {
    return this.#claims.readData(taskId, key)
  }

  // ---------------------------------------------------------------------------------------------
  // Escalations (escalation-service.ts)

  /** Hands an issue to a human (through the announcer); returns the escalation's id. */
  async escalate (taskId: string, input: EscalateInput): Promise<{ escalationId: string }> {
    return await this.#escalations.escalate(taskId, input)
  }

  /** Creates an escalation at this node (the task's announcer), stores it and tells the group. */
  raise (input: EscalationInput): EscalationRecord {
    return this.#escalations.raise(input)
  }

  /** Escalations this node keeps, newest first. */
  escalations (filter: { status?: 'open' | 'resolved', taskId?: string } = {}): EscalationRecord[] {
    return this.#escalations.escalations(filter)
  }

  escalation (id: string): EscalationRecord | undefined {
    return this.#escalations.escalation(id)
  }

  /** Records the human's decision on an escalation this node keeps as announcer; the group (if still working) hears it. */
  resolveEscalation (id: string, decision: string): EscalationRecord {
    return this.#escalations.resolve(id, decision)
  }

  // ---------------------------------------------------------------------------------------------
  // Handler context

  /** The group functions a skill handler of this task gets through its context. */
  handlerApi (taskId: string, groupId: string): HandlerGroupApi {
    const live = (): Live => {
      const l = this.#groups.get(groupId)
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
      onVerify: decide => { live().verifyDeciders.push(decide) },
      onProposal: decide => { live().proposalDeciders.push(decide) }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Messages

  /** A message on a group topic, already authorized: handed to the part it is for. */
  #onGossip (live: Live, delivery: GossipDelivery): void {
    const { message, from } = delivery
    const sender = from.toString()
    if (!this.#groups.has(live.session.groupId)) return
    switch (message.type) {
      case 'PROPOSAL': this.#proposals.onProposal(live, message, sender); break
      case 'VOTE': this.#proposals.onVote(live, message, sender); break
      case 'PROPOSAL_DECIDED': this.#proposals.onPublishedDecision(live, message, sender); break
      case 'BLACKBOARD_UPDATE': this.#blackboards.onUpdate(live, message, sender); break
      case 'ESCALATION': this.#escalations.onEscalation(live, message); break
      case 'DATA_WRITE': this.#claims.onDataWrite(live, message, sender); break
      case 'DISSOLVE':
        if (message.body.groupId === live.session.groupId) this.leave(live.session.groupId)
        break
      default:
        break
    }
  }

  async #publish (live: Live, message: SwarmMessage): Promise<void> {
    try {
      await this.#gossip.publish(live.topic, message)
    } catch (err) {
      this.#ctx.log.warn('group message not published', { type: message.type, groupId: live.session.groupId, err })
    }
  }
}
