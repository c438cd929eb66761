/**
 * Resource claims and versioned shared data on the network.
 *
 * Claims are exclusive: the group's announcer (which already coordinates the group) is their one
 * authority. A member asks it over a direct stream (CLAIM_REQUEST, CLAIM_RELEASE) and gets its
 * decision (CLAIM_ANSWER: granted, queued at a position, released, withdrawn, refused); the
 * announcer keeps the holders, leases and queues in a {@link ClaimQueue}, hands a resource over
 * when its lease ends or its holder releases it, and tells the next holder (a CLAIM_ANSWER of
 * its own). Claims made at the announcer are decided in-process. Members see a claim as the
 * announcer last told them.
 *
 * Shared data needs no authority: a member writes a value with the next version (DATA_WRITE)
 * on the group topic and every member keeps the newest ({@link GroupSession.writeData}).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_CLAIM_LEASE_MS, createMessage } from '@swarm/protocol'
import { SwarmError } from '../errors.js'
import { ClaimQueue } from './claim-queue.js'
import { CLAIM_NOTICE_TIMEOUT_MS, CLAIM_TIMEOUT_MS } from './constants.js'
import type { ClaimDecision, ClaimGrant } from './claim-queue.js'
import type { GroupContext } from './context.js'
import type { ClaimView } from './inputs.js'
import type { Live } from './live-groups.js'
import type { TimerHandle } from '../ports/clock.js'
import type { MessengerPort } from '../ports/messenger.js'
import type { PeerId } from '@libp2p/interface'
import type { BodyOf, Json, MessageOf, SwarmMessage } from '@swarm/protocol'

/** A resource as this node knows it: from the announcer's last answer, or its own table. */
interface KnownClaim {
  holder?: string
  leaseEndsAt?: number
  position?: number
  revision: number
}

/** The claims state of one group on this node. */
interface GroupClaims {
  /** The authority's table: only at the group's announcer. */
  readonly queue?: ClaimQueue
  /** What the announcer last said, by resource (members). */
  readonly known: Map<string, KnownClaim>
  /** The announcer's timer for the next lease end. */
  timer?: TimerHandle
}

type AnswerBody = BodyOf<'CLAIM_ANSWER'>

export class Claims {
  readonly #ctx: GroupContext
  readonly #messenger: MessengerPort
  readonly #groups = new Map<string, GroupClaims>()

  constructor (ctx: GroupContext, messenger: MessengerPort) {
    this.#ctx = ctx
    this.#messenger = messenger
  }

  /**
   * Claims a resource of the group for `leaseMs` (0 releases it), from the announcer. Resolves
   * with the decision as a view: granted, or queued behind the holder at a position; a release
   * by a node that neither holds nor waits for the resource is `refused`.
   */
  async claim (taskId: string, resourceId: string, leaseMs: number, priority = 0): Promise<ClaimView> {
    const live = this.#ctx.groups.require(taskId)
    checkClaimInput(resourceId, leaseMs, priority)
    const self = this.#ctx.self
    const { session } = live
    if (session.announcer === self) {
      const body = this.#decide(live, resourceId, self, leaseMs, Math.trunc(priority))
      return { ...this.claimStatus(taskId, resourceId), ...(body.status === 'refused' ? { refused: true } : {}) }
    }
    const base = { taskId, groupId: session.groupId, resourceId }
    const request = leaseMs === 0
      ? createMessage('CLAIM_RELEASE', base)
      : createMessage('CLAIM_REQUEST', { ...base, leaseMs, priority: Math.trunc(priority) })
    const reply = await this.#messenger.request(peerIdFromString(session.announcer), request, { timeoutMs: CLAIM_TIMEOUT_MS })
    if (reply.type !== 'CLAIM_ANSWER') {
      const why = reply.type === 'ERROR' ? `${reply.body.code}: ${reply.body.message}` : `an unexpected ${reply.type}`
      throw new SwarmError('GROUP_NOT_FOUND', `the announcer of task ${taskId} did not decide the claim on "${resourceId}" (${why}); the group may have ended`, { taskId, resourceId })
    }
    this.#heard(live, reply.body)
    return { ...this.claimStatus(taskId, resourceId), ...(reply.body.status === 'refused' ? { refused: true } : {}) }
  }

