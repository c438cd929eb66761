/**
 * The tools of working groups: `join_session` (what a task's group, or a workflow, is and has
 * so far), `post_finding` and `get_findings` (the group's blackboard), `propose_action` and
 * `vote`.
 */
import { ProposeInputSchema, VoteInputSchema } from '@swarm/node'
import { z } from 'zod'
import { ApiError } from '../api-client.js'
import { BlackboardAnswer, ProposalAnswer, ProposalList, ProposalSchema } from '../commands/group.js'
import { TaskDetailSchema } from '../commands/tasks.js'
import { WorkflowDetailSchema } from '../dashboard/schemas.js'
import { ToolInputError, guard, reply } from './results.js'
import { FindingPostedSchema, IdSchema } from './schemas.js'
import type { McpContext } from './context.js'
import type { ApiClient } from '../api-client.js'
import type { McpServer } from '@modelcontextprotocol/server'

const BlackboardSchema = BlackboardAnswer.shape.blackboard
type Blackboard = z.infer<typeof BlackboardSchema>
type Proposal = z.infer<typeof ProposalSchema>

const SessionTaskSchema = z.object({
  taskId: z.string(),
  description: z.string(),
  status: z.string(),
  role: z.string(),
  skills: z.array(z.object({ name: z.string(), minLevel: z.string(), count: z.number() }).loose()),
  groupId: z.string().optional(),
  members: z.array(z.object({ peerId: z.string(), skills: z.array(z.string()) }).loose())
})

const SessionSchema = z.object({
  task: SessionTaskSchema.optional(),
  /** Null until a working group of the task ran on this node. */
  blackboard: BlackboardSchema.nullable().optional(),
  openProposals: z.array(ProposalSchema).optional(),
  workflow: WorkflowDetailSchema.shape.workflow.optional()
})

const FindingInput = z.object({
  taskId: IdSchema,
  kind: z.enum(['observation', 'hypothesis', 'conclusion']).describe('an observation, a hypothesis (others support or refute it), or a conclusion'),
  content: z.string().min(1).max(4096),
  confidence: z.number().min(0).max(1).describe('how sure, 0..1'),
  evidence: z.array(z.string().max(256)).max(16).optional().describe('what it rests on: files, links, ids'),
  hypothesisId: z.string().min(1).max(128).optional().describe('the hypothesis (its finding id) this finding bears on'),
  supports: z.boolean().optional().describe('with hypothesisId: whether it supports (true) or refutes (false) it')
}).strict()

const ProposeToolInput = ProposeInputSchema.extend({
  taskId: IdSchema
}).describe('quorum: majority, unanimous or threshold:<fraction>; minParticipation: fraction of the members that must vote (default 0.5); timeoutMs: time to vote (default 30000)')

const VoteToolInput = VoteInputSchema.extend({ proposalId: IdSchema })

/** The blackboard of a task, or null while no group of it ran here (any 404 of the blackboard). */
async function blackboardOrNull (client: ApiClient, taskId: string): Promise<Blackboard | null> {
  try {
    return (await client.get(`/v1/tasks/${encodeURIComponent(taskId)}/blackboard`, BlackboardAnswer)).blackboard
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null
    throw err
  }
}

function boardText (board: Blackboard): string {
  const lines = [`blackboard of task ${board.taskId} (group ${board.groupId}, ${board.live ? 'working' : 'dissolved'}): ${board.findings.length} findings, ${board.hypotheses.length} hypotheses`]
  for (const f of board.findings) lines.push(`- ${f.kind} ${f.id} (${f.confidence.toFixed(2)}): ${f.content}`)
  for (const h of board.hypotheses) lines.push(`- hypothesis ${h.id} ${h.status}, confidence ${(board.confidence[h.id] ?? 0).toFixed(2)}: ${h.statement}`)
  return lines.join('\n')
}

function proposalText (p: Proposal): string {
  const t = p.tally
  return `proposal ${p.proposalId} on task ${p.taskId} "${p.action}": ${p.status}${p.outcome !== undefined ? ` → ${p.outcome}` : ''}; ${t.for} yes, ${t.against} no, ${t.abstentions} abstain of ${t.eligible}`
}

async function taskSession (client: ApiClient, taskId: string): Promise<z.infer<typeof SessionSchema>> {
  const { task } = await client.get(`/v1/tasks/${encodeURIComponent(taskId)}`, TaskDetailSchema)
  const [blackboard, { proposals }] = await Promise.all([
    blackboardOrNull(client, task.taskId),
    client.get(`/v1/proposals?task=${encodeURIComponent(task.taskId)}`, ProposalList)
  ])
  const groupId = task.outcome?.groupId ?? task.groupId
  return {
    task: {
      taskId: task.taskId,
      description: task.summary.description,
      status: task.status,
      role: task.role,
      skills: task.summary.skills,
      ...(groupId !== undefined ? { groupId } : {}),
      members: task.outcome?.members ?? task.state.members
    },
    blackboard,
    openProposals: proposals.filter(p => p.status === 'open')
  }
}

