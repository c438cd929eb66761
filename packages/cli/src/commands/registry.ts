import { resolve } from 'node:path'
import { createRegistry, decodePeerKey, isSwarmError, mergeConfig, readConfigFile } from '@swarm/node'
import { settingsFromEnv, withEnv } from '../env.js'
import { CliError, EXIT } from '../exit-codes.js'
import { PortSchema, PositiveIntSchema, parseFlag } from '../flags.js'
import { shortId } from '../output.js'
import { dhtFlag } from './start.js'
import type { Output } from '../output.js'
import type { NodeConfigInput, SwarmNode } from '@swarm/node'

export interface RegistryFlags {
  config?: string
  dataDir?: string
  listen?: string[]
  announce?: string[]
  network?: string
  mdns: boolean
  /** --no-dht: no DHT server. */
  dht?: boolean | string
  /** --no-relay: no circuit relay server. */
  relay: boolean
  maxReservations?: string
  apiPort?: string
  name?: string
  logLevel?: string
  logFile?: string
  json?: boolean
  quiet?: boolean
  // Filled from the environment only, and refused: a registry has no skills.
  skill?: string[]
  exec?: string[]
}

/** Turns the registry flags into config overrides; only flags that were given override the file. */
export function registryOverrides (flags: RegistryFlags): Record<string, unknown> {
  if ((flags.skill ?? []).length > 0 || (flags.exec ?? []).length > 0) {
    throw new CliError(EXIT.USAGE, 'the registry has no skills: unset SWARM_SKILLS / SWARM_EXEC for it, and start agents with `swarm-node start --skill ...` for work')
  }
  const overrides: Record<string, unknown> = {}
  if (flags.dataDir !== undefined) overrides.dataDir = flags.dataDir
  if (flags.listen !== undefined && flags.listen.length > 0) overrides.listen = flags.listen
  if (flags.announce !== undefined && flags.announce.length > 0) overrides.announce = flags.announce
  if (flags.network !== undefined) overrides.network = flags.network
  if (!flags.mdns) overrides.mdns = false
  if (flags.dht !== undefined) overrides.dht = dhtFlag(flags.dht)
  const relay: Record<string, unknown> = {}
  if (!flags.relay) relay.server = false
  if (flags.maxReservations !== undefined) relay.maxReservations = parseFlag('--max-reservations', flags.maxReservations, PositiveIntSchema)
  if (Object.keys(relay).length > 0) overrides.relay = relay
  if (flags.name !== undefined) overrides.name = flags.name
  if (flags.apiPort !== undefined) overrides.api = { port: parseFlag('--api-port', flags.apiPort, PortSchema) }
  if (flags.logLevel !== undefined) overrides.logLevel = flags.logLevel
  if (flags.logFile !== undefined) {
    if (flags.logFile.trim() === '') throw new CliError(EXIT.USAGE, 'invalid --log-file "": give a file path, or - for standard error')
    overrides.logFile = flags.logFile === '-' ? '-' : resolve(flags.logFile)
  }
  return overrides
}

/** What the registry offers, in words, from its configuration. */
function services (node: SwarmNode): string {
  const { config } = node
  const dht = config.dht === false ? undefined : config.dht === 'client' ? 'DHT (client)' : 'DHT (server)'
  return ['agent directory', 'peer exchange', ...(dht !== undefined ? [dht] : []), ...(config.relay.server ? [`circuit relay (up to ${config.relay.maxReservations} reservations)`] : [])].join(', ')
}

/** Addresses worth giving to others: not loopback first, loopback last. */
export function shareableAddrs (addrs: string[]): string[] {
  const loopback = (a: string): boolean => a.startsWith('/ip4/127.') || a.startsWith('/ip6/::1/')
  return [...addrs.filter(a => !loopback(a)), ...addrs.filter(loopback)]
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
    if (err instanceof CliError) throw err
    if (isSwarmError(err)) {
      const usage = err.code === 'CONFIG_INVALID' || err.code === 'CONFIG_NOT_FOUND' || err.code === 'ADDRESS_INVALID'
      throw new CliError(usage ? EXIT.USAGE : EXIT.STARTUP, err.message)
    }
    throw new CliError(EXIT.STARTUP, `the registry could not start: ${(err as Error).message}`)
  }

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

  if (flags.quiet !== true) {
    const show = (text: string, data: Record<string, unknown>): void => {
      if (flags.json === true) out.json(data)
      else out.line(text)
    }
    node.on('agent:joined', a => { show(`agent joined  ${a.card.name} ${shortId(a.peerId)} ${a.card.skills.map(s => `${s.name}:${s.level}`).join(', ')}`, { event: 'agent:joined', peerId: a.peerId, name: a.card.name }) })
    node.on('agent:left', a => { show(`agent left    ${shortId(a.peerId)}`, { event: 'agent:left', peerId: a.peerId }) })
    node.libp2p.services.relay?.addEventListener('relay:reservation', e => {
      show(`relay slot    ${e.detail.addr.toString()}`, { event: 'relay:reservation', addr: e.detail.addr.toString(), expiry: e.detail.expiry.toISOString() })
    })
  }

  return await new Promise<number>(resolve => {
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) return
      stopping = true
      if (flags.json !== true) out.line(`${signal}: stopping…`)
      const force = setTimeout(() => { resolve(EXIT.FAILURE) }, 10_000)
      force.unref()
      node.stop().then(() => {
        clearTimeout(force)
        if (flags.json === true) out.json({ event: 'stopped' })
        else out.line('stopped')
        resolve(EXIT.OK)
      }, (err: unknown) => {
        out.error(`error while stopping: ${(err as Error).message}`)
        resolve(EXIT.FAILURE)
      })
    }
    process.once('SIGINT', () => { stop('SIGINT') })
    process.once('SIGTERM', () => { stop('SIGTERM') })
  })
}
