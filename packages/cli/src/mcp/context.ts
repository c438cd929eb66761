/**
 * What every tool module gets: the control API client of the node the server is attached to,
 * and who the MCP client is (for the default worker name of `claim_task`).
 */
import type { ApiClient } from '../api-client.js'
import type { ServerContext } from '@modelcontextprotocol/server'

export interface McpContext {
  client: ApiClient
  /** The MCP client's name from its `initialize` request, when it gave one. */
  clientName: () => string | undefined
}

/** How often a long wait tells a client that asked for progress that it is still waiting. */
const KEEP_ALIVE_MS = 15_000

/**
 * While a tool waits, sends progress notifications to a client that gave a progress token (so a
 * client that resets its request timeout on progress waits as long as the tool does). Returns
 * the function that stops them.
 */
export function keepAlive (ctx: ServerContext, what: string): () => void {
  const token = ctx.mcpReq._meta?.progressToken
  if (token === undefined) return () => {}
  let beats = 0
  const timer = setInterval(() => {
    beats++
    ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: beats, message: `still waiting for ${what}` } }).catch(() => {})
  }, KEEP_ALIVE_MS)
  return () => { clearInterval(timer) }
}