function sessionText (session: z.infer<typeof SessionSchema>): string {
  const lines: string[] = []
  const { task, blackboard, workflow } = session
  if (task !== undefined) {
    lines.push(`task ${task.taskId} ${task.status} (this node: ${task.role}): ${task.description}`)
    lines.push(`skills: ${task.skills.map(s => `${s.name}:${s.minLevel}`).join(', ')}`)
    lines.push(task.members.length === 0 ? 'no group yet' : `group ${task.groupId ?? ''}: ${task.members.map(m => `${m.peerId} (${m.skills.join(', ')})`).join(', ')}`)
    lines.push(blackboard === null || blackboard === undefined ? 'no blackboard on this node yet' : boardText(blackboard))
    for (const p of session.openProposals ?? []) lines.push(`open ${proposalText(p)}`)
  }
  if (workflow !== undefined) {
    lines.push(`workflow ${workflow.workflowId} "${workflow.name}" ${workflow.status}`)
    for (const step of workflow.steps) lines.push(`- step ${step.id} ${step.status}${step.tasks.length > 0 ? `, tasks ${step.tasks.map(t => t.taskId).join(', ')}` : ''}: ${step.description}`)
  }
  return lines.join('\n')
}

export function registerGroupTools (server: McpServer, { client }: McpContext): void {
  server.registerTool('join_session', {
    title: 'Join a session',
    description: 'What a working session is: for a task, its description, status, skills, group members, blackboard (findings, hypotheses) and open proposals; for a workflow, its steps and their tasks. Give taskId or workflowId.',
    inputSchema: z.object({ taskId: IdSchema.optional(), workflowId: IdSchema.optional() }).strict(),
    outputSchema: SessionSchema,
    annotations: { readOnlyHint: true }
  }, async ({ taskId, workflowId }) => await guard(async () => {
    if ((taskId === undefined) === (workflowId === undefined)) throw new ToolInputError('BAD_ARGUMENTS', 'give either taskId or workflowId')
    const session = taskId !== undefined
      ? await taskSession(client, taskId)
      : { workflow: (await client.get(`/v1/workflows/${encodeURIComponent(workflowId ?? '')}`, WorkflowDetailSchema)).workflow }
    return reply(sessionText(session), session)
  }))

  server.registerTool('post_finding', {
    title: 'Post a finding',
    description: 'Writes a finding on the blackboard of a task\'s working group (the node must be a member or the announcer of the running task): an observation, a hypothesis or a conclusion, with a confidence.',
    inputSchema: FindingInput,
    outputSchema: FindingPostedSchema
  }, async ({ taskId, ...finding }) => await guard(async () => {
    const posted = await client.post(`/v1/tasks/${encodeURIComponent(taskId)}/findings`, FindingPostedSchema, finding)
    return reply(`posted ${finding.kind} ${posted.findingId} on the blackboard of task ${posted.taskId}`, posted)
  }))

  server.registerTool('get_findings', {
    title: 'Get findings',
    description: 'The blackboard of a task\'s working group: its findings, hypotheses (with their aggregated confidence) and actions.',
    inputSchema: z.object({ taskId: IdSchema }).strict(),
    outputSchema: BlackboardSchema,
    annotations: { readOnlyHint: true }
  }, async ({ taskId }) => await guard(async () => {
    const { blackboard } = await client.get(`/v1/tasks/${encodeURIComponent(taskId)}/blackboard`, BlackboardAnswer)
    return reply(boardText(blackboard), blackboard)
  }))

  server.registerTool('propose_action', {
    title: 'Propose an action',
    description: 'Puts a proposal to the working group of a task (the node must be its announcer or a member); the members vote on it. Returns the proposal (see vote, wait_for proposal_decided).',
    inputSchema: ProposeToolInput,
    outputSchema: ProposalSchema
  }, async ({ taskId, ...proposal }) => await guard(async () => {
    const answer = await client.post(`/v1/tasks/${encodeURIComponent(taskId)}/proposals`, ProposalAnswer, proposal)
    return reply(proposalText(answer.proposal), answer.proposal)
  }))

  server.registerTool('vote', {
    title: 'Vote',
    description: 'Votes on a proposal of a group this node is a member of (a later vote replaces an earlier one).',
    inputSchema: VoteToolInput,
    outputSchema: ProposalSchema
  }, async ({ proposalId, ...vote }) => await guard(async () => {
    const answer = await client.post(`/v1/proposals/${encodeURIComponent(proposalId)}/votes`, ProposalAnswer, vote)
    return reply(`voted ${vote.choice}: ${proposalText(answer.proposal)}`, answer.proposal)
  }))
}
