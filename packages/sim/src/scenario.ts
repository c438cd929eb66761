import { readFileSync, readdirSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LevelSchema, SkillNameSchema, formatIssues } from '@swarm/protocol'
import { SwarmError, mergeConfig } from '@swarm/node'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'

const FractionSchema = z.number().min(0).max(1)

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
  // Frozen peers and liars are picked among the peers that neither churn nor get cut off.
  const count = (fraction: number): number => Math.round(fraction * s.peers)
  const picked = count(s.freeze.fraction) + count(s.liars.fraction)
  const room = s.peers - 1 - count(s.churn.fraction) - count(s.partition.fraction)
  if (picked > 0 && picked > room) {
    throw new SwarmError('CONFIG_INVALID', `invalid ${source}: freeze.fraction and liars.fraction pick ${picked} peers, but only ${Math.max(0, room)} are left besides the seed peer and the churned and cut-off ones`)
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
