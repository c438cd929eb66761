import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, resolve } from 'node:path'
import { DEFAULT_NETWORK, LevelSchema, NETWORK_NAME_PATTERN, SkillNameSchema, formatIssues, LIMITS } from '@swarm/protocol'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { SwarmError } from './errors.js'
import { LOG_LEVELS } from './logger.js'
import { LimitsConfigSchema } from './config-limits.js'
import { LlmConfigSchema, LlmHandlerSchema } from './llm/settings.js'
import { parseA2aListen } from './a2a/listen.js'

// ---------------------------------------------------------------------------
// Skill handlers
// ---------------------------------------------------------------------------

export const ExecHandlerSchema = z.object({
  kind: z.literal('exec'),
  /** Program to run (looked up on PATH when not a path). Never run through a shell. */
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Working directory; relative to the config file. */
  cwd: z.string().optional(),
  /** Variables set for the program (on top of those passed through). */
  env: z.record(z.string(), z.string()).default({}),
  /**
   * Variables of the node's environment passed through to the program, besides the basic ones
   * (PATH, HOME, LANG…: see executor/program-env.ts). Nothing else of the node's environment
   * reaches a handler, never the node's key.
   */
  passEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')).max(64).default([]),
  timeoutMs: z.number().int().positive().default(60_000)
}).strict()

export const HttpHandlerSchema = z.object({
  kind: z.literal('http'),
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.number().int().positive().default(60_000)
}).strict()

export const ModuleHandlerSchema = z.object({
  kind: z.literal('module'),
  /** ES module file; relative to the config file. */
  path: z.string().min(1),
  /** Name of the exported function. */
  export: z.string().default('default'),
  timeoutMs: z.number().int().positive().default(60_000)
}).strict()


/** Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost). */
function isLoopbackHost (host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h)
}

/**
 * An `mcp` handler: a tool of an MCP server (started as a command over stdio, or reached by URL
 * over Streamable HTTP) called with the task input as its arguments.
 */
export const McpHandlerSchema = z.object({
  kind: z.literal('mcp'),
  /** The tool to call. */
  tool: z.string().min(1).max(128),
  /** The server to start (stdio); never run through a shell. Exactly one of command and url. */
  command: z.string().min(1).optional(),
  args: z.array(z.string()).default([]),
  /** Working directory of the started server; relative to the config file. */
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).default({}),
  /** Variables of the node's environment passed to the started server (as an exec handler's). */
  passEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')).max(64).default([]),
  /** The server's Streamable HTTP endpoint. */
  url: z.url({ protocol: /^https?$/ }).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.number().int().positive().default(60_000)
}).strict().refine(h => (h.command === undefined) !== (h.url === undefined), {
  message: 'an mcp handler needs exactly one of command (a server to start over stdio) or url (a server to reach over HTTP)',
  path: ['command']
})

/** An `a2a` handler: the task sent to a remote A2A agent, its artifacts as the output. */
export const A2aHandlerSchema = z.object({
  kind: z.literal('a2a'),
  /** The remote agent's card URL, or its base URL (the card is then /.well-known/agent-card.json). */
  card: z.url({ protocol: /^https?$/ }),
  /** The name of an environment variable of the node holding a bearer token for the agent. */
  tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
  /** An AgentSkill id of the remote card to ask for (sent in the message metadata as skillId). */
  skill: z.string().min(1).max(128).optional(),
  timeoutMs: z.number().int().positive().default(300_000)
}).strict()

/** Handlers built into the node, for demos, tests and simulations. */
export const BuiltinHandlerSchema = z.object({
  kind: z.literal('builtin'),
  /**
   * echo: returns its input; sleep: waits delayMs then returns its input; fail: always fails;
   * simulate: waits input.workMs (default delayMs) and fails when input.fail is true.
   */
  name: z.enum(['echo', 'sleep', 'fail', 'simulate']),
  delayMs: z.number().int().nonnegative().default(0),
  timeoutMs: z.number().int().positive().default(60_000)
}).strict()

