/**
 * Escalations: issues a working group hands to a human. Pure: records are created and resolved
 * here, stored and moved by the group service. An escalation is raised when a proposal ends
 * without quorum, when a task fails all its retries, or when a member calls `escalate(...)`; it
 * lives at the task's announcer until a human records a decision.
 */
import { z } from 'zod'
import { DescriptionSchema, EscalationSeveritySchema, IdSchema, JsonSchema, PeerIdStringSchema, TimestampSchema } from '@swarm/protocol'
import type { Json } from '@swarm/protocol'

/**
 * Open escalations one task has at most, at its announcer (every source together): beyond it a
 * new one is refused until a human resolves some, so that no member can fill the database.
 */
export const MAX_ESCALATIONS_PER_TASK = 32

/** The size of an escalation's context as it is kept (encoded JSON bytes; 0 without one). Pure. */
export function contextBytes (context: Json | undefined): number {
  return context === undefined ? 0 : Buffer.byteLength(JSON.stringify(context))
}

/** Where an escalation came from. */
const ESCALATION_SOURCES = ['no-quorum', 'retries-exhausted', 'member', 'verification', 'workflow-approval', 'workflow-failure'] as const

export const EscalationRecordSchema = z.object({
  id: IdSchema,
  taskId: IdSchema,
  groupId: IdSchema.optional(),
  /** Peer id of the task's announcer, which keeps the record and takes the decision. */
  announcer: PeerIdStringSchema,
  /** Peer id of whoever raised it (a member, or the announcer itself). */
  raisedBy: PeerIdStringSchema,
  source: z.enum(ESCALATION_SOURCES),
  severity: EscalationSeveritySchema,
  issue: DescriptionSchema.min(1),
  context: JsonSchema.optional(),
  attemptedResolutions: z.array(DescriptionSchema).max(32),
  /** The proposal that ended without quorum, for `no-quorum` and `verification`. */
  proposalId: IdSchema.optional(),
  /** The decisions it takes, when it takes only some (a workflow's approval: approve or reject): a decision starts with one of them. */
  choices: z.array(z.string().min(1).max(32)).min(1).max(8).optional(),
  createdAt: TimestampSchema,
  status: z.enum(['open', 'resolved']),
  /** The human's decision, once resolved. */
  decision: DescriptionSchema.optional(),
  resolvedAt: TimestampSchema.optional()
}).strict()

/** An escalation record. */
export type EscalationRecord = z.infer<typeof EscalationRecordSchema>
export type EscalationSeverity = EscalationRecord['severity']
export type EscalationSource = EscalationRecord['source']

/** What raising an escalation takes. */
export interface EscalationInput {
  taskId: string
  groupId?: string
  announcer: string
  raisedBy: string
  source: EscalationSource
  severity: EscalationSeverity
  issue: string
  context?: Json
  attemptedResolutions?: string[]
  proposalId?: string
  choices?: string[]
}

/** A new open escalation. Throws a zod error for input that does not fit the record. */
export function createEscalation (input: EscalationInput, id: string, now: number): EscalationRecord {
  return EscalationRecordSchema.parse({
    id,
    taskId: input.taskId,
    ...(input.groupId !== undefined ? { groupId: input.groupId } : {}),
    announcer: input.announcer,
    raisedBy: input.raisedBy,
    source: input.source,
    severity: input.severity,
    issue: input.issue.slice(0, 4096),
    ...(input.context !== undefined ? { context: input.context } : {}),
    attemptedResolutions: (input.attemptedResolutions ?? []).slice(0, 32).map(s => s.slice(0, 4096)),
    ...(input.proposalId !== undefined ? { proposalId: input.proposalId } : {}),
    ...(input.choices !== undefined ? { choices: input.choices } : {}),
    createdAt: now,
    status: 'open'
  })
}

/** Why an escalation cannot be resolved. */
export class EscalationStateError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'EscalationStateError'
  }
}

/**
 * The record with the human's decision. An escalation is resolved once: resolving it again
 * throws an {@link EscalationStateError} (the first decision stands). An empty decision throws too.
 */
export function resolveEscalation (record: EscalationRecord, decision: string, now: number): EscalationRecord {
  if (record.status === 'resolved') {
    throw new EscalationStateError(`escalation ${record.id} was already resolved at ${new Date(record.resolvedAt ?? 0).toISOString()} with the decision "${record.decision ?? ''}"`)
  }
  const text = decision.trim()
  if (text === '') throw new EscalationStateError('the decision is empty: say what the group should do')
  if (record.choices !== undefined && decisionChoice(record, text) === undefined) {
    throw new EscalationStateError(`escalation ${record.id} takes one of these decisions: ${record.choices.join(', ')} (optionally followed by a reason, e.g. "${record.choices[0] ?? ''}: looks good")`)
  }
  return { ...record, status: 'resolved', decision: text.slice(0, 4096), resolvedAt: Math.max(now, record.createdAt) }
}

/** The choice a decision starts with (case-insensitive, before any ":" or space); undefined when the record names no choices or none fits. */
export function decisionChoice (record: Pick<EscalationRecord, 'choices'>, decision: string): string | undefined {
  const word = decision.trim().split(/[\s:,]/, 1)[0]?.toLowerCase() ?? ''
  return record.choices?.find(c => c.toLowerCase() === word)
}

/** Severity of a no-quorum proposal: a verification that cannot be decided blocks the task. */
export function severityOfNoQuorum (verification: boolean): EscalationSeverity {
  return verification ? 'high' : 'medium'
}
