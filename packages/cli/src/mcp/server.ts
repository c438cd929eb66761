/**
 * The MCP server of `swarm-node mcp`: the tools and resources of the node it is attached to,
 * built on one control API client. `createMcpServer` builds one instance (the stdio entry asks
 * for one per connection; tests connect it to an in-memory transport).
 */
import { McpServer } from '@modelcontextprotocol/server'
import { SOFTWARE } from '@swarm/node'
import { clientNameOf } from './context.js'
import { registerResources } from './resources.js'
import { registerGroupTools } from './tools-group.js'
import { registerInboxTools } from './tools-inbox.js'
import { registerTaskTools } from './tools-tasks.js'
import { registerWaitTool } from './tools-wait.js'
import type { ApiClient } from '../api-client.js'
import type { McpContext } from './context.js'

const INSTRUCTIONS = `Tools of a swarm node: a peer-to-peer network of agents that advertise skills and form working groups for tasks.
Announce work with announce_task (it waits for the result by default) and follow it with get_task or wait_for.
Work with a task's group: join_session shows it; post_finding / get_findings use its blackboard; propose_action and vote decide together.
Do work for the swarm: claim_task takes a part waiting in this node's inbox, report_progress keeps its lease, complete_task hands in the output.`

/** A server instance answering with the node behind `client`. */
export function createMcpServer (client: ApiClient): McpServer {
  const server = new McpServer({ name: 'swarm-node', version: SOFTWARE.version }, { instructions: INSTRUCTIONS, capabilities: { tools: {}, resources: {} } })
  const ctx: McpContext = { client, clientName: request => clientNameOf(request.mcpReq.envelope, server.server.getClientVersion()?.name) }
  registerTaskTools(server, ctx)
  registerGroupTools(server, ctx)
  registerInboxTools(server, ctx)
  registerWaitTool(server, ctx)
  registerResources(server, ctx)
  return server
}
