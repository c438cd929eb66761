/**
 * Working-group commands: `propose`, `vote`, `proposals`, `blackboard`, `escalations` and
 * `resolve`, through the control API of a running node.
 */
import { z } from 'zod'
import { ApiClient, ApiError, resolveApiTarget } from '../api-client.js'
import { CliError, EXIT } from '../exit-codes.js'
import { parseDuration } from '../flags.js'
import { addApiOptions } from '../options.js'
import { formatMs, shortId, table } from '../output.js'
import type { ApiFlags } from '../api-client.js'
import type { Output } from '../output.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'

const TallySchema = z.object({
  outcome: z.string(),
  for: z.number(),
  against: z.number(),
  abstentions: z.number(),
  eligible: z.number(),
  participation: z.number(),
  weightedConfidence: z.number()
}).loose()

export const ProposalSchema = z.object({
  proposalId: z.string(),
  taskId: z.string(),
  groupId: z.string(),
  action: z.string(),
  quorum: z.object({ kind: z.string(), fraction: z.number().optional() }).loose(),
  minParticipation: z.number(),
  voters: z.array(z.string()),
  deadline: z.number(),
  proposer: z.string(),
  openedAt: z.number(),
  status: z.string(),
  votes: z.array(z.object({ voter: z.string(), choice: z.string(), confidence: z.number(), reason: z.string().optional() }).loose()),
  tally: TallySchema,
  outcome: z.string().optional()
}).loose()
type ProposalLine = z.infer<typeof ProposalSchema>

export const ProposalAnswer = z.object({ proposal: ProposalSchema })
export const ProposalList = z.object({ proposals: z.array(ProposalSchema) })

const FindingSchema = z.object({ id: z.string(), kind: z.string(), content: z.string(), confidence: z.number(), author: z.string(), at: z.number(), hypothesisId: z.string().optional() }).loose()
export const BlackboardAnswer = z.object({
  blackboard: z.object({
    taskId: z.string(),
    groupId: z.string(),
    live: z.boolean(),
    findings: z.array(FindingSchema),
    hypotheses: z.array(z.object({ id: z.string(), statement: z.string(), status: z.string(), author: z.string() }).loose()),
    actions: z.array(z.object({ id: z.string(), description: z.string(), author: z.string(), at: z.number() }).loose()),
    confidence: z.record(z.string(), z.number())
  }).loose()
})

const EscalationSchema = z.object({
  id: z.string(),
  taskId: z.string(),
  source: z.string(),
  severity: z.string(),
  issue: z.string(),
  status: z.string(),
  createdAt: z.number(),
  decision: z.string().optional(),
  resolvedAt: z.number().optional()
}).loose()
const EscalationList = z.object({ escalations: z.array(EscalationSchema) })
const EscalationAnswer = z.object({ escalation: EscalationSchema })

/** `majority`, `unanimous` or `threshold:<fraction>`. */
function parseQuorumFlag (value: string): string {
  const v = value.trim()
  if (v === 'majority' || v === 'unanimous') return v
  const m = /^threshold:(\d*\.?\d+)$/.exec(v)
  const f = m === null ? NaN : Number(m[1])
  if (f > 0 && f <= 1) return v
  throw new CliError(EXIT.USAGE, `invalid --quorum "${value}": use majority, unanimous or threshold:<fraction> with a fraction above 0 and at most 1, e.g. threshold:0.6`)
}

function fractionFlag (flag: string, value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new CliError(EXIT.USAGE, `invalid ${flag} "${value}": use a number from 0 to 1, e.g. 0.5`)
  return n
}

function quorumText (q: ProposalLine['quorum']): string {
  return q.kind === 'threshold' ? `threshold:${q.fraction ?? '?'}` : q.kind
}

function describeProposal (p: ProposalLine, out: Output): void {
  const t = p.tally
  out.line(`proposal ${p.proposalId}  ${p.status}${p.outcome !== undefined ? ` → ${p.outcome}` : ''}`)
  out.line(`  task      ${p.taskId} (group ${p.groupId})`)
  out.line(`  action    ${p.action}`)
  out.line(`  quorum    ${quorumText(p.quorum)}, at least ${Math.round(p.minParticipation * 100)}% voting, deadline ${new Date(p.deadline).toISOString()}`)
  out.line(`  tally     ${t.for} yes, ${t.against} no, ${t.abstentions} abstain of ${t.eligible} (participation ${Math.round(t.participation * 100)}%, weighted confidence ${t.weightedConfidence.toFixed(2)})`)
  for (const v of p.votes) out.line(`  vote      ${shortId(v.voter)} ${v.choice} (${v.confidence})${v.reason !== undefined ? ` — ${v.reason}` : ''}`)
}

