import { readFileSync, readdirSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LevelSchema, SkillNameSchema, formatIssues } from '@swarm/protocol'
import { SwarmError, mergeConfig } from '@swarm/node'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'

const FractionSchema = z.number().min(0).max(1)

/** The kinds of malicious peers (see adversary.ts). */
export const ADVERSARY_KINDS = ['flood', 'liar', 'sybil', 'lockout'] as const
export type AdversaryKind = (typeof ADVERSARY_KINDS)[number]

const RateSchema = z.number().nonnegative().max(10_000)

const AdversariesSchema = z.object({
  /** Fraction of the peers that are malicious (never peer 0). */
  fraction: FractionSchema.default(0.1),
  /** Their kinds: the malicious peers are split among them in turn. */
  kinds: z.array(z.enum(ADVERSARY_KINDS)).min(1).max(ADVERSARY_KINDS.length).default([...ADVERSARY_KINDS]).refine(k => new Set(k).size === k.length, 'name each kind once'),
  /** Run the same scenario without the adversaries first, and report both. */
  compareClean: z.boolean().default(true),
  /** When the attacks start, as a fraction of the arrival period (0: with the load). */
  at: FractionSchema.default(0),
  /**
   * Turn the honest peers' Prometheus metrics on (in both runs) to read what they limited
   * (swarm_limited_total) and the penalties they charged; costs some memory and CPU per peer.
   */
  countLimited: z.boolean().default(true),
  /** How often the honest peers' gossipsub score of each attacker is read. */
  scoreSampleMs: z.number().int().min(50).max(60_000).default(500),
  flood: z.object({
    /** Undecodable or wrong-channel messages a second, on the skill and agents topics. */
    invalidPerSecond: RateSchema.default(20),
    /** Valid-looking TASK_ANNOUNCEs a second on the skill topics (tasks nobody will run). */
    announcesPerSecond: RateSchema.default(20),
    /** Bid window of those announcements. */
    bidWindowMs: z.number().int().min(0).max(60_000).default(5000)
  }).strict().prefault({}),
  sybil: z.object({
    /** Agent cards a second, each signed by a fresh key, on the agents topic. */
    cardsPerSecond: RateSchema.default(50),
    /** Fresh identities in all, per sybil peer. */
    identities: z.number().int().min(1).max(100_000).default(2000)
  }).strict().prefault({}),
  lockout: z.object({
    /** Direct TASK_ANNOUNCEs a second, to the capable agents in turn. */
    announcesPerSecond: RateSchema.default(20),
    /** Bid window they ask for: the bidder reserves a slot for about that long. */
    bidWindowMs: z.number().int().min(0).max(60_000).default(60_000)
  }).strict().prefault({})
}).strict()

export type AdversariesScenario = z.infer<typeof AdversariesSchema>

