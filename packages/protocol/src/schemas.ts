/**
 * The wire messages: every body schema (by concern, in `messages/`), the signed-envelope schema
 * of each message type, and which types may travel on each kind of channel.
 */
import { z } from 'zod'
import { PROTOCOL_VERSION } from './version.js'
import { IdSchema, TimestampSchema } from './messages/scalars.js'
import { AgentCardBodySchema, DirectoryRequestBodySchema, DirectoryResponseBodySchema, HeartbeatBodySchema } from './messages/directory.js'
import { DissolveBodySchema, HandoffBodySchema, InputRequestBodySchema, InputResponseBodySchema, TaskCancelBodySchema, TaskCompleteBodySchema, TaskStartBodySchema, TaskUpdateBodySchema } from './messages/execution.js'
import { AckBodySchema, BroadcastBodySchema, ErrorBodySchema } from './messages/generic.js'
import { BlackboardUpdateBodySchema, ClaimAnswerBodySchema, ClaimReleaseBodySchema, ClaimRequestBodySchema, DataWriteBodySchema, EscalateBodySchema, EscalationBodySchema, GroupKeyBodySchema, GroupSyncRequestBodySchema, GroupSyncResponseBodySchema, ProposalBodySchema, ProposalDecidedBodySchema, SealedBodySchema, VoteBodySchema } from './messages/group.js'
import { GroupAcceptBodySchema, GroupFormedBodySchema, GroupInviteBodySchema, GroupRejectBodySchema, OfferReleaseBodySchema, SkillOfferBodySchema, TaskAnnounceBodySchema } from './messages/negotiation.js'

export * from './messages/scalars.js'
export * from './messages/directory.js'
export * from './messages/negotiation.js'
export * from './messages/execution.js'
export * from './messages/group.js'
export * from './messages/generic.js'

// ---------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------

/** Every message type and the schema of its body. */
export const BODY_SCHEMAS = {
  AGENT_CARD: AgentCardBodySchema,
  HEARTBEAT: HeartbeatBodySchema,
  TASK_ANNOUNCE: TaskAnnounceBodySchema,
  SKILL_OFFER: SkillOfferBodySchema,
  GROUP_INVITE: GroupInviteBodySchema,
  GROUP_ACCEPT: GroupAcceptBodySchema,
  GROUP_REJECT: GroupRejectBodySchema,
  GROUP_FORMED: GroupFormedBodySchema,
  OFFER_RELEASE: OfferReleaseBodySchema,
  TASK_START: TaskStartBodySchema,
  TASK_UPDATE: TaskUpdateBodySchema,
  TASK_COMPLETE: TaskCompleteBodySchema,
  TASK_CANCEL: TaskCancelBodySchema,
  HANDOFF: HandoffBodySchema,
  DISSOLVE: DissolveBodySchema,
  INPUT_REQUEST: InputRequestBodySchema,
  INPUT_RESPONSE: InputResponseBodySchema,
  DIRECTORY_REQUEST: DirectoryRequestBodySchema,
  DIRECTORY_RESPONSE: DirectoryResponseBodySchema,
  PROPOSAL: ProposalBodySchema,
  VOTE: VoteBodySchema,
  PROPOSAL_DECIDED: ProposalDecidedBodySchema,
  BLACKBOARD_UPDATE: BlackboardUpdateBodySchema,
  GROUP_SYNC_REQUEST: GroupSyncRequestBodySchema,
  GROUP_SYNC_RESPONSE: GroupSyncResponseBodySchema,
  ESCALATE: EscalateBodySchema,
  ESCALATION: EscalationBodySchema,
  CLAIM_REQUEST: ClaimRequestBodySchema,
  CLAIM_RELEASE: ClaimReleaseBodySchema,
  CLAIM_ANSWER: ClaimAnswerBodySchema,
  DATA_WRITE: DataWriteBodySchema,
  SEALED: SealedBodySchema,
  GROUP_KEY: GroupKeyBodySchema,
  ACK: AckBodySchema,
  ERROR: ErrorBodySchema,
  BROADCAST: BroadcastBodySchema
} as const

export type MessageType = keyof typeof BODY_SCHEMAS
export const MESSAGE_TYPES = Object.keys(BODY_SCHEMAS) as MessageType[]

