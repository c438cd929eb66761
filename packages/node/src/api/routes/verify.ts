/** `GET /v1/verify/:id`: checks the stored award of a task, or the vote certificate of a proposal. */
import { SwarmError } from '../../errors.js'
import type { Route } from '../http.js'
import type { NodeApi } from '../node-api.js'

export function verifyRoutes (api: NodeApi): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/verify/:id',
      handler: async ({ params }) => {
        const id = params.id ?? ''
        const report = await api.verify(id)
        if (report === undefined) throw new SwarmError('TASK_NOT_FOUND', `no award of a task and no proposal ${id} is stored on this node`, { id })
        return { json: { report } }
      }
    }
  ]
}
