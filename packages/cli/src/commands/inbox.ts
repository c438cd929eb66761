/**
 * The inbox commands, for a worker outside the node that pulls the parts of its `inbox` skills:
 * `inbox` (list), `claim`, `progress`, `complete`, `fail`, `release`; and `post-finding`, which
 * writes on the blackboard of a task the node works on. All through the control API.
 */
import { readFileSync } from 'node:fs'
import { SkillNameSchema } from '@swarm/protocol'
import { z } from 'zod'
import { ApiClient, resolveApiTarget } from '../api-client.js'
import { CliError, EXIT } from '../exit-codes.js'
import { collect, parseDuration, parseFlag } from '../flags.js'
import { addApiOptions } from '../options.js'
import { formatMs, table } from '../output.js'
import type { ApiFlags } from '../api-client.js'
import type { CommandContext } from '../options.js'
import type { Output } from '../output.js'
import type { Command } from 'commander'

const PartSchema = z.object({
  partId: z.string(),
  taskId: z.string(),
  groupId: z.string(),
  skill: z.string(),
  description: z.string(),
  state: z.enum(['waiting', 'claimed']),
  deadline: z.number(),
  attempt: z.number(),
  enqueuedAt: z.number(),
  worker: z.string().optional(),
  leaseEndsAt: z.number().optional(),
  hasCheckpoint: z.boolean()
}).loose()
const PartList = z.object({ parts: z.array(PartSchema) })
const ClaimAnswer = z.object({ part: PartSchema.extend({ claimId: z.string(), leaseEndsAt: z.number(), input: z.json(), checkpoint: z.json().optional() }).loose().nullable() })
const ProgressAnswer = z.object({ partId: z.string(), leaseEndsAt: z.number() })
const EndAnswer = z.object({ partId: z.string(), taskId: z.string(), state: z.string() })
const FindingAnswer = z.object({ taskId: z.string(), findingId: z.string() })

const FractionSchema = z.string().trim().regex(/^\d*\.?\d+$/, 'a number from 0 to 1').transform(Number).pipe(z.number().min(0).max(1))
const WorkerSchema = z.string().trim().min(1).max(128)
const StateSchema = z.enum(['waiting', 'claimed'])
const KindSchema = z.enum(['observation', 'hypothesis', 'conclusion'])

/** A duration flag within the API's bounds. */
function boundedDuration (flag: string, value: string, min: number, max: number): number {
  const ms = parseDuration(flag, value)
  if (ms < min || ms > max) throw new CliError(EXIT.USAGE, `invalid ${flag} "${value}": must be from ${formatMs(min)} to ${formatMs(max)}`)
  return ms
}

function jsonFlag (flag: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new CliError(EXIT.USAGE, `invalid ${flag}: not JSON (${(err as Error).message})`)
  }
}

const path = (partId: string, op: string): string => `/v1/inbox/${encodeURIComponent(partId)}/${op}`
const client = (flags: ApiFlags): ApiClient => new ApiClient(resolveApiTarget(flags))

interface ListFlags extends ApiFlags { skill?: string, state?: string, json?: boolean }

/** `swarm-node inbox`: the parts waiting for a worker or claimed by one. */
async function inboxCommand (flags: ListFlags, out: Output): Promise<number> {
  const query = new URLSearchParams()
  if (flags.skill !== undefined) query.set('skill', parseFlag('--skill', flags.skill, SkillNameSchema))
  if (flags.state !== undefined) query.set('state', parseFlag('--state', flags.state, StateSchema))
  const { parts } = await client(flags).get(`/v1/inbox${query.size > 0 ? `?${query.toString()}` : ''}`, PartList)
  if (flags.json === true) {
    out.json(parts)
    return EXIT.OK
  }
  if (parts.length === 0) {
    out.line('the inbox is empty')
    return EXIT.OK
  }
  const now = Date.now()
  out.line(table(['PART', 'TASK', 'SKILL', 'STATE', 'WORKER', 'WAITING', 'DESCRIPTION'], parts.map(p => [
    p.partId, p.taskId, p.skill, p.state, p.worker ?? '-', formatMs(Math.max(0, now - p.enqueuedAt)), p.description.length > 50 ? `${p.description.slice(0, 49)}…` : p.description
  ])))
  return EXIT.OK
}