  /** Who holds a resource now: at the announcer as it decides, at a member as the announcer last told it. */
  claimStatus (taskId: string, resourceId: string): ClaimView {
    const live = this.#ctx.groups.require(taskId)
    const now = this.#ctx.clock.now()
    const self = this.#ctx.self
    const known = this.#knownAt(live, resourceId, now)
    const active = known?.holder !== undefined && known.leaseEndsAt !== undefined && now < known.leaseEndsAt
    const granted = active && known.holder === self
    return {
      resourceId,
      granted,
      ...(active ? { holder: known.holder, leaseEndsAt: known.leaseEndsAt } : {}),
      ...(active && !granted ? { retryAfterMs: (known.leaseEndsAt ?? now) - now } : {}),
      ...(!granted && known?.position !== undefined ? { position: known.position } : {})
    }
  }

  /** CLAIM_REQUEST from a member of a group this node announces. */
  readonly serveClaimRequest = (message: MessageOf<'CLAIM_REQUEST'>, from: PeerId): SwarmMessage => {
    const b = message.body
    const refusal = this.#refuseRequest(message, from)
    if (refusal !== undefined) return refusal
    const live = this.#ctx.groups.get(b.groupId) as Live
    return createMessage('CLAIM_ANSWER', this.#decide(live, b.resourceId, from.toString(), b.leaseMs, b.priority))
  }

  /** CLAIM_RELEASE from a member of a group this node announces. */
  readonly serveClaimRelease = (message: MessageOf<'CLAIM_RELEASE'>, from: PeerId): SwarmMessage => {
    const refusal = this.#refuseRequest(message, from)
    if (refusal !== undefined) return refusal
    const live = this.#ctx.groups.get(message.body.groupId) as Live
    return createMessage('CLAIM_ANSWER', this.#decide(live, message.body.resourceId, from.toString(), 0, 0))
  }

  /**
   * CLAIM_ANSWER sent on its own by the announcer: this member's turn came. Always ACKed; acted
   * on only when it comes from the group's announcer (others are counted).
   */
  readonly serveClaimAnswer = (message: MessageOf<'CLAIM_ANSWER'>, from: PeerId): SwarmMessage => {
    const live = this.#ctx.groups.get(message.body.groupId)
    if (live !== undefined && live.session.taskId === message.body.taskId) {
      if (from.toString() === live.session.announcer) this.#heard(live, message.body)
      else this.#ctx.authorization.refuse(message, 'NOT_ANNOUNCER', from.toString())
    }
    return createMessage('ACK', { ref: message.id })
  }

  /** The group's members changed: at the announcer, what former members held goes to the next in line. */
  membersChanged (live: Live): void {
    const queue = this.#groups.get(live.session.groupId)?.queue
    if (queue === undefined) return
    const now = this.#ctx.clock.now()
    const grants: ClaimGrant[] = []
    for (const claimant of queue.claimants()) {
      if (!live.session.isParticipant(claimant)) grants.push(...queue.drop(claimant, now))
    }
    this.#granted(live, grants)
  }

  /** This node is the announcer of a group: its claims table, the stored one after a restart. */
  adopt (live: Live): void {
    this.#state(live)
  }

  /**
   * This node left the group: its claims state and timer go, and the stored table with them
   * unless `keepStored` (the node stops with the group still live: a restart resumes it).
   */
  forget (groupId: string, keepStored = false): void {
    const g = this.#groups.get(groupId)
    if (g === undefined) return
    this.#ctx.clock.clearTimeout(g.timer)
    this.#groups.delete(groupId)
    if (g.queue !== undefined && !keepStored) this.#ctx.persistence.deleteClaims(groupId)
  }

  /** Writes a shared value with the next version; the newer version wins everywhere. */
  async writeData (taskId: string, key: string, value: Json): Promise<{ version: number, applied: boolean }> {
    const live = this.#ctx.groups.require(taskId)
    const version = live.session.nextVersion(key)
    const result = live.session.writeData(key, { value, version, writer: this.#ctx.self })
    await this.#ctx.publish(live, createMessage('DATA_WRITE', { taskId, groupId: live.session.groupId, key, version, value }))
    return { version, applied: result?.applied ?? false }
  }

  readData (taskId: string, key: string): { value: Json, version: number, writer: string } | undefined {
    return this.#ctx.groups.require(taskId).session.readData(key)
  }

  /** DATA_WRITE from a member: applied if newer, with its signer as the writer. */
  onDataWrite (live: Live, message: MessageOf<'DATA_WRITE'>, sender: string): void {
    const b = message.body
    if (b.groupId !== live.session.groupId) return this.#ctx.authorization.refuse(message, 'WRONG_GROUP', sender)
    live.session.writeData(b.key, { value: b.value, version: b.version, writer: sender })
  }

  // ---------------------------------------------------------------------------------------------
  // The announcer's side

  /** An ERROR for a claim request this node cannot decide, or undefined when it may. */
  #refuseRequest (message: MessageOf<'CLAIM_REQUEST' | 'CLAIM_RELEASE'>, from: PeerId): SwarmMessage | undefined {
    const b = message.body
    const live = this.#ctx.groups.get(b.groupId)
    if (live === undefined || live.session.taskId !== b.taskId || live.session.announcer !== this.#ctx.self) {
      return createMessage('ERROR', { ref: message.id, code: 'UNKNOWN_GROUP', message: 'this node is not the announcer of a working group with that id' })
    }
    if (!live.session.isParticipant(from.toString())) {
      return createMessage('ERROR', { ref: message.id, code: 'NOT_A_MEMBER', message: 'only members of the group may claim its resources' })
    }
    return undefined
  }

  /** Decides a claim (`leaseMs` > 0) or a release (0) of `claimant`; tells whoever got a resource because of it. */
  #decide (live: Live, resourceId: string, claimant: string, leaseMs: number, priority: number): AnswerBody {
    const queue = this.#state(live).queue
    if (queue === undefined) throw new Error('only the announcer of a group decides its claims')
    const now = this.#ctx.clock.now()
    const { decision, grants } = leaseMs === 0
      ? queue.release(resourceId, claimant, now)
      : queue.claim(resourceId, { claimant, priority, leaseMs }, now)
    this.#auditDecision(live, resourceId, claimant, decision)
    // A refused release changed nothing: the table is not stored again.
    if (decision.status !== 'refused') this.#granted(live, grants)
    if (decision.status === 'granted' && claimant === this.#ctx.self) this.#emitGranted(live, resourceId, decision.holding.leaseEndsAt)
    return this.#answer(live, resourceId, decision.status, claimant)
  }

  /** The CLAIM_ANSWER body of the table's state of a resource, seen by `claimant`. */
  #answer (live: Live, resourceId: string, status: AnswerBody['status'], claimant: string): AnswerBody {
    const queue = this.#state(live).queue ?? new ClaimQueue()
    const now = this.#ctx.clock.now()
    const r = queue.status(resourceId, now)
    const index = r.queue.findIndex(w => w.claimant === claimant)
    return {
      taskId: live.session.taskId,
      groupId: live.session.groupId,
      resourceId,
      status,
      ...(r.holder !== undefined ? { holder: r.holder.holder, leaseEndsAt: r.holder.leaseEndsAt } : {}),
      ...(index >= 0 ? { position: index + 1 } : {}),
      revision: queue.revision
    }
  }

  /** Resources handed over: audited, their new holders told, the lease timer armed again. */
  #granted (live: Live, grants: ClaimGrant[]): void {
    for (const { resourceId, holding } of grants) {
      this.#ctx.audit(live.session.taskId, 'claim-granted', { resourceId, holder: holding.holder, leaseEndsAt: holding.leaseEndsAt, turn: true })
      if (holding.holder === this.#ctx.self) this.#emitGranted(live, resourceId, holding.leaseEndsAt)
      else void this.#tellHolder(live, resourceId, holding.holder)
    }
    this.#arm(live)
  }

  /** Tells a member that its turn came; if the notice is lost the member learns it by asking again. */
  async #tellHolder (live: Live, resourceId: string, holder: string): Promise<void> {
    try {
      await this.#messenger.request(peerIdFromString(holder), createMessage('CLAIM_ANSWER', this.#answer(live, resourceId, 'granted', holder)), { timeoutMs: CLAIM_NOTICE_TIMEOUT_MS })
    } catch (err) {
      this.#ctx.log.debug('claim notice not delivered', { taskId: live.session.taskId, resourceId, holder, err })
    }
  }

  /**
   * After every change of the table: stores it (an announcer that restarts must not grant a
   * resource someone holds), and arms the timer for the next lease end, when the resource goes
   * to the next in line.
   */
  #arm (live: Live): void {
    const g = this.#groups.get(live.session.groupId)
    if (g?.queue === undefined) return
    this.#ctx.persistence.saveClaims(live, g.queue.snapshot())
    const clock = this.#ctx.clock
    clock.clearTimeout(g.timer)
    g.timer = undefined
    const next = g.queue.nextExpiry()
    if (next === undefined || this.#ctx.groups.stopped) return
    g.timer = clock.setTimeout(() => {
      g.timer = undefined
      if (!this.#ctx.groups.has(live.session.groupId) || g.queue === undefined) return
      this.#granted(live, g.queue.expire(clock.now()))
    }, Math.max(0, next - clock.now()))
  }

  #auditDecision (live: Live, resourceId: string, claimant: string, decision: ClaimDecision): void {
    const action = decision.status === 'granted' ? 'claim-granted' : decision.status === 'refused' ? 'claim-release-refused' : `claim-${decision.status}`
    const detail: Record<string, Json> = { resourceId, claimant }
    if (decision.status === 'granted' || decision.status === 'queued') detail.leaseEndsAt = decision.holding.leaseEndsAt
    if (decision.status === 'queued') detail.position = decision.position
    if (decision.status === 'refused' && decision.holding !== undefined) detail.holder = decision.holding.holder
    this.#ctx.audit(live.session.taskId, action, detail)
  }

  #emitGranted (live: Live, resourceId: string, leaseEndsAt: number): void {
    this.#ctx.events.emit('claim:granted', { taskId: live.session.taskId, groupId: live.session.groupId, resourceId, leaseEndsAt })
  }

