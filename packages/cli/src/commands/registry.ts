import { createRegistry, decodePeerKey, mergeConfig, readConfigFile } from '@swarm/node'
import { blameEnv, envSources, settingsFromEnv, withEnv } from '../env.js'
import { CliError, EXIT } from '../exit-codes.js'
import { PositiveIntSchema, collect, parseFlag } from '../flags.js'
import { addNodeOutputOptions, addNodeSetupOptions } from '../options.js'
import { nodeProcessOverrides, printAgentEvents, shareableAddrs, startupError, stopOnSignal } from './foreground.js'
import type { NodeProcessFlags } from './foreground.js'
import type { Output } from '../output.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'
import type { NodeConfigInput, SwarmNode } from '@swarm/node'

export interface RegistryFlags extends NodeProcessFlags {
  config?: string
  /** --no-relay: no circuit relay server. */
  relay: boolean
  maxReservations?: string
  // Filled from the environment only, and refused: a registry has no skills.
  skill?: string[]
  exec?: string[]
}

/** Turns the registry flags into config overrides; only flags that were given override the file. */
export function registryOverrides (flags: RegistryFlags): Record<string, unknown> {
  if ((flags.skill ?? []).length > 0 || (flags.exec ?? []).length > 0) {
    throw new CliError(EXIT.USAGE, 'the registry has no skills: unset SWARM_SKILLS / SWARM_EXEC for it, and start agents with `swarm-node start --skill ...` for work')
  }
  const overrides = nodeProcessOverrides(flags)
  const relay: Record<string, unknown> = {}
  if (!flags.relay) relay.server = false
  if (flags.maxReservations !== undefined) relay.maxReservations = parseFlag('--max-reservations', flags.maxReservations, PositiveIntSchema)
  if (Object.keys(relay).length > 0) overrides.relay = relay
  return overrides
}

/** What the registry offers, in words, from its configuration. */
function services (node: SwarmNode): string {
  const { config } = node
  const dht = config.dht === false ? undefined : config.dht === 'client' ? 'DHT (client)' : 'DHT (server)'
  return ['agent directory', 'peer exchange', ...(dht !== undefined ? [dht] : []), ...(config.relay.server ? [`circuit relay (up to ${config.relay.maxReservations} reservations)`] : [])].join(', ')
}

/** `swarm-node registry`: runs the bootstrap registry in the foreground until SIGINT or SIGTERM. */
async function registryCommand (given: RegistryFlags, out: Output, env: Record<string, string | undefined> = process.env): Promise<number> {
  const fromEnv = settingsFromEnv(env)
  const flags = withEnv(given, fromEnv)
  const sources = envSources(given, fromEnv)
  let node: SwarmNode
  try {
    const fromFile = flags.config === undefined ? {} : readConfigFile(flags.config)
    const input = mergeConfig(fromFile, registryOverrides(flags)) as NodeConfigInput
    node = await createRegistry(input, fromEnv.peerKey !== undefined ? { privateKey: decodePeerKey(fromEnv.peerKey, 'SWARM_PEER_KEY') } : {})
  } catch (err) {
    throw blameEnv(startupError(err, 'the registry'), sources)
  }

  // Signal handlers first: whoever reads the banner may stop the registry at once.
  const exited = stopOnSignal(node, flags.json === true, out)

  const status = node.status()
  const addrs = shareableAddrs(status.addrs)
  if (flags.json === true) {
    out.json({ event: 'started', role: 'registry', peerId: status.peerId, name: status.name, network: status.network, addrs, api: status.api, dataDir: status.dataDir, dht: node.config.dht === false ? 'off' : node.config.dht === true ? 'server' : node.config.dht, relay: node.config.relay.server })
  } else {
    out.line(`swarm-node ${status.software.version} registry started`)
    out.line(`  name       ${status.name}`)
    out.line(`  peer id    ${status.peerId}`)
    out.line(`  network    ${status.network}`)
    addrs.forEach((addr, i) => { out.line(`  ${i === 0 ? 'listening' : '         '}  ${addr}`) })
    out.line(`  control    ${status.api ?? 'disabled'}`)
    out.line(`  data dir   ${status.dataDir}`)
    out.line(`  serves     ${services(node)}`)
    out.line('  agents join it with:')
    out.line(`    swarm-node start --bootstrap ${addrs[0] ?? '<address>'} --skill <name:level>`)
  }

  const show = printAgentEvents(node, flags, out)
  if (show !== undefined) {
    node.libp2p.services.relay?.addEventListener('relay:reservation', e => {
      show(`relay slot    ${e.detail.addr.toString()}`, { event: 'relay:reservation', addr: e.detail.addr.toString(), expiry: e.detail.expiry.toISOString() })
    })
  }

  return await exited
}

/** Registers `swarm-node registry`. */
export function registerRegistry (program: Command, ctx: CommandContext): void {
  const cmd = addNodeSetupOptions(program.command('registry')
    .description('start the optional bootstrap registry in the foreground: a fixed address to join through, agent directory, peer exchange, DHT server and circuit relay; no skills'))
    .option('--listen <multiaddr>', 'address to listen on, repeatable (default: /ip4/0.0.0.0/tcp/4100)', collect)
    .option('--announce <multiaddr>', 'address to advertise instead of the listen addresses, repeatable', collect)
    .option('--network <name>', 'network name; nodes only talk within one network (default: swarm)')
    .option('--no-mdns', 'do not discover peers on the local network by mDNS')
    .option('--dht <mode>', 'DHT mode: server (default), client or off')
    .option('--no-relay', 'do not relay for peers that cannot be dialled')
    .option('--max-reservations <n>', 'peers that may hold a relay slot at once (default: 128)')
    .option('--api-port <port>', 'control API port on 127.0.0.1 (default: 7500; 0 picks a free one)')
    .option('--name <name>', 'display name (default: registry)')
  addNodeOutputOptions(cmd, 'registry')
    .addHelpText('after', `
The registry is optional: agents keep working among themselves when it stops, and any agent's
address works as a --bootstrap address too. Ask it who has a skill:
  swarm-node agents --data-dir <the registry's data dir> --skill analytics

Examples:
  swarm-node registry --data-dir ~/.swarm/registry
  swarm-node registry --listen /ip4/0.0.0.0/tcp/4100 --announce /dns4/registry.example.org/tcp/4100
  SWARM_PEER_KEY=$(base64 -w0 saved/peer.key) swarm-node registry   # a fixed identity`)
    .action(async (flags: RegistryFlags) => { await ctx.run(async () => await registryCommand(flags, ctx.out)) })
}