/** The lines of the votes `next` has that `seen` had not (`propose --wait` prints them as they come), and the tally after them. */
export function voteLines (seen: ReadonlySet<string>, next: ProposalLine): string[] {
  const fresh = next.votes.filter(v => !seen.has(v.voter))
  if (fresh.length === 0) return []
  const t = next.tally
  return [
    ...fresh.map(v => `vote      ${shortId(v.voter)} ${v.choice} (${v.confidence})${v.reason !== undefined ? ` — ${v.reason}` : ''}`),
    `tally     ${t.for} yes, ${t.against} no, ${t.abstentions} abstain of ${t.eligible}`
  ]
}

export interface ProposeFlags extends ApiFlags {
  quorum?: string
  timeout?: string
  minParticipation?: string
  wait?: boolean
  json?: boolean
}

/** `swarm-node propose <taskId> "<action>"`: puts a proposal to the task's working group. */
async function proposeCommand (taskId: string, action: string, flags: ProposeFlags, out: Output): Promise<number> {
  if (action.trim() === '') throw new CliError(EXIT.USAGE, 'the action is empty: swarm-node propose <taskId> "<what the group would do>"')
  const body: Record<string, unknown> = { action, quorum: parseQuorumFlag(flags.quorum ?? 'majority') }
  const timeoutMs = parseDuration('--timeout', flags.timeout ?? '30s')
  if (timeoutMs < 100 || timeoutMs > 24 * 3600 * 1000) throw new CliError(EXIT.USAGE, `invalid --timeout "${flags.timeout ?? ''}": must be between 100ms and 24h`)
  body.timeoutMs = timeoutMs
  if (flags.minParticipation !== undefined) body.minParticipation = fractionFlag('--min-participation', flags.minParticipation)
  const client = new ApiClient(resolveApiTarget(flags))
  let proposal: ProposalLine
  try {
    proposal = (await client.post(`/v1/tasks/${encodeURIComponent(taskId)}/proposals`, ProposalAnswer, body)).proposal
  } catch (err) {
    if (err instanceof ApiError && err.code === 'GROUP_NOT_FOUND') throw new CliError(EXIT.FAILURE, err.message)
    throw err
  }
  if (flags.wait === true) {
    const text = flags.json !== true
    // The id first: the other members need it to vote.
    if (text) {
      out.line(`proposal ${proposal.proposalId} open until ${new Date(proposal.deadline).toISOString()}: ${proposal.voters.length} voter${proposal.voters.length === 1 ? '' : 's'}`)
      out.line(`  members vote with: swarm-node vote ${proposal.proposalId} yes|no|abstain [--reason "…"] (on their own node)`)
    }
    const seen = new Set<string>()
    const report = (next: ProposalLine): void => {
      if (text) for (const line of voteLines(seen, next)) out.line(`  ${line}`)
      for (const v of next.votes) seen.add(v.voter)
    }
    report(proposal)
    // Poll until the outcome cannot change (the deadline bounds the wait).
    while (proposal.status === 'open') {
      await new Promise(resolve => setTimeout(resolve, Math.min(250, Math.max(20, proposal.deadline - Date.now() + 20))))
      proposal = (await client.get(`/v1/proposals/${encodeURIComponent(proposal.proposalId)}`, ProposalAnswer)).proposal
      report(proposal)
      if (Date.now() > proposal.deadline + 10_000 && proposal.status === 'open') {
        throw new CliError(EXIT.TIMEOUT, `proposal ${proposal.proposalId} is still open 10s after its deadline: see "swarm-node proposals --task ${taskId}"`)
      }
    }
  }
  if (flags.json === true) out.json(proposal)
  else if (flags.wait === true) describeProposal(proposal, out)
  else out.line(proposal.proposalId)
  if (flags.wait === true && proposal.outcome !== 'approved') return EXIT.FAILURE
  return EXIT.OK
}

export interface VoteFlags extends ApiFlags {
  confidence?: string
  reason?: string
  json?: boolean
}

/** `swarm-node vote <proposalId> yes|no|abstain`. */
async function voteCommand (proposalId: string, choice: string, flags: VoteFlags, out: Output): Promise<number> {
  if (choice !== 'yes' && choice !== 'no' && choice !== 'abstain') throw new CliError(EXIT.USAGE, `invalid choice "${choice}": vote yes, no or abstain`)
  const body: Record<string, unknown> = { choice }
  if (flags.confidence !== undefined) body.confidence = fractionFlag('--confidence', flags.confidence)
  if (flags.reason !== undefined) body.reason = flags.reason
  const client = new ApiClient(resolveApiTarget(flags))
  let proposal: ProposalLine
  try {
    proposal = (await client.post(`/v1/proposals/${encodeURIComponent(proposalId)}/votes`, ProposalAnswer, body)).proposal
  } catch (err) {
    if (err instanceof ApiError && (err.code === 'VOTE_REJECTED' || err.code === 'PROPOSAL_NOT_FOUND')) throw new CliError(EXIT.FAILURE, err.message)
    throw err
  }
  if (flags.json === true) out.json(proposal)
  else out.line(`voted ${choice} on ${proposalId}: ${proposal.tally.for} yes, ${proposal.tally.against} no, ${proposal.tally.abstentions} abstain of ${proposal.tally.eligible}${proposal.outcome !== undefined ? ` → ${proposal.outcome}` : ''}`)
  return EXIT.OK
}