interface ClaimFlags extends ApiFlags { skill?: string[], wait?: string, lease?: string, worker?: string, json?: boolean }

/** `swarm-node claim`: claims the oldest waiting part (waiting up to --wait for one); exit 5 when none came. */
async function claimCommand (flags: ClaimFlags, out: Output): Promise<number> {
  const skills = (flags.skill ?? []).map(s => parseFlag('--skill', s, SkillNameSchema))
  const body = {
    ...(skills.length > 0 ? { skills } : {}),
    ...(flags.worker !== undefined ? { worker: parseFlag('--worker', flags.worker, WorkerSchema) } : {}),
    ...(flags.lease !== undefined ? { leaseMs: boundedDuration('--lease', flags.lease, 1_000, 3_600_000) } : {}),
    waitMs: flags.wait === undefined ? 0 : boundedDuration('--wait', flags.wait, 0, 300_000)
  }
  const { part } = await client(flags).post('/v1/inbox/claim', ClaimAnswer, body)
  if (part === null) {
    if (flags.json === true) out.json(null)
    else out.line(`no part waiting${skills.length > 0 ? ` for ${skills.join(', ')}` : ''}${body.waitMs > 0 ? ` within ${formatMs(body.waitMs)}` : ''}`)
    return EXIT.TIMEOUT
  }
  if (flags.json === true) {
    out.json(part)
    return EXIT.OK
  }
  out.line(`claimed part ${part.partId} (task ${part.taskId}, skill ${part.skill})`)
  out.line(`  claim       ${part.claimId} (lease ends ${new Date(part.leaseEndsAt).toISOString()}: report progress before then)`)
  out.line(`  description ${part.description}`)
  out.line(`  input       ${JSON.stringify(part.input)}`)
  if (part.checkpoint !== undefined) out.line(`  checkpoint  ${JSON.stringify(part.checkpoint)}`)
  return EXIT.OK
}

interface ClaimIdFlags extends ApiFlags { claim?: string, json?: boolean }

function withClaim (flags: ClaimIdFlags, body: Record<string, unknown>): Record<string, unknown> {
  return flags.claim === undefined ? body : { claimId: flags.claim, ...body }
}

/** `swarm-node progress <partId> <fraction> [message]`: reports progress and renews the lease. */
async function progressCommand (partId: string, fraction: string, message: string | undefined, flags: ClaimIdFlags & { checkpointJson?: string }, out: Output): Promise<number> {
  const body = withClaim(flags, {
    fraction: parseFlag('<fraction>', fraction, FractionSchema),
    ...(message !== undefined ? { message } : {}),
    ...(flags.checkpointJson !== undefined ? { checkpoint: jsonFlag('--checkpoint-json', flags.checkpointJson) } : {})
  })
  const answer = await client(flags).post(path(partId, 'progress'), ProgressAnswer, body)
  if (flags.json === true) out.json(answer)
  else out.line(`progress reported on ${partId}; the lease ends ${new Date(answer.leaseEndsAt).toISOString()}`)
  return EXIT.OK
}

/** `swarm-node complete <partId> --result-json … | --result-file …`: the part's result. */
async function completeCommand (partId: string, flags: ClaimIdFlags & { resultJson?: string, resultFile?: string }, out: Output): Promise<number> {
  if ((flags.resultJson === undefined) === (flags.resultFile === undefined)) throw new CliError(EXIT.USAGE, 'give the result with exactly one of --result-json \'<json>\' or --result-file <file>')
  let text = flags.resultJson
  if (flags.resultFile !== undefined) {
    try {
      text = readFileSync(flags.resultFile, 'utf8')
    } catch (err) {
      throw new CliError(EXIT.USAGE, `cannot read --result-file ${flags.resultFile}: ${(err as Error).message}`)
    }
  }
  const output = jsonFlag(flags.resultFile !== undefined ? '--result-file' : '--result-json', text ?? '')
  return printEnd(await client(flags).post(path(partId, 'complete'), EndAnswer, withClaim(flags, { output })), flags, out)
}

