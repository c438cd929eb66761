/**
 * Workflow commands, through the control API of a running node: `run` (a workflow file, or a
 * preset over a request; with `--wait`, follow it to its end), `workflows` (the list, or its
 * steps as CSV), `workflow <id>` (one workflow's steps, tasks and outputs; `--wait`, `--html`),
 * and the workflow side of `cancel`. A workflow file is checked here, with the node's own
 * parser, before anything is sent: its errors name the file, the step and the field.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { PRESET_NAMES, WORKFLOW_STATUSES, WorkflowSpecError, parseWorkflowText, workflowReportHtml, workflowsCsv } from '@swarm/node'
import { z } from 'zod'
import { ApiClient, ApiError, resolveApiTarget } from '../api-client.js'
import { WorkflowDetailSchema, WorkflowsSnapshotSchema } from '../dashboard/schemas.js'
import { CliError, EXIT } from '../exit-codes.js'
import { parseFlag, wholeNumber } from '../flags.js'
import { addApiOptions } from '../options.js'
import { formatMs, table } from '../output.js'
import { durationFlag, readJsonInput } from './announce.js'
import { PeerNames } from './task-format.js'
import { WorkflowWithAuditSchema, followWorkflow, workflowPath } from './workflow-follow.js'
import { workflowSummaryLine, workflowTree } from './workflow-format.js'
import type { ApiFlags } from '../api-client.js'
import type { CommandContext } from '../options.js'
import type { Output } from '../output.js'
import type { WorkflowDetail } from './workflow-follow.js'
import type { Json } from '@swarm/protocol'
import type { Command } from 'commander'

/** The longest `--timeout` of a wait: a week. */
const MAX_WAIT_MS = 7 * 24 * 3600 * 1000

export interface RunFlags extends ApiFlags {
  preset?: string
  input?: string
  inputJson?: string
  wait?: boolean
  json?: boolean
  timeout?: string
}

/** What `POST /v1/workflows` is sent. */
export type RunBody =
  | { workflow: Record<string, unknown>, input?: Json }
  | { preset: (typeof PRESET_NAMES)[number], request: string }

const PresetSchema = z.enum(PRESET_NAMES)

/** `--timeout` of a wait (only with `--wait`); undefined: wait until the end. */
function waitTimeout (flags: { wait?: boolean, timeout?: string }): number | undefined {
  if (flags.timeout === undefined) return undefined
  if (flags.wait !== true) throw new CliError(EXIT.USAGE, '--timeout is how long --wait waits: add --wait')
  return durationFlag('--timeout', flags.timeout, 1, MAX_WAIT_MS)
}

/** Reads and checks a workflow file; exit 2 naming the file (and the step and the field) when it cannot run. */
function readWorkflowFile (file: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CliError(EXIT.USAGE, code === 'ENOENT' ? `no workflow file ${file}` : `cannot read the workflow file ${file}: ${(err as Error).message}`)
  }
  try {
    return parseWorkflowText(text, file)
  } catch (err) {
    if (err instanceof WorkflowSpecError) throw new CliError(EXIT.USAGE, err.message)
    throw err
  }
}

/**
 * The request of `run <file>` or `run --preset <name> "<request>"`; every bad argument, flag
 * or file is EXIT.USAGE, before anything is sent.
 */
export function buildRunBody (arg: string, flags: RunFlags): RunBody {
  if (flags.preset !== undefined) {
    const preset = PresetSchema.safeParse(flags.preset)
    if (!preset.success) throw new CliError(EXIT.USAGE, `invalid --preset "${flags.preset}": use one of ${PRESET_NAMES.join(', ')}`)
    if (flags.input !== undefined || flags.inputJson !== undefined) throw new CliError(EXIT.USAGE, 'a preset\'s input is its request: swarm-node run --preset standard "<request>" (no --input or --input-json)')
    const request = arg.trim()
    if (request === '') throw new CliError(EXIT.USAGE, 'the request is empty: swarm-node run --preset standard "<what to build>"')
    if (request.length > 4096) throw new CliError(EXIT.USAGE, `the request is ${request.length} characters, the limit is 4096`)
    return { preset: preset.data, request }
  }
  const input = readJsonInput(flags, 'workflow') as Json | undefined
  const workflow = readWorkflowFile(arg)
  return { workflow, ...(input !== undefined ? { input } : {}) }
}

