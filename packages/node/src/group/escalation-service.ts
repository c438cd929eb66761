/**
 * Escalations on the network: a member hands an issue to the task's announcer (ESCALATE over a
 * direct stream), the announcer creates and keeps the record, tells the group (ESCALATION on the
 * group topic) and records the human's decision. The records themselves are made and resolved
 * by the pure {@link createEscalation} and {@link resolveEscalation}.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { createMessage, newId } from '@swarm/protocol'
import { LimitsConfigSchema } from '../config-limits.js'
import { RateLimiter } from '../core/token-bucket.js'
import { SwarmError } from '../errors.js'
import { ESCALATE_TIMEOUT_MS } from './constants.js'
import { EscalationRecordSchema, EscalationStateError, MAX_ESCALATIONS_PER_TASK, contextBytes, createEscalation, resolveEscalation } from './escalations.js'
import { EscalateInputSchema, parseInput } from './inputs.js'
import type { LimitsConfig } from '../config-limits.js'
import type { GroupContext } from './context.js'
import type { EscalationInput, EscalationRecord } from './escalations.js'
import type { EscalateInput } from './inputs.js'
import type { Live } from './live-groups.js'
import type { MessengerPort } from '../ports/messenger.js'
import type { PeerId } from '@libp2p/interface'
import type { MessageOf, SwarmMessage } from '@swarm/protocol'

/** The limits on escalations (config `limits`, see config-limits.ts). */
export type EscalationLimits = Pick<LimitsConfig, 'maxEscalationContextBytes'> & { rates: Pick<LimitsConfig['rates'], 'escalations'> }

/** Escalations refused, by why: over a member's rate, context too large, the task has too many. */
export interface EscalationsLimited {
  escalation: number
  'escalation-context': number
  'escalations-per-task': number
}

/**
 * Escalations of the groups of one node. What one member can make the announcer keep is bounded:
 * its escalations come at most at limits.rates.escalations, each context at most
 * limits.maxEscalationContextBytes, and a task keeps at most MAX_ESCALATIONS_PER_TASK.
 */
export class EscalationService {
  readonly #ctx: GroupContext
  readonly #messenger: MessengerPort
  readonly #limits: EscalationLimits
  readonly #rate: RateLimiter
  readonly limited: EscalationsLimited = { escalation: 0, 'escalation-context': 0, 'escalations-per-task': 0 }

  constructor (ctx: GroupContext, messenger: MessengerPort, limits: EscalationLimits = LimitsConfigSchema.parse({})) {
    this.#ctx = ctx
    this.#messenger = messenger
    this.#limits = limits
    this.#rate = new RateLimiter(limits.rates.escalations)
  }

