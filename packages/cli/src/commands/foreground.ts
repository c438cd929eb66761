/**
 * What `swarm-node start` and `swarm-node registry` share: both run one node in the foreground,
 * from the same kind of flags, until SIGINT or SIGTERM.
 */
import { resolve } from 'node:path'
import { isSwarmError } from '@swarm/node'
import { CliError, EXIT } from '../exit-codes.js'
import { PortSchema, parseFlag } from '../flags.js'
import { shortId } from '../output.js'
import type { Output } from '../output.js'
import type { SwarmNode } from '@swarm/node'

/** The flags of a node process that start and registry have in common. */
export interface NodeProcessFlags {
  dataDir?: string
  listen?: string[]
  announce?: string[]
  network?: string
  mdns: boolean
  dht?: boolean | string
  apiPort?: string
  name?: string
  logLevel?: string
  logFile?: string
  json?: boolean
  quiet?: boolean
  swarmKey?: string
  allow?: string[]
  deny?: string[]
}

/** The value of --dht (or SWARM_DHT): alone it means server, as it always did. */
export function dhtFlag (value: boolean | string): false | 'client' | 'server' {
  if (value === true || value === 'server' || value === 'true') return 'server'
  if (value === false || value === 'off' || value === 'false') return false
  if (value === 'client') return 'client'
  throw new CliError(EXIT.USAGE, `invalid --dht "${value}": use off, client or server`)
}

/** Config overrides from the common flags; only flags that were given override the file. */
export function nodeProcessOverrides (flags: NodeProcessFlags): Record<string, unknown> {
  const overrides: Record<string, unknown> = {}
  if (flags.dataDir !== undefined) overrides.dataDir = flags.dataDir
  if (flags.listen !== undefined && flags.listen.length > 0) overrides.listen = flags.listen
  if (flags.announce !== undefined && flags.announce.length > 0) overrides.announce = flags.announce
  if (flags.network !== undefined) overrides.network = flags.network
  if (!flags.mdns) overrides.mdns = false
  if (flags.dht !== undefined) overrides.dht = dhtFlag(flags.dht)
  if (flags.name !== undefined) overrides.name = flags.name
  if (flags.apiPort !== undefined) overrides.api = { port: parseFlag('--api-port', flags.apiPort, PortSchema) }
  if (flags.logLevel !== undefined) overrides.logLevel = flags.logLevel
  if (flags.swarmKey !== undefined) {
    if (flags.swarmKey.trim() === '') throw new CliError(EXIT.USAGE, 'invalid --swarm-key "": give the path of a swarm key file (swarm-node keygen --swarm-key <file> makes one)')
    overrides.swarmKey = resolve(flags.swarmKey)
  }
  if (flags.allow !== undefined && flags.allow.length > 0) overrides.allow = flags.allow
  if (flags.deny !== undefined && flags.deny.length > 0) overrides.deny = flags.deny
  if (flags.logFile !== undefined) {
    if (flags.logFile.trim() === '') throw new CliError(EXIT.USAGE, 'invalid --log-file "": give a file path, or - for standard error')
    overrides.logFile = flags.logFile === '-' ? '-' : resolve(flags.logFile)
  }
  return overrides
}

/** Addresses worth giving to others: not loopback first, loopback last. */
export function shareableAddrs (addrs: string[]): string[] {
  const loopback = (a: string): boolean => a.startsWith('/ip4/127.') || a.startsWith('/ip6/::1/')
  return [...addrs.filter(a => !loopback(a)), ...addrs.filter(loopback)]
}

/** Why a node could not be created, as the exit code and message the user sees (`what`: "the node"). */
export function startupError (err: unknown, what: string): CliError {
  if (err instanceof CliError) return err
  if (isSwarmError(err)) {
    const usage = err.code === 'CONFIG_INVALID' || err.code === 'CONFIG_NOT_FOUND' || err.code === 'ADDRESS_INVALID'
    return new CliError(usage ? EXIT.USAGE : EXIT.STARTUP, err.message)
  }
  return new CliError(EXIT.STARTUP, `${what} could not start: ${(err as Error).message}`)
}

/**
 * Stops the node on SIGINT or SIGTERM and resolves with the exit code. Call it before printing
 * the banner: whoever reads the banner may stop the node at once.
 */
export async function stopOnSignal (node: SwarmNode, json: boolean, out: Output): Promise<number> {
  return await new Promise<number>(resolve => {
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) return
      stopping = true
      if (!json) out.line(`${signal}: stopping…`)
      const force = setTimeout(() => { resolve(EXIT.FAILURE) }, 10_000)
      force.unref()
      node.stop().then(() => {
        clearTimeout(force)
        if (json) out.json({ event: 'stopped' })
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

/** Prints one event of the running node: a line of text, or its JSON with --json. */
export type EventPrinter = (text: string, data: Record<string, unknown>) => void

/** Prints agents joining and leaving; returns the printer for other events (nothing with --quiet). */
export function printAgentEvents (node: SwarmNode, flags: Pick<NodeProcessFlags, 'json' | 'quiet'>, out: Output): EventPrinter | undefined {
  if (flags.quiet === true) return undefined
  const show: EventPrinter = (text, data) => {
    if (flags.json === true) out.json(data)
    else out.line(text)
  }
  node.on('agent:joined', a => { show(`agent joined  ${a.card.name} ${shortId(a.peerId)} ${a.card.skills.map(s => `${s.name}:${s.level}`).join(', ')}`, { event: 'agent:joined', peerId: a.peerId, name: a.card.name }) })
  node.on('agent:left', a => { show(`agent left    ${shortId(a.peerId)}`, { event: 'agent:left', peerId: a.peerId }) })
  return show
}
