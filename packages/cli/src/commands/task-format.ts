/**
 * How tasks and their lifecycle events look in the terminal, and what they mean for the exit code.
 */
import { z } from 'zod'
import { EXIT } from '../exit-codes.js'
import { formatMs, shortId } from '../output.js'
import type { ApiClient } from '../api-client.js'
import type { ExitCode } from '../exit-codes.js'
import type { Output } from '../output.js'

const MemberSchema = z.object({ peerId: z.string(), skills: z.array(z.string()) }).loose()
const ErrorSchema = z.object({ code: z.string(), message: z.string() }).loose()

export const OutcomeSchema = z.object({
  taskId: z.string(),
  status: z.string(),
  ok: z.boolean(),
  output: z.unknown().optional(),
  bySkill: z.record(z.string(), z.array(z.object({ peerId: z.string(), ok: z.boolean(), output: z.unknown().optional(), error: ErrorSchema.optional() }).loose())).optional(),
  errors: z.array(z.object({ skill: z.string(), peerId: z.string(), code: z.string(), message: z.string() }).loose()).optional(),
  reason: z.string().optional(),
  attempts: z.number(),
  groupId: z.string().optional(),
  members: z.array(MemberSchema).optional(),
  timings: z.object({
    createdAt: z.number(),
    announcedAt: z.number().optional(),
    formedAt: z.number().optional(),
    startedAt: z.number().optional(),
    finishedAt: z.number().optional(),
    formationMs: z.number().optional(),
    totalMs: z.number().optional()
  }).loose()
}).loose()
export type Outcome = z.infer<typeof OutcomeSchema>

/** A task lifecycle event as `/v1/tasks/:id/events` sends it (fields checked as far as shown). */
export const TaskEventSchema = z.object({
  type: z.string(),
  taskId: z.string(),
  at: z.number(),
  attempt: z.number().optional(),
  topics: z.array(z.string()).optional(),
  peerId: z.string().optional(),
  skills: z.array(z.string()).optional(),
  score: z.number().optional(),
  offers: z.number().optional(),
  early: z.boolean().optional(),
  groupId: z.string().optional(),
  members: z.array(MemberSchema).optional(),
  formationMs: z.number().optional(),
  skill: z.string().optional(),
  progress: z.number().optional(),
  message: z.string().optional(),
  ok: z.boolean().optional(),
  durationMs: z.number().optional(),
  error: ErrorSchema.optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  reason: z.string().optional(),
  delayMs: z.number().optional(),
  outcome: OutcomeSchema.optional()
}).loose()
export type TaskEvent = z.infer<typeof TaskEventSchema>

const AgentsSchema = z.object({ agents: z.array(z.object({ peerId: z.string(), name: z.string() }).loose()) })

/** Agent names by peer id, from the node's directory, to show people names rather than keys. */
export class PeerNames {
  readonly #client: ApiClient
  readonly #names = new Map<string, string>()
  #refreshed = 0

  constructor (client: ApiClient) {
    this.#client = client
  }

  /** Reloads the names (errors are ignored: names are a nicety). */
  async refresh (): Promise<void> {
    this.#refreshed++
    try {
      const { agents } = await this.#client.get('/v1/agents', AgentsSchema)
      for (const a of agents) this.#names.set(a.peerId, a.name)
    } catch { /* ids then */ }
  }