/** `swarm-node fail <partId> --message "…"`. */
async function failCommand (partId: string, flags: ClaimIdFlags & { message?: string }, out: Output): Promise<number> {
  if (flags.message === undefined || flags.message.trim() === '') throw new CliError(EXIT.USAGE, 'say why the part failed with --message "…"')
  return printEnd(await client(flags).post(path(partId, 'fail'), EndAnswer, withClaim(flags, { message: flags.message })), flags, out)
}

/** `swarm-node release <partId>`: lets go of a claimed part (another worker may claim it). */
async function releaseCommand (partId: string, flags: ClaimIdFlags & { reason?: string }, out: Output): Promise<number> {
  return printEnd(await client(flags).post(path(partId, 'release'), EndAnswer, withClaim(flags, flags.reason !== undefined ? { reason: flags.reason } : {})), flags, out)
}

function printEnd (answer: z.infer<typeof EndAnswer>, flags: { json?: boolean }, out: Output): number {
  if (flags.json === true) out.json(answer)
  else out.line(`part ${answer.partId} of task ${answer.taskId}: ${answer.state}`)
  return EXIT.OK
}

interface FindingFlags extends ApiFlags { kind?: string, confidence?: string, evidence?: string[], hypothesis?: string, supports?: boolean, refutes?: boolean, json?: boolean }

/** `swarm-node post-finding <taskId> "<content>"`: a finding on the task's blackboard, signed by the node. */
async function postFindingCommand (taskId: string, content: string, flags: FindingFlags, out: Output): Promise<number> {
  if (content.trim() === '') throw new CliError(EXIT.USAGE, 'the finding is empty: swarm-node post-finding <taskId> "<what you found>"')
  if (flags.supports === true && flags.refutes === true) throw new CliError(EXIT.USAGE, 'give --supports or --refutes, not both')
  if ((flags.supports === true || flags.refutes === true) && flags.hypothesis === undefined) throw new CliError(EXIT.USAGE, '--supports and --refutes need the --hypothesis <id> they bear on')
  if (flags.confidence === undefined) throw new CliError(EXIT.USAGE, 'say how sure the finding is with --confidence <0..1>, e.g. --confidence 0.7')
  const body = {
    kind: parseFlag('--kind', flags.kind ?? 'observation', KindSchema),
    content,
    confidence: parseFlag('--confidence', flags.confidence, FractionSchema),
    ...(flags.evidence !== undefined ? { evidence: flags.evidence } : {}),
    ...(flags.hypothesis !== undefined ? { hypothesisId: flags.hypothesis } : {}),
    ...(flags.supports === true ? { supports: true } : flags.refutes === true ? { supports: false } : {})
  }
  const answer = await client(flags).post(`/v1/tasks/${encodeURIComponent(taskId)}/findings`, FindingAnswer, body)
  if (flags.json === true) out.json(answer)
  else out.line(answer.findingId)
  return EXIT.OK
}

const CLAIM_HELP = `
Prints the part (with --json: the claim as the API gives it, or null) and exits 0; exits 5 when no
part came within --wait. Report progress before the lease ends, or the part goes back to waiting.

Examples:
  swarm-node claim --skill review --wait 30s --lease 2m --worker my-agent --json
  swarm-node progress <partId> 0.5 "halfway" --claim <claimId>
  swarm-node complete <partId> --claim <claimId> --result-json '{"approved":true}'`

