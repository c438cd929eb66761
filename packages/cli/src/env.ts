import { formatIssues } from '@swarm/protocol'
import { z } from 'zod'
import { CliError, EXIT } from './exit-codes.js'

/**
 * Settings of `swarm-node start` and `swarm-node registry` read from the environment (for
 * containers: docker/compose.yaml). A flag given on the command line wins over its variable.
 * Empty variables count as unset (compose passes `${VAR:-}` as an empty string).
 *
 *   SWARM_CONFIG     config file                         (--config)
 *   SWARM_SKILLS     name:level, comma-separated          (--skill, repeated)
 *   SWARM_EXEC       skill=command, semicolon-separated   (--exec, repeated)
 *   SWARM_BOOTSTRAP  multiaddrs, comma-separated          (--bootstrap, repeated)
 *   SWARM_LISTEN     multiaddrs, comma-separated          (--listen, repeated)
 *   SWARM_ANNOUNCE   multiaddrs, comma-separated          (--announce, repeated)
 *   SWARM_NETWORK    network name                         (--network)
 *   SWARM_NAME       display name                         (--name)
 *   SWARM_CAPACITY   tasks at once                        (--capacity)
 *   SWARM_API_PORT   control API port                     (--api-port)
 *   SWARM_MDNS       true or false                        (--no-mdns when false)
 *   SWARM_DHT        off, client or server                (--dht)
 *   SWARM_LOG_LEVEL  log level                            (--log-level)
 *   SWARM_KEY_FILE   a private swarm's key file          (--swarm-key)
 *   SWARM_PEER_KEY   base64 of a peer.key file: a fixed identity (no flag)
 *   SWARM_A2A_LISTEN the A2A server's multiaddr           (--a2a-listen)
 * SWARM_DATA_DIR (the data directory) is read by the node's configuration itself.
 */
export const ENV_VARS = ['SWARM_CONFIG', 'SWARM_SKILLS', 'SWARM_EXEC', 'SWARM_BOOTSTRAP', 'SWARM_LISTEN', 'SWARM_ANNOUNCE', 'SWARM_NETWORK', 'SWARM_NAME', 'SWARM_CAPACITY', 'SWARM_API_PORT', 'SWARM_MDNS', 'SWARM_DHT', 'SWARM_LOG_LEVEL', 'SWARM_KEY_FILE', 'SWARM_PEER_KEY', 'SWARM_A2A_LISTEN'] as const

const text = z.string().trim().min(1)
const list = (separator: string): z.ZodType<string[], string> => z.string().transform(s => s.split(separator).map(x => x.trim()).filter(x => x !== ''))

const EnvSchema = z.object({
  SWARM_CONFIG: text.optional(),
  SWARM_SKILLS: list(',').optional(),
  SWARM_EXEC: list(';').optional(),
  SWARM_BOOTSTRAP: list(',').optional(),
  SWARM_LISTEN: list(',').optional(),
  SWARM_ANNOUNCE: list(',').optional(),
  SWARM_NETWORK: text.optional(),
  SWARM_NAME: text.optional(),
  SWARM_CAPACITY: z.string().trim().regex(/^\d+$/, 'must be a whole number').optional(),
  SWARM_API_PORT: z.string().trim().regex(/^\d+$/, 'must be a port number').optional(),
  SWARM_MDNS: z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional(),
  SWARM_DHT: z.enum(['off', 'client', 'server', 'true', 'false']).optional(),
  SWARM_LOG_LEVEL: text.optional(),
  SWARM_KEY_FILE: text.optional(),
  SWARM_PEER_KEY: text.optional(),
  SWARM_A2A_LISTEN: z.string().trim().startsWith('/', 'must be a multiaddr such as /ip4/127.0.0.1/tcp/7600').optional()
})

/** The node settings found in the environment, in the shape of the command's flags. */
export interface EnvSettings {
  config?: string
  skill?: string[]
  exec?: string[]
  bootstrap?: string[]
  listen?: string[]
  announce?: string[]
  network?: string
  name?: string
  capacity?: string
  apiPort?: string
  mdns?: boolean
  dht?: 'client' | 'server' | false
  logLevel?: string
  swarmKey?: string
  peerKey?: string
  a2aListen?: string
}

