/**
 * `swarm-node mcp`: an MCP server over standard input and output, attached to a running node
 * through its control API like the other commands. It checks the node answers first (exit 3 if
 * not), then serves until the client closes its end. Standard output carries MCP only; the
 * server writes nothing else there.
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio'
import { ApiClient, resolveApiTarget } from '../api-client.js'
import { EXIT } from '../exit-codes.js'
import { createMcpServer } from '../mcp/server.js'
import { addNodeTargetOptions } from '../options.js'
import { StatusSchema } from './inspect.js'
import type { ApiFlags } from '../api-client.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'

/** Resolves when standard input ends: the client went away. */
async function inputEnded (): Promise<void> {
  await new Promise<void>(resolve => {
    if (process.stdin.readableEnded || process.stdin.destroyed) return resolve()
    process.stdin.once('end', () => { resolve() })
    process.stdin.once('close', () => { resolve() })
  })
}

async function mcpCommand (flags: ApiFlags): Promise<number> {
  const client = new ApiClient(resolveApiTarget(flags))
  // A node that does not answer ends the command here, with exit 3 and what to do.
  await client.get('/v1/status', StatusSchema)
  const handle = serveStdio(() => createMcpServer(client), {
    onerror: err => { process.stderr.write(`swarm-node mcp: ${err.message}\n`) }
  })
  await inputEnded()
  await handle.close()
  return EXIT.OK
}

/** Registers `swarm-node mcp`. */
export function registerMcp (program: Command, ctx: CommandContext): void {
  addNodeTargetOptions(program.command('mcp')
    .description('serve the node\'s tools to an MCP client (a desktop assistant, a coding agent) over standard input/output'))
    .addHelpText('after', `
The MCP client starts this command; it attaches to a running node (start one with "swarm-node
start"). Tools: swarm_status, list_agents, announce_task, get_task, cancel_task, join_session,
post_finding, get_findings, propose_action, vote, claim_task, report_progress, complete_task,
wait_for. Resources: swarm://tasks/{taskId} and swarm://tasks/{taskId}/blackboard.
Exit code 3 when no node answers.

Example entry of a desktop client's configuration (npx --prefix runs the checkout's swarm-node
with its own Node.js from any working directory):
  {"mcpServers": {"swarm": {"command": "npx",
    "args": ["--prefix", "/path/to/swarm", "swarm-node", "mcp", "--data-dir", "/home/me/.swarm"]}}}`)
    .action(async (flags: ApiFlags) => { await ctx.run(async () => await mcpCommand(flags)) })
}