/** Registers `inbox`, `claim`, `progress`, `complete`, `fail`, `release` and `post-finding`. */
export function registerInbox (program: Command, ctx: CommandContext): void {
  const run = async (action: () => Promise<number>): Promise<void> => { await ctx.run(action) }
  addApiOptions(program.command('inbox').description('list the parts of this node\'s inbox skills: waiting for a worker, or claimed'))
    .option('--skill <name>', 'only the parts of this skill')
    .option('--state <state>', 'waiting or claimed')
    .action(async (flags: ListFlags) => { await run(async () => await inboxCommand(flags, ctx.out)) })

  addApiOptions(program.command('claim').description('claim the oldest waiting part of the inbox, to work on it outside the node'))
    .option('--skill <name>', 'only parts of this skill, repeatable', collect)
    .option('--wait <duration>', 'wait up to this long for a part when none waits, e.g. 30s (at most 5m; default: answer at once)')
    .option('--lease <duration>', 'how long the claim holds without progress, 1s to 1h (default: the skill\'s leaseMs)')
    .option('--worker <name>', 'a name for this worker, shown in the inbox listing')
    .addHelpText('after', CLAIM_HELP)
    .action(async (flags: ClaimFlags) => { await run(async () => await claimCommand(flags, ctx.out)) })

  addApiOptions(program.command('progress').description('report progress on a claimed part (renews its lease)')
    .argument('<partId>', 'part id').argument('<fraction>', 'how far, 0..1').argument('[message]', 'what is happening'))
    .option('--claim <claimId>', 'the claim id that claim printed (checked when given)')
    .option('--checkpoint-json <json>', 'state to resume from, for a worker that takes the part over')
    .action(async (partId: string, fraction: string, message: string | undefined, flags: ClaimIdFlags & { checkpointJson?: string }) => { await run(async () => await progressCommand(partId, fraction, message, flags, ctx.out)) })

  addApiOptions(program.command('complete').description('complete a claimed part with its result').argument('<partId>', 'part id'))
    .option('--claim <claimId>', 'the claim id that claim printed (checked when given)')
    .option('--result-json <json>', 'the result, as JSON')
    .option('--result-file <file>', 'a file holding the result, as JSON')
    .action(async (partId: string, flags: ClaimIdFlags & { resultJson?: string, resultFile?: string }) => { await run(async () => await completeCommand(partId, flags, ctx.out)) })

  addApiOptions(program.command('fail').description('fail a claimed part (the announcer may retry the task)').argument('<partId>', 'part id'))
    .option('--claim <claimId>', 'the claim id that claim printed (checked when given)')
    .option('--message <text>', 'why it failed')
    .action(async (partId: string, flags: ClaimIdFlags & { message?: string }) => { await run(async () => await failCommand(partId, flags, ctx.out)) })

  addApiOptions(program.command('release').description('let go of a claimed part: it waits for another worker').argument('<partId>', 'part id'))
    .option('--claim <claimId>', 'the claim id that claim printed (checked when given)')
    .option('--reason <text>', 'why (logged)')
    .action(async (partId: string, flags: ClaimIdFlags & { reason?: string }) => { await run(async () => await releaseCommand(partId, flags, ctx.out)) })

  addApiOptions(program.command('post-finding').description('write a finding on the blackboard of a task this node works on (signed by the node)')
    .argument('<taskId>', 'task id').argument('<content>', 'what you found'))
    .option('--kind <kind>', 'observation, hypothesis or conclusion (default: observation)')
    .option('--confidence <fraction>', 'how sure, 0..1 (required)')
    .option('--evidence <text>', 'what it rests on, repeatable', collect)
    .option('--hypothesis <id>', 'the hypothesis it bears on')
    .option('--supports', 'it supports the hypothesis')
    .option('--refutes', 'it refutes the hypothesis')
    .action(async (taskId: string, content: string, flags: FindingFlags) => { await run(async () => await postFindingCommand(taskId, content, flags, ctx.out)) })
}
