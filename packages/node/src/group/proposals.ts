/**
 * Proposals and votes on the network. A member puts a proposal to its group (PROPOSAL), every
 * member counts the signed votes (VOTE) with the same pure tally ({@link GroupSession}), and the
 * proposer publishes its decision (PROPOSAL_DECIDED) for members that missed votes. At the
 * deadline each member decides on its own; a proposal that ends without quorum is escalated by
 * the announcer. The announcer's verification of a task's result is a proposal too.
 */
import { proposalVote, verificationVote } from './member-votes.js'
import { createMessage, newId } from '@swarm/protocol'
import { LimitsConfigSchema } from '../config-limits.js'
import { RateLimiter } from '../core/token-bucket.js'
import { SwarmError } from '../errors.js'
import { severityOfNoQuorum } from './escalations.js'
import { ProposeInputSchema, VoteInputSchema, parseInput } from './inputs.js'
import { buildCertificate, checkVoteSignature, verifyCertificate, verifyProposal } from './vote-certificate.js'
import { OwnVoteSignatures, decisionBody } from './vote-signatures.js'
import type { RateLimit } from '../config-limits.js'
import type { GroupContext } from './context.js'
import type { EscalationService } from './escalation-service.js'
import type { ProposalView } from './group-session.js'
import type { ParsedProposeInput, ProposeInput, VoteInput } from './inputs.js'
import type { Live } from './live-groups.js'
import type { Outcome, Proposal } from './tally.js'
import type { CertificateCheck } from './vote-certificate.js'
import type { VoteSigning } from './vote-signatures.js'
import type { StoredProposal } from '../store/types.js'
import type { Json, MessageOf, QuorumPolicy, VerifyPolicy } from '@swarm/protocol'

/** What `verify` takes: the announcer's request to check a task's aggregated result. */
export interface VerifyRequest {
  taskId: string
  groupId: string
  attempt: number
  policy: VerifyPolicy
  timeoutMs: number
  /** The results to verify, as the members' deciders see them (`params.results`). */
  results?: Json
}

/** How a verification ended (`no-quorum` when the group ended first or does not verify). */
export interface VerifyOutcome {
  outcome: Outcome
  proposalId?: string
  tally?: ProposalView['tally']
}

/** The quorum policy of a `verify` setting. */
export function verifyQuorum (policy: VerifyPolicy): QuorumPolicy {
  if (policy === 'unanimous') return { kind: 'unanimous' }
  if (policy.startsWith('threshold:')) return { kind: 'threshold', fraction: Number(policy.slice('threshold:'.length)) }
  return { kind: 'majority' }
}

export class Proposals {
  readonly #ctx: GroupContext
  readonly #escalations: EscalationService
  /** Proposals taken from each member (limits.rates.proposals); the others are dropped. */
  readonly #rate: RateLimiter
  readonly #signing: VoteSigning
  readonly #ownSigs: OwnVoteSignatures

  constructor (ctx: GroupContext, escalations: EscalationService, signing: VoteSigning, rate: RateLimit = LimitsConfigSchema.parse({}).rates.proposals) {
    this.#ctx = ctx
    this.#escalations = escalations
    this.#rate = new RateLimiter(rate)
    this.#signing = signing
    this.#ownSigs = new OwnVoteSignatures(signing.signer)
  }

  /** Proposals of other members dropped as over their rate so far. */
  get limited (): number {
    return this.#rate.limited
  }

  /** Puts a proposal to the group of `taskId`; the group's current members are its voters. */
  async propose (taskId: string, input: ProposeInput): Promise<ProposalView> {
    const live = this.#ctx.groups.require(taskId)
    const parsed = parseInput(ProposeInputSchema, input, 'proposal')
    return await this.open(live, parsed)
  }

