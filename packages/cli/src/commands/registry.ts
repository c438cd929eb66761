import { createRegistry, decodePeerKey, mergeConfig, readConfigFile } from '@swarm/node'
import { settingsFromEnv, withEnv } from '../env.js'
import { CliError, EXIT } from '../exit-codes.js'
import { PositiveIntSchema, parseFlag } from '../flags.js'
import { nodeProcessOverrides, printAgentEvents, shareableAddrs, startupError, stopOnSignal } from './foreground.js'
import type { NodeProcessFlags } from './foreground.js'
import type { Output } from '../output.js'
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
export async function registryCommand (given: RegistryFlags, out: Output, env: Record<string, string | undefined> = process.env): Promise<number> {
  const fromEnv = settingsFromEnv(env)
  const flags = withEnv(given, fromEnv)
  let node: SwarmNode
  try {
    const fromFile = flags.config === undefined ? {} : readConfigFile(flags.config)
    const input = mergeConfig(fromFile, registryOverrides(flags)) as NodeConfigInput
    node = await createRegistry(input, fromEnv.peerKey !== undefined ? { privateKey: decodePeerKey(fromEnv.peerKey, 'SWARM_PEER_KEY') } : {})
  } catch (err) {
    throw startupError(err, 'the registry')
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