const CreatedSchema = WorkflowDetailSchema.extend({ workflowId: z.string() })

/** `swarm-node run`: runs a workflow on a running node; with `--wait`, follows it to its end. */
async function runCommand (arg: string, flags: RunFlags, out: Output): Promise<number> {
  const body = buildRunBody(arg, flags)
  const timeoutMs = waitTimeout(flags)
  const client = new ApiClient(resolveApiTarget(flags))
  let created: z.infer<typeof CreatedSchema>
  try {
    created = await client.post('/v1/workflows', CreatedSchema, body)
  } catch (err) {
    if (err instanceof ApiError && err.status === 400) throw new CliError(EXIT.USAGE, `the node refused the workflow: ${err.message}`)
    throw err
  }
  const { workflowId } = created
  if (flags.wait !== true) {
    if (flags.json === true) out.json({ workflowId, status: created.workflow.status })
    else out.line(workflowId)
    return EXIT.OK
  }
  return await followWorkflow(client, workflowId, { json: flags.json === true, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }, out)
}

interface ListFlags extends ApiFlags {
  status?: string
  limit?: string
  json?: boolean
  csv?: boolean
}

const StatusFlagSchema = z.enum(WORKFLOW_STATUSES)

/** `swarm-node workflows`: the workflows of this node, newest first: a line each, JSON, or a CSV row per step. */
async function workflowsCommand (flags: ListFlags, out: Output): Promise<number> {
  if (flags.json === true && flags.csv === true) throw new CliError(EXIT.USAGE, 'choose --json or --csv, not both')
  const params = new URLSearchParams()
  if (flags.status !== undefined) {
    const status = StatusFlagSchema.safeParse(flags.status.trim().toLowerCase())
    if (!status.success) throw new CliError(EXIT.USAGE, `invalid --status "${flags.status}": use ${WORKFLOW_STATUSES.join(', ')}`)
    params.set('status', status.data)
  }
  if (flags.limit !== undefined) params.set('limit', String(parseFlag('--limit', flags.limit, wholeNumber(1, 10_000))))
  const client = new ApiClient(resolveApiTarget(flags))
  const query = params.toString()
  const { workflows } = await client.get(`/v1/workflows${query === '' ? '' : `?${query}`}`, WorkflowsSnapshotSchema)
  if (flags.json === true) {
    out.json(workflows)
    return EXIT.OK
  }
  if (flags.csv === true) {
    // The CSV ends its lines with CRLF; the last "\n" is the one the line adds.
    out.line(workflowsCsv(workflows).slice(0, -1))
    return EXIT.OK
  }
  if (workflows.length === 0) {
    out.line(flags.status === undefined ? 'no workflows on this node yet: run one with "swarm-node run <file>"' : `no ${flags.status} workflows`)
    return EXIT.OK
  }
  const now = Date.now()
  for (const view of workflows) out.line(workflowSummaryLine(view, view.status === 'running' ? now : view.updatedAt))
  return EXIT.OK
}

interface ShowFlags extends ApiFlags {
  wait?: boolean
  json?: boolean
  html?: string
  timeout?: string
}

const cut = (text: string, max: number): string => text.length <= max ? text : `${text.slice(0, max - 1)}…`
const oneLineJson = (value: unknown, max: number): string => cut(JSON.stringify(value) ?? 'null', max)
const rel = (at: number, base: number): string => `+${formatMs(Math.max(0, at - base))}`

