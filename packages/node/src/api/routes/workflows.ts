/**
 * Workflows this node runs: `POST /v1/workflows` (run a workflow file's content, or a preset
 * over a request), `GET /v1/workflows` (newest first), `GET /v1/workflows/:id` (every step, with
 * the audit trail), `POST /v1/workflows/:id/cancel`, and `GET /v1/workflows/:id/events` (its
 * events, replayed from the start, ending after its last; a finished one gives its last event).
 */
import { JsonSchema, IdSchema } from '@swarm/protocol'
import { z } from 'zod'
import { SwarmError } from '../../errors.js'
import { PRESET_NAMES, presetWorkflow } from '../../workflow/presets.js'
import { WORKFLOW_STATUSES } from '../../workflow/types.js'
import { queryParam, startEventStream } from '../http.js'
import { followEvents } from './events.js'
import type { Route } from '../http.js'
import type { NodeApi } from '../node-api.js'
import type { WorkflowView } from '../../workflow/types.js'

/** Body of `POST /v1/workflows`: a workflow (checked by the service: WORKFLOW_INVALID names each problem), or a preset and its request. */
const RunBodySchema = z.union([
  z.object({ workflow: z.record(z.string(), z.unknown()), input: JsonSchema.optional(), workflowId: IdSchema.optional() }).strict(),
  z.object({ preset: z.enum(PRESET_NAMES), request: z.string().min(1).max(4096), workflowId: IdSchema.optional() }).strict()
])
const CancelBodySchema = z.object({ reason: z.string().min(1).max(256).optional() }).strict()
const LimitSchema = z.coerce.number().int().min(1).max(10_000).default(100)
const StatusSchema = z.enum(WORKFLOW_STATUSES).optional()

function notFound (workflowId: string): SwarmError {
  return new SwarmError('WORKFLOW_NOT_FOUND', `no workflow ${workflowId} on this node: list them with "swarm-node workflows"`, { workflowId })
}

/** The last event of a finished workflow, as its stream ends with it. */
function finalEvent (view: WorkflowView): { type: string, payload: Record<string, unknown> } {
  const base = { workflowId: view.workflowId, at: view.finishedAt ?? view.updatedAt }
  if (view.status === 'completed') return { type: 'workflow:completed', payload: { ...base, durationMs: base.at - view.createdAt } }
  if (view.status === 'failed') return { type: 'workflow:failed', payload: { ...base, reason: view.reason ?? 'failed' } }
  return { type: 'workflow:cancelled', payload: { ...base, reason: view.reason ?? 'cancelled' } }
}

export function workflowRoutes (api: NodeApi): Route[] {
  const wf = api.workflows
  return [
    {
      method: 'POST',
      path: '/v1/workflows',
      handler: async ({ body }) => {
        const b = await body(RunBodySchema)
        const handle = 'preset' in b
          ? wf.run(presetWorkflow(b.preset, b.request), b.workflowId !== undefined ? { workflowId: b.workflowId } : {})
          : wf.run(b.workflow, { ...(b.input !== undefined ? { input: b.input } : {}), ...(b.workflowId !== undefined ? { workflowId: b.workflowId } : {}) })
        return { status: 201, json: { workflowId: handle.id, workflow: handle.view() } }
      }
    },
    {
      method: 'GET',
      path: '/v1/workflows',
      handler: ({ query }) => {
        const limit = queryParam(query, 'limit', LimitSchema)
        const status = queryParam(query, 'status', StatusSchema)
        return { json: { workflows: wf.list({ limit, ...(status !== undefined ? { status } : {}) }) } }
      }
    },
    {
      method: 'GET',
      path: '/v1/workflows/:id',
      handler: ({ params }) => {
        const id = params.id ?? ''
        const view = wf.view(id)
        if (view === undefined) throw notFound(id)
        return { json: { workflow: view, audit: wf.audit(id) } }
      }
    },
    {
      method: 'POST',
      path: '/v1/workflows/:id/cancel',
      handler: async ({ params, body }) => {
        const { reason } = await body(CancelBodySchema)
        return { json: { workflow: wf.cancel(params.id ?? '', reason) } }
      }
    },
    {
      method: 'GET',
      path: '/v1/workflows/:id/events',
      handler: ({ params, res }) => {
        const id = params.id ?? ''
        const handle = wf.get(id)
        if (handle === undefined) {
          const view = wf.view(id)
          if (view === undefined) throw notFound(id)
          if (view.status === 'running') throw new SwarmError('WORKFLOW_STATE', `workflow ${id} is running on this node but not followed in this run`, { workflowId: id })
          const stream = startEventStream(res)
          const last = finalEvent(view)
          stream.send(last.type, { type: last.type, ...last.payload })
          res.end()
          return undefined
        }
        followEvents(api, handle.events(), res, { workflowId: id })
        return undefined
      }
    }
  ]
}
