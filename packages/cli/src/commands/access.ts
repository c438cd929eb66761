/**
 * Who may connect: `swarm-node keygen --swarm-key <file>` (the key of a private swarm), and at
 * run time `swarm-node block <peer>`, `unblock <peer>` and `access` (the allow and deny lists and
 * the blocked peers) through the control API.
 */
import { isSwarmError, writeSwarmKey } from '@swarm/node'
import { z } from 'zod'
import { ApiClient, resolveApiTarget } from '../api-client.js'
import { CliError, EXIT } from '../exit-codes.js'
import { parseFlag } from '../flags.js'
import { addApiOptions } from '../options.js'
import { table } from '../output.js'
import type { ApiFlags } from '../api-client.js'
import type { Output } from '../output.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'

const AccessSchema = z.object({
  allow: z.array(z.string()),
  deny: z.array(z.string()),
  blocked: z.array(z.object({ peerId: z.string(), at: z.number(), reason: z.string().optional() }).loose())
}).loose()

type Access = z.infer<typeof AccessSchema>

function printAccess (access: Access, out: Output): void {
  out.line(`allow    ${access.allow.length === 0 ? '(anyone)' : access.allow.join(', ')}`)
  out.line(`deny     ${access.deny.length === 0 ? '(nobody)' : access.deny.join(', ')}`)
  if (access.blocked.length === 0) {
    out.line('blocked  (nobody)')
    return
  }
  out.line('blocked:')
  out.line(table(['PEER ID', 'SINCE', 'REASON'], access.blocked.map(b => [b.peerId, new Date(b.at).toISOString(), b.reason ?? ''])))
}

async function keygenCommand (flags: { swarmKey?: string, force?: boolean }, out: Output): Promise<number> {
  if (flags.swarmKey === undefined) throw new CliError(EXIT.USAGE, 'keygen needs --swarm-key <file>: where to write the new key of a private swarm')
  try {
    writeSwarmKey(flags.swarmKey, flags.force === true)
  } catch (err) {
    if (isSwarmError(err)) throw new CliError(EXIT.USAGE, err.message)
    throw err
  }
  out.line(`wrote a new swarm key to ${flags.swarmKey} (mode 0600)`)
  out.line('copy it to every machine of the swarm and start each node with --swarm-key <file>; nodes without it cannot connect')
  return EXIT.OK
}

async function blockCommand (peerId: string, flags: ApiFlags & { json?: boolean, reason?: string }, out: Output): Promise<number> {
  const body: { peerId: string, reason?: string } = { peerId }
  if (flags.reason !== undefined) body.reason = parseFlag('--reason', flags.reason, z.string().min(1).max(256))
  const access = await new ApiClient(resolveApiTarget(flags)).post('/v1/access/block', AccessSchema, body)
  if (flags.json === true) out.json(access)
  else out.line(`blocked ${peerId}: its connections are closed and it cannot connect again (also after a restart; undo with swarm-node unblock ${peerId})`)
  return EXIT.OK
}

async function unblockCommand (peerId: string, flags: ApiFlags & { json?: boolean }, out: Output): Promise<number> {
  const access = await new ApiClient(resolveApiTarget(flags)).post('/v1/access/unblock', AccessSchema, { peerId })
  if (flags.json === true) out.json(access)
  else if (access.deny.includes(peerId)) out.line(`${peerId} is still refused: it is on the deny list of the node's configuration`)
  else out.line(`unblocked ${peerId}`)
  return EXIT.OK
}

async function accessCommand (flags: ApiFlags & { json?: boolean }, out: Output): Promise<number> {
  const access = await new ApiClient(resolveApiTarget(flags)).get('/v1/access', AccessSchema)
  if (flags.json === true) out.json(access)
  else printAccess(access, out)
  return EXIT.OK
}

/** Registers `keygen`, `block`, `unblock` and `access`. */
export function registerAccess (program: Command, ctx: CommandContext): void {
  program.command('keygen')
    .description('write a new key for a private swarm (libp2p PSK v1): only nodes started with the same --swarm-key file connect')
    .option('--swarm-key <file>', 'where to write the key (mode 0600)')
    .option('--force', 'replace an existing key file (every node that keeps the old key is cut off)')
    .action(async (flags: { swarmKey?: string, force?: boolean }) => { await ctx.run(async () => await keygenCommand(flags, ctx.out)) })

  addApiOptions(program.command('block')
    .description('refuse a peer from now on (its connections are closed; kept across restarts)')
    .argument('<peer>', 'peer id'))
    .option('--reason <text>', 'why (shown by swarm-node access)')
    .action(async (peer: string, flags: ApiFlags & { json?: boolean, reason?: string }) => { await ctx.run(async () => await blockCommand(peer, flags, ctx.out)) })

  addApiOptions(program.command('unblock')
    .description('lift a block made with swarm-node block')
    .argument('<peer>', 'peer id'))
    .action(async (peer: string, flags: ApiFlags & { json?: boolean }) => { await ctx.run(async () => await unblockCommand(peer, flags, ctx.out)) })

  addApiOptions(program.command('access')
    .description('who may connect: the allow and deny lists and the blocked peers'))
    .action(async (flags: ApiFlags & { json?: boolean }) => { await ctx.run(async () => await accessCommand(flags, ctx.out)) })
}
