import { readFileSync } from 'node:fs'
import { LEVELS, LIMITS, LevelSchema, PRIORITIES, PrioritySchema, SkillNameSchema, VerifyPolicySchema } from '@swarm/protocol'
import { TaskSpecSchema } from '@swarm/node'
import { z } from 'zod'
import { ApiClient, ApiError, resolveApiTarget } from '../api-client.js'
import { CliError, EXIT } from '../exit-codes.js'
import { collect, parseDuration, parseFlag, wholeNumber } from '../flags.js'
import { addApiOptions } from '../options.js'
import { formatMs } from '../output.js'
import { WAIT_MARGIN_MS, followTask } from './follow.js'
import type { ApiFlags } from '../api-client.js'
import type { Output } from '../output.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'
import type { TaskSpecInput } from '@swarm/node'

export interface AnnounceFlags extends ApiFlags {
  skill?: string[]
  input?: string
  inputJson?: string
  maxGroup?: string
  priority?: string
  deadline?: string
  bidWindow?: string
  retries?: string
  verify?: string
  wait?: boolean
  timeout?: string
  json?: boolean
}

const DEFAULT_DEADLINE_MS = 60_000

/** `name[:level[:count]]` of `announce --skill`. */
export function parseSkillRequirement (value: string): { name: string, minLevel: z.infer<typeof LevelSchema>, count: number } {
  const bad = (why: string): CliError => new CliError(EXIT.USAGE, `invalid --skill "${value}": ${why}; expected name:level[:count], e.g. --skill analytics:advanced or --skill viz:intermediate:2 (levels: ${LEVELS.join(', ')})`)
  const [name = '', level, count, ...rest] = value.split(':')
  if (rest.length > 0) throw bad('too many ":"')
  const parsedName = SkillNameSchema.safeParse(name)
  if (!parsedName.success) throw bad(`the name ${JSON.stringify(name)} must be 1 to 64 characters of a-z 0-9 . _ - starting with a letter or digit`)
  const parsedLevel = LevelSchema.safeParse(level ?? 'novice')
  if (!parsedLevel.success) throw bad(`unknown level ${JSON.stringify(level)}`)
  const parsedCount = z.coerce.number().int().min(1).max(LIMITS.maxGroupSize).safeParse(count ?? '1')
  if (!parsedCount.success || (count !== undefined && !/^\d+$/.test(count))) throw bad(`the count ${JSON.stringify(count)} must be a whole number from 1 to ${LIMITS.maxGroupSize}`)
  return { name: parsedName.data, minLevel: parsedLevel.data, count: parsedCount.data }
}

/** A duration flag checked against a range, with a message in the units the user typed. */
export function durationFlag (flag: string, raw: string, min: number, max: number): number {
  const ms = parseDuration(flag, raw)
  if (ms < min || ms > max) throw new CliError(EXIT.USAGE, `invalid ${flag} "${raw}": must be between ${formatMs(min)} and ${formatMs(max)}`)
  return ms
}

/** The JSON of `--input <file>` (- for standard input) or `--input-json`; undefined without either; exit 2 for both, an unreadable file or bad JSON. */
export function readJsonInput (flags: { input?: string, inputJson?: string }, what: 'task' | 'workflow'): unknown {
  if (flags.input !== undefined && flags.inputJson !== undefined) {
    throw new CliError(EXIT.USAGE, `give the ${what} input with either --input <file> or --input-json <json>, not both`)
  }
  let text: string
  let where: string
  if (flags.input !== undefined) {
    where = flags.input === '-' ? '--input - (standard input)' : `--input file ${flags.input}`
    try {
      text = readFileSync(flags.input === '-' ? 0 : flags.input, 'utf8')
    } catch (err) {
      throw new CliError(EXIT.USAGE, `cannot read ${where}: ${(err as Error).message}`)
    }
  } else if (flags.inputJson !== undefined) {
    where = '--input-json'
    text = flags.inputJson
  } else {
    return undefined
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new CliError(EXIT.USAGE, `${where} is not valid JSON: ${(err as Error).message}`)
  }
}

const FLAG_OF_FIELD: Record<string, string> = {
  description: 'the description',
  skills: '--skill',
  input: '--input',
  maxGroupSize: '--max-group',
  priority: '--priority',
  deadlineMs: '--deadline',
  bidWindowMs: '--bid-window',
  maxAttempts: '--retries',
  verify: '--verify'
}