/** `swarm-node proposals [--task <id>]`. */
async function proposalsCommand (flags: ApiFlags & { task?: string, json?: boolean }, out: Output): Promise<number> {
  const client = new ApiClient(resolveApiTarget(flags))
  const query = flags.task === undefined ? '' : `?task=${encodeURIComponent(flags.task)}`
  const { proposals } = await client.get(`/v1/proposals${query}`, ProposalList)
  if (flags.json === true) {
    out.json(proposals)
    return EXIT.OK
  }
  if (proposals.length === 0) {
    out.line('no proposals on this node')
    return EXIT.OK
  }
  out.line(table(['ID', 'TASK', 'STATUS', 'OUTCOME', 'VOTES', 'ACTION'], proposals.map(p => [
    p.proposalId, p.taskId, p.status, p.outcome ?? '-', `${p.tally.for}/${p.tally.against}/${p.tally.abstentions} of ${p.tally.eligible}`, p.action.length > 50 ? `${p.action.slice(0, 49)}…` : p.action
  ])))
  return EXIT.OK
}

/** `swarm-node blackboard <taskId>`. */
async function blackboardCommand (taskId: string, flags: ApiFlags & { json?: boolean }, out: Output): Promise<number> {
  const client = new ApiClient(resolveApiTarget(flags))
  let board: z.infer<typeof BlackboardAnswer>['blackboard']
  try {
    board = (await client.get(`/v1/tasks/${encodeURIComponent(taskId)}/blackboard`, BlackboardAnswer)).blackboard
  } catch (err) {
    if (err instanceof ApiError && (err.code === 'GROUP_NOT_FOUND' || err.code === 'TASK_NOT_FOUND')) throw new CliError(EXIT.FAILURE, err.message)
    throw err
  }
  if (flags.json === true) {
    out.json(board)
    return EXIT.OK
  }
  out.line(`blackboard of task ${board.taskId} (group ${board.groupId}, ${board.live ? 'working' : 'dissolved'})`)
  out.line(`findings (${board.findings.length})`)
  for (const f of board.findings) out.line(`  ${f.kind.padEnd(11)} ${f.confidence.toFixed(2)}  ${shortId(f.author)}  ${f.content}`)
  out.line(`hypotheses (${board.hypotheses.length})`)
  for (const h of board.hypotheses) out.line(`  ${h.status.padEnd(9)} ${(board.confidence[h.id] ?? 0).toFixed(2)}  ${h.statement}`)
  out.line(`actions (${board.actions.length})`)
  for (const a of board.actions) out.line(`  ${shortId(a.author)}  ${a.description}`)
  return EXIT.OK
}

/** `swarm-node escalations [--status open|resolved]`. */
async function escalationsCommand (flags: ApiFlags & { status?: string, json?: boolean }, out: Output): Promise<number> {
  if (flags.status !== undefined && flags.status !== 'open' && flags.status !== 'resolved') throw new CliError(EXIT.USAGE, `invalid --status "${flags.status}": use open or resolved`)
  const client = new ApiClient(resolveApiTarget(flags))
  const { escalations } = await client.get(`/v1/escalations${flags.status !== undefined ? `?status=${flags.status}` : ''}`, EscalationList)
  if (flags.json === true) {
    out.json(escalations)
    return EXIT.OK
  }
  if (escalations.length === 0) {
    out.line('no escalations')
    return EXIT.OK
  }
  const now = Date.now()
  out.line(table(['ID', 'STATUS', 'SEVERITY', 'TASK', 'AGE', 'ISSUE'], escalations.map(e => [
    e.id, e.status, e.severity, e.taskId, `${formatMs(Math.max(0, now - e.createdAt))} ago`, e.status === 'resolved' ? `${e.issue} → ${e.decision ?? ''}` : e.issue
  ])))
  return EXIT.OK
}