  /** The name of a peer (the directory is asked again, at most a few times, for unknown ones). */
  async of (peerId: string): Promise<string> {
    if (!this.#names.has(peerId) && this.#refreshed < 3) await this.refresh()
    return this.label(peerId)
  }

  /**
   * The name if known, else the shortened peer id (no request). A name two known agents share
   * (two machines with one hostname) gets the end of the peer id, so that they can be told apart.
   */
  label (peerId: string): string {
    const name = this.#names.get(peerId)
    if (name === undefined) return shortId(peerId)
    let holders = 0
    for (const other of this.#names.values()) if (other === name) holders++
    return holders > 1 ? `${name} (…${peerId.slice(-6)})` : name
  }
}

function skillOfTopic (topic: string): string {
  return /\/skill\/([^/]+)\//.exec(topic)?.[1] ?? topic
}

/** The exit code a final event means, or undefined for the others. */
export function exitCodeOf (event: { type: string }): ExitCode | undefined {
  switch (event.type) {
    case 'completed': return EXIT.OK
    case 'rejected': return EXIT.REJECTED
    case 'failed':
    case 'cancelled': return EXIT.FAILURE
    default: return undefined
  }
}

function pad (word: string): string {
  return word.padEnd(16)
}

function errorsOf (outcome: Outcome | undefined, names: PeerNames): string[] {
  return (outcome?.errors ?? []).map(e => `  ${e.skill} on ${names.label(e.peerId)}: ${e.code} ${e.message}`)
}

/** One readable line per event (final events may add the members' errors). */
export async function describeEvent (event: TaskEvent, names: PeerNames): Promise<string[]> {
  switch (event.type) {
    case 'announced':
      return [(event.topics ?? []).length === 0
        ? `${pad('announced')}attempt ${event.attempt ?? 1} to the first ranked agents of each skill`
        : `${pad('announced')}attempt ${event.attempt ?? 1} to agents with ${(event.topics ?? []).map(skillOfTopic).join(', ')}`]
    case 'offer':
      return [`${pad('offer')}${await names.of(event.peerId ?? '')} for ${(event.skills ?? []).join(', ')} (score ${(event.score ?? 0).toFixed(2)})`]
    case 'bidding-closed':
      return [`${pad('bidding closed')}${event.offers ?? 0} offer${event.offers === 1 ? '' : 's'}${event.early === true ? ' (early: skills covered)' : ''}`]
    case 'formed': {
      const members = await Promise.all((event.members ?? []).map(async m => `${await names.of(m.peerId)} (${m.skills.join(', ')})`))
      return [`${pad('group formed')}in ${formatMs(event.formationMs ?? 0)}: ${members.join(', ')}`]
    }
    case 'started':
      return [`${pad('started')}members are working`]
    case 'progress':
      return [`${pad('progress')}${await names.of(event.peerId ?? '')} ${event.skill ?? ''} ${Math.round((event.progress ?? 0) * 100)}%${event.message !== undefined ? ` ${event.message}` : ''}`]
    case 'member-result': {
      const who = `${await names.of(event.peerId ?? '')} ${event.skill ?? ''}`
      return [event.ok === true
        ? `${pad('member result')}${who} done in ${formatMs(event.durationMs ?? 0)}`
        : `${pad('member result')}${who} FAILED after ${formatMs(event.durationMs ?? 0)}: ${event.error?.code ?? ''} ${event.error?.message ?? ''}`]
    }
    case 'member-replaced':
      return [`${pad('replaced')}${event.skill ?? ''}: ${await names.of(event.from ?? '')} → ${await names.of(event.to ?? '')} (${event.reason ?? ''})`]
    case 'retry':
      return [`${pad('retry')}attempt ${event.attempt ?? '?'} in ${formatMs(event.delayMs ?? 0)}: ${event.reason ?? ''}`]
    case 'state':
      return [`${pad('state')}${event.from ?? '?'} → ${event.to ?? '?'}${event.reason !== undefined ? ` (${event.reason})` : ''}`]
    case 'completed': {
      const t = event.outcome?.timings
      return [`${pad('completed')}in ${formatMs(t?.totalMs ?? 0)}${t?.formationMs !== undefined ? ` (group formed in ${formatMs(t.formationMs)})` : ''}, ${event.outcome?.attempts ?? 1} attempt${event.outcome?.attempts === 1 ? '' : 's'}`]
    }
    case 'rejected':
      return [`${pad('rejected')}${event.outcome?.reason ?? 'nobody could do it'}`]
    case 'failed':
      return [`${pad('failed')}${event.outcome?.reason ?? ''} (${event.outcome?.attempts ?? 1} attempt${event.outcome?.attempts === 1 ? '' : 's'})`, ...errorsOf(event.outcome, names)]
    case 'cancelled':
      return [`${pad('cancelled')}${event.outcome?.reason ?? ''}`]
    default:
      return [`${pad(event.type)}${JSON.stringify(event)}`]
  }
}

/** The aggregated result, pretty-printed. */
export function printOutput (output: unknown, out: Output): void {
  out.line('result:')
  out.line(output === undefined ? '  (none)' : JSON.stringify(output, null, 2))
}

/** The record a member row keeps (the node's ledger/member-ledger.ts `MemberRecord`), as far as shown. */
export const MemberRecordSchema = z.object({
  announcer: z.string(),
  attempt: z.number(),
  skills: z.array(z.string()),
  groupId: z.string(),
  offeredAt: z.number().optional(),
  acceptedAt: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  durationMs: z.number().optional(),
  outcome: z.enum(['ok', 'error', 'cancelled']).optional(),
  reason: z.string().optional(),
  parts: z.array(z.object({ skill: z.string(), ok: z.boolean(), durationMs: z.number(), error: ErrorSchema.optional() }).loose())
}).loose()
export type MemberRecord = z.infer<typeof MemberRecordSchema>

function relative (at: number, base: number): string {
  const d = at - base
  return d < 0 ? `-${formatMs(-d)}` : `+${formatMs(d)}`
}

/** What an llm skill's part returns besides its text (packages/node/src/llm): the model, tokens, time. */
const ModelPartSchema = z.object({
  model: z.string(),
  usage: z.object({ promptTokens: z.number(), completionTokens: z.number(), totalTokens: z.number() }),
  latencyMs: z.number()
}).loose()

/**
 * One line per part done by a model (an llm skill): who, which model, its tokens and time; and
 * the task's total tokens when there are several.
 */
export function modelLines (bySkill: z.infer<typeof OutcomeSchema>['bySkill'], names: PeerNames): string[] {
  const lines: string[] = []
  let total = 0
  for (const [skill, parts] of Object.entries(bySkill ?? {})) {
    for (const part of parts) {
      const parsed = ModelPartSchema.safeParse(part.output)
      if (!parsed.success) continue
      const { model, usage, latencyMs } = parsed.data
      total += usage.totalTokens
      lines.push(`  model        ${skill} on ${names.label(part.peerId)}: ${model}, ${usage.promptTokens} prompt + ${usage.completionTokens} completion tokens, ${formatMs(latencyMs)}`)
    }
  }
  if (lines.length > 1) lines.push(`  tokens       ${total} in all`)
  return lines
}

/**
 * The lines `task <id>` shows for a task this node worked on as a member: its announcer, the
 * times of each step from the offer, the outcome and each part's.
 */
export function memberLines (record: MemberRecord, base: number, names: PeerNames): string[] {
  const steps = [
    record.offeredAt !== undefined ? `offered ${relative(record.offeredAt, base)}` : undefined,
    `accepted ${relative(record.acceptedAt, base)}`,
    record.startedAt !== undefined ? `started ${relative(record.startedAt, base)}` : undefined,
    record.finishedAt !== undefined ? `finished ${relative(record.finishedAt, base)}` : undefined
  ].filter(s => s !== undefined)
  const lines = [
    `  announcer    ${names.label(record.announcer)} (${record.announcer})`,
    `  group        ${record.groupId}, attempt ${record.attempt}`,
    `  timings      ${steps.join(', ')}${record.durationMs !== undefined ? ` (worked ${formatMs(record.durationMs)})` : ''}`,
    `  outcome      ${record.outcome ?? 'in progress'}${record.reason !== undefined ? `: ${record.reason}` : ''}`
  ]
  for (const p of record.parts) {
    lines.push(`  part         ${p.skill} ${p.ok ? 'ok' : `FAILED ${p.error?.code ?? ''} ${p.error?.message ?? ''}`.trimEnd()} in ${formatMs(p.durationMs)}`)
  }
  return lines
}
