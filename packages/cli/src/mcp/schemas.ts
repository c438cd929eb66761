/**
 * Answers of the control API the MCP tools read that no command reads yet (the inbox, findings,
 * the node's event stream), and the little shapes several tools share. The others come from the
 * command modules that already read them.
 */
import { z } from 'zod'

const GroupMemberSchema = z.object({ peerId: z.string(), skills: z.array(z.string()) }).loose()

/** A part of the inbox as `GET /v1/inbox` lists it. */
export const InboxPartSchema = z.object({
  partId: z.string(),
  taskId: z.string(),
  groupId: z.string(),
  skill: z.string(),
  description: z.string(),
  state: z.string(),
  deadline: z.number(),
  attempt: z.number(),
  enqueuedAt: z.number(),
  members: z.array(GroupMemberSchema),
  worker: z.string().optional(),
  leaseEndsAt: z.number().optional(),
  workflow: z.unknown().optional(),
  hasCheckpoint: z.boolean()
}).loose()
export type InboxPart = z.infer<typeof InboxPartSchema>

/** A claimed part as `POST /v1/inbox/claim` hands it to its worker. */
const InboxClaimSchema = InboxPartSchema.extend({
  claimId: z.string(),
  leaseEndsAt: z.number(),
  input: z.unknown(),
  checkpoint: z.unknown().optional()
}).loose()

export const ClaimAnswerSchema = z.object({ part: InboxClaimSchema.nullable() })
export const InboxListSchema = z.object({ parts: z.array(InboxPartSchema) })

/** What `complete` and `fail` answer. */
export const PartEndedSchema = z.object({ partId: z.string(), taskId: z.string(), state: z.string() }).loose()
/** What `progress` answers. */
export const PartProgressSchema = z.object({ partId: z.string(), leaseEndsAt: z.number() }).loose()

/** What `POST /v1/tasks/:id/findings` answers. */
export const FindingPostedSchema = z.object({ taskId: z.string(), findingId: z.string() }).loose()

/** `inbox:queued` on `GET /v1/events`. */
export const InboxQueuedSchema = z.object({ partId: z.string(), taskId: z.string(), skill: z.string() }).loose()

/** A task or proposal id as a tool takes it. */
export const IdSchema = z.string().trim().min(1).max(128)