/** `swarm-node resolve <id> --decision "..."` (a workflow's escalation: one of its choices, which the node checks). */
async function resolveCommand (id: string, flags: ApiFlags & { decision?: string, json?: boolean }, out: Output): Promise<number> {
  if (flags.decision === undefined || flags.decision.trim() === '') throw new CliError(EXIT.USAGE, 'say what the group should do with --decision "..."')
  const client = new ApiClient(resolveApiTarget(flags))
  let escalation: z.infer<typeof EscalationSchema>
  try {
    escalation = (await client.post(`/v1/escalations/${encodeURIComponent(id)}/resolve`, EscalationAnswer, { decision: flags.decision })).escalation
  } catch (err) {
    if (err instanceof ApiError && (err.code === 'ESCALATION_NOT_FOUND' || err.code === 'ESCALATION_STATE')) throw new CliError(EXIT.FAILURE, err.message)
    throw err
  }
  if (flags.json === true) out.json(escalation)
  else out.line(`resolved ${escalation.id}: ${escalation.decision ?? ''}`)
  return EXIT.OK
}

/** Registers `propose`, `vote`, `proposals`, `blackboard`, `escalations` and `resolve`. */
export function registerGroup (program: Command, ctx: CommandContext): void {
  addApiOptions(program.command('propose')
    .description('put a proposal to the working group of a task (this node must be its announcer or a member)')
    .argument('<taskId>', 'task id')
    .argument('<action>', 'what the group would do'))
    .option('--quorum <policy>', 'majority, unanimous or threshold:<fraction> (default: majority)')
    .option('--timeout <duration>', 'time to vote, e.g. 30s (default: 30s)')
    .option('--min-participation <fraction>', 'fraction of the members that must vote, 0..1 (default: 0.5)')
    .option('--wait', 'wait for the decision; exit 0 when approved, 1 when rejected or no quorum')
    .addHelpText('after', `
Examples:
  swarm-node propose Xy12... "switch to the backup data source" --quorum majority --timeout 30s --wait
  swarm-node propose Xy12... "ship it" --quorum threshold:0.6 --min-participation 0.8 --json`)
    .action(async (taskId: string, action: string, flags: ProposeFlags) => { await ctx.run(async () => await proposeCommand(taskId, action, flags, ctx.out)) })

  addApiOptions(program.command('vote')
    .description('vote on a proposal of a group this node is a member of (a later vote replaces an earlier one)')
    .argument('<proposalId>', 'proposal id')
    .argument('<choice>', 'yes, no or abstain'))
    .option('--confidence <fraction>', 'how sure, 0..1 (default: 1)')
    .option('--reason <text>', 'why')
    .action(async (proposalId: string, choice: string, flags: VoteFlags) => { await ctx.run(async () => await voteCommand(proposalId, choice, flags, ctx.out)) })

  addApiOptions(program.command('proposals').description('list the proposals this node saw, newest first'))
    .option('--task <id>', 'only the proposals of this task')
    .action(async (flags: ApiFlags & { task?: string, json?: boolean }) => { await ctx.run(async () => await proposalsCommand(flags, ctx.out)) })

  addApiOptions(program.command('blackboard')
    .description('show the blackboard of a task\'s working group: findings, hypotheses, actions')
    .argument('<taskId>', 'task id'))
    .action(async (taskId: string, flags: ApiFlags & { json?: boolean }) => { await ctx.run(async () => await blackboardCommand(taskId, flags, ctx.out)) })

  addApiOptions(program.command('escalations').description('list the issues handed to a human, newest first'))
    .option('--status <status>', 'open or resolved')
    .action(async (flags: ApiFlags & { status?: string, json?: boolean }) => { await ctx.run(async () => await escalationsCommand(flags, ctx.out)) })

  addApiOptions(program.command('resolve')
    .description('record a human decision on an escalation (on the node of the task\'s announcer, or of the workflow): the group hears it; a workflow\'s approval takes approve|reject, a failed workflow step retry|skip|fail')
    .argument('<id>', 'escalation id'))
    .option('--decision <text>', 'what to do: free text for a task\'s escalation; one of the escalation\'s choices (approve, reject; retry, skip, fail), optionally followed by a reason, for a workflow\'s')
    .addHelpText('after', `
A workflow's escalations have choices (see "swarm-node escalations --json"): an approval step
waits for approve or reject, a failed step with onFailure: escalate for retry (run it again),
skip (its dependents see null) or fail (the workflow fails). Another decision is refused
(exit 1) with the list. Exit 1 too for an unknown or already resolved escalation.

Examples:
  swarm-node resolve <id> --decision approve
  swarm-node resolve <id> --decision "reject: the plan misses the error handling"
  swarm-node resolve <id> --decision retry
  swarm-node resolve <id> --decision "use the backup data source"    # a task's escalation`)
    .action(async (id: string, flags: ApiFlags & { decision?: string, json?: boolean }) => { await ctx.run(async () => await resolveCommand(id, flags, ctx.out)) })
}
