/**
 * Following one workflow to its end through `GET /v1/workflows/:id/events` (shared by
 * `run --wait` and `workflow <id> --wait`), and what its end means as an exit code. The node's
 * stream replays a workflow it runs from its start and ends after its last event; for one that
 * has ended it sends the last event only, and then the events are read back from the workflow's
 * audit trail (every event is in it), so that a workflow that ends before the stream opens is
 * still told from its start.
 */
import { z } from 'zod'
import { ApiError } from '../api-client.js'
import { WorkflowDetailSchema, WorkflowEventSchema } from '../dashboard/schemas.js'
import { CliError, EXIT } from '../exit-codes.js'
import { formatMs } from '../output.js'
import { workflowEventLine, workflowTree } from './workflow-format.js'
import type { ApiClient } from '../api-client.js'
import type { ExitCode } from '../exit-codes.js'
import type { Output } from '../output.js'
import type { WorkflowEvent, WorkflowView } from '@swarm/node'

const AuditEntrySchema = z.object({ at: z.number(), actor: z.string(), action: z.string(), detail: z.unknown().optional() }).loose()

/** `GET /v1/workflows/:id`: the workflow and its audit trail. */
export const WorkflowWithAuditSchema = WorkflowDetailSchema.extend({ audit: z.array(AuditEntrySchema) })
export type WorkflowDetail = z.infer<typeof WorkflowWithAuditSchema>

const FINAL: ReadonlySet<string> = new Set(['workflow:completed', 'workflow:failed', 'workflow:cancelled'])

/** What the end of a workflow means: 0 completed, 4 a step could never be assigned, 1 failed or cancelled; undefined while it runs. */
export function workflowExitCode (view: Pick<WorkflowView, 'status' | 'code'>): ExitCode | undefined {
  switch (view.status) {
    case 'running': return undefined
    case 'completed': return EXIT.OK
    case 'failed': return view.code === 'STEP_UNASSIGNABLE' ? EXIT.REJECTED : EXIT.FAILURE
    case 'cancelled': return EXIT.FAILURE
  }
}

/** The path of a workflow's resource. */
export function workflowPath (workflowId: string, rest = ''): string {
  return `/v1/workflows/${encodeURIComponent(workflowId)}${rest}`
}

/** The events of a workflow as its audit trail recorded them (an emitted event is audited under its type, with its fields). */
function eventsOfAudit (audit: WorkflowDetail['audit']): WorkflowEvent[] {
  const events: WorkflowEvent[] = []
  for (const entry of audit) {
    const fields = typeof entry.detail === 'object' && entry.detail !== null ? entry.detail : {}
    const parsed = WorkflowEventSchema.safeParse({ ...fields, type: entry.action })
    if (parsed.success) events.push(parsed.data)
  }
  return events
}

/** The steps' tree and, when it completed, the workflow's output, as `run --wait` ends (the last event said why else). */
function printWorkflowEnd (view: WorkflowView, out: Output): void {
  out.line('steps:')
  for (const line of workflowTree(view)) out.line(`  ${line}`)
  if (view.status === 'completed') {
    out.line('output:')
    out.line(JSON.stringify(view.output ?? {}, null, 2))
  }
}

/** How `--wait` follows a workflow. */
export interface FollowWorkflowOptions {
  /** One JSON object per event, then the final view, instead of text lines. */
  json: boolean
  /** Give up (exit 5) after this long; the workflow goes on. Without it, wait until it ends. */
  timeoutMs?: number
}

/**
 * Follows a workflow until it ends, printing each event (a line, or with `json` its JSON), then
 * the final view (JSON, as the last line) or the steps' tree and the output. Returns the exit
 * code of its end; throws EXIT.TIMEOUT after `timeoutMs`, EXIT.UNREACHABLE when the node goes
 * away first.
 */
export async function followWorkflow (client: ApiClient, workflowId: string, options: FollowWorkflowOptions, out: Output): Promise<number> {
  const print = (event: WorkflowEvent): void => {
    if (options.json) out.json(event)
    else out.line(workflowEventLine(event))
  }
  const abort = new AbortController()
  let timedOut = false
  const timer = options.timeoutMs === undefined
    ? undefined
    : setTimeout(() => {
      timedOut = true
      abort.abort()
    }, options.timeoutMs)
  let ended = false
  const stream = client.events(workflowPath(workflowId, '/events'), abort.signal)
  try {
    let first = true
    while (!ended) {
      let next: IteratorResult<{ event: string, data: unknown }>
      try {
        next = await stream.next()
      } catch (err) {
        if (err instanceof CliError || err instanceof ApiError) throw err
        throw new CliError(EXIT.UNREACHABLE, `lost the connection to the node while following workflow ${workflowId} (${(err as Error).message}): see "swarm-node workflow ${workflowId}" once it is back`)
      }
      if (next.done === true) break
      const parsed = WorkflowEventSchema.safeParse(next.value.data)
      if (!parsed.success) continue
      const event = parsed.data
      ended = FINAL.has(event.type)
      if (ended && first) {
        // The workflow had ended already: its whole story is in the audit trail.
        const recorded = eventsOfAudit((await client.get(workflowPath(workflowId), WorkflowWithAuditSchema)).audit)
        if (recorded.some(e => FINAL.has(e.type))) {
          for (const e of recorded) print(e)
          break
        }
      }
      first = false
      print(event)
    }
  } finally {
    clearTimeout(timer)
    // Closes the response when the loop stopped before the stream's end.
    await stream.return(undefined)
  }
  if (!ended) {
    if (timedOut) throw new CliError(EXIT.TIMEOUT, `gave up waiting for workflow ${workflowId} after ${formatMs(options.timeoutMs ?? 0)}; it goes on: see "swarm-node workflow ${workflowId}" (or wait longer with --timeout)`)
    throw new CliError(EXIT.UNREACHABLE, `the node closed the event stream of workflow ${workflowId} before the workflow ended (did it stop?): see "swarm-node workflow ${workflowId}"`)
  }
  const { workflow } = await client.get(workflowPath(workflowId), WorkflowWithAuditSchema)
  if (options.json) out.json(workflow)
  else printWorkflowEnd(workflow, out)
  return workflowExitCode(workflow) ?? EXIT.FAILURE
}