/** A simulation: who the peers are, what work arrives, and what goes wrong. */
export const ScenarioSchema = z.object({
  name: z.string().min(1).max(128).default('custom'),
  description: z.string().max(2000).default(''),
  /** Peers (real swarm nodes) to run. */
  peers: z.number().int().min(2).max(2000).default(100),
  /** Worker threads the peers are spread over (default: one per core). */
  workers: z.number().int().min(1).max(64).optional(),
  skills: z.object({
    /** Skill names in the swarm. */
    names: z.array(SkillNameSchema).min(1).max(64).default(['analytics', 'viz', 'summarize', 'translate', 'review']),
    /** Skills each peer has. */
    perPeer: z.number().int().min(1).max(16).default(2),
    /** Levels given to peers, with weights. */
    levels: z.partialRecord(LevelSchema, z.number().nonnegative()).default({ intermediate: 1, advanced: 1, expert: 1 })
  }).strict().prefault({}),
  /** Tasks each peer runs at once at most. */
  capacity: z.number().int().min(1).max(1024).default(4),
  /** What a handler does: sleep for a time drawn from [min, max] ms, failing with this probability. */
  work: z.object({
    minMs: z.number().int().nonnegative().default(10),
    maxMs: z.number().int().nonnegative().default(50),
    failureRate: FractionSchema.default(0)
  }).strict().prefault({}),
  tasks: z.object({
    count: z.number().int().min(1).max(1_000_000).default(1000),
    /** Arrivals per second (steady); ignored when burst is true. */
    rate: z.number().positive().max(10_000).default(10),
    /** Announce every task at once. */
    burst: z.boolean().default(false),
    /** Skills per task and members per skill. */
    skillsPerTask: z.number().int().min(1).max(16).default(2),
    membersPerSkill: z.number().int().min(1).max(16).default(1),
    /** Minimum level asked for the first skill of each task (the others ask for novice). */
    minLevel: LevelSchema.default('intermediate'),
    bidWindowMs: z.number().int().min(0).max(60_000).default(300),
    deadlineMs: z.number().int().min(100).default(30_000),
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** Which peers announce: any alive peer, or only peers that never churn. */
    announcers: z.enum(['any', 'stable']).default('stable'),
    /** Announce from this many of those peers only (picked by the seed); default: all of them. Fewer announcers learn the others' reputation faster. */
    announcerCount: z.number().int().min(1).max(2000).optional()
  }).strict().prefault({}),
  churn: z.object({
    /** Fraction of peers killed. */
    fraction: FractionSchema.default(0),
    /** When the kills start, as a fraction of the arrival period. */
    at: FractionSchema.default(0.3),
    /** Kills are spread over this many milliseconds. */
    spreadMs: z.number().int().nonnegative().default(2000),
    /** Restart killed peers after this many milliseconds (0: never). */
    restartAfterMs: z.number().int().nonnegative().default(0)
  }).strict().prefault({}),
  partition: z.object({
    /** Fraction of peers cut off from the rest (0: no partition). */
    fraction: FractionSchema.default(0),
    at: FractionSchema.default(0.3),
    durationMs: z.number().int().nonnegative().default(5000)
  }).strict().prefault({}),
  /**
   * Peers stopped, not killed (what SIGSTOP does to a process): their connections stay open but
   * they answer nothing. They run in worker threads of their own, whose event loop is blocked.
   */
  freeze: z.object({
    /** Fraction of peers frozen. */
    fraction: FractionSchema.default(0),
    /** When the freezes start, as a fraction of the arrival period. */
    at: FractionSchema.default(0.3),
    /** Freezes are spread over this many milliseconds (one worker thread freezes at a time). */
    spreadMs: z.number().int().nonnegative().default(2000),
    /** Thaw the frozen peers after this many milliseconds (0: never; they are thawed to stop at the end). */
    durationMs: z.number().int().nonnegative().default(0),
    /** Worker threads holding the frozen peers (each freezes all its peers at once); at most one per frozen peer. */
    workers: z.number().int().min(1).max(16).default(4)
  }).strict().prefault({}),
  /**
   * Peers that accept work and never deliver: their handler hangs until the task is cancelled,
   * while the node itself stays alive (it keeps bidding and sending heartbeats).
   */
  liars: z.object({
    /** Fraction of peers that lie. */
    fraction: FractionSchema.default(0)
  }).strict().prefault({}),
  /**
   * Malicious peers (docs/operations.md, "Adversaries"): `fraction` of the peers, split among
   * `kinds` in turn. They are real swarm nodes whose gossip and streams the simulator drives by
   * hand once the load starts. With `compareClean`, the run is made twice: first without them
   * (the same plan, the adversaries not started), then with them, and the report sets the two
   * side by side.
   */
  adversaries: AdversariesSchema.optional(),
  /** Seed of the workload and of every random choice of the simulator. */
  seed: z.number().int().nonnegative().default(1),
  /** The run stops after this long, whatever is left (tasks still open count as lost). */
  durationLimitS: z.number().positive().max(24 * 3600).default(600),
  transport: z.enum(['tcp']).default('tcp'),
  /** Tuning of each node for the scale (see docs/operations.md, "Simulations"). */
  node: z.object({
    /** Connections each new peer makes to peers started before it. */
    bootstrapPeers: z.number().int().min(1).max(16).default(3),
    /** Peers started at once, and the pause between batches (dial pacing). */
    startBatch: z.number().int().min(1).max(500).default(25),
    startPauseMs: z.number().int().nonnegative().default(100),
    heartbeatMs: z.number().int().min(100).default(300_000),
    /** Longest wait, after the last peer started, for the agent directories to settle (default 30 s + 100 ms per peer). */
    settleLimitS: z.number().positive().max(3600).optional(),
    /** Each node's directory.swarmHeartbeatsPerSecond: the whole swarm's heartbeats a second, at most. */
    swarmHeartbeatsPerSecond: z.number().positive().max(10_000).default(0.5),
    /** Each node's directory.joinFloodsPerSecond: newcomers leave their card to catch-ups while more join than this a second. */
    joinFloodsPerSecond: z.number().nonnegative().max(10_000).default(1),
    gossipD: z.number().int().min(1).max(32).default(6),
    gossipDlo: z.number().int().min(1).max(32).default(4),
    gossipDhi: z.number().int().min(1).max(64).default(12),
    /** A private swarm: every peer starts with this swarm key file (swarm-node keygen --swarm-key). */
    swarmKey: z.string().min(1).optional()
  }).strict().prefault({})
}).strict()

export type Scenario = z.infer<typeof ScenarioSchema>
export type ScenarioInput = z.input<typeof ScenarioSchema>

/**
 * Reads the `--adversaries` option: `<fraction>[:<kind>,<kind>…]`, e.g. `0.1:flood,liar,sybil,lockout`
 * (every kind when none is named). Returns the scenario's `adversaries` block (fraction and
 * kinds); throws SwarmError CONFIG_INVALID naming what is wrong.
 */
