/**
 * Conversion between the rows of the working-group tables (blackboards, proposals,
 * escalations) and their records. Every column read is checked; a row that does not fit raises a
 * {@link SwarmError} `DATA_DIR` naming the file.
 */
import { z } from 'zod'
import type { Json } from '@swarm/protocol'
import { SwarmError } from '../errors.js'
import type { Row } from './codec.js'
import type { StoredBlackboard, StoredEscalation, StoredProposal } from './types.js'

const JsonText = z.string().transform((text, ctx): Json => {
  try {
    return JSON.parse(text) as Json
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not JSON' })
    return z.NEVER
  }
})

const BlackboardRow = z.object({
  task_id: z.string(),
  group_id: z.string(),
  role: z.enum(['announcer', 'member']),
  state: z.instanceof(Uint8Array),
  snapshot: JsonText,
  live: z.number().int(),
  updated_at: z.number().int()
})

const ProposalRow = z.object({
  proposal_id: z.string(),
  task_id: z.string(),
  group_id: z.string(),
  proposal: JsonText,
  votes: JsonText,
  status: z.enum(['open', 'decided', 'closed']),
  tally: JsonText.nullable(),
  opened_at: z.number().int(),
  updated_at: z.number().int()
})

const EscalationRow = z.object({
  escalation_id: z.string(),
  task_id: z.string(),
  group_id: z.string().nullable(),
  record: JsonText,
  status: z.enum(['open', 'resolved']),
  created_at: z.number().int(),
  updated_at: z.number().int()
})

function parseRow<T extends z.ZodType> (file: string, table: string, schema: T, row: Row): z.infer<T> {
  const parsed = schema.safeParse(row)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  throw new SwarmError('DATA_DIR',
    `the store ${file} holds a damaged row in table ${table}: column ${String(issue?.path[0] ?? '?')} ${issue?.message ?? 'is invalid'}; ` +
    'stop the node and move the file aside to start with an empty store',
    { file, table })
}

export function decodeBlackboard (file: string, row: Row): StoredBlackboard {
  const r = parseRow(file, 'blackboards', BlackboardRow, row)
  return { taskId: r.task_id, groupId: r.group_id, role: r.role, state: r.state, snapshot: r.snapshot, live: r.live !== 0, updatedAt: r.updated_at }
}

export function decodeProposal (file: string, row: Row): StoredProposal {
  const r = parseRow(file, 'proposals', ProposalRow, row)
  return {
    proposalId: r.proposal_id,
    taskId: r.task_id,
    groupId: r.group_id,
    proposal: r.proposal,
    votes: r.votes,
    status: r.status,
    ...(r.tally !== null ? { tally: r.tally } : {}),
    openedAt: r.opened_at,
    updatedAt: r.updated_at
  }
}

export function decodeEscalation (file: string, row: Row): StoredEscalation {
  const r = parseRow(file, 'escalations', EscalationRow, row)
  return {
    escalationId: r.escalation_id,
    taskId: r.task_id,
    ...(r.group_id !== null ? { groupId: r.group_id } : {}),
    record: r.record,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at
  }
}