/**
 * Reads and validates the SWARM_* variables; a bad value ends the command with EXIT.USAGE.
 * SWARM_PEER_KEY (a private key) is removed from `env` once read: nothing the process starts
 * later, and no code that reads the environment, sees it again.
 */
export function settingsFromEnv (env: Record<string, string | undefined>): EnvSettings {
  const present: Record<string, string> = {}
  for (const name of ENV_VARS) {
    const value = env[name]
    if (value !== undefined && value.trim() !== '') present[name] = value
  }
  const parsed = EnvSchema.safeParse(present)
  if (!parsed.success) {
    throw new CliError(EXIT.USAGE, `invalid environment: ${formatIssues(parsed.error).join('; ')}`)
  }
  const e = parsed.data
  const out: EnvSettings = {}
  if (e.SWARM_CONFIG !== undefined) out.config = e.SWARM_CONFIG
  if (e.SWARM_SKILLS !== undefined && e.SWARM_SKILLS.length > 0) out.skill = e.SWARM_SKILLS
  if (e.SWARM_EXEC !== undefined && e.SWARM_EXEC.length > 0) out.exec = e.SWARM_EXEC
  if (e.SWARM_BOOTSTRAP !== undefined && e.SWARM_BOOTSTRAP.length > 0) out.bootstrap = e.SWARM_BOOTSTRAP
  if (e.SWARM_LISTEN !== undefined && e.SWARM_LISTEN.length > 0) out.listen = e.SWARM_LISTEN
  if (e.SWARM_ANNOUNCE !== undefined && e.SWARM_ANNOUNCE.length > 0) out.announce = e.SWARM_ANNOUNCE
  if (e.SWARM_NETWORK !== undefined) out.network = e.SWARM_NETWORK
  if (e.SWARM_NAME !== undefined) out.name = e.SWARM_NAME
  if (e.SWARM_CAPACITY !== undefined) out.capacity = e.SWARM_CAPACITY
  if (e.SWARM_API_PORT !== undefined) out.apiPort = e.SWARM_API_PORT
  if (e.SWARM_MDNS !== undefined) out.mdns = ['true', '1', 'yes'].includes(e.SWARM_MDNS)
  if (e.SWARM_DHT !== undefined) out.dht = e.SWARM_DHT === 'off' || e.SWARM_DHT === 'false' ? false : e.SWARM_DHT === 'true' ? 'server' : e.SWARM_DHT
  if (e.SWARM_LOG_LEVEL !== undefined) out.logLevel = e.SWARM_LOG_LEVEL
  if (e.SWARM_KEY_FILE !== undefined) out.swarmKey = e.SWARM_KEY_FILE
  if (e.SWARM_PEER_KEY !== undefined) out.peerKey = e.SWARM_PEER_KEY
  if (e.SWARM_A2A_LISTEN !== undefined) out.a2aListen = e.SWARM_A2A_LISTEN
  Reflect.deleteProperty(env, 'SWARM_PEER_KEY')
  return out
}

/** The settings shared by `start` and `registry` flags that the environment can fill in. */
export type EnvFillable = Omit<EnvSettings, 'mdns' | 'dht' | 'peerKey'> & {
  mdns: boolean
  dht?: boolean | string
}

/**
 * The command's flags with the environment filled in where no flag was given. `--no-mdns`
 * always wins; SWARM_MDNS=false turns mDNS off as well.
 */
export function withEnv<F extends EnvFillable> (flags: F, env: EnvSettings): F {
  const out: F = { ...flags }
  const fill = <K extends keyof EnvFillable & keyof EnvSettings>(key: K): void => {
    const value = env[key]
    if (out[key] === undefined && value !== undefined) (out as EnvFillable)[key] = value as EnvFillable[K]
  }
  for (const key of ['config', 'skill', 'exec', 'bootstrap', 'listen', 'announce', 'network', 'name', 'capacity', 'apiPort', 'logLevel', 'swarmKey', 'a2aListen'] as const) fill(key)
  if (out.dht === undefined && env.dht !== undefined) out.dht = env.dht === false ? 'off' : env.dht
  if (env.mdns === false) out.mdns = false
  return out
}
