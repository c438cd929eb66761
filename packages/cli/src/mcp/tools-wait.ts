/**
 * `wait_for`: blocks until something happens on the node (a task ends, a proposal is decided,
 * a part waits in the inbox) or the timeout; a timeout is a result saying so, not an error.
 */
import { SkillNameSchema } from '@swarm/protocol'
import { z } from 'zod'
import { keepAlive } from './context.js'
import { ToolInputError, guard, reply } from './results.js'
import { IdSchema } from './schemas.js'
import { awaitInboxPart, awaitProposalDecided, awaitTaskEnd } from './wait.js'
import { taskResult, taskResultText } from './tools-tasks.js'
import type { McpContext } from './context.js'
import type { McpServer } from '@modelcontextprotocol/server'

const EVENTS = ['task_finished', 'proposal_decided', 'inbox_part'] as const

const WaitInput = z.object({
  event: z.enum(EVENTS).describe('task_finished (give taskId), proposal_decided (give proposalId) or inbox_part (a part waits in the inbox; optionally of these skills, of taskId)'),
  taskId: IdSchema.optional(),
  proposalId: IdSchema.optional(),
  skills: z.array(SkillNameSchema).max(64).optional(),
  timeoutMs: z.number().int().min(1).max(600_000).default(60_000).describe('give up after this long (default 60000, at most 600000)')
}).strict()

const WaitResultSchema = z.object({
  event: z.enum(EVENTS),
  timedOut: z.boolean(),
  /** The task's end, the decided proposal, or the waiting part. */
  payload: z.record(z.string(), z.unknown()).optional()
})

export function registerWaitTool (server: McpServer, { client }: McpContext): void {
  server.registerTool('wait_for', {
    title: 'Wait for an event',
    description: 'Waits until a task finishes (its result), a proposal is decided (the proposal with its outcome) or a part waits in the inbox (its ids and skill), or until timeoutMs; timedOut says which.',
    inputSchema: WaitInput,
    outputSchema: WaitResultSchema,
    annotations: { readOnlyHint: true }
  }, async ({ event, taskId, proposalId, skills, timeoutMs }, ctx) => await guard(async () => {
    const signal = ctx.mcpReq.signal
    const stop = keepAlive(ctx, event)
    try {
      if (event === 'task_finished') {
        if (taskId === undefined) throw new ToolInputError('BAD_ARGUMENTS', 'task_finished needs taskId')
        const end = await awaitTaskEnd(client, taskId, timeoutMs, signal)
        const result = taskResult(taskId, end, 'running')
        return end === undefined
          ? reply(`task ${taskId} did not finish within ${timeoutMs} ms`, { event, timedOut: true })
          : reply(taskResultText(result), { event, timedOut: false, payload: result })
      }
      if (event === 'proposal_decided') {
        if (proposalId === undefined) throw new ToolInputError('BAD_ARGUMENTS', 'proposal_decided needs proposalId')
        const proposal = await awaitProposalDecided(client, proposalId, timeoutMs, signal)
        return proposal === undefined
          ? reply(`proposal ${proposalId} was not decided within ${timeoutMs} ms`, { event, timedOut: true })
          : reply(`proposal ${proposal.proposalId} ${proposal.status}${proposal.outcome !== undefined ? ` → ${proposal.outcome}` : ''}`, { event, timedOut: false, payload: proposal })
      }
      const part = await awaitInboxPart(client, { ...(skills !== undefined ? { skills } : {}), ...(taskId !== undefined ? { taskId } : {}) }, timeoutMs, signal)
      return part === undefined
        ? reply(`no part waited in the inbox within ${timeoutMs} ms`, { event, timedOut: true })
        : reply(`part ${part.partId} (${part.skill}) of task ${part.taskId} waits in the inbox: claim it with claim_task`, { event, timedOut: false, payload: part })
    } finally {
      stop()
    }
  }))
}
