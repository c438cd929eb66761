/**
 * The tools of tasks: `swarm_status`, `list_agents`, `announce_task` (optionally following the
 * task to its end), `get_task` and `cancel_task`.
 */
import { LIMITS, LevelSchema, PrioritySchema, SkillNameSchema, VerifyPolicySchema } from '@swarm/protocol'
import { TaskSpecSchema } from '@swarm/node'
import { z } from 'zod'
import { CreatedSchema, parseSkillRequirement } from '../commands/announce.js'
import { WAIT_MARGIN_MS } from '../commands/follow.js'
import { AgentsSchema, StatusSchema } from '../commands/inspect.js'
import { OutcomeSchema } from '../commands/task-format.js'
import { CancelledSchema, TaskDetailSchema } from '../commands/tasks.js'
import { keepAlive } from './context.js'
import { ToolInputError, guard, reply } from './results.js'
import { IdSchema } from './schemas.js'
import { awaitTaskEnd } from './wait.js'
import type { McpContext } from './context.js'
import type { TaskEnd } from './wait.js'
import type { McpServer } from '@modelcontextprotocol/server'
import type { TaskSpecInput } from '@swarm/node'

const DEFAULT_DEADLINE_MS = 60_000
const WEEK_MS = 7 * 24 * 3600 * 1000

const AnnounceInput = z.object({
  description: z.string().trim().min(1).max(LIMITS.maxDescriptionChars).describe('what the task is about'),
  skills: z.array(z.string()).min(1).max(LIMITS.maxSkillsPerTask)
    .describe('the skills the task needs, each "name:level[:count]" as in swarm-node announce --skill, e.g. "analytics:advanced" or "review:novice:2" (levels: novice, intermediate, advanced, expert)'),
  input: z.json().optional().describe('the task input (any JSON)'),
  verify: z.union([z.boolean(), VerifyPolicySchema]).optional()
    .describe('before completing, the group votes on the result: true (majority), "majority", "unanimous", "threshold:<fraction>"; false or "none" for no vote (default)'),
  priority: PrioritySchema.optional(),
  deadlineMs: z.number().int().min(100).max(WEEK_MS).optional().describe('time to finish, from now (default 60000)'),
  wait: z.boolean().default(true).describe('follow the task until it ends and return its result (default true); false: return the task id at once'),
  timeoutMs: z.number().int().min(1).max(WEEK_MS + WAIT_MARGIN_MS).optional().describe('with wait, give up waiting after this long (default: the deadline + 10 s); the task goes on')
}).strict()

export const TaskResultSchema = z.object({
  taskId: z.string(),
  status: z.string(),
  /** False when the wait ended before the task (it goes on). */
  finished: z.boolean(),
  ok: z.boolean().optional(),
  output: z.unknown().optional(),
  reason: z.string().optional(),
  outcome: OutcomeSchema.optional()
})

/** The task spec of `announce_task`: skills parsed as `announce --skill` parses them, the whole checked as the node checks it. */
function taskSpec (args: z.infer<typeof AnnounceInput>): TaskSpecInput {
  const skills = args.skills.map(parseSkillRequirement)
  const names = new Set<string>()
  for (const s of skills) {
    if (names.has(s.name)) throw new ToolInputError('BAD_ARGUMENTS', `skill ${s.name} is given twice: ask for several members with name:level:count`)
    names.add(s.name)
  }
  const spec: TaskSpecInput = { description: args.description, skills }
  if (args.input !== undefined) spec.input = args.input
  if (args.priority !== undefined) spec.priority = args.priority
  if (args.deadlineMs !== undefined) spec.deadlineMs = args.deadlineMs
  if (args.verify !== undefined) spec.verify = args.verify === true ? 'majority' : args.verify === false ? 'none' : args.verify
  const parsed = TaskSpecSchema.safeParse(spec)
  if (!parsed.success) throw new ToolInputError('BAD_ARGUMENTS', `invalid task: ${parsed.error.issues.map(i => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`)
  return spec
}

