/**
 * What every tool module gets: the control API client of the node the server is attached to,
 * and who the MCP client is (for the default worker name of `claim_task`).
 */
import { z } from 'zod'
import type { ApiClient } from '../api-client.js'
import type { ServerContext } from '@modelcontextprotocol/server'

export interface McpContext {
  client: ApiClient
  /** The MCP client's name, when it gave one (see `clientNameOf`). */
  clientName: (ctx: ServerContext) => string | undefined
}

/** Where a 2026-era request carries the client's name and version. */
const CLIENT_INFO_KEY = 'io.modelcontextprotocol/clientInfo'
const ClientInfoSchema = z.object({ name: z.string().min(1) }).loose()

/**
 * The MCP client's name: from the request's envelope (`ctx.mcpReq.envelope`: clients of the
 * 2026 protocol era may send it with every request, and never initialize), else from the
 * `initialize` request of a 2025-era connection (`initialized`).
 */
export function clientNameOf (envelope: object | undefined, initialized: string | undefined): string | undefined {
  const keys: Record<string, unknown> = { ...envelope }
  const info = ClientInfoSchema.safeParse(keys[CLIENT_INFO_KEY])
  return info.success ? info.data.name : initialized
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