/**
 * Work that external agents pull (inbox/): the part waits in the node's inbox until a worker
 * claims it through the control API (`swarm-node claim`, an MCP client), reports progress and
 * completes or fails it.
 */
export const InboxHandlerSchema = z.object({
  kind: z.literal('inbox'),
  /** How long a part waits unclaimed (from when it became waiting) before it is handed back to the announcer's backups. */
  claimTimeoutMs: z.number().int().min(100).max(24 * 3_600_000).default(30_000),
  /** The lease of a claim when the worker asks for none (a worker may ask 1 s to 1 h); each progress report renews it. */
  leaseMs: z.number().int().min(1_000).max(3_600_000).default(60_000),
  timeoutMs: z.number().int().positive().default(600_000)
}).strict()

export const HandlerConfigSchema = z.discriminatedUnion('kind', [ExecHandlerSchema, HttpHandlerSchema, ModuleHandlerSchema, BuiltinHandlerSchema, LlmHandlerSchema, McpHandlerSchema, A2aHandlerSchema, InboxHandlerSchema])
export type HandlerConfig = z.infer<typeof HandlerConfigSchema>

// ---------------------------------------------------------------------------
// Node configuration
// ---------------------------------------------------------------------------

export const SkillConfigSchema = z.object({
  name: SkillNameSchema,
  level: LevelSchema,
  /** A2A skill id; defaults to the name. */
  id: z.string().min(1).max(LIMITS.maxShortTextChars).optional(),
  description: z.string().max(LIMITS.maxDescriptionChars).default(''),
  tags: z.array(z.string().max(LIMITS.maxShortTextChars)).max(32).default([]),
  examples: z.array(z.string().max(LIMITS.maxDescriptionChars)).max(16).default([]),
  inputModes: z.array(z.string()).max(16).default(['application/json']),
  outputModes: z.array(z.string()).max(16).default(['application/json']),
  /** Starting success rate before any history exists. */
  successRate: z.number().min(0).max(1).default(1),
  /** Starting average completion time before any history exists, milliseconds. */
  avgCompletionMs: z.number().nonnegative().default(1000),
  handler: HandlerConfigSchema.optional()
}).strict()
export type SkillConfig = z.infer<typeof SkillConfigSchema>

