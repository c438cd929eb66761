/**
 * Resource claims and versioned shared data on the network: a member claims a resource for a
 * lease (CLAIM) or writes a value with the next version (DATA_WRITE) on the group topic; every
 * member resolves who holds what with the same pure rules ({@link GroupSession.resolveClaim},
 * {@link GroupSession.writeData}), so they agree without a coordinator.
 */
import { createMessage } from '@swarm/protocol'
import { SwarmError } from '../errors.js'
import type { GroupContext } from './context.js'
import type { ClaimView } from './inputs.js'
import type { Live } from './live-groups.js'
import type { Json, MessageOf } from '@swarm/protocol'

/** Longest claim lease: a week. */
const MAX_LEASE_MS = 7 * 24 * 3600 * 1000

export class Claims {
  readonly #ctx: GroupContext

  constructor (ctx: GroupContext) {
    this.#ctx = ctx
  }

  /** Claims a resource of the group for `leaseMs` (0 releases); returns who holds it now as this node sees it. */
  async claim (taskId: string, resourceId: string, leaseMs: number, priority = 0): Promise<ClaimView> {
    const live = this.#ctx.groups.require(taskId)
    if (!(Number.isInteger(leaseMs) && leaseMs >= 0 && leaseMs <= MAX_LEASE_MS)) throw new SwarmError('API_BAD_REQUEST', `leaseMs must be a whole number of milliseconds from 0 to a week, got ${leaseMs}`)
    const now = this.#ctx.clock.now()
    const claim = live.session.ownClaim(resourceId, leaseMs, Math.trunc(priority), now)
    live.session.recordClaim(claim)
    await this.#ctx.publish(live, createMessage('CLAIM', { taskId, groupId: live.session.groupId, resourceId, priority: claim.priority, claimedAt: now, leaseMs, seq: claim.seq ?? 0 }))
    return this.claimStatus(taskId, resourceId)
  }

  /** Who holds a resource now, as this node sees it. */
  claimStatus (taskId: string, resourceId: string): ClaimView {
    const live = this.#ctx.groups.require(taskId)
    const self = this.#ctx.self
    const r = live.session.resolveClaim(resourceId, this.#ctx.clock.now())
    const mine = r.losers.find(l => l.claim.holder === self)
    return {
      resourceId,
      granted: r.winner?.holder === self,
      ...(r.winner !== undefined ? { holder: r.winner.holder } : {}),
      ...(mine !== undefined ? { retryAfterMs: mine.retryAfterMs } : {})
    }
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

  /** CLAIM from a member: recorded with its signer as the holder. */
  onClaim (live: Live, message: MessageOf<'CLAIM'>, sender: string): void {
    const b = message.body
    if (b.groupId !== live.session.groupId) return this.#ctx.authorization.refuse(message, 'WRONG_GROUP', sender)
    live.session.recordClaim({ resourceId: b.resourceId, holder: sender, priority: b.priority, claimedAt: b.claimedAt, leaseMs: b.leaseMs, seq: b.seq })
  }

  /** DATA_WRITE from a member: applied if newer, with its signer as the writer. */
  onDataWrite (live: Live, message: MessageOf<'DATA_WRITE'>, sender: string): void {
    const b = message.body
    if (b.groupId !== live.session.groupId) return this.#ctx.authorization.refuse(message, 'WRONG_GROUP', sender)
    live.session.writeData(b.key, { value: b.value, version: b.version, writer: sender })
  }
}