  // ---------------------------------------------------------------------------------------------
  // What this node knows

  #state (live: Live): GroupClaims {
    const id = live.session.groupId
    let g = this.#groups.get(id)
    if (g === undefined) {
      if (live.session.announcer !== this.#ctx.self) {
        g = { known: new Map() }
        this.#groups.set(id, g)
        return g
      }
      // An announcer that restarted takes up the table it kept (resume.ts rejoins the group).
      const stored = this.#ctx.persistence.loadClaims(id)
      g = { queue: stored !== undefined ? ClaimQueue.restore(stored) : new ClaimQueue(), known: new Map() }
      this.#groups.set(id, g)
      if (stored !== undefined) {
        this.#ctx.audit(live.session.taskId, 'claims-restored', { resources: stored.resources.length })
        this.#arm(live)
      }
    }
    return g
  }

  /** A resource as this node knows it at `now`: the announcer's table, or what it last heard. */
  #knownAt (live: Live, resourceId: string, now: number): KnownClaim | undefined {
    const g = this.#groups.get(live.session.groupId)
    if (g === undefined) return undefined
    if (g.queue === undefined) return g.known.get(resourceId)
    const r = g.queue.status(resourceId, now)
    const index = r.queue.findIndex(w => w.claimant === this.#ctx.self)
    return {
      ...(r.holder !== undefined ? { holder: r.holder.holder, leaseEndsAt: r.holder.leaseEndsAt } : {}),
      ...(index >= 0 ? { position: index + 1 } : {}),
      revision: g.queue.revision
    }
  }

  /** An answer of the announcer: kept unless a newer one (higher revision) came first. */
  #heard (live: Live, b: AnswerBody): void {
    const g = this.#state(live)
    const before = g.known.get(b.resourceId)
    if (before !== undefined && before.revision > b.revision) return
    const holder = b.status === 'released' ? undefined : b.holder
    g.known.set(b.resourceId, {
      ...(holder !== undefined ? { holder } : {}),
      ...(holder !== undefined && b.leaseEndsAt !== undefined ? { leaseEndsAt: b.leaseEndsAt } : {}),
      ...(b.position !== undefined ? { position: b.position } : {}),
      revision: b.revision
    })
    if (b.status === 'granted' && b.holder === this.#ctx.self && b.leaseEndsAt !== undefined) this.#emitGranted(live, b.resourceId, b.leaseEndsAt)
  }
}

/** Refuses, with what to do, a claim the announcer would refuse on the wire. */
function checkClaimInput (resourceId: string, leaseMs: number, priority: number): void {
  if (!(Number.isInteger(leaseMs) && leaseMs >= 0 && leaseMs <= MAX_CLAIM_LEASE_MS)) throw new SwarmError('API_BAD_REQUEST', `leaseMs must be a whole number of milliseconds from 0 to a week, got ${leaseMs}`)
  if (resourceId.length === 0 || resourceId.length > 256) throw new SwarmError('API_BAD_REQUEST', `resourceId must be 1 to 256 characters, got ${resourceId.length}`)
  if (!(Number.isFinite(priority) && Math.trunc(priority) >= -1000 && Math.trunc(priority) <= 1000)) throw new SwarmError('API_BAD_REQUEST', `priority must be a number from -1000 to 1000, got ${priority}`)
}
