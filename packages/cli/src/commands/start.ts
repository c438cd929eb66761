import { createSwarmNode, isSwarmError, loadConfig, parseSkillFlag } from '@swarm/node'
import { CliError, EXIT } from '../exit-codes.js'
import { PortSchema, PositiveIntSchema, parseFlag } from '../flags.js'
import { shortId } from '../output.js'
import type { Output } from '../output.js'
import type { NodeConfigInput, SwarmNode } from '@swarm/node'

export interface StartFlags {
  config?: string
  dataDir?: string
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  skill?: string[]
  exec?: string[]
  network?: string
  mdns: boolean
  dht?: boolean
  apiPort?: string
  name?: string
  capacity?: string
  logLevel?: string
  json?: boolean
  quiet?: boolean
}

/** Turns the start flags into config overrides; only flags that were given override the file. */
export function startOverrides (flags: StartFlags): Partial<NodeConfigInput> {
  const overrides: Partial<NodeConfigInput> = {}
  if (flags.dataDir !== undefined) overrides.dataDir = flags.dataDir
  if (flags.listen !== undefined && flags.listen.length > 0) overrides.listen = flags.listen
  if (flags.announce !== undefined && flags.announce.length > 0) overrides.announce = flags.announce
  if (flags.bootstrap !== undefined && flags.bootstrap.length > 0) overrides.bootstrap = flags.bootstrap
  if (flags.network !== undefined) overrides.network = flags.network
  if (!flags.mdns) overrides.mdns = false
  if (flags.dht === true) overrides.dht = true
  if (flags.name !== undefined) overrides.name = flags.name
  if (flags.apiPort !== undefined) overrides.api = { port: parseFlag('--api-port', flags.apiPort, PortSchema) }
  if (flags.capacity !== undefined) overrides.capacity = parseFlag('--capacity', flags.capacity, PositiveIntSchema)
  if (flags.logLevel !== undefined) overrides.logLevel = flags.logLevel as NodeConfigInput['logLevel']
  if (flags.skill !== undefined && flags.skill.length > 0) {
    overrides.skills = flags.skill.map(s => {
      try {
        return parseSkillFlag(s)
      } catch (err) {
        throw new CliError(EXIT.USAGE, (err as Error).message)
      }
    })
  }
  return overrides
}

function describeSkills (node: SwarmNode): string {
  const skills = node.config.skills.map(s => `${s.name}:${s.level}${s.handler !== undefined ? ` (${s.handler.kind})` : ''}`)
  return skills.length === 0 ? '(none)' : skills.join(', ')
}

/** `swarm-node start`: runs a node in the foreground until SIGINT or SIGTERM. */
export async function startCommand (flags: StartFlags, out: Output): Promise<number> {
  let node: SwarmNode
  try {
    const config = loadConfig(flags.config, startOverrides(flags))
    node = await createSwarmNode(config)
  } catch (err) {
    if (err instanceof CliError) throw err
    if (isSwarmError(err)) {
      const usage = err.code === 'CONFIG_INVALID' || err.code === 'CONFIG_NOT_FOUND' || err.code === 'ADDRESS_INVALID'
      throw new CliError(usage ? EXIT.USAGE : EXIT.STARTUP, err.message)
    }
    throw new CliError(EXIT.STARTUP, `the node could not start: ${(err as Error).message}`)
  }

  const status = node.status()
  if (flags.json === true) {
    out.json({ event: 'started', peerId: status.peerId, name: status.name, network: status.network, addrs: status.addrs, api: status.api, dataDir: status.dataDir, skills: status.skills.map(s => ({ name: s.name, level: s.level })) })
  } else {
    out.line(`swarm-node ${status.software.version} started`)
    out.line(`  name       ${status.name}`)
    out.line(`  peer id    ${status.peerId}`)
    out.line(`  network    ${status.network}`)
    status.addrs.forEach((addr, i) => { out.line(`  ${i === 0 ? 'listening' : '         '}  ${addr}`) })
    out.line(`  control    ${status.api ?? 'disabled'}`)
    out.line(`  data dir   ${status.dataDir}`)
    out.line(`  skills     ${describeSkills(node)}`)
    out.line(`  join it:   swarm-node start --bootstrap ${status.addrs.find(a => !a.includes('/127.0.0.1/')) ?? status.addrs[0] ?? '<address>'}`)
  }

  if (flags.quiet !== true) {
    const show = (text: string, data: Record<string, unknown>): void => {
      if (flags.json === true) out.json(data)
      else out.line(text)
    }
    node.on('agent:joined', a => { show(`agent joined  ${a.card.name} ${shortId(a.peerId)} ${a.card.skills.map(s => `${s.name}:${s.level}`).join(', ')}`, { event: 'agent:joined', peerId: a.peerId, name: a.card.name }) })
    node.on('agent:left', a => { show(`agent left    ${shortId(a.peerId)}`, { event: 'agent:left', peerId: a.peerId }) })
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