/** Turns the arguments and flags of `announce` into a task spec; every bad one is EXIT.USAGE naming the flag. */
export function buildTaskSpec (description: string, flags: AnnounceFlags): TaskSpecInput {
  if (description.trim() === '') throw new CliError(EXIT.USAGE, 'the task description is empty: swarm-node announce "<description>" --skill name:level')
  if (description.length > LIMITS.maxDescriptionChars) throw new CliError(EXIT.USAGE, `the task description is ${description.length} characters, the limit is ${LIMITS.maxDescriptionChars}`)
  const skillFlags = flags.skill ?? []
  if (skillFlags.length === 0) throw new CliError(EXIT.USAGE, 'say which skills the task needs with --skill name:level[:count] (repeatable), e.g. --skill analytics:advanced')
  if (skillFlags.length > LIMITS.maxSkillsPerTask) throw new CliError(EXIT.USAGE, `too many --skill flags: a task needs at most ${LIMITS.maxSkillsPerTask} skills`)
  const skills = skillFlags.map(parseSkillRequirement)
  const seen = new Set<string>()
  for (const s of skills) {
    if (seen.has(s.name)) throw new CliError(EXIT.USAGE, `--skill ${s.name} is given twice: ask for several members with name:level:count`)
    seen.add(s.name)
  }
  const spec: TaskSpecInput = { description, skills }
  const input = readJsonInput(flags, 'task')
  if (input !== undefined) spec.input = input as TaskSpecInput['input']
  if (flags.maxGroup !== undefined) spec.maxGroupSize = parseFlag('--max-group', flags.maxGroup, wholeNumber(1, LIMITS.maxGroupSize))
  if (flags.priority !== undefined) {
    const p = PrioritySchema.safeParse(flags.priority)
    if (!p.success) throw new CliError(EXIT.USAGE, `invalid --priority "${flags.priority}": use one of ${PRIORITIES.join(', ')}`)
    spec.priority = p.data
  }
  if (flags.deadline !== undefined) spec.deadlineMs = durationFlag('--deadline', flags.deadline, 100, 7 * 24 * 3600 * 1000)
  if (flags.bidWindow !== undefined) spec.bidWindowMs = durationFlag('--bid-window', flags.bidWindow, 0, 60_000)
  if (flags.retries !== undefined) {
    const retries = parseFlag('--retries', flags.retries, wholeNumber(0, 9))
    spec.maxAttempts = retries + 1
  }
  if (flags.verify !== undefined) {
    const v = VerifyPolicySchema.safeParse(flags.verify)
    if (!v.success) throw new CliError(EXIT.USAGE, `invalid --verify "${flags.verify}": use majority, unanimous, threshold:<fraction> (e.g. threshold:0.6) or none`)
    spec.verify = v.data
  }
  const parsed = TaskSpecSchema.safeParse(spec)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue === undefined ? '' : String(issue.path[0] ?? '')
    throw new CliError(EXIT.USAGE, `invalid ${FLAG_OF_FIELD[field] ?? 'task'}: ${parsed.error.issues.map(i => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`)
  }
  return spec
}

export const CreatedSchema = z.object({ taskId: z.string(), status: z.string() }).loose()

/**
 * `swarm-node announce`: announces a task through the control API of a running node; with
 * `--wait`, follows its events until it ends.
 */
async function announceCommand (description: string, flags: AnnounceFlags, out: Output): Promise<number> {
  const spec = buildTaskSpec(description, flags)
  const deadlineMs = spec.deadlineMs ?? DEFAULT_DEADLINE_MS
  const timeoutMs = flags.timeout === undefined ? deadlineMs + WAIT_MARGIN_MS : durationFlag('--timeout', flags.timeout, 1, 7 * 24 * 3600 * 1000 + WAIT_MARGIN_MS)
  if (flags.timeout !== undefined && flags.wait !== true) throw new CliError(EXIT.USAGE, '--timeout is how long --wait waits: add --wait')
  const client = new ApiClient(resolveApiTarget(flags))
  let created: z.infer<typeof CreatedSchema>
  try {
    created = await client.post('/v1/tasks', CreatedSchema, spec)
  } catch (err) {
    if (err instanceof ApiError && err.code === 'NO_CAPABLE_PEERS') throw new CliError(EXIT.REJECTED, `task rejected: ${err.message}`)
    if (err instanceof ApiError && (err.status === 400)) throw new CliError(EXIT.USAGE, `the node refused the task: ${err.message}`)
    throw err
  }
  const { taskId } = created
  if (flags.wait !== true) {
    if (flags.json === true) out.json({ taskId, status: created.status })
    else out.line(taskId)
    return EXIT.OK
  }
  return await followTask(client, taskId, { json: flags.json === true, timeoutMs }, out)
}

/** Registers `swarm-node announce`. */
export function registerAnnounce (program: Command, ctx: CommandContext): void {
  addApiOptions(program.command('announce')
    .description('announce a task to the agents that have its skills (through a running node)')
    .argument('<description>', 'what the task is about'))
    .option('--skill <name:level[:count]>', 'a skill the task needs, at this level or above, from count members (default 1); repeatable, at least one', collect)
    .option('--input <file>', 'task input: a JSON file (- for standard input)')
    .option('--input-json <json>', 'task input: inline JSON')
    .option('--max-group <n>', 'largest working group (default: one member per required slot)')
    .option('--priority <priority>', 'low, normal, high or critical (default: normal)')
    .option('--deadline <duration>', 'time to finish, from now (default: 60s)')
    .option('--bid-window <duration>', 'how long offers are collected at most (default: 500ms)')
    .option('--retries <n>', 'announce again this many times after a failure (default: 2)')
    .option('--verify <policy>', 'before completing, the group votes on the result: majority, unanimous or threshold:<fraction> (default: none)')
    .option('--wait', 'follow the task (offers, group, progress, results) until it ends; the exit code says how it ended')
    .option('--timeout <duration>', 'with --wait, give up waiting after this long (exit 5; default: the deadline + 10s)')
    .addHelpText('after', `
With --wait the exit code is 0 when the task completed, 4 when it was rejected (nobody could do
it), 1 when it failed or was cancelled, 5 on --timeout. Without --wait it prints the task id.

Examples:
  swarm-node announce "Analyze customer data" --skill analytics:advanced --skill viz:intermediate \\
    --input data.json --wait
  swarm-node announce "Summarize" --skill summarize:novice:2 --input-json '{"text":"..."}' --json`)
    .action(async (description: string, flags: AnnounceFlags) => { await ctx.run(async () => await announceCommand(description, flags, ctx.out)) })
}