export const NodeConfigSchema = z.object({
  /** Display name of the agent (default: <hostname>-<end of the peer id>). */
  name: z.string().min(1).max(LIMITS.maxShortTextChars).optional(),
  /** Network name: nodes only talk to nodes of the same network. */
  network: z.string().regex(NETWORK_NAME_PATTERN, 'must be 1 to 64 characters of a-z 0-9 . _ -').default(DEFAULT_NETWORK),
  /** Where the key, the token, the database and the log live. */
  dataDir: z.string().min(1).default(() => process.env.SWARM_DATA_DIR ?? resolve(homedir(), '.swarm')),
  /** Multiaddrs to listen on. */
  listen: z.array(z.string().startsWith('/')).default(['/ip4/0.0.0.0/tcp/4001']),
  /** Multiaddrs to advertise instead of the listen addresses (e.g. behind NAT). */
  announce: z.array(z.string().startsWith('/')).default([]),
  /** Multiaddrs (with /p2p/<peer id>) of peers to join through. */
  bootstrap: z.array(z.string().startsWith('/')).default([]),
  /**
   * A private swarm: the path of a pre-shared key file (`swarm-node keygen --swarm-key <file>`).
   * Only nodes with the same key can connect to this one (and it to them).
   */
  swarmKey: z.string().min(1).optional(),
  /** Peer ids allowed to connect (empty: anyone with the network's key, if any). */
  allow: z.array(z.string().min(1)).max(10_000).default([]),
  /** Peer ids refused (besides those blocked at run time with `swarm-node block`). */
  deny: z.array(z.string().min(1)).max(10_000).default([]),
  /** Discover peers on the local network by multicast DNS. */
  mdns: z.boolean().default(true),
  /**
   * The Kademlia DHT (useful in large networks): false (off), 'client' (query it, answer no one),
   * 'server' (also keep records and answer queries; what the registry runs). true means 'server'.
   */
  dht: z.union([z.boolean(), z.enum(['client', 'server'])]).default(false),
  /** What this node is: an agent, or the optional bootstrap registry (see registryConfig). */
  role: z.enum(['agent', 'registry']).default('agent'),
  /** Circuit relay v2: reaching peers that cannot be dialled directly, through a relay. */
  relay: z.object({
    /**
     * Dial /p2p-circuit addresses, and reserve a slot on a relay when a listen address is
     * /p2p-circuit (so that peers behind NAT are reachable through the relay).
     */
    client: z.boolean().default(true),
    /** Relay for others (the registry does). */
    server: z.boolean().default(false),
    /** Peers that may hold a reservation on this relay at once. */
    maxReservations: z.number().int().positive().max(10_000).default(128)
  }).strict().prefault({}),
  api: z.object({
    enabled: z.boolean().default(true),
    host: z.string().default('127.0.0.1'),
    /** 0 picks a free port. */
    port: z.number().int().min(0).max(65535).default(7400),
    /**
     * Allow a host other than a loopback address: the API then answers other machines (each
     * request still needs the token). Off by default, so that a mistyped host does not expose it.
     */
    public: z.boolean().default(false)
  }).strict().refine(api => api.public || isLoopbackHost(api.host), {
    message: 'the control API listens on loopback addresses only (127.0.0.1, ::1, localhost) unless api.public is true: anyone who can reach it and has the token controls the node',
    path: ['host']
  }).prefault({}),
  /**
   * The A2A server (a2a/server.ts): the node as an agent of the A2A ecosystem, on a port of its
   * own. Off unless `listen` is set.
   */
  a2a: z.object({
    /** A multiaddr such as /ip4/127.0.0.1/tcp/7600 (port 0: any free port); unset: no A2A server. */
    listen: z.string().refine(s => parseA2aListen(s) !== undefined, 'must be a multiaddr of a host and a TCP port, e.g. /ip4/127.0.0.1/tcp/7600').optional(),
    /** 'token': every JSON-RPC call needs `Authorization: Bearer <data-dir>/a2a-token`; 'none' only on loopback. */
    auth: z.enum(['token', 'none']).default('token'),
    /** The URL to advertise in the agent card instead of the one listened on (behind a proxy). */
    publicUrl: z.url({ protocol: /^https?$/ }).optional()
  }).strict().refine(a2a => a2a.auth === 'token' || a2a.listen === undefined || isLoopbackHost(parseA2aListen(a2a.listen)?.host ?? ''), {
    message: 'a2a.auth "none" is only allowed when a2a.listen is a loopback address (/ip4/127.0.0.1, /ip6/::1, /dns/localhost): anyone who can reach the A2A server could announce tasks in your name',
    path: ['auth']
  }).prefault({}),
  /** Prometheus metrics (libp2p's and the swarm's), served at GET /metrics of the control API. */
  metrics: z.object({
    /** Default: on when the control API is on (nothing could read them otherwise). */
    enabled: z.boolean().optional(),
    /** Also process metrics (CPU, memory, event loop lag, GC): one set per process is enough. */
    process: z.boolean().default(true)
  }).strict().prefault({}),
  /** Tasks this agent runs at once at most. */
  capacity: z.number().int().min(0).max(1024).default(4),
  skills: z.array(SkillConfigSchema).max(LIMITS.maxSkillsPerAgent).default([]).superRefine((skills, ctx) => {
    const first = new Map<string, number>()
    skills.forEach((skill, i) => {
      const before = first.get(skill.name)
      if (before === undefined) first.set(skill.name, i)
      else ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `the skill "${skill.name}" is declared twice (skills.${before} and skills.${i}): declare each skill once, with one level` })
    })
  }),
  /**
   * Defaults of every `llm` skill handler (llm/settings.ts): server, API, model, sampling,
   * timeout, key variable, requests at once per endpoint; `roles.<role>` overrides them for the
   * skills of one role preset (llm/roles.ts). A skill's handler overrides any of them.
   */
  llm: LlmConfigSchema.default({ roles: {} }),
  directory: z.object({
    /** How often the agent card is re-published when nothing changed. */
    heartbeatMs: z.number().int().min(100).default(15_000),
    /** Agents silent for this long are dropped from the directory (at least three heartbeats). */
    ttlMs: z.number().int().min(300).default(45_000),
    /**
     * Heartbeats per second of the whole swarm at most: in a large swarm each agent beats less
     * often (known agents ÷ this), so that the heartbeats each agent receives stay constant.
     */
    swarmHeartbeatsPerSecond: z.number().positive().max(10_000).default(10),
    /** Newcomers do not flood their card to the whole swarm while more than this many agents a second are joining (they spread by catch-ups). */
    joinFloodsPerSecond: z.number().nonnegative().max(10_000).default(2)
  }).strict().prefault({}),
  connections: z.object({
    maxConnections: z.number().int().positive().default(300),
    /** Inbound connections accepted per second from one host. */
    inboundConnectionThreshold: z.number().int().positive().default(5),
    maxIncomingPendingConnections: z.number().int().positive().default(10),
    dialTimeoutMs: z.number().int().positive().default(10_000),
    /** How often each connection is pinged to measure its latency and find dead ones. */
    pingIntervalMs: z.number().int().positive().default(30_000),
    /**
     * A connection whose ping takes longer than this (at least; the timeout adapts to the
     * measured latency) is closed as dead. Short timeouts close live connections of a busy node.
     */
    pingTimeoutMs: z.number().int().positive().default(20_000)
  }).strict().prefault({}),
  gossip: z.object({
    /** Mesh degree. */
    D: z.number().int().positive().default(6),
    Dlo: z.number().int().positive().default(4),
    Dhi: z.number().int().positive().default(12),
    /** Peers on one IP before gossipsub's colocation penalty starts (raise for local simulations). */
    ipColocationThreshold: z.number().int().positive().default(10),
    heartbeatIntervalMs: z.number().int().positive().default(1000),
    /**
     * Gossipsub 1.2 tells its mesh peers IDONTWANT for every message at least this large. The
     * swarm's messages are small (cards, announcements): below this the notice costs more
     * (one more frame to each mesh peer per message) than the duplicate it saves.
     */
    idontwantMinBytes: z.number().int().positive().default(16_384)
  }).strict().prefault({}),
  /** Where tasks, results and the audit log are kept: a SQLite file in the data directory, or memory only. */
  storage: z.enum(['file', 'memory']).default('file'),
  negotiation: z.object({
    /** Slot score at which bidding closes early (when a backup per skill is also there). */
    earlyCloseMinScore: z.number().min(0).max(1).default(0.45),
    /** Without a backup per skill, bidding closes once this fraction of the bid window passed. */
    earlyCloseGraceFraction: z.number().min(0).max(1).default(0.25),
    /** Backups per skill that, with every slot scoring earlyCloseMinScore, close bidding at once. */
    earlyCloseBackupsPerSkill: z.number().int().min(0).max(LIMITS.maxGroupSize).default(1),
    /**
     * Offers wanted per required member: only that many capable agents (a different few for
     * each task) offer in the first round; everyone is asked if no group comes of it. 0: all.
     */
    offerCap: z.number().int().min(0).max(1000).default(3),
    /** How long an invitee has to answer. */
    inviteTimeoutMs: z.number().int().positive().default(3_000),
    /** How long a member may be unreachable before its part goes to a backup. */
    memberGraceMs: z.number().int().nonnegative().default(1_500),
    /** How often a working member tells the announcer it is alive (a heartbeat with its progress). */
    memberHeartbeatMs: z.number().int().positive().default(1_500),
    /**
     * Heartbeats a member may miss before the announcer hands its part to a backup: a stopped
     * process or a peer that went silent without closing its connection is replaced after
     * memberHeartbeatMs × memberMissedHeartbeats (4.5 s by default).
     */
    memberMissedHeartbeats: z.number().int().min(1).max(100).default(3),
    /**
     * Fraction of the time left to the deadline (from its start) in which a member must deliver
     * its part; past it, the part goes to a backup, which gets the rest of the time.
     */
    memberResultShare: z.number().gt(0).max(1).default(0.8),
    /** Longest time a group has to verify a result (never past the task's deadline). */
    verifyTimeoutMs: z.number().int().positive().default(10_000),
    /**
     * A task whose capable agents are all busy waits in the announcer's queue (QUEUED): it is
     * asked again when an agent frees a slot, and at the latest after this long, doubling with
     * every re-ask up to queueRetryMaxMs.
     */
    queueRetryBaseMs: z.number().int().min(10).max(600_000).default(1_000),
    /** Longest wait between two re-asks of a queued task (see queueRetryBaseMs). */
    queueRetryMaxMs: z.number().int().min(10).max(3_600_000).default(10_000),
    /** Finished tasks an announcer keeps in memory for late readers (older ones are only in the store). */
    retainFinished: z.number().int().min(1).max(1_000_000).default(1_000),
    /** How long past the bid window a bidder holds its reservation waiting for an invite. */
    leaseGraceMs: z.number().int().positive().default(5_000),
    /**
     * Graceful drain: how long a stopping node (`swarm-node stop`, SIGTERM) waits for its running
     * parts to be handed off to backups before it aborts their handlers. 0: no drain.
     */
    drainTimeoutMs: z.number().int().nonnegative().max(600_000).default(5_000),
    /** Announcements a bidder remembers to drop duplicates (a task announced on two skill topics). */
    dedupeSize: z.number().int().positive().max(1_000_000).default(20_000)
  }).strict().prefault({}),
  groups: z.object({
    /**
     * After joining a group, a member asks the announcer for the group's state once more after
     * this long: the first proposals and updates may have gone out before its subscription was known.
     */
    resyncMs: z.number().int().positive().default(1_500)
  }).strict().prefault({}),
  penalties: z.object({
    /** Time for a peer's penalty score (invalid gossip, malformed or unauthorized requests) to halve. */
    halfLifeMs: z.number().int().positive().default(600_000),
    /** Peers whose penalties are kept; beyond that, the one charged longest ago is forgotten. */
    maxPeers: z.number().int().positive().max(1_000_000).default(10_000)
  }).strict().prefault({}),
  /** What one peer can make this node spend: see config-limits.ts. */
  limits: LimitsConfigSchema.prefault({}),
  reputation: z.object({
    /**
     * Time for the distance of a peer's reputation to neutral (0.5) to halve without new
     * outcomes: old verdicts fade, so a peer that failed long ago can earn trust back.
     */
    halfLifeMs: z.number().int().positive().default(86_400_000)
  }).strict().prefault({}),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** Where the JSON-lines log goes: a file (default <dataDir>/node.log), or `-` for standard error. */
  logFile: z.string().min(1).optional(),
  /** Also write log lines to standard error. */
  logToStderr: z.boolean().default(false)
}).strict()

