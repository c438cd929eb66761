import { TASK_STATUSES } from '@swarm/node'
import { z } from 'zod'
import { ApiClient, ApiError, resolveApiTarget } from '../api-client.js'
import { CliError, EXIT } from '../exit-codes.js'
import { parseFlag, wholeNumber } from '../flags.js'
import { addApiOptions } from '../options.js'
import { formatMs, table } from '../output.js'
import { durationFlag } from './announce.js'
import { WAIT_MARGIN_MS, followTask } from './follow.js'
import { MemberRecordSchema, OutcomeSchema, PeerNames, memberLines, modelLines, printOutput } from './task-format.js'
import { cancelWorkflow } from './workflows.js'
import type { ApiFlags } from '../api-client.js'
import type { Output } from '../output.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'

export interface TaskListFlags extends ApiFlags {
  role?: string
  status?: string
  limit?: string
  json?: boolean
}

const SkillReqSchema = z.object({ name: z.string(), minLevel: z.string(), count: z.number() }).loose()
const MemberSchema = z.object({ peerId: z.string(), skills: z.array(z.string()) }).loose()

const SummarySchema = z.object({
  taskId: z.string(),
  status: z.string(),
  description: z.string(),
  skills: z.array(SkillReqSchema),
  createdAt: z.number(),
  updatedAt: z.number(),
  finishedAt: z.number().optional(),
  durationMs: z.number(),
  reason: z.string().optional(),
  attempts: z.number(),
  maxAttempts: z.number(),
  members: z.array(MemberSchema),
  announcer: z.string().optional()
}).loose()

export const TaskListSchema = z.object({ tasks: z.array(SummarySchema) })

const AuditSchema = z.object({ seq: z.number().optional(), at: z.number(), actor: z.string(), action: z.string(), detail: z.unknown().optional() }).loose()

export const TaskDetailSchema = z.object({
  task: z.object({
    taskId: z.string(),
    role: z.string(),
    status: z.string(),
    createdAt: z.number(),
    updatedAt: z.number(),
    spec: z.unknown(),
    state: z.object({
      status: z.string(),
      attempt: z.number(),
      maxAttempts: z.number(),
      members: z.array(MemberSchema),
      reason: z.string().optional(),
      history: z.array(z.object({ at: z.number(), from: z.string(), to: z.string(), event: z.string(), reason: z.string().optional() }).loose())
    }).loose(),
    summary: SummarySchema,
    outcome: OutcomeSchema.optional(),
    groupId: z.string().optional(),
    active: z.boolean().optional()
  }).loose(),
  audit: z.array(AuditSchema)
})

function skillsText (skills: Array<z.infer<typeof SkillReqSchema>>): string {
  return skills.map(s => `${s.name}:${s.minLevel}${s.count > 1 ? `:${s.count}` : ''}`).join(', ')
}