  /** Opens a proposal of this node in a group and publishes it. */
  async open (live: Live, input: ParsedProposeInput): Promise<ProposalView> {
    const { session } = live
    const { clock } = this.#ctx
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
      deadline: clampToTask(live, clock.now() + input.timeoutMs)
    })
    const opened = session.openProposal(proposalOf(message, this.#ctx.self, live), clock.now())
    if (!opened.ok) throw new SwarmError('GROUP_NOT_FOUND', `the proposal could not be opened: ${opened.reason}`)
    this.onOpened(live, opened.view)
    await this.#ctx.publish(live, message)
    return opened.view
  }

  /**
   * Votes on a proposal of a group this node is in. Throws VOTE_REJECTED with the reason. The
   * vote counts here at once; its VOTE goes out once signed.
   */
  vote (proposalId: string, input: VoteInput): ProposalView {
    const ctx = this.#ctx
    const parsed = parseInput(VoteInputSchema, input, 'vote')
    const live = ctx.groups.ofProposal(proposalId)
    if (live === undefined) {
      const stored = ctx.persistence.proposal(proposalId)
      if (stored !== undefined) throw new SwarmError('VOTE_REJECTED', `proposal ${proposalId} is ${stored.status}: its group no longer votes`, { proposalId, reason: 'DECIDED' })
      throw new SwarmError('PROPOSAL_NOT_FOUND', `no open proposal ${proposalId} in a group of this node: list them with "swarm-node proposals" or GET /v1/proposals`, { proposalId })
    }
    const { session } = live
    // A changed vote must be newer than the one it replaces, even within the same millisecond.
    const previous = session.countedVotes(proposalId).find(v => v.voter === ctx.self)
    const ts = Math.max(ctx.clock.now(), (previous?.at ?? 0) + 1)
    const reason = parsed.reason !== undefined ? { reason: parsed.reason } : {}
    const now = ctx.clock.now()
    const result = session.recordVote({ proposalId, voter: ctx.self, choice: parsed.choice, confidence: parsed.confidence, ...reason, at: ts, receivedAt: now }, session.groupId, now)
    if (!result.accepted) {
      throw new SwarmError('VOTE_REJECTED', `vote refused: ${voteRefusalText(result.reason)}`, { proposalId, reason: result.reason })
    }
    ctx.stats.votesAccepted++
    const signing = { groupId: session.groupId, proposalId, choice: parsed.choice, confidence: parsed.confidence, voter: ctx.self, at: ts }
    void this.#ownSigs.sign(signing).then(
      async sig => { await ctx.publish(live, createMessage('VOTE', { proposalId, groupId: session.groupId, choice: parsed.choice, confidence: parsed.confidence, ...reason, sig }, { ts })) },
      (err: unknown) => { ctx.log.warn('vote not signed: it counts here but was not sent', { proposalId, err }) }
    )
    const view = result.decided ?? session.view(proposalId, now)
    if (view === undefined) throw new SwarmError('PROPOSAL_NOT_FOUND', `proposal ${proposalId} left its group while the vote was counted`, { proposalId })
    ctx.persistence.saveProposal(view)
    if (result.decided !== undefined) this.#onDecided(live, result.decided, true)
    return view
  }

  /** A proposal by id: live, recently ended, or from the store. */
  proposal (proposalId: string): ProposalView | undefined {
    const view = this.#ctx.groups.ofProposal(proposalId)?.session.view(proposalId, this.#ctx.clock.now())
    if (view !== undefined) return view
    const stored = this.#ctx.persistence.proposal(proposalId)
    return stored === undefined ? undefined : storedView(stored)
  }

  /**
   * Checks the vote certificate stored with a decided proposal against the group's members as
   * this node knew them (group/vote-certificate.ts); undefined when the proposal is unknown here.
   */
  async verifyStored (proposalId: string): Promise<CertificateCheck | undefined> {
    return await verifyProposal({ getProposal: id => this.#ctx.persistence.proposal(id) }, proposalId, { verify: this.#signing.signer.verify })
  }

  /** Proposals, newest first: every one this node saw (from the store), with live tallies. */
  proposals (taskId?: string, limit = 200): ProposalView[] {
    const byId = new Map<string, ProposalView>()
    for (const stored of this.#ctx.persistence.proposals({ ...(taskId !== undefined ? { taskId } : {}), limit })) {
      byId.set(stored.proposalId, storedView(stored))
    }
    const now = this.#ctx.clock.now()
    for (const live of this.#ctx.groups.values()) {
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
    const live = this.#ctx.groups.ofProposal(proposalId)
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
  async verify (info: VerifyRequest): Promise<VerifyOutcome> {
    const live = this.#ctx.groups.get(info.groupId)
    if (live === undefined || info.policy === 'none') return { outcome: 'no-quorum' }
    const view = await this.open(live, {
      action: `verify the result of task ${info.taskId} (attempt ${info.attempt})`,
      params: { kind: 'verification', attempt: info.attempt, ...(info.results !== undefined ? { results: info.results } : {}) },
      quorum: verifyQuorum(info.policy),
      minParticipation: 0.5,
      timeoutMs: Math.max(100, info.timeoutMs)
    })
    const decided = await this.decision(view.proposalId)
    return { outcome: decided.outcome ?? 'no-quorum', proposalId: view.proposalId, tally: decided.tally }
  }

  /**
   * The group ended: open proposals are decided if their tally is final, closed otherwise, and
   * whoever waits for them is woken.
   */
  closeAll (live: Live): void {
    for (const view of live.session.closeOpen(this.#ctx.clock.now())) {
      if (view.status === 'decided') this.#onDecided(live, view, false)
      else {
        this.#ownSigs.forget(view.proposalId)
        this.#ctx.persistence.saveProposal(view)
        this.#wake(live, view)
      }
    }
  }

  /**
   * PROPOSAL from a participant: opened with its signer as the proposer, its deadline no later
   * than the task's; one over the member's rate (limits.rates.proposals) is dropped.
   */
  onProposal (live: Live, message: MessageOf<'PROPOSAL'>, sender: string): void {
    if (!this.#rate.allow(sender, this.#ctx.clock.now())) {
      this.#ctx.log.debug('proposal dropped: over the member\'s rate', { proposalId: message.body.proposalId, from: sender })
      return
    }
    const opened = live.session.openProposal(proposalOf(message, sender, live), this.#ctx.clock.now())
    if (!opened.ok) {
      if (opened.reason !== 'DUPLICATE') this.#ctx.authorization.refuse(message, opened.reason, sender)
      return
    }
    this.onOpened(live, opened.view)
  }

  /**
   * VOTE: counted for its signer only, once its signature by the signer verifies; a vote whose
   * signature does not is refused (BAD_SIGNATURE) and its sender charged. In time is judged by
   * when it arrived. A vote the ballot would refuse anyway (another group, an unknown proposal,
   * too late) is refused without checking its signature.
   */
  onVote (live: Live, message: MessageOf<'VOTE'>, sender: string): void {
    const receivedAt = this.#ctx.clock.now()
    const b = message.body
    const proposal = live.session.proposal(b.proposalId)
    const early = b.groupId !== live.session.groupId
      ? 'WRONG_GROUP'
      : proposal === undefined ? 'UNKNOWN_PROPOSAL' : Math.max(message.ts, receivedAt) > proposal.deadline ? 'AFTER_DEADLINE' : undefined
    if (early !== undefined) return this.#ctx.authorization.refuse(message, early, sender)
    const signed = { groupId: b.groupId, proposalId: b.proposalId, choice: b.choice, confidence: b.confidence, voter: sender, at: message.ts }
    void checkVoteSignature(this.#signing.signer.verify, signed, b.sig).then(ok => {
      if (!ok) {
        this.#ctx.authorization.refuse(message, 'BAD_SIGNATURE', sender)
        this.#signing.penalize(sender)
        return
      }
      if (this.#ctx.groups.has(live.session.groupId)) this.#countVote(live, message, sender, receivedAt)
    }).catch((err: unknown) => { this.#ctx.log.warn('vote not counted', { proposalId: b.proposalId, err }) })
  }

  #countVote (live: Live, message: MessageOf<'VOTE'>, sender: string, receivedAt: number): void {
    const ctx = this.#ctx
    const b = message.body
    const now = ctx.clock.now()
    const result = live.session.recordVote({ proposalId: b.proposalId, voter: sender, choice: b.choice, confidence: b.confidence, ...(b.reason !== undefined ? { reason: b.reason } : {}), at: message.ts, receivedAt, sig: b.sig }, b.groupId, now)
    if (!result.accepted) {
      ctx.authorization.refuse(message, result.reason, sender)
      return
    }
    ctx.stats.votesAccepted++
    const view = result.decided ?? live.session.view(b.proposalId, now)
    if (view !== undefined) ctx.persistence.saveProposal(view)
    if (result.decided !== undefined) this.#onDecided(live, result.decided, true)
  }

  /**
   * PROPOSAL_DECIDED from the proposer: its vote certificate (the decision, its signed votes and
   * the proposal as this node opened it) is checked first, against the members this node knows;
   * one that does not verify is refused (BAD_CERTIFICATE) and its sender charged. A valid one is
   * adopted where this node has not decided yet, and stored with the proposal where this node
   * decided the same (the group's published record replaces this node's own).
   */
  onPublishedDecision (live: Live, message: MessageOf<'PROPOSAL_DECIDED'>, sender: string): void {
    const ctx = this.#ctx
    const b = message.body
    if (b.groupId !== live.session.groupId) return ctx.authorization.refuse(message, 'WRONG_GROUP', sender)
    const proposal = live.session.proposal(b.proposalId)
    if (proposal === undefined) return ctx.authorization.refuse(message, 'UNKNOWN_PROPOSAL', sender)
    if (proposal.proposer !== sender) return ctx.authorization.refuse(message, 'NOT_PROPOSER', sender)
    const decided = { outcome: b.outcome, for: b.for, against: b.against, abstentions: b.abstentions, eligible: b.eligible, participation: b.participation, weightedConfidence: b.weightedConfidence, decidedAt: b.decidedAt, final: true }
    const certificate = buildCertificate(proposal, decided, b.votes)
    void verifyCertificate(certificate, live.session.knownMembers(), proposal.quorum, this.#signing.signer.verify).then(check => {
      if (!check.ok) {
        ctx.authorization.refuse(message, 'BAD_CERTIFICATE', sender)
        ctx.log.warn('a decision whose vote certificate does not verify was refused', { proposalId: b.proposalId, from: sender, problems: check.problems.slice(0, 3) })
        this.#signing.penalize(sender)
        return
      }
      const result = live.session.adoptDecision(b.proposalId, sender, { outcome: b.outcome, tally: decided })
      if (result.mismatch) {
        ctx.stats.decisionMismatches++
        ctx.log.warn('the proposer decided otherwise than this node', { proposalId: b.proposalId, theirs: b.outcome })
      }
      if (result.adopted !== undefined) this.#onDecided(live, result.adopted, false)
      const view = live.session.view(b.proposalId, ctx.clock.now())
      if (view?.status === 'decided' && view.outcome === b.outcome) ctx.persistence.saveCertificate(view, certificate, live.session.knownMembers(), true)
    }).catch((err: unknown) => { ctx.log.warn('decision not checked', { proposalId: b.proposalId, err }) })
  }

  /** A proposal opened here (this node's, a received one, or one learnt in a sync). */
  onOpened (live: Live, view: ProposalView): void {
    const ctx = this.#ctx
    ctx.stats.proposalsOpened++
    ctx.persistence.saveProposal(view)
    ctx.audit(view.taskId, 'proposal-opened', { proposalId: view.proposalId, proposer: view.proposer, action: view.action.slice(0, 256), quorum: view.quorum, voters: view.voters.length, deadline: view.deadline })
    ctx.events.emit('proposal:opened', view)
    this.#armDeadline(live)
    if (!view.voters.includes(ctx.self) || !live.roles.has('member')) return
    // After the current message is handled, so that the proposal's own events come first.
    if (isVerification(view.params) && view.proposer === live.session.announcer) {
      ctx.clock.setTimeout(() => {
        this.#verificationVote(live, view).catch(err => { ctx.log.warn('verification vote failed', { taskId: view.taskId, err }) })
      }, 0)
    } else if (!isVerification(view.params) && view.proposer !== ctx.self && live.proposalDeciders.length > 0) {
      ctx.clock.setTimeout(() => {
        this.#proposalVote(live, view).catch(err => { ctx.log.warn('proposal vote failed', { taskId: view.taskId, err }) })
      }, 0)
    }
  }

  #onDecided (live: Live, view: ProposalView, publishIfProposer: boolean): void {
    const ctx = this.#ctx
    ctx.stats.proposalsDecided++
    ctx.persistence.saveProposal(view)
    ctx.audit(view.taskId, 'proposal-decided', { proposalId: view.proposalId, outcome: view.outcome ?? 'no-quorum', for: view.tally.for, against: view.tally.against, abstentions: view.tally.abstentions, by: view.decidedBy ?? 'tally' })
    ctx.events.emit('proposal:decided', view)
    this.#wake(live, view)
    if (view.decidedBy === 'proposer') this.#ownSigs.forget(view.proposalId)
    else void this.#certify(live, view, publishIfProposer && view.proposer === ctx.self && !live.session.closed)
    if (view.outcome === 'no-quorum' && live.session.announcer === ctx.self) {
      try {
        this.#escalateNoQuorum(view)
      } catch (err) {
        ctx.log.warn('no-quorum escalation not raised', { proposalId: view.proposalId, err })
      }
    }
    this.#armDeadline(live)
  }

  /**
   * The vote certificate of this node's own decision: stored with the proposal (unless the
   * proposer's came first), and published by the proposer as its PROPOSAL_DECIDED, the signed
   * votes it counted with it.
   */
  async #certify (live: Live, view: ProposalView, publish: boolean): Promise<void> {
    const ctx = this.#ctx
    const proposal = live.session.proposal(view.proposalId)
    if (proposal === undefined || view.outcome === undefined) return
    try {
      const votes = await this.#ownSigs.signedVotes(view.proposalId, live.session.countedVotes(view.proposalId))
      const certificate = buildCertificate(proposal, { ...view.tally, outcome: view.outcome, decidedAt: view.decidedAt ?? ctx.clock.now() }, votes)
      ctx.persistence.saveCertificate(view, certificate, live.session.knownMembers(), false)
      if (publish) await ctx.publish(live, createMessage('PROPOSAL_DECIDED', decisionBody(certificate)))
    } catch (err) {
      ctx.log.warn('no vote certificate for a decided proposal', { proposalId: view.proposalId, err })
    } finally {
      this.#ownSigs.forget(view.proposalId)
    }
  }

  /** A group that could not decide is a human's call: the announcer raises an escalation. */
  #escalateNoQuorum (view: ProposalView): void {
    const self = this.#ctx.self
    const verification = isVerification(view.params)
    const t = view.tally
    this.#escalations.raise({
      taskId: view.taskId,
      groupId: view.groupId,
      announcer: self,
      raisedBy: self,
      source: verification ? 'verification' : 'no-quorum',
      severity: severityOfNoQuorum(verification),
      issue: `the group could not decide "${view.action.slice(0, 200)}": ${t.for + t.against + t.abstentions} of ${t.eligible} voted (${t.for} yes, ${t.against} no, ${t.abstentions} abstained) under ${quorumText(view.quorum)} with ${Math.round(view.minParticipation * 100)}% participation needed`,
      context: { proposalId: view.proposalId, votes: view.votes.map(v => ({ voter: v.voter, choice: v.choice, confidence: v.confidence })) },
      attemptedResolutions: [`vote until ${new Date(view.deadline).toISOString()}`],
      proposalId: view.proposalId
    })
  }

  #wake (live: Live, view: ProposalView): void {
    const waiters = live.waiters.get(view.proposalId)
    if (waiters === undefined) return
    live.waiters.delete(view.proposalId)
    for (const resolve of waiters) resolve(view)
  }

  /** This member's vote on the verification of its task (member-votes.ts), cast if the group is still on. */
  async #verificationVote (live: Live, view: ProposalView): Promise<void> {
    const ctx = this.#ctx
    if (!ctx.groups.has(live.session.groupId)) return
    const vote = await verificationVote(live.verifyDeciders, live.ownResults.values(), view, ctx.log)
    this.#castDecided(live, view, vote)
  }

  /** This member's vote on another member's proposal, when one of its handlers decides it (member-votes.ts). */
  async #proposalVote (live: Live, view: ProposalView): Promise<void> {
    const vote = await proposalVote(live.proposalDeciders, view, this.#ctx.log)
    if (vote !== undefined) this.#castDecided(live, view, vote)
  }

  #castDecided (live: Live, view: ProposalView, vote: VoteInput): void {
    const ctx = this.#ctx
    if (!ctx.groups.has(live.session.groupId)) return
    try {
      this.vote(view.proposalId, vote)
    } catch (err) {
      ctx.log.info('decided vote not cast', { taskId: view.taskId, proposalId: view.proposalId, err })
    }
  }

  /**
   * Arms the timer of the group's next deadline. The clock clamps a delay beyond what timers
   * take; a timer that fires before the deadline decides nothing and re-arms for the rest.
   */
  #armDeadline (live: Live): void {
    const { clock, groups } = this.#ctx
    clock.clearTimeout(live.deadlineTimer)
    live.deadlineTimer = undefined
    const next = live.session.nextDeadline()
    if (next === undefined || groups.stopped) return
    live.deadlineTimer = clock.setTimeout(() => {
      live.deadlineTimer = undefined
      if (!groups.has(live.session.groupId)) return
      for (const view of live.session.decideDue(clock.now())) this.#onDecided(live, view, true)
      this.#armDeadline(live)
    }, Math.max(0, next - clock.now() + 1))
  }
}

/**
 * A proposal's deadline as the group keeps it: no later than the task's deadline (a member that
 * asks for 30 days gets the task's), when the group knows it. Pure.
 */
export function clampToTask (live: Pick<Live, 'taskDeadline'>, deadline: number): number {
  return live.taskDeadline === undefined ? deadline : Math.min(deadline, live.taskDeadline)
}

/** The pure layer's proposal of a PROPOSAL message, with its authenticated proposer and its deadline clamped to the task's. */
function proposalOf (message: MessageOf<'PROPOSAL'>, proposer: string, live: Pick<Live, 'taskDeadline'>): Proposal {
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
    deadline: clampToTask(live, b.deadline),
    proposer,
    openedAt: message.ts
  }
}

/** A stored proposal as users see it (what is stored beside the view, such as its certificate, left out). */
function storedView (stored: StoredProposal): ProposalView {
  const { certificate: _certificate, groupMembers: _members, ...view } = stored.proposal as unknown as ProposalView & { certificate?: unknown, groupMembers?: unknown }
  return view
}

function isVerification (params: Json | undefined): boolean {
  return typeof params === 'object' && params !== null && !Array.isArray(params) && params.kind === 'verification'
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