export type NodeConfig = z.infer<typeof NodeConfigSchema>
export type NodeConfigInput = z.input<typeof NodeConfigSchema>

/** Whether a node collects Prometheus metrics: `metrics.enabled`, by default when its control API runs. */
export function metricsEnabled (config: Pick<NodeConfig, 'metrics' | 'api'>): boolean {
  return config.metrics.enabled ?? config.api.enabled
}

/**
 * Validates a configuration object. Errors name every bad field: `skills.0.level: ...`.
 */
export function parseConfig (input: unknown, source = 'configuration'): NodeConfig {
  const parsed = NodeConfigSchema.safeParse(input ?? {})
  if (!parsed.success) {
    const issues = formatIssues(parsed.error)
    throw new SwarmError('CONFIG_INVALID', `invalid ${source}:\n  ${issues.join('\n  ')}`, { issues })
  }
  return parsed.data
}

/**
 * Reads a YAML or JSON config file (YAML is a superset of JSON) without validating it yet, and
 * makes its relative paths (dataDir, handler paths and working directories) absolute with
 * respect to the file's folder.
 */
export function readConfigFile (path: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new SwarmError('CONFIG_NOT_FOUND', `cannot read config file ${path}: ${(err as Error).message}`, { path })
  }
  let data: unknown
  try {
    data = parseYaml(text)
  } catch (err) {
    throw new SwarmError('CONFIG_INVALID', `config file ${path} is not valid YAML or JSON: ${(err as Error).message}`, { path })
  }
  if (data === null || data === undefined) return {}
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new SwarmError('CONFIG_INVALID', `config file ${path} must hold an object of settings`, { path })
  }
  return resolveRelativePaths(data as Record<string, unknown>, dirname(resolve(path)))
}

