/**
 * The endpoints of the control API, one module per resource, over the {@link NodeApi} of a node.
 */
import { dashboardRoutes } from './dashboard.js'
import { escalationRoutes } from './escalations.js'
import { eventRoutes } from './events.js'
import { groupRoutes } from './groups.js'
import { inboxRoutes } from './inbox.js'
import { nodeInfoRoutes } from './node.js'
import { taskRoutes } from './tasks.js'
import { verifyRoutes } from './verify.js'
import { workflowRoutes } from './workflows.js'
import type { Route } from '../http.js'
import type { NodeApi } from '../node-api.js'

export function nodeRoutes (api: NodeApi): Route[] {
  return [
    ...nodeInfoRoutes(api),
    ...dashboardRoutes(),
    ...eventRoutes(api),
    ...taskRoutes(api),
    ...groupRoutes(api),
    ...escalationRoutes(api),
    ...inboxRoutes(api),
    ...verifyRoutes(api),
    ...workflowRoutes(api)
  ]
}