export function parseAdversariesOption (value: string): { fraction: number, kinds: AdversaryKind[] } {
  const bad = (why: string): SwarmError => new SwarmError('CONFIG_INVALID', `invalid --adversaries "${value}": ${why}; use <fraction>:<kinds>, e.g. 0.1:${ADVERSARY_KINDS.join(',')}`)
  const [fractionText = '', kindsText, ...rest] = value.trim().split(':')
  if (rest.length > 0) throw bad('one ":" at most')
  const fraction = fractionText.trim() === '' ? NaN : Number(fractionText)
  if (!(fraction >= 0 && fraction <= 1)) throw bad('the fraction must be a number from 0 to 1')
  if (kindsText === undefined) return { fraction, kinds: [...ADVERSARY_KINDS] }
  const names = kindsText.split(',').map(k => k.trim()).filter(k => k !== '')
  if (names.length === 0) throw bad('name at least one kind')
  const kinds: AdversaryKind[] = []
  for (const name of names) {
    const kind = ADVERSARY_KINDS.find(k => k === name)
    if (kind === undefined) throw bad(`unknown kind "${name}" (the kinds are ${ADVERSARY_KINDS.join(', ')})`)
    if (kinds.includes(kind)) throw bad(`"${name}" is named twice`)
    kinds.push(kind)
  }
  return { fraction, kinds }
}

/** Folder of the scenario presets shipped with the package. */
export const PRESETS_DIR = fileURLToPath(new URL('../../presets/', import.meta.url))

/** Names of the shipped presets (file names without extension). */
export function presetNames (): string[] {
  return readdirSync(PRESETS_DIR).filter(f => /\.(ya?ml|json)$/.test(f)).map(f => basename(f, extname(f))).sort()
}

/** Validates a scenario; errors name every bad field. */
export function parseScenario (input: unknown, source = 'scenario'): Scenario {
  const parsed = ScenarioSchema.safeParse(input ?? {})
  if (!parsed.success) {
    const issues = formatIssues(parsed.error)
    throw new SwarmError('CONFIG_INVALID', `invalid ${source}:\n  ${issues.join('\n  ')}`, { issues })
  }
  const s = parsed.data
  // Frozen peers, liars and adversaries are picked among the peers that neither churn nor get cut off.
  const count = (fraction: number): number => Math.round(fraction * s.peers)
  const picked = count(s.freeze.fraction) + count(s.liars.fraction) + count(s.adversaries?.fraction ?? 0)
  const room = s.peers - 1 - count(s.churn.fraction) - count(s.partition.fraction)
  if (picked > 0 && picked > room) {
    throw new SwarmError('CONFIG_INVALID', `invalid ${source}: freeze.fraction and liars.fraction${s.adversaries !== undefined ? ' and adversaries.fraction' : ''} pick ${picked} peers, but only ${Math.max(0, room)} are left besides the seed peer and the churned and cut-off ones`)
  }
  if (s.work.maxMs < s.work.minMs) throw new SwarmError('CONFIG_INVALID', `invalid ${source}: work.maxMs must be at least work.minMs`)
  if (s.skills.perPeer > s.skills.names.length) throw new SwarmError('CONFIG_INVALID', `invalid ${source}: skills.perPeer (${s.skills.perPeer}) is more than the ${s.skills.names.length} skill names`)
  if (s.tasks.skillsPerTask > s.skills.names.length) throw new SwarmError('CONFIG_INVALID', `invalid ${source}: tasks.skillsPerTask (${s.tasks.skillsPerTask}) is more than the ${s.skills.names.length} skill names`)
  return s
}

/** Reads a scenario file (YAML or JSON) or a preset name, without validating it. */
export function readScenario (fileOrPreset: string): Record<string, unknown> {
  let path = fileOrPreset
  if (!/[/.]/.test(fileOrPreset)) {
    const file = readdirSync(PRESETS_DIR).find(f => basename(f, extname(f)) === fileOrPreset)
    if (file === undefined) throw new SwarmError('CONFIG_NOT_FOUND', `no scenario preset "${fileOrPreset}": the presets are ${presetNames().join(', ')}`)
    path = join(PRESETS_DIR, file)
  }
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new SwarmError('CONFIG_NOT_FOUND', `cannot read scenario ${path}: ${(err as Error).message}`)
  }
  let data: unknown
  try {
    data = parseYaml(text)
  } catch (err) {
    throw new SwarmError('CONFIG_INVALID', `scenario ${path} is not valid YAML or JSON: ${(err as Error).message}`)
  }
  if (data === null || data === undefined) return {}
  if (typeof data !== 'object' || Array.isArray(data)) throw new SwarmError('CONFIG_INVALID', `scenario ${path} must hold an object`)
  return data as Record<string, unknown>
}

/** Loads a scenario file or preset, with overrides (from flags) applied on top. */
export function loadScenario (fileOrPreset: string | undefined, overrides: Record<string, unknown> = {}): Scenario {
  const base = fileOrPreset === undefined ? {} : readScenario(fileOrPreset)
  return parseScenario(mergeConfig(base, overrides), fileOrPreset === undefined ? 'scenario' : `scenario ${fileOrPreset}`)
}

/** What a worker needs to run one attacker. */
export interface AdversarySpec {
  kind: AdversaryKind
  settings: AdversariesScenario
  /** The skill names of the swarm (the topics attacked). */
  skills: string[]
}
