/**
 * Working groups: proposals (`POST /v1/tasks/:id/proposals`, `GET /v1/proposals[/:id]`), votes
 * (`POST /v1/proposals/:id/votes`) and the blackboard (`GET /v1/tasks/:id/blackboard`, and
 * `POST /v1/tasks/:id/findings` for a finding written from outside, e.g. by an inbox worker).
 */
import { z } from 'zod'
import { SwarmError, isSwarmError } from '../../errors.js'
import { FindingInputSchema, ProposeInputSchema, VoteInputSchema } from '../../group/inputs.js'
import { queryParam } from '../http.js'
import { taskNotFound } from '../task-views.js'
import type { Route } from '../http.js'
import type { NodeApi } from '../node-api.js'

/** `?task=<id>`: only one task's. */
export const TaskParamSchema = z.string().min(1).max(64).optional()

export function groupRoutes (api: NodeApi): Route[] {
  const { groups } = api
  return [
    {
      method: 'POST',
      path: '/v1/tasks/:id/proposals',
      handler: async ({ params, body }) => {
        const input = await body(ProposeInputSchema)
        const proposal = await groups.propose(params.id ?? '', input)
        return { status: 201, json: { proposal } }
      }
    },
    {
      method: 'GET',
      path: '/v1/proposals',
      handler: ({ query }) => {
        const task = queryParam(query, 'task', TaskParamSchema)
        return { json: { proposals: groups.proposals(task) } }
      }
    },
    {
      method: 'GET',
      path: '/v1/proposals/:id',
      handler: ({ params }) => {
        const id = params.id ?? ''
        const proposal = groups.proposal(id)
        if (proposal === undefined) throw new SwarmError('PROPOSAL_NOT_FOUND', `no proposal ${id} on this node`, { proposalId: id })
        return { json: { proposal } }
      }
    },
    {
      method: 'POST',
      path: '/v1/proposals/:id/votes',
      handler: async ({ params, body }) => {
        const vote = await body(VoteInputSchema)
        return { status: 201, json: { proposal: groups.vote(params.id ?? '', vote) } }
      }
    },
    {
      method: 'POST',
      path: '/v1/tasks/:id/findings',
      handler: async ({ params, body }) => {
        const id = params.id ?? ''
        const finding = await body(FindingInputSchema)
        try {
          return { status: 201, json: { taskId: id, findingId: groups.postFinding(id, finding) } }
        } catch (err) {
          if (isSwarmError(err) && err.code === 'GROUP_NOT_FOUND') {
            throw new SwarmError('GROUP_NOT_FOUND', `this node has no live working group of task ${id}: only a member or the announcer of a running task can write its blackboard (ask the node that works on it)`, { taskId: id })
          }
          throw err
        }
      }
    },
    {
      method: 'GET',
      path: '/v1/tasks/:id/blackboard',
      handler: ({ params }) => {
        const id = params.id ?? ''
        const blackboard = groups.blackboard(id)
        if (blackboard === undefined) {
          if (api.task(id) === undefined) throw taskNotFound(id)
          throw new SwarmError('GROUP_NOT_FOUND', `task ${id} has no blackboard on this node (no working group of it ran here)`, { taskId: id })
        }
        return { json: { blackboard } }
      }
    }
  ]
}