function cut (text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

/** `--role announcer|member`: the side of the tasks shown. */
const RoleFlagSchema = z.enum(['announcer', 'member'])

/** The `role` query parameter of `--role`, or nothing without the flag; exit 2 on another word. */
function roleParam (role: string | undefined): 'announcer' | 'member' | undefined {
  if (role === undefined) return undefined
  const parsed = RoleFlagSchema.safeParse(role.trim().toLowerCase())
  if (!parsed.success) throw new CliError(EXIT.USAGE, `invalid --role "${role}": use announcer (tasks this node announced) or member (tasks it worked on in a group)`)
  return parsed.data
}

const StatusFlagSchema = z.string().transform(s => s.split(',').map(x => x.trim().toUpperCase()).filter(x => x !== '')).pipe(z.array(z.enum(TASK_STATUSES)).min(1))

/** `swarm-node tasks`: the tasks this node announced (or, with `--role member`, worked on), newest first. */
async function tasksCommand (flags: TaskListFlags, out: Output): Promise<number> {
  const params = new URLSearchParams()
  const role = roleParam(flags.role)
  if (role !== undefined) params.set('role', role)
  if (flags.status !== undefined) {
    const parsed = StatusFlagSchema.safeParse(flags.status)
    if (!parsed.success) throw new CliError(EXIT.USAGE, `invalid --status "${flags.status}": use ${TASK_STATUSES.join(', ')} (comma-separated for several)`)
    params.set('status', parsed.data.join(','))
  }
  if (flags.limit !== undefined) params.set('limit', String(parseFlag('--limit', flags.limit, wholeNumber(1, 10_000))))
  const client = new ApiClient(resolveApiTarget(flags))
  const query = params.toString()
  const { tasks } = await client.get(`/v1/tasks${query === '' ? '' : `?${query}`}`, TaskListSchema)
  if (flags.json === true) {
    out.json(tasks)
    return EXIT.OK
  }
  if (tasks.length === 0) {
    const none = role === 'member' ? 'no tasks worked on by this node as a group member yet' : 'no tasks announced from this node yet'
    out.line(flags.status === undefined ? none : `no ${flags.status} tasks`)
    return EXIT.OK
  }
  const now = Date.now()
  if (role === 'member') {
    const names = new PeerNames(client)
    await names.refresh()
    out.line(table(['ID', 'STATUS', 'ANNOUNCER', 'DESCRIPTION', 'SKILLS', 'AGE', 'DURATION'], tasks.map(t => [
      t.taskId,
      t.status,
      t.announcer === undefined ? '' : names.label(t.announcer),
      cut(t.description.replace(/\s+/g, ' '), 32),
      t.skills.map(s => s.name).join(', '),
      `${formatMs(Math.max(0, now - t.createdAt))} ago`,
      t.finishedAt === undefined ? `${formatMs(t.durationMs)}…` : formatMs(t.durationMs)
    ])))
    return EXIT.OK
  }
  // A task waiting in the queue says why (every capable agent busy): a WHY column then.
  const why = tasks.some(t => t.status === 'QUEUED')
  out.line(table(['ID', 'STATUS', 'DESCRIPTION', 'SKILLS', 'AGE', 'DURATION', ...(why ? ['WHY'] : [])], tasks.map(t => [
    t.taskId,
    t.status,
    cut(t.description.replace(/\s+/g, ' '), 40),
    skillsText(t.skills),
    `${formatMs(Math.max(0, now - t.createdAt))} ago`,
    t.finishedAt === undefined ? `${formatMs(t.durationMs)}…` : formatMs(t.durationMs),
    ...(why ? [cut(t.reason ?? '', 100)] : [])
  ])))
  return EXIT.OK
}

function rel (at: number, base: number): string {
  const d = at - base
  return d < 0 ? `-${formatMs(-d)}` : `+${formatMs(d)}`
}

function detailText (detail: unknown, names: PeerNames): string {
  if (detail === undefined || detail === null) return ''
  let text = JSON.stringify(detail)
  // Peer ids are long; the names are what people recognise.
  text = text.replace(/12D3KooW[1-9A-HJ-NP-Za-km-z]{44}/g, id => names.label(id))
  return cut(text, 160)
}

/** The timings, errors and result of a task this node announced. */
function printAnnouncedOutcome (task: z.infer<typeof TaskDetailSchema>['task'], base: number, names: PeerNames, out: Output): void {
  const t = task.outcome?.timings
  if (t !== undefined) {
    const parts = [
      t.announcedAt !== undefined ? `announced ${rel(t.announcedAt, base)}` : undefined,
      t.formedAt !== undefined ? `formed ${rel(t.formedAt, base)}` : undefined,
      t.startedAt !== undefined ? `started ${rel(t.startedAt, base)}` : undefined,
      t.finishedAt !== undefined ? `finished ${rel(t.finishedAt, base)}` : undefined
    ].filter(p => p !== undefined)
    out.line(`  timings      ${parts.join(', ')}${t.totalMs !== undefined ? ` (total ${formatMs(t.totalMs)})` : ''}`)
  } else {
    out.line(`  running for  ${formatMs(Date.now() - base)}`)
  }
  if (task.outcome !== undefined) {
    for (const e of task.outcome.errors ?? []) out.line(`  error        ${e.skill} on ${names.label(e.peerId)}: ${e.code} ${e.message}`)
    for (const line of modelLines(task.outcome.bySkill, names)) out.line(line)
    if (task.outcome.ok) printOutput(task.outcome.output, out)
  }
}

/** The flags of `swarm-node task <id>`. */
interface TaskFlags extends ApiFlags {
  json?: boolean
  role?: string
  wait?: boolean
  timeout?: string
}

/** The deadline of an announced task (creation + its spec's `deadlineMs`), when its spec says. */
function deadlineOf (task: z.infer<typeof TaskDetailSchema>['task']): number | undefined {
  const spec = z.object({ deadlineMs: z.number() }).loose().safeParse(task.spec)
  return spec.success ? task.createdAt + spec.data.deadlineMs : undefined
}

/**
 * `swarm-node task <id> --wait`: re-attaches to a task this node announced and follows it until
 * it ends, like `announce --wait` (same lines, same exit codes). A task already final prints its
 * final event and exits at once. Default timeout: the time left to its deadline + 10 s.
 */
async function waitForTask (taskId: string, flags: TaskFlags, out: Output): Promise<number> {
  if (flags.role !== undefined && roleParam(flags.role) !== 'announcer') {
    throw new CliError(EXIT.USAGE, '--wait follows a task this node announced: use it without --role member, on the announcer')
  }
  const explicit = flags.timeout === undefined ? undefined : durationFlag('--timeout', flags.timeout, 1, 7 * 24 * 3600 * 1000 + WAIT_MARGIN_MS)
  const client = new ApiClient(resolveApiTarget(flags))
  // Without a role the node answers with its announcer row, else its member row.
  const { task } = await client.get(`/v1/tasks/${encodeURIComponent(taskId)}`, TaskDetailSchema)
  if (task.role !== 'announcer') {
    const announcer = task.summary.announcer
    throw new CliError(EXIT.FAILURE, `this node worked on task ${task.taskId} as a group member, it did not announce it: run "swarm-node task ${task.taskId} --wait" on its announcer${announcer === undefined ? '' : ` (${announcer})`}`)
  }
  const deadline = deadlineOf(task)
  const timeoutMs = explicit ?? Math.max(0, (deadline ?? Date.now()) - Date.now()) + WAIT_MARGIN_MS
  return await followTask(client, task.taskId, { json: flags.json === true, timeoutMs }, out)
}

/** `swarm-node task <id>`: one task's state, group, timings, result and audit trail. */
async function taskCommand (taskId: string, flags: TaskFlags, out: Output): Promise<number> {
  if (flags.wait === true) return await waitForTask(taskId, flags, out)
  if (flags.timeout !== undefined) throw new CliError(EXIT.USAGE, '--timeout is how long --wait waits: add --wait')
  const role = roleParam(flags.role)
  const client = new ApiClient(resolveApiTarget(flags))
  const detail = await client.get(`/v1/tasks/${encodeURIComponent(taskId)}${role === undefined ? '' : `?role=${role}`}`, TaskDetailSchema)
  if (flags.json === true) {
    out.json(detail)
    return EXIT.OK
  }
  const { task, audit } = detail
  const s = task.summary
  const names = new PeerNames(client)
  await names.refresh()
  const base = task.createdAt
  out.line(`task ${task.taskId}  ${task.status}${task.role === 'member' ? ' (this node was a group member)' : ''}`)
  out.line(`  description  ${s.description}`)
  out.line(`  skills       ${skillsText(s.skills)}`)
  out.line(`  created      ${new Date(base).toISOString()}`)
  out.line(`  attempts     ${task.state.attempt}/${task.state.maxAttempts}`)
  if (task.state.reason !== undefined) out.line(`  reason       ${task.state.reason}`)
  const record = task.role === 'member' ? MemberRecordSchema.safeParse(task.spec) : undefined
  const member = record?.success === true ? record.data : undefined
  if (member !== undefined) for (const line of memberLines(member, base, names)) out.line(line)
  const members = task.outcome?.members ?? task.state.members
  if (members.length > 0) {
    if (member === undefined) out.line(`  group        ${task.outcome?.groupId ?? task.groupId ?? ''}`)
    const rows = table(['MEMBER', 'SKILLS', 'PEER ID'], members.map(m => [names.label(m.peerId), m.skills.join(', '), m.peerId]))
    for (const line of rows.split('\n')) out.line(`    ${line}`)
  }
  // A member row has its own timings and parts (above) and no aggregated result.
  if (member === undefined) printAnnouncedOutcome(task, base, names, out)
  out.line(`audit trail (${audit.length} entries, times from creation):`)
  out.line(table(['TIME', 'BY', 'ACTION', 'DETAIL'], audit.map(a => [rel(a.at, base), names.label(a.actor), a.action, detailText(a.detail, names)])))
  return EXIT.OK
}

export const CancelledSchema = z.object({ taskId: z.string(), status: z.string(), reason: z.string().optional() }).loose()

/** `swarm-node cancel <id>`: cancels a workflow this node runs (when the id is one), else a task this node announced. */
async function cancelCommand (taskId: string, flags: ApiFlags & { json?: boolean, reason?: string }, out: Output): Promise<number> {
  const body: { reason?: string } = {}
  if (flags.reason !== undefined) body.reason = parseFlag('--reason', flags.reason, z.string().min(1).max(256))
  const client = new ApiClient(resolveApiTarget(flags))
  const workflow = await cancelWorkflow(client, taskId, body.reason, flags.json === true, out)
  if (workflow !== undefined) return workflow
  let result: z.infer<typeof CancelledSchema>
  try {
    result = await client.post(`/v1/tasks/${encodeURIComponent(taskId)}/cancel`, CancelledSchema, body)
  } catch (err) {
    if (err instanceof ApiError && err.code === 'TASK_NOT_FOUND') throw new CliError(EXIT.FAILURE, `no task or workflow ${taskId} on this node: see "swarm-node tasks" and "swarm-node workflows"`)
    throw err
  }
  if (flags.json === true) out.json(result)
  else out.line(`task ${result.taskId} ${result.status}${result.reason !== undefined ? `: ${result.reason}` : ''}`)
  return EXIT.OK
}

/** Registers `tasks`, `task` and `cancel`. */
export function registerTasks (program: Command, ctx: CommandContext): void {
  addApiOptions(program.command('tasks').description('list the tasks this node announced (or worked on as a member: --role member), newest first'))
    .option('--role <role>', 'announcer (default: tasks this node announced) or member (tasks it worked on in a group)')
    .option('--status <status>', 'only tasks in this status (comma-separated for several), e.g. COMPLETE, QUEUED or FAILED,REJECTED')
    .option('--limit <n>', 'at most this many (default: 100)')
    .action(async (flags: TaskListFlags) => { await ctx.run(async () => await tasksCommand(flags, ctx.out)) })

  addApiOptions(program.command('task')
    .description('show one task: state, group, timings, result and audit trail; with --wait, follow a task this node announced until it ends')
    .argument('<id>', 'task id'))
    .option('--role <role>', 'announcer or member: which side of the task when this node has both (default: announcer, else member)')
    .option('--wait', 'follow the task (offers, group, progress, results; from its start) until it ends, like announce --wait; the exit code says how it ended')
    .option('--timeout <duration>', 'with --wait, give up waiting after this long (exit 5; default: the time left to its deadline + 10s)')
    .addHelpText('after', `
With --wait the exit code is 0 when the task completed, 4 when it was rejected, 1 when it failed
or was cancelled, 5 on --timeout; a task that already ended prints its final state and exits at
once. --wait follows tasks this node announced (run it on the announcer).

Examples:
  swarm-node task <id>                      # state, group, timings, result, audit trail
  swarm-node task <id> --wait --json        # one JSON object per event until the task ends`)
    .action(async (id: string, flags: TaskFlags) => { await ctx.run(async () => await taskCommand(id, flags, ctx.out)) })

  addApiOptions(program.command('cancel')
    .description('cancel a task this node announced, or a workflow this node runs (its running steps\' tasks are cancelled, the steps not done end cancelled)')
    .argument('<id>', 'task id or workflow id'))
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .action(async (id: string, flags: ApiFlags & { json?: boolean, reason?: string }) => { await ctx.run(async () => await cancelCommand(id, flags, ctx.out)) })
}