/** The text of `swarm-node workflow <id>`: its state, the steps' tree, every task, every output. */
async function printWorkflow (detail: WorkflowDetail, client: ApiClient, out: Output): Promise<void> {
  const view = detail.workflow
  const base = view.createdAt
  const names = new PeerNames(client)
  await names.refresh()
  const field = (label: string, value: string): void => { out.line(`  ${label.padEnd(9)} ${value}`) }
  out.line(`workflow ${view.workflowId}  ${view.status}  ${view.name}`)
  field('created', new Date(base).toISOString())
  field(view.finishedAt === undefined ? 'running' : 'ran', formatMs(Math.max(0, (view.finishedAt ?? Date.now()) - base)))
  if (view.reason !== undefined) field('reason', `${view.reason}${view.code !== undefined ? ` (${view.code})` : ''}`)
  if (view.input !== undefined) field('input', oneLineJson(view.input, 160))
  if (view.maxParallel !== undefined) field('parallel', `at most ${view.maxParallel} tasks at once`)
  out.line('steps:')
  for (const line of workflowTree(view, view.status === 'running' ? { now: Date.now() } : {})) out.line(`  ${line}`)
  const tasks = view.steps.flatMap(s => s.tasks.map(t => ({ step: s.id, t })))
  if (tasks.length > 0) {
    out.line('tasks (times from the workflow\'s creation):')
    const rows = tasks.map(({ step, t }) => [
      step + (t.item !== undefined ? `[${t.item}]` : ''),
      t.taskId,
      t.status,
      String(t.iteration),
      rel(t.startedAt, base),
      t.finishedAt === undefined ? '' : formatMs(Math.max(0, t.finishedAt - t.startedAt)),
      (t.members ?? []).map(m => `${names.label(m.peerId)} (${m.skill})`).join(', ') + (t.tokens !== undefined ? `  ${t.tokens} tokens` : '') + (t.error !== undefined ? `  error: ${cut(t.error.replace(/\s+/g, ' '), 120)}` : '')
    ])
    for (const line of table(['STEP', 'TASK', 'STATUS', 'ITER', 'START', 'TIME', 'MEMBERS'], rows).split('\n')) out.line(`  ${line}`)
  }
  const outputs = view.steps.filter(s => s.output !== undefined)
  if (outputs.length > 0) {
    out.line('outputs:')
    for (const line of table(['STEP', 'OUTPUT'], outputs.map(s => [s.id, oneLineJson(s.output, 160)])).split('\n')) out.line(`  ${line}`)
  }
  if (view.status === 'completed') {
    out.line('output:')
    out.line(JSON.stringify(view.output ?? {}, null, 2))
  }
  out.line(`audit trail: ${detail.audit.length} entries (swarm-node workflow ${view.workflowId} --json shows them)`)
}

/** Writes the HTML report of a workflow; exit 2 when the file cannot be written. */
function writeReport (path: string, detail: WorkflowDetail): string {
  const where = resolve(path)
  try {
    writeFileSync(where, workflowReportHtml(detail.workflow))
  } catch (err) {
    throw new CliError(EXIT.USAGE, `cannot write the --html report to ${path}: ${(err as Error).message}`)
  }
  return where
}

/** `swarm-node workflow <id>`: one workflow; `--wait` follows it, `--html` writes its report. */
async function workflowCommand (workflowId: string, flags: ShowFlags, out: Output): Promise<number> {
  const timeoutMs = waitTimeout(flags)
  const json = flags.json === true
  const client = new ApiClient(resolveApiTarget(flags))
  let detail = await client.get(workflowPath(workflowId), WorkflowWithAuditSchema)
  let code: number = EXIT.OK
  if (flags.wait === true) {
    code = await followWorkflow(client, detail.workflow.workflowId, { json, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }, out)
    if (flags.html === undefined) return code
    detail = await client.get(workflowPath(workflowId), WorkflowWithAuditSchema)
  }
  if (flags.html !== undefined) {
    const where = writeReport(flags.html, detail)
    // With --wait --json the final view stays the last line.
    if (flags.wait === true && json) return code
    if (json) out.json({ workflowId: detail.workflow.workflowId, status: detail.workflow.status, report: where })
    else out.line(`wrote the report of workflow ${detail.workflow.workflowId} (${detail.workflow.status}, ${detail.workflow.steps.length} steps) to ${where}`)
    return code
  }
  if (json) out.json(detail)
  else await printWorkflow(detail, client, out)
  return code
}

/**
 * The workflow side of `swarm-node cancel <id>`: when `id` is a workflow of this node, cancels
 * it (its running tasks are cancelled) and returns the exit code; undefined when the node has no
 * such workflow (the id is then a task's).
 */
