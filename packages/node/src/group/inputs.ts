/**
 * What users hand the group layer and what it shows them: the zod schemas of proposals, votes,
 * findings and escalations as users write them (the library, the control API, skill handlers),
 * the views of blackboards and claims, the group events, and the group layer's counters.
 */
import { QuorumPolicySchema } from '@swarm/protocol'
import { z } from 'zod'
import { SwarmError } from '../errors.js'
import type { BlackboardSnapshot } from './blackboard.js'
import type { EscalationRecord } from './escalations.js'
import type { ProposalView } from './group-session.js'
import type { Json, QuorumPolicy } from '@swarm/protocol'

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
  /** This node holds a resource: at once, or when its turn in the queue came. */
  'claim:granted': ClaimGrantedEvent
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
/** A proposal as validated, defaults filled in. */
export type ParsedProposeInput = z.output<typeof ProposeInputSchema>

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

/**
 * Who holds a resource, as the group's announcer (the one authority on claims) last told this
 * node; at the announcer, as it decides.
 */
export interface ClaimView {
  resourceId: string
  /** Whether this node holds it now (its lease has not ended). */
  granted: boolean
  holder?: string
  /** When the holder's lease ends (epoch ms). */
  leaseEndsAt?: number
  /** When another member holds it: how long until its lease ends. */
  retryAfterMs?: number
  /** This node's place in the queue of waiting claimants, 1 = next. */
  position?: number
  /** Set on the answer to a release by a node that neither held nor waited for the resource. */
  refused?: boolean
}

/** What `claim:granted` carries: this node now holds the resource. */
export interface ClaimGrantedEvent {
  taskId: string
  groupId: string
  resourceId: string
  leaseEndsAt: number
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
  /**
   * Decides this member's vote on the verification of the task's result (default: yes if its own
   * part succeeded). The proposal's `params.results` has the group's results (each part's text or
   * JSON, cut to a few KiB). May answer later (a model asked): the vote is cast when it does.
   */
  onVerify: (decide: VerifyDecider) => void
  /**
   * Decides this member's votes on the proposals other members open in the group while it is in
   * it (not the verification): a vote, or undefined to leave it. May answer later.
   */
  onProposal: (decide: ProposalDecider) => void
}

/** A handler's decision of its member's verification vote: undefined leaves it to the others (or the default). */
export type VerifyDecider = (proposal: ProposalView) => VoteInput | undefined | Promise<VoteInput | undefined>

/** A handler's decision of its member's vote on another member's proposal: undefined casts none. */
export type ProposalDecider = (proposal: ProposalView) => VoteInput | undefined | Promise<VoteInput | undefined>

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

/** Counters at zero, for a new service. */
export function newGroupStats (): GroupStats {
  return {
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
}

/** Validates user input; a failure names every bad field (API_BAD_REQUEST). */
export function parseInput<T extends z.ZodType> (schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.map(i => `${i.path.join('.') || '(root)'}: ${i.message}`)
  throw new SwarmError('API_BAD_REQUEST', `invalid ${what}: ${issues.join('; ')}`, { issues })
}