function resolveRelativePaths (config: Record<string, unknown>, base: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config }
  const abs = (p: unknown): unknown => (typeof p === 'string' && !isAbsolute(p) ? resolve(base, p) : p)
  if (typeof out.dataDir === 'string') out.dataDir = abs(out.dataDir)
  if (typeof out.logFile === 'string' && out.logFile !== '-') out.logFile = abs(out.logFile)
  if (typeof out.swarmKey === 'string') out.swarmKey = abs(out.swarmKey)
  if (Array.isArray(out.skills)) {
    out.skills = out.skills.map((skill: unknown) => {
      if (typeof skill !== 'object' || skill === null) return skill
      const s = { ...(skill as Record<string, unknown>) }
      if (typeof s.handler === 'object' && s.handler !== null) {
        const h = { ...(s.handler as Record<string, unknown>) }
        if (h.kind === 'module') h.path = abs(h.path)
        if (h.kind === 'exec' && h.cwd !== undefined) h.cwd = abs(h.cwd)
        if (h.kind === 'mcp' && h.cwd !== undefined) h.cwd = abs(h.cwd)
        if (h.kind === 'mcp' && typeof h.command === 'string' && (h.command.startsWith('./') || h.command.startsWith('../'))) h.command = abs(h.command)
        if (h.kind === 'exec' && typeof h.command === 'string' && (h.command.startsWith('./') || h.command.startsWith('../'))) h.command = abs(h.command)
        s.handler = h
      }
      return s
    })
  }
  return out
}