  /**
   * Hands an issue to a human: at the announcer the record is created at once; a member sends it
   * to the announcer. Returns the escalation's id.
   */
  async escalate (taskId: string, input: EscalateInput): Promise<{ escalationId: string }> {
    const live = this.#ctx.groups.require(taskId)
    const e = parseInput(EscalateInputSchema, input, 'escalation')
    const size = contextBytes(e.context)
    if (size > this.#limits.maxEscalationContextBytes) {
      throw new SwarmError('ESCALATION_STATE', `the escalation's context is ${size} bytes, more than the ${this.#limits.maxEscalationContextBytes} an escalation may carry (limits.maxEscalationContextBytes): put the large data on the blackboard and name it`, { taskId, bytes: size })
    }
    const { session } = live
    const self = this.#ctx.self
    if (session.announcer === self) {
      const record = this.raise({ taskId, groupId: session.groupId, announcer: self, raisedBy: self, source: 'member', severity: e.severity, issue: e.issue, ...(e.context !== undefined ? { context: e.context } : {}), attemptedResolutions: e.attemptedResolutions })
      return { escalationId: record.id }
    }
    const reply = await this.#messenger.request(peerIdFromString(session.announcer), createMessage('ESCALATE', {
      taskId, groupId: session.groupId, severity: e.severity, issue: e.issue, ...(e.context !== undefined ? { context: e.context } : {}), attemptedResolutions: e.attemptedResolutions
    }), { timeoutMs: ESCALATE_TIMEOUT_MS })
    if (reply.type === 'ACK' && typeof reply.body.data === 'object' && reply.body.data !== null && !Array.isArray(reply.body.data) && typeof reply.body.data.escalationId === 'string') {
      return { escalationId: reply.body.data.escalationId }
    }
    throw new SwarmError('ESCALATION_STATE', `the announcer did not take the escalation: ${reply.type === 'ERROR' ? reply.body.message : reply.type}`)
  }

  /**
   * Creates an escalation at this node (the task's announcer), stores it and tells the group.
   * Throws ESCALATION_STATE when the task keeps MAX_ESCALATIONS_PER_TASK already.
   */
  raise (input: EscalationInput): EscalationRecord {
    const ctx = this.#ctx
    if (this.#taskIsFull(input.taskId)) {
      this.limited['escalations-per-task']++
      throw new SwarmError('ESCALATION_STATE', `task ${input.taskId} has ${MAX_ESCALATIONS_PER_TASK} open escalations already: resolve some, or see them with "swarm-node escalations"`, { taskId: input.taskId })
    }
    const record = createEscalation(input, newId(), ctx.clock.now())
    ctx.persistence.saveEscalation(record)
    ctx.stats.escalationsCreated++
    ctx.audit(record.taskId, 'escalation-created', { escalationId: record.id, source: record.source, severity: record.severity, issue: record.issue, ...(record.proposalId !== undefined ? { proposalId: record.proposalId } : {}) })
    ctx.events.emit('escalation:created', record)
    this.#tellGroup(record)
    return record
  }

  /** Whether the task keeps as many open escalations as it may (a human's decision makes room). */
  #taskIsFull (taskId: string): boolean {
    return this.#ctx.persistence.escalations({ taskId, status: 'open', limit: MAX_ESCALATIONS_PER_TASK }).length >= MAX_ESCALATIONS_PER_TASK
  }

  /** Escalations this node keeps, newest first. */
  escalations (filter: { status?: 'open' | 'resolved', taskId?: string } = {}): EscalationRecord[] {
    const out: EscalationRecord[] = []
    for (const stored of this.#ctx.persistence.escalations({ ...filter, limit: 1000 })) {
      const parsed = EscalationRecordSchema.safeParse(stored.record)
      if (parsed.success) out.push(parsed.data)
    }
    return out
  }

  escalation (id: string): EscalationRecord | undefined {
    const stored = this.#ctx.persistence.escalation(id)
    if (stored === undefined) return undefined
    const parsed = EscalationRecordSchema.safeParse(stored.record)
    return parsed.success ? parsed.data : undefined
  }

  /** Records the human's decision on an escalation this node keeps as announcer; the group (if still working) hears it. */
  resolve (id: string, decision: string): EscalationRecord {
    const ctx = this.#ctx
    const record = this.escalation(id)
    if (record === undefined) throw new SwarmError('ESCALATION_NOT_FOUND', `no escalation ${id} on this node: list them with "swarm-node escalations"`, { escalationId: id })
    if (record.announcer !== ctx.self) {
      throw new SwarmError('ESCALATION_STATE', `escalation ${id} is kept by the task's announcer ${record.announcer}: resolve it there`, { escalationId: id, announcer: record.announcer })
    }
    let resolved: EscalationRecord
    try {
      resolved = resolveEscalation(record, decision, ctx.clock.now())
    } catch (err) {
      if (err instanceof EscalationStateError) throw new SwarmError('ESCALATION_STATE', err.message, { escalationId: id })
      throw err
    }
    ctx.persistence.saveEscalation(resolved)
    ctx.stats.escalationsResolved++
    ctx.audit(resolved.taskId, 'escalation-resolved', { escalationId: id, decision: resolved.decision ?? '' })
    ctx.events.emit('escalation:resolved', resolved)
    this.#tellGroup(resolved)
    return resolved
  }

  /** ESCALATION from the announcer: a new record, or one resolved; older news is dropped. */
  onEscalation (live: Live, message: MessageOf<'ESCALATION'>): void {
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
    this.#ctx.persistence.saveEscalation(record)
    if (known === undefined) this.#ctx.events.emit('escalation:created', { ...record, status: 'open' })
    if (record.status === 'resolved') this.#ctx.events.emit('escalation:resolved', record)
  }

  /** ESCALATE: a member of a group this node announces hands it an issue. */
  readonly serveEscalate = (message: MessageOf<'ESCALATE'>, from: PeerId): SwarmMessage => {
    const ctx = this.#ctx
    const sender = from.toString()
    const b = message.body
    const live = ctx.groups.get(b.groupId)
    if (live === undefined || live.session.taskId !== b.taskId || live.session.announcer !== ctx.self) {
      return createMessage('ERROR', { ref: message.id, code: 'UNKNOWN_GROUP', message: 'this node is not the announcer of a working group with that id' })
    }
    if (!live.session.isMember(sender)) return createMessage('ERROR', { ref: message.id, code: 'NOT_A_MEMBER', message: 'only members of the group may escalate its issues' })
    const refusal = this.#refusal(message, sender)
    if (refusal !== undefined) return refusal
    const record = this.raise({ taskId: b.taskId, groupId: b.groupId, announcer: ctx.self, raisedBy: sender, source: 'member', severity: b.severity, issue: b.issue, ...(b.context !== undefined ? { context: b.context } : {}), attemptedResolutions: b.attemptedResolutions })
    return createMessage('ACK', { ref: message.id, data: { escalationId: record.id } })
  }

  /** The ERROR for an ESCALATE over the limits (context size, the member's rate, the task's count), if it is. */
  #refusal (message: MessageOf<'ESCALATE'>, sender: string): SwarmMessage | undefined {
    const ctx = this.#ctx
    const b = message.body
    const size = contextBytes(b.context)
    const max = this.#limits.maxEscalationContextBytes
    let refusal: { kind: keyof EscalationsLimited, error: MessageOf<'ERROR'> } | undefined
    if (size > max) {
      refusal = { kind: 'escalation-context', error: createMessage('ERROR', { ref: message.id, code: 'OVERSIZED', message: `the escalation's context is ${size} bytes, this announcer keeps at most ${max}` }) }
    } else if (!this.#rate.allow(sender, ctx.clock.now())) {
      refusal = { kind: 'escalation', error: createMessage('ERROR', { ref: message.id, code: 'RATE_LIMITED', message: 'too many escalations from this member: wait before the next one' }) }
    } else if (this.#taskIsFull(b.taskId)) {
      refusal = { kind: 'escalations-per-task', error: createMessage('ERROR', { ref: message.id, code: 'RATE_LIMITED', message: `task ${b.taskId} has ${MAX_ESCALATIONS_PER_TASK} open escalations already` }) }
    }
    if (refusal === undefined) return undefined
    this.limited[refusal.kind]++
    ctx.log.debug('escalation refused', { taskId: b.taskId, from: sender, why: refusal.kind })
    return refusal.error
  }

  /** Publishes a record to its group, if the group still works. */
  #tellGroup (record: EscalationRecord): void {
    const live = record.groupId === undefined ? undefined : this.#ctx.groups.get(record.groupId)
    if (live === undefined) return
    live.escalations.set(record.id, record)
    void this.#ctx.publish(live, createMessage('ESCALATION', escalationBody(record)))
  }
}

/** The ESCALATION message body of a record. */
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
