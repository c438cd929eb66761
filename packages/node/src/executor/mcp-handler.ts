/**
 * The `mcp` handler: any tool of an MCP server becomes a skill. Each part connects to the server
 * (starts it over stdio, or reaches its Streamable HTTP URL), calls the tool with the task input
 * as its arguments (mcp-result.ts), and closes the connection: a started server lives exactly as
 * long as the part, never longer than the node, and a crashed one does not poison later parts.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio'
import { SOFTWARE } from '../version.js'
import { McpHandlerSchema } from '../config.js'
import { abortError } from './abort.js'
import { parseHandlerConfig } from './handler-config.js'
import { ToolResultSchema, toolArguments, toolErrorText, toolOutput } from './mcp-result.js'
import { programEnv } from './program-env.js'
import { HandlerError } from './types.js'
import type { z } from 'zod'
import type { HandlerContext, SkillHandler } from './types.js'

/** An `mcp` handler's configuration as written (defaults optional). */
export type McpHandlerConfig = z.input<typeof McpHandlerSchema>
type McpSettings = z.output<typeof McpHandlerSchema>

/** Lines of a started server's stderr kept for the error message when it fails. */
const STDERR_LINES = 5

/** Where the server is, for messages: its command or its URL without query or credentials. */
function describeServer (s: McpSettings): string {
  if (s.command !== undefined) return `the MCP server "${[s.command, ...s.args].join(' ')}"`
  try {
    const u = new URL(s.url ?? '')
    return `the MCP server at ${u.origin}${u.pathname}`
  } catch {
    return 'the MCP server'
  }
}

function transportOf (s: McpSettings, ctx: HandlerContext, stderr: string[]): StdioClientTransport | StreamableHTTPClientTransport {
  if (s.command !== undefined) {
    const env = programEnv(process.env, s.passEnv, s.env, { SWARM_TASK_ID: ctx.taskId, SWARM_SKILL: ctx.skill }) as Record<string, string>
    const transport = new StdioClientTransport({ command: s.command, args: s.args, env, stderr: 'pipe', ...(s.cwd !== undefined ? { cwd: s.cwd } : {}) })
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(...chunk.toString().split('\n').filter(l => l.trim() !== ''))
      if (stderr.length > STDERR_LINES) stderr.splice(0, stderr.length - STDERR_LINES)
    })
    return transport
  }
  return new StreamableHTTPClientTransport(new URL(s.url ?? ''), { requestInit: { headers: s.headers } })
}

function reason (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** HANDLER_NOT_FOUND for a tool the server has not, naming the tools it has. */
async function noSuchTool (client: Client, where: string, tool: string): Promise<HandlerError> {
  const tools = await client.listTools().then(r => r.tools.map(t => t.name), () => [])
  return new HandlerError('HANDLER_NOT_FOUND', `${where} has no tool "${tool}"${tools.length > 0 ? `; it has ${tools.join(', ')}` : ''}`)
}

/** A handler calling `config.tool` of the configured MCP server for each part. */
export function mcpHandler (config: McpHandlerConfig): SkillHandler {
  const s = parseHandlerConfig(McpHandlerSchema, config)
  const where = describeServer(s)
  return async (input, ctx) => {
    const stderr: string[] = []
    const client = new Client({ name: `swarm-node/${ctx.skill}`, version: SOFTWARE.version })
    const failed = (err: unknown, what: string): HandlerError => {
      if (ctx.signal.aborted) return abortError(ctx.signal)
      const tail = stderr.length > 0 ? `; its stderr ends: ${stderr.join(' | ')}` : ''
      return new HandlerError(s.url !== undefined ? 'HANDLER_HTTP' : 'HANDLER_CRASHED', `${where} ${what}: ${reason(err)}${tail}`, { cause: err })
    }
    try {
      try {
        await client.connect(transportOf(s, ctx, stderr), { signal: ctx.signal })
      } catch (err) {
        throw failed(err, 'could not be reached')
      }
      let raw: unknown
      try {
        raw = await client.callTool({ name: s.tool, arguments: toolArguments(input) }, {
          signal: ctx.signal,
          timeout: s.timeoutMs,
          resetTimeoutOnProgress: true,
          onprogress: p => {
            if (p.total !== undefined && p.total > 0) ctx.progress(p.progress / p.total, p.message)
          }
        })
      } catch (err) {
        if (ctx.signal.aborted) throw abortError(ctx.signal)
        // An unknown tool: say which the server has.
        if (/not found|unknown tool/i.test(reason(err))) throw await noSuchTool(client, where, s.tool)
        throw failed(err, `failed calling "${s.tool}"`)
      }
      const result = ToolResultSchema.safeParse(raw)
      if (!result.success) throw new HandlerError('HANDLER_BAD_OUTPUT', `${where} answered "${s.tool}" with something that is not a tool result`)
      if (result.data.isError === true) {
        const text = toolErrorText(result.data)
        // MCP servers report an unknown tool as a tool error too.
        if (/tool .*not found|unknown tool/i.test(text)) throw await noSuchTool(client, where, s.tool)
        throw new HandlerError('HANDLER_TOOL_ERROR', `the tool "${s.tool}" of ${where} failed: ${text}`)
      }
      return toolOutput(result.data)
    } finally {
      await client.close().catch(() => {})
    }
  }
}