/** Loads and validates a config file, with `overrides` (from flags) applied on top. */
export function loadConfig (path: string | undefined, overrides: Partial<NodeConfigInput> = {}): NodeConfig {
  const fromFile = path === undefined ? {} : readConfigFile(path)
  return parseConfig(mergeConfig(fromFile, overrides), path === undefined ? 'configuration' : `config file ${path}`)
}

/**
 * Applies `overrides` over `base`: scalar and array fields replace, nested objects merge.
 * Skills given in overrides are merged by name: a flag may redeclare a skill of the file.
 */
export function mergeConfig (base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue
    const current = out[key]
    if (key === 'skills' && Array.isArray(value) && Array.isArray(current)) {
      const byName = new Map<string, unknown>()
      for (const s of current) byName.set(skillName(s), s)
      for (const s of value) {
        const existing = byName.get(skillName(s))
        byName.set(skillName(s), isPlainObject(existing) && isPlainObject(s) ? { ...existing, ...s } : s)
      }
      out[key] = [...byName.values()]
    } else if (isPlainObject(value) && isPlainObject(current)) {
      out[key] = mergeConfig(current, value)
    } else {
      out[key] = value
    }
  }
  return out
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function skillName (skill: unknown): string {
  return isPlainObject(skill) && typeof skill.name === 'string' ? skill.name : JSON.stringify(skill)
}

/**
 * Parses a `name:level` skill flag (level defaults to intermediate). Throws CONFIG_INVALID
 * with a message that shows the expected form.
 */
export function parseSkillFlag (flag: string): { name: string, level: z.infer<typeof LevelSchema> } {
  const [name = '', level = 'intermediate', ...rest] = flag.split(':')
  const parsedName = SkillNameSchema.safeParse(name)
  const parsedLevel = LevelSchema.safeParse(level)
  if (rest.length > 0 || !parsedName.success || !parsedLevel.success) {
    throw new SwarmError('CONFIG_INVALID', `invalid --skill "${flag}": expected name:level, with a name of a-z 0-9 . _ - and a level of novice, intermediate, advanced or expert`)
  }
  return { name: parsedName.data, level: parsedLevel.data }
}