export async function cancelWorkflow (client: ApiClient, id: string, reason: string | undefined, json: boolean, out: Output): Promise<number | undefined> {
  try {
    await client.get(workflowPath(id), WorkflowWithAuditSchema)
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined
    throw err
  }
  let workflow
  try {
    ({ workflow } = await client.post(workflowPath(id, '/cancel'), WorkflowDetailSchema, reason === undefined ? {} : { reason }))
  } catch (err) {
    if (err instanceof ApiError && err.code === 'WORKFLOW_STATE') throw new CliError(EXIT.FAILURE, err.message)
    throw err
  }
  if (json) {
    out.json(workflow)
  } else {
    const cancelled = workflow.steps.filter(s => s.status === 'cancelled').map(s => s.id)
    out.line(`workflow ${workflow.workflowId} ${workflow.status}${workflow.reason !== undefined ? `: ${workflow.reason}` : ''}`)
    if (cancelled.length > 0) out.line(`  steps cancelled: ${cancelled.join(', ')}`)
  }
  return EXIT.OK
}

const WAIT_HELP = `With --wait the exit code is 0 when the workflow completed, 1 when it failed or was cancelled,
4 when a step could never be assigned (no agent has its skills), 5 on --timeout (the workflow
goes on).`

/** Registers `run`, `workflows` and `workflow`. */
export function registerWorkflows (program: Command, ctx: CommandContext): void {
  addApiOptions(program.command('run')
    .description('run a workflow (a YAML or JSON file of steps, each an ordinary task) through a running node, or a preset over a request')
    .argument('<file|request>', 'the workflow file; with --preset, the request'))
    .option('--preset <name>', `a preset workflow over the role skills: ${PRESET_NAMES.join(', ')}; the argument is then the request`)
    .option('--input <file>', 'the workflow input (${{ workflow.input }}): a JSON file (- for standard input); default: the file\'s input')
    .option('--input-json <json>', 'the workflow input: inline JSON')
    .option('--wait', 'follow the workflow (each step as it becomes ready, starts and ends) until it ends; the exit code says how it ended')
    .option('--timeout <duration>', 'with --wait, give up waiting after this long (exit 5; default: wait until it ends)')
    .addHelpText('after', `
The file is checked before anything is sent: an error names the step and the field (exit 2).
Without --wait it prints the workflow id. With --wait it prints a line per event, then the
steps and the output; --json prints one JSON object per event, then the final workflow view as
the last line.
${WAIT_HELP}

Examples:
  swarm-node run wf.yaml --input-json '{"values":[3,1,4]}' --wait
  swarm-node run wf.yaml --wait --json | tail -n 1 | jq .output
  swarm-node run --preset standard "Build a CSV parser" --wait`)
    .action(async (arg: string, flags: RunFlags) => { await ctx.run(async () => await runCommand(arg, flags, ctx.out)) })

  addApiOptions(program.command('workflows').description('list the workflows this node runs or ran, newest first'))
    .option('--status <status>', `only the workflows in this status: ${WORKFLOW_STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most this many (default: 100)')
    .option('--csv', 'one CSV row per step of every workflow (ids, statuses, times, tasks, members, tokens, errors)')
    .addHelpText('after', `
Examples:
  swarm-node workflows --status running
  swarm-node workflows --csv > steps.csv`)
    .action(async (flags: ListFlags) => { await ctx.run(async () => await workflowsCommand(flags, ctx.out)) })

  addApiOptions(program.command('workflow')
    .description('show one workflow: its steps (a tree), states, timings, tasks and outputs; --wait follows it, --html writes a report')
    .argument('<id>', 'workflow id'))
    .option('--wait', 'follow the workflow until it ends (its events from the start), like run --wait')
    .option('--timeout <duration>', 'with --wait, give up waiting after this long (exit 5; default: wait until it ends)')
    .option('--html <file>', 'write an HTML report (a timeline of the steps, the critical path, every task and output) to this file')
    .addHelpText('after', `
${WAIT_HELP}
Without --wait the exit code is 0 when the workflow was found.

Examples:
  swarm-node workflow <id>                     # steps, tasks, outputs
  swarm-node workflow <id> --wait --json       # one JSON object per event, then the final view
  swarm-node workflow <id> --html report.html  # open it in a browser`)
    .action(async (id: string, flags: ShowFlags) => { await ctx.run(async () => await workflowCommand(id, flags, ctx.out)) })
}
