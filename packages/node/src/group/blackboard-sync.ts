/**
 * The blackboard on the network: local writes go to the group as Yjs updates
 * (BLACKBOARD_UPDATE), updates from members are checked (a member may only add entries of its
 * own) and applied, and a member that joined late or missed messages asks the announcer for
 * what it lacks (GROUP_SYNC_REQUEST with its state vector: the blackboard's missing part and the
 * open proposals). Also the blackboard calls of users and skill handlers.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_BLACKBOARD_BASE64_CHARS, createMessage } from '@swarm/protocol'
import { SwarmError } from '../errors.js'
import { Blackboard, BlackboardError } from './blackboard.js'
import { hypothesisConfidence } from './confidence.js'
import { SYNC_TIMEOUT_MS } from './constants.js'
import { FindingInputSchema, parseInput } from './inputs.js'
import { clampToTask } from './proposals.js'
import type { BlackboardSnapshot, HypothesisStatus } from './blackboard.js'
import type { GroupContext } from './context.js'
import type { BlackboardView, PostFindingInput } from './inputs.js'
import type { Live } from './live-groups.js'
import type { Proposals } from './proposals.js'
import type { MessengerPort } from '../ports/messenger.js'
import type { PeerId } from '@libp2p/interface'
import type { Json, MessageOf, SwarmMessage } from '@swarm/protocol'

export class BlackboardSync {
  readonly #ctx: GroupContext
  readonly #messenger: MessengerPort
  readonly #proposals: Proposals
  readonly #resyncMs: number

  constructor (ctx: GroupContext, messenger: MessengerPort, proposals: Proposals, resyncMs: number) {
    this.#ctx = ctx
    this.#messenger = messenger
    this.#proposals = proposals
    this.#resyncMs = resyncMs
  }

  /** Posts a finding on the blackboard of the task's group; returns its id. */
  postFinding (taskId: string, input: PostFindingInput): string {
    const live = this.#ctx.groups.require(taskId)
    const f = parseInput(FindingInputSchema, input, 'finding')
    return blackboardCall(() => live.session.blackboard.addFinding({
      kind: f.kind,
      content: f.content,
      confidence: f.confidence,
      ...(f.evidence !== undefined ? { evidence: f.evidence } : {}),
      ...(f.hypothesisId !== undefined ? { hypothesisId: f.hypothesisId } : {}),
      ...(f.supports !== undefined ? { supports: f.supports } : {}),
      ...(f.id !== undefined ? { id: f.id } : {}),
      author: this.#ctx.self,
      at: this.#ctx.clock.now()
    }))
  }

  postHypothesis (taskId: string, statement: string, id?: string): string {
    const live = this.#ctx.groups.require(taskId)
    return blackboardCall(() => live.session.blackboard.addHypothesis({ statement, author: this.#ctx.self, at: this.#ctx.clock.now(), ...(id !== undefined ? { id } : {}) }))
  }

  setHypothesisStatus (taskId: string, hypothesisId: string, status: HypothesisStatus): void {
    const live = this.#ctx.groups.require(taskId)
    blackboardCall(() => { live.session.blackboard.setHypothesisStatus(hypothesisId, status, this.#ctx.self, this.#ctx.clock.now()) })
  }

  recordAction (taskId: string, description: string, result?: Json): string {
    const live = this.#ctx.groups.require(taskId)
    return blackboardCall(() => live.session.blackboard.recordAction({ description, author: this.#ctx.self, at: this.#ctx.clock.now(), ...(result !== undefined ? { result } : {}) }))
  }

  /** The blackboard of a task: the live group's, else the last one stored with the task. */
  blackboard (taskId: string): BlackboardView | undefined {
    const live = this.#ctx.groups.ofTask(taskId)
    if (live !== undefined) return viewOf(taskId, live.session.groupId, true, live.session.blackboard.snapshot())
    const stored = this.#ctx.persistence.lastBlackboard(taskId)
    return stored === undefined ? undefined : viewOf(taskId, stored.groupId, false, stored.snapshot)
  }

  /** Publishes this node's writes to the group; reports every change and stores it soon. */
  watch (live: Live): void {
    const ctx = this.#ctx
    const { session } = live
    live.off.push(session.blackboard.onLocalUpdate(update => { this.#publishUpdate(live, update) }))
    live.off.push(session.blackboard.onChange(change => {
      const snap = session.blackboard.snapshot()
      ctx.events.emit('blackboard:changed', {
        taskId: session.taskId,
        groupId: session.groupId,
        local: change.local,
        from: change.local ? ctx.self : typeof change.origin === 'string' ? change.origin : session.announcer,
        findings: snap.findings.length,
        hypotheses: snap.hypotheses.length,
        actions: snap.actions.length
      })
      ctx.persistence.scheduleSave(live)
    }))
  }

  /**
   * A member that just joined asks the announcer for the group's state now and once more after
   * the resync delay: the first proposals and updates may have gone out before its subscription
   * was known.
   */
  catchUp (live: Live): void {
    void this.#sync(live)
    live.resyncTimer = this.#ctx.clock.setTimeout(() => {
      live.resyncTimer = undefined
      void this.#sync(live)
    }, this.#resyncMs)
  }

  /** BLACKBOARD_UPDATE from a member: applied if it only adds entries of its sender. */
  onUpdate (live: Live, message: MessageOf<'BLACKBOARD_UPDATE'>, sender: string): void {
    const ctx = this.#ctx
    const b = message.body
    if (b.groupId !== live.session.groupId) return ctx.authorization.refuse(message, 'WRONG_GROUP', sender)
    const bytes = fromBase64(b.update)
    try {
      const inspection = Blackboard.inspectUpdate(bytes)
      if (inspection.deletions > 0 || inspection.foreign > 0 || inspection.authors.some(a => a !== sender)) {
        return ctx.authorization.refuse(message, 'FORGED_CONTENT', sender)
      }
      live.session.blackboard.applyUpdate(bytes, sender)
      ctx.stats.blackboardUpdatesApplied++
    } catch (err) {
      ctx.authorization.refuse(message, err instanceof BlackboardError ? err.code : 'INVALID_UPDATE', sender)
    }
  }

  /** GROUP_SYNC_REQUEST: a participant catching up gets the blackboard's missing part and the open proposals. */
  readonly serveSync = (message: MessageOf<'GROUP_SYNC_REQUEST'>, from: PeerId): SwarmMessage => {
    const { taskId, groupId } = message.body
    const live = this.#ctx.groups.get(groupId)
    if (live === undefined || live.session.taskId !== taskId) return createMessage('ERROR', { ref: message.id, code: 'UNKNOWN_GROUP', message: 'no such group here' })
    if (!live.session.isParticipant(from.toString())) return createMessage('ERROR', { ref: message.id, code: 'NOT_A_MEMBER', message: 'only members of the group may read its state' })
    let update: Uint8Array
    try {
      update = live.session.blackboard.encodeDiff(fromBase64(message.body.stateVector))
    } catch (err) {
      return createMessage('ERROR', { ref: message.id, code: 'INVALID_STATE_VECTOR', message: (err as Error).message.slice(0, 1000) })
    }
    this.#ctx.stats.syncsServed++
    const proposals = live.session.openProposals().map(p => ({
      proposal: { proposalId: p.proposalId, taskId: p.taskId, groupId: p.groupId, action: p.action, ...(p.params !== undefined ? { params: p.params } : {}), quorum: p.quorum, minParticipation: p.minParticipation, voters: p.voters, deadline: p.deadline },
      proposer: p.proposer,
      openedAt: p.openedAt
    }))
    return createMessage('GROUP_SYNC_RESPONSE', { taskId, groupId, update: toBase64(update), proposals })
  }

  #publishUpdate (live: Live, update: Uint8Array): void {
    const text = toBase64(update)
    if (text.length > MAX_BLACKBOARD_BASE64_CHARS) {
      // Too large for gossip: the members get it when they next sync.
      this.#ctx.log.warn('blackboard update too large for gossip, left to the next sync', { groupId: live.session.groupId, bytes: update.byteLength })
      return
    }
    void this.#ctx.publish(live, createMessage('BLACKBOARD_UPDATE', { taskId: live.session.taskId, groupId: live.session.groupId, update: text }))
  }

  /** Asks the announcer for what this member lacks: blackboard entries and open proposals. */
  async #sync (live: Live): Promise<void> {
    const ctx = this.#ctx
    const { session } = live
    if (!ctx.groups.has(session.groupId) || session.announcer === ctx.self) return
    try {
      const reply = await this.#messenger.request(peerIdFromString(session.announcer), createMessage('GROUP_SYNC_REQUEST', {
        taskId: session.taskId, groupId: session.groupId, stateVector: toBase64(session.blackboard.encodeStateVector())
      }), { timeoutMs: SYNC_TIMEOUT_MS })
      if (reply.type !== 'GROUP_SYNC_RESPONSE') throw new Error(reply.type === 'ERROR' ? `${reply.body.code}: ${reply.body.message}` : `unexpected ${reply.type}`)
      if (!ctx.groups.has(session.groupId)) return
      const update = fromBase64(reply.body.update)
      if (update.byteLength > 0) session.blackboard.applyUpdate(update, session.announcer)
      for (const open of reply.body.proposals) {
        if (session.hasProposal(open.proposal.proposalId)) continue
        const opened = session.openProposal({ ...open.proposal, deadline: clampToTask(live, open.proposal.deadline), proposer: open.proposer, openedAt: open.openedAt }, ctx.clock.now())
        if (opened.ok) this.#proposals.onOpened(live, opened.view)
      }
      ctx.stats.syncsDone++
    } catch (err) {
      ctx.stats.syncsFailed++
      ctx.log.debug('group sync failed', { groupId: session.groupId, err })
    }
  }
}

function toBase64 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

function fromBase64 (text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'))
}

/** Runs a blackboard call; its refusal (a bad id, an unknown hypothesis) is the caller's mistake. */
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