function envelope<T extends MessageType> (type: T): z.ZodObject<{
  v: z.ZodLiteral<typeof PROTOCOL_VERSION>
  id: typeof IdSchema
  ts: typeof TimestampSchema
  type: z.ZodLiteral<T>
  body: (typeof BODY_SCHEMAS)[T]
}, z.core.$strict> {
  return z.object({
    v: z.literal(PROTOCOL_VERSION),
    id: IdSchema,
    ts: TimestampSchema,
    type: z.literal(type),
    body: BODY_SCHEMAS[type]
  }).strict()
}

export const SwarmMessageSchema = z.discriminatedUnion('type', [
  envelope('AGENT_CARD'),
  envelope('HEARTBEAT'),
  envelope('TASK_ANNOUNCE'),
  envelope('SKILL_OFFER'),
  envelope('GROUP_INVITE'),
  envelope('GROUP_ACCEPT'),
  envelope('GROUP_REJECT'),
  envelope('GROUP_FORMED'),
  envelope('OFFER_RELEASE'),
  envelope('TASK_START'),
  envelope('TASK_UPDATE'),
  envelope('TASK_COMPLETE'),
  envelope('TASK_CANCEL'),
  envelope('HANDOFF'),
  envelope('DISSOLVE'),
  envelope('INPUT_REQUEST'),
  envelope('INPUT_RESPONSE'),
  envelope('DIRECTORY_REQUEST'),
  envelope('DIRECTORY_RESPONSE'),
  envelope('PROPOSAL'),
  envelope('VOTE'),
  envelope('PROPOSAL_DECIDED'),
  envelope('BLACKBOARD_UPDATE'),
  envelope('GROUP_SYNC_REQUEST'),
  envelope('GROUP_SYNC_RESPONSE'),
  envelope('ESCALATE'),
  envelope('ESCALATION'),
  envelope('CLAIM_REQUEST'),
  envelope('CLAIM_RELEASE'),
  envelope('CLAIM_ANSWER'),
  envelope('DATA_WRITE'),
  envelope('SEALED'),
  envelope('GROUP_KEY'),
  envelope('ACK'),
  envelope('ERROR'),
  envelope('BROADCAST')
])

export type SwarmMessage = z.infer<typeof SwarmMessageSchema>
export type MessageOf<T extends MessageType> = Extract<SwarmMessage, { type: T }>
export type BodyOf<T extends MessageType> = MessageOf<T>['body']
/** A body as a sender writes it: fields with defaults may be left out. */
export type BodyInput<T extends MessageType> = z.input<(typeof BODY_SCHEMAS)[T]>

/** Which message types may travel on each kind of channel; anything else is rejected. */
export const CHANNEL_MESSAGE_TYPES = {
  agents: ['AGENT_CARD', 'HEARTBEAT'],
  skill: ['TASK_ANNOUNCE', 'TASK_CANCEL'],
  group: ['TASK_UPDATE', 'HEARTBEAT', 'PROPOSAL', 'VOTE', 'PROPOSAL_DECIDED', 'BLACKBOARD_UPDATE', 'ESCALATION', 'DATA_WRITE', 'DISSOLVE', 'BROADCAST', 'HANDOFF', 'SEALED'],
  direct: ['TASK_ANNOUNCE', 'SKILL_OFFER', 'GROUP_INVITE', 'GROUP_ACCEPT', 'GROUP_REJECT', 'GROUP_FORMED', 'OFFER_RELEASE', 'TASK_START', 'TASK_COMPLETE', 'TASK_CANCEL', 'TASK_UPDATE', 'HANDOFF', 'DISSOLVE', 'DIRECTORY_REQUEST', 'DIRECTORY_RESPONSE', 'GROUP_SYNC_REQUEST', 'GROUP_SYNC_RESPONSE', 'ESCALATE', 'CLAIM_REQUEST', 'CLAIM_RELEASE', 'CLAIM_ANSWER', 'GROUP_KEY', 'ACK', 'ERROR'],
  input: ['INPUT_REQUEST', 'INPUT_RESPONSE', 'ERROR']
} as const satisfies Record<string, readonly MessageType[]>
export type Channel = keyof typeof CHANNEL_MESSAGE_TYPES
