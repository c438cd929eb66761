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
 *   SWARM_LOG_FILE   log file, - for standard error       (--log-file)
 *   SWARM_HANDLER_TIMEOUT  time limit of --exec handlers  (--handler-timeout)
 *   SWARM_ROLES      role[:level], comma-separated        (--role, repeated)
 *   SWARM_LLM_URL, SWARM_LLM_MODEL, SWARM_LLM_API         (--llm-url, --llm-model, --llm-api)
 *   SWARM_ALLOW, SWARM_DENY  peer ids, comma-separated    (--allow, --deny, repeated)
 *   SWARM_KEY_FILE   a private swarm's key file          (--swarm-key)
 *   SWARM_PEER_KEY   base64 of a peer.key file: a fixed identity (no flag)
 *   SWARM_A2A_LISTEN the A2A server's multiaddr           (--a2a-listen)
 * SWARM_DATA_DIR (the data directory) is read by the node's configuration itself.
 */
export const ENV_VARS = ['SWARM_CONFIG', 'SWARM_SKILLS', 'SWARM_EXEC', 'SWARM_BOOTSTRAP', 'SWARM_LISTEN', 'SWARM_ANNOUNCE', 'SWARM_NETWORK', 'SWARM_NAME', 'SWARM_CAPACITY', 'SWARM_API_PORT', 'SWARM_MDNS', 'SWARM_DHT', 'SWARM_LOG_LEVEL', 'SWARM_LOG_FILE', 'SWARM_HANDLER_TIMEOUT', 'SWARM_ROLES', 'SWARM_LLM_URL', 'SWARM_LLM_MODEL', 'SWARM_LLM_API', 'SWARM_ALLOW', 'SWARM_DENY', 'SWARM_KEY_FILE', 'SWARM_PEER_KEY', 'SWARM_A2A_LISTEN'] as const

/** The flag each variable stands for (errors name the variable a bad value came from). */
const FLAG_OF: Record<keyof EnvFillable, { flag: string, variable: (typeof ENV_VARS)[number] }> = {
  config: { flag: '--config', variable: 'SWARM_CONFIG' },
  skill: { flag: '--skill', variable: 'SWARM_SKILLS' },
  exec: { flag: '--exec', variable: 'SWARM_EXEC' },
  bootstrap: { flag: '--bootstrap', variable: 'SWARM_BOOTSTRAP' },
  listen: { flag: '--listen', variable: 'SWARM_LISTEN' },
  announce: { flag: '--announce', variable: 'SWARM_ANNOUNCE' },
  network: { flag: '--network', variable: 'SWARM_NETWORK' },
  name: { flag: '--name', variable: 'SWARM_NAME' },
  capacity: { flag: '--capacity', variable: 'SWARM_CAPACITY' },
  apiPort: { flag: '--api-port', variable: 'SWARM_API_PORT' },
  logLevel: { flag: '--log-level', variable: 'SWARM_LOG_LEVEL' },
  logFile: { flag: '--log-file', variable: 'SWARM_LOG_FILE' },
  handlerTimeout: { flag: '--handler-timeout', variable: 'SWARM_HANDLER_TIMEOUT' },
  role: { flag: '--role', variable: 'SWARM_ROLES' },
  llmUrl: { flag: '--llm-url', variable: 'SWARM_LLM_URL' },
  llmModel: { flag: '--llm-model', variable: 'SWARM_LLM_MODEL' },
  llmApi: { flag: '--llm-api', variable: 'SWARM_LLM_API' },
  allow: { flag: '--allow', variable: 'SWARM_ALLOW' },
  deny: { flag: '--deny', variable: 'SWARM_DENY' },
  swarmKey: { flag: '--swarm-key', variable: 'SWARM_KEY_FILE' },
  mdns: { flag: '--no-mdns', variable: 'SWARM_MDNS' },
  dht: { flag: '--dht', variable: 'SWARM_DHT' },
  a2aListen: { flag: '--a2a-listen', variable: 'SWARM_A2A_LISTEN' }
}

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
  SWARM_LOG_FILE: text.optional(),
  SWARM_HANDLER_TIMEOUT: text.optional(),
  SWARM_ROLES: list(',').optional(),
  SWARM_LLM_URL: text.optional(),
  SWARM_LLM_MODEL: text.optional(),
  SWARM_LLM_API: text.optional(),
  SWARM_ALLOW: list(',').optional(),
  SWARM_DENY: list(',').optional(),
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
  logFile?: string
  handlerTimeout?: string
  role?: string[]
  llmUrl?: string
  llmModel?: string
  llmApi?: string
  allow?: string[]
  deny?: string[]
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
  if (e.SWARM_LOG_FILE !== undefined) out.logFile = e.SWARM_LOG_FILE
  if (e.SWARM_HANDLER_TIMEOUT !== undefined) out.handlerTimeout = e.SWARM_HANDLER_TIMEOUT
  if (e.SWARM_ROLES !== undefined && e.SWARM_ROLES.length > 0) out.role = e.SWARM_ROLES
  if (e.SWARM_LLM_URL !== undefined) out.llmUrl = e.SWARM_LLM_URL
  if (e.SWARM_LLM_MODEL !== undefined) out.llmModel = e.SWARM_LLM_MODEL
  if (e.SWARM_LLM_API !== undefined) out.llmApi = e.SWARM_LLM_API
  if (e.SWARM_ALLOW !== undefined && e.SWARM_ALLOW.length > 0) out.allow = e.SWARM_ALLOW
  if (e.SWARM_DENY !== undefined && e.SWARM_DENY.length > 0) out.deny = e.SWARM_DENY
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
  for (const key of FILLED) fill(key)
  if (out.dht === undefined && env.dht !== undefined) out.dht = env.dht === false ? 'off' : env.dht
  if (env.mdns === false) out.mdns = false
  return out
}

const FILLED = ['config', 'skill', 'exec', 'bootstrap', 'listen', 'announce', 'network', 'name', 'capacity', 'apiPort', 'logLevel', 'logFile', 'handlerTimeout', 'role', 'llmUrl', 'llmModel', 'llmApi', 'allow', 'deny', 'swarmKey', 'a2aListen'] as const

/**
 * The flags whose value came from a variable (no flag was given): flag → variable, e.g.
 * `--skill` → `SWARM_SKILLS`.
 */
export function envSources (given: Partial<EnvFillable>, env: EnvSettings): Map<string, string> {
  const sources = new Map<string, string>()
  for (const key of FILLED) {
    if (given[key] === undefined && env[key] !== undefined) sources.set(FLAG_OF[key].flag, FLAG_OF[key].variable)
  }
  if (given.dht === undefined && env.dht !== undefined) sources.set(FLAG_OF.dht.flag, FLAG_OF.dht.variable)
  return sources
}

/**
 * A usage error about a flag whose value came from the environment, told as the variable's:
 * `invalid --skill "viz"` becomes `invalid SWARM_SKILLS (read as --skill) "viz"`. Other errors
 * are returned as they are.
 */
export function blameEnv (err: unknown, sources: ReadonlyMap<string, string>): unknown {
  if (!(err instanceof CliError) || err.exitCode !== EXIT.USAGE) return err
  const flag = /--[a-z][a-z-]*/.exec(err.message)?.[0]
  const variable = flag === undefined ? undefined : sources.get(flag)
  if (flag === undefined || variable === undefined) return err
  return new CliError(EXIT.USAGE, err.message.replace(flag, `${variable} (read as ${flag})`))
}