/** The structured result of a task that ended, or of one still going when the wait ended. */
export function taskResult (taskId: string, end: TaskEnd | undefined, status: string): z.infer<typeof TaskResultSchema> {
  if (end === undefined) return { taskId, status, finished: false }
  const reason = end.outcome?.reason
  return {
    taskId,
    status: end.status,
    finished: true,
    ok: end.ok,
    ...(end.outcome?.output !== undefined ? { output: end.outcome.output } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(end.outcome !== undefined ? { outcome: end.outcome } : {})
  }
}

/** One line saying how a task ended (with its output), or that it goes on. */
export function taskResultText (result: z.infer<typeof TaskResultSchema>): string {
  if (!result.finished) return `task ${result.taskId} is still ${result.status}: the wait ended first (see get_task or wait_for task_finished)`
  if (result.ok === true) return `task ${result.taskId} ${result.status}; output: ${JSON.stringify(result.output ?? null)}`
  return `task ${result.taskId} ended ${result.status}${result.reason !== undefined ? `: ${result.reason}` : ''}`
}

export function registerTaskTools (server: McpServer, { client }: McpContext): void {
  server.registerTool('swarm_status', {
    title: 'Node status',
    description: 'The status of the swarm node this server is attached to: its peer id, name, network, connected peers, known agents, skills, load and capacity.',
    inputSchema: z.object({}).strict(),
    outputSchema: StatusSchema,
    annotations: { readOnlyHint: true }
  }, async () => await guard(async () => {
    const s = await client.get('/v1/status', StatusSchema)
    const skills = s.skills.length === 0 ? 'no skills' : `skills ${s.skills.map(k => `${k.name}:${k.level}`).join(', ')}`
    return reply(`${s.name} (${s.peerId}) on network ${s.network}: ${s.peers} peers, ${s.agents} agents known, load ${s.load}/${s.capacity}, ${skills}`, s)
  }))

  server.registerTool('list_agents', {
    title: 'List agents',
    description: 'The agents of the swarm the node knows, with their skills, load and reputation; optionally only those with a skill at a level or above.',
    inputSchema: z.object({
      skill: SkillNameSchema.optional().describe('only agents with this skill'),
      minLevel: LevelSchema.optional().describe('with skill: at this level or above')
    }).strict(),
    outputSchema: AgentsSchema,
    annotations: { readOnlyHint: true }
  }, async ({ skill, minLevel }) => await guard(async () => {
    if (minLevel !== undefined && skill === undefined) throw new ToolInputError('BAD_ARGUMENTS', 'minLevel filters by a skill: give skill too')
    const query = skill === undefined ? '' : `?skill=${encodeURIComponent(skill)}${minLevel !== undefined ? `&minLevel=${minLevel}` : ''}`
    const answer = await client.get(`/v1/agents${query}`, AgentsSchema)
    const lines = answer.agents.map(a => `${a.name}${a.self ? ' (this node)' : ''} ${a.peerId}: ${a.skills.map(k => `${k.name}:${k.level}`).join(', ') || 'no skills'}, load ${a.load}/${a.capacity}`)
    return reply(lines.length === 0 ? (skill === undefined ? 'no agents known' : `no agent has ${skill}`) : lines.join('\n'), answer)
  }))

  server.registerTool('announce_task', {
    title: 'Announce a task',
    description: 'Announces a task to the agents that have its skills; capable agents bid, a working group forms and does it. With wait (the default) follows the task until it ends and returns its result; else returns the task id.',
    inputSchema: AnnounceInput,
    outputSchema: TaskResultSchema
  }, async (args, ctx) => await guard(async () => {
    const spec = taskSpec(args)
    const created = await client.post('/v1/tasks', CreatedSchema, spec)
    if (!args.wait) return reply(`announced task ${created.taskId} (${created.status})`, { taskId: created.taskId, status: created.status, finished: false })
    const stop = keepAlive(ctx, `task ${created.taskId}`)
    try {
      const end = await awaitTaskEnd(client, created.taskId, args.timeoutMs ?? (spec.deadlineMs ?? DEFAULT_DEADLINE_MS) + WAIT_MARGIN_MS, ctx.mcpReq.signal)
      const result = taskResult(created.taskId, end, created.status)
      return reply(taskResultText(result), result)
    } finally {
      stop()
    }
  }))

  server.registerTool('get_task', {
    title: 'Get a task',
    description: 'One task this node announced or worked on: its spec, status, group members, outcome (result) and audit trail.',
    inputSchema: z.object({
      taskId: IdSchema,
      role: z.enum(['announcer', 'member']).optional().describe('which side when the node has both (default: announcer, else member)')
    }).strict(),
    outputSchema: TaskDetailSchema,
    annotations: { readOnlyHint: true }
  }, async ({ taskId, role }) => await guard(async () => {
    const detail = await client.get(`/v1/tasks/${encodeURIComponent(taskId)}${role === undefined ? '' : `?role=${role}`}`, TaskDetailSchema)
    const { task } = detail
    const output = task.outcome?.ok === true ? `; output: ${JSON.stringify(task.outcome.output ?? null)}` : ''
    return reply(`task ${task.taskId} ${task.status} (${task.role}): ${task.summary.description}${output}`, detail)
  }))

  server.registerTool('cancel_task', {
    title: 'Cancel a task',
    description: 'Cancels a task this node announced: its group stops working on it.',
    inputSchema: z.object({ taskId: IdSchema, reason: z.string().min(1).max(256).optional().describe('why (kept in the audit trail)') }).strict(),
    outputSchema: CancelledSchema,
    annotations: { destructiveHint: true }
  }, async ({ taskId, reason }) => await guard(async () => {
    const result = await client.post(`/v1/tasks/${encodeURIComponent(taskId)}/cancel`, CancelledSchema, reason === undefined ? {} : { reason })
    return reply(`task ${result.taskId} ${result.status}${result.reason !== undefined ? `: ${result.reason}` : ''}`, result)
  }))
}
