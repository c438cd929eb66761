/**
 * The tools of the inbox, through which an MCP client does the work of a skill whose handler is
 * `inbox`: `claim_task` (take a waiting part, optionally waiting for one), `report_progress`
 * (which also renews the claim's lease) and `complete_task` (its output, or why it failed).
 */
import { JsonSchema, SkillNameSchema } from '@swarm/protocol'
import { z } from 'zod'
import { keepAlive } from './context.js'
import { ToolInputError, guard, reply } from './results.js'
import { ClaimAnswerSchema, IdSchema, PartEndedSchema, PartProgressSchema } from './schemas.js'
import type { McpContext } from './context.js'
import type { McpServer } from '@modelcontextprotocol/server'

const ClaimIdSchema = z.string().min(1).max(64).optional().describe('the claimId claim_task returned (checked by the node: a stale claim is refused)')

const ClaimInput = z.object({
  skills: z.array(SkillNameSchema).max(64).optional().describe('only parts of these skills (default: any)'),
  waitMs: z.number().int().min(0).max(300_000).default(0).describe('how long to wait for a part when none is waiting (default 0: answer at once)'),
  leaseMs: z.number().int().min(1_000).max(3_600_000).optional().describe('the lease asked for (default: the skill\'s); report_progress renews it'),
  worker: z.string().trim().min(1).max(128).optional().describe('the name the node shows for this worker (default: mcp:<client name>)')
}).strict()

const CompleteInput = z.object({
  partId: IdSchema,
  claimId: ClaimIdSchema,
  output: JsonSchema.optional().describe('the result of the part (any JSON)'),
  error: z.string().trim().min(1).max(4096).optional().describe('instead of output: why the part failed')
}).strict()

const ProgressInput = z.object({
  partId: IdSchema,
  claimId: ClaimIdSchema,
  fraction: z.number().min(0).max(1).optional().describe('how far, 0..1'),
  message: z.string().max(4096).optional(),
  checkpoint: JsonSchema.optional().describe('state to resume from if the part passes to another worker')
}).strict()

export function registerInboxTools (server: McpServer, { client, clientName }: McpContext): void {
  server.registerTool('claim_task', {
    title: 'Claim a task part',
    description: 'Claims a part of a task waiting in the node\'s inbox (work of a skill the node serves through its inbox): its description, input, group and deadline, a claimId and a lease. Then do it and call complete_task (report_progress renews the lease). part is null when none came within waitMs.',
    inputSchema: ClaimInput,
    outputSchema: ClaimAnswerSchema
  }, async ({ skills, waitMs, leaseMs, worker }, ctx) => await guard(async () => {
    const name = worker ?? `mcp:${clientName(ctx) ?? 'client'}`
    const body = { ...(skills !== undefined ? { skills } : {}), worker: name, ...(leaseMs !== undefined ? { leaseMs } : {}), waitMs }
    const stop = keepAlive(ctx, 'an inbox part')
    try {
      const answer = await client.request('POST', '/v1/inbox/claim', ClaimAnswerSchema, body, ctx.mcpReq.signal)
      const { part } = answer
      if (part === null) return reply(`no part waiting${skills !== undefined ? ` for ${skills.join(', ')}` : ''}${waitMs > 0 ? ` within ${waitMs} ms` : ''}`, answer)
      return reply(`claimed part ${part.partId} (${part.skill}) of task ${part.taskId} as ${name}, claim ${part.claimId}, lease until ${new Date(part.leaseEndsAt).toISOString()}: ${part.description}\ninput: ${JSON.stringify(part.input ?? null)}`, answer)
    } finally {
      stop()
    }
  }))

  server.registerTool('complete_task', {
    title: 'Complete a task part',
    description: 'Ends a claimed part: with output, as done (the output goes to the task\'s announcer); with error, as failed. Give exactly one of output and error.',
    inputSchema: CompleteInput,
    outputSchema: PartEndedSchema
  }, async ({ partId, claimId, output, error }) => await guard(async () => {
    if ((output === undefined) === (error === undefined)) throw new ToolInputError('BAD_ARGUMENTS', 'give exactly one of output (the part is done) and error (it failed)')
    const path = `/v1/inbox/${encodeURIComponent(partId)}/${output !== undefined ? 'complete' : 'fail'}`
    const claim = claimId !== undefined ? { claimId } : {}
    const ended = await client.post(path, PartEndedSchema, output !== undefined ? { ...claim, output } : { ...claim, message: error })
    return reply(`part ${ended.partId} of task ${ended.taskId} ${ended.state}`, ended)
  }))

  server.registerTool('report_progress', {
    title: 'Report progress',
    description: 'Tells the task\'s group how far a claimed part is (and a checkpoint to resume from); renews the claim\'s lease.',
    inputSchema: ProgressInput,
    outputSchema: PartProgressSchema
  }, async ({ partId, ...progress }) => await guard(async () => {
    const answer = await client.post(`/v1/inbox/${encodeURIComponent(partId)}/progress`, PartProgressSchema, progress)
    return reply(`progress of part ${answer.partId} noted; lease until ${new Date(answer.leaseEndsAt).toISOString()}`, answer)
  }))
}
