import { z } from 'zod'
import { ApiClient, resolveApiTarget } from '../api-client.js'
import { parseSkillFilter } from '../flags.js'
import { addApiOptions } from '../options.js'
import { formatMs, shortId, table } from '../output.js'
import type { ApiFlags } from '../api-client.js'
import type { Output } from '../output.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'

export interface InspectFlags extends ApiFlags {
  json?: boolean
}

const SkillSchema = z.object({ name: z.string(), level: z.string(), successRate: z.number(), avgCompletionMs: z.number() }).loose()

export const StatusSchema = z.object({
  peerId: z.string(),
  name: z.string(),
  network: z.string(),
  software: z.object({ name: z.string(), version: z.string() }),
  uptimeMs: z.number(),
  addrs: z.array(z.string()),
  api: z.string().nullable(),
  /** The node's A2A server (absent from older nodes). */
  a2a: z.string().nullable().optional(),
  dataDir: z.string(),
  connections: z.number(),
  peers: z.number(),
  agents: z.number(),
  capacity: z.number(),
  load: z.number(),
  skills: z.array(SkillSchema),
  /** The model calls of the node's llm skills (absent from older nodes). */
  llm: z.object({
    requests: z.number(),
    failures: z.number(),
    promptTokens: z.number(),
    completionTokens: z.number(),
    meanLatencyMs: z.number(),
    bySkill: z.record(z.string(), z.object({ requests: z.number(), failures: z.number(), promptTokens: z.number(), completionTokens: z.number(), meanLatencyMs: z.number(), models: z.array(z.string()) }).loose())
  }).loose().optional()
}).loose()

/** One line of model figures: calls, failures, tokens, mean time. */
function llmLine (f: { requests: number, failures: number, promptTokens: number, completionTokens: number, meanLatencyMs: number }): string {
  return `${f.requests} call${f.requests === 1 ? '' : 's'}${f.failures > 0 ? ` (${f.failures} failed)` : ''}, ${f.promptTokens} prompt + ${f.completionTokens} completion tokens, ${formatMs(f.meanLatencyMs)} mean`
}

const PeersSchema = z.object({
  peers: z.array(z.object({
    peerId: z.string(),
    addrs: z.array(z.string()),
    direction: z.string(),
    streams: z.number(),
    rttMs: z.number().optional(),
    /** Gossipsub's score of the peer and our penalty score (absent from older nodes). */
    score: z.number().optional(),
    graylisted: z.boolean().optional(),
    penalty: z.number().optional()
  }).loose())
})

export const AgentsSchema = z.object({
  agents: z.array(z.object({
    peerId: z.string(),
    name: z.string(),
    self: z.boolean(),
    skills: z.array(SkillSchema),
    capacity: z.number(),
    load: z.number(),
    addrs: z.array(z.string()),
    version: z.string(),
    lastSeen: z.number(),
    /** Reputation the node holds for the agent; null for the node itself (absent from older nodes). */
    reputation: z.number().nullable().optional()
  }).loose())
})

async function statusCommand (flags: InspectFlags, out: Output): Promise<number> {
  const client = new ApiClient(resolveApiTarget(flags))
  const s = await client.get('/v1/status', StatusSchema)
  if (flags.json === true) {
    out.json(s)
    return 0
  }
  out.line(`${s.name}  ${s.peerId}`)
  out.line(`  network      ${s.network}`)
  out.line(`  version      ${s.software.version}`)
  out.line(`  uptime       ${formatMs(s.uptimeMs)}`)
  out.line(`  connections  ${s.connections} (${s.peers} peers)`)
  out.line(`  agents known ${s.agents}`)
  out.line(`  load         ${s.load}/${s.capacity}`)
  out.line(`  skills       ${s.skills.length === 0 ? '(none)' : s.skills.map(k => `${k.name}:${k.level}`).join(', ')}`)
  s.addrs.forEach((a, i) => { out.line(`  ${i === 0 ? 'addresses' : '         '}    ${a}`) })
  if (typeof s.a2a === 'string') out.line(`  a2a          ${s.a2a}`)
  if (s.llm !== undefined && s.llm.requests > 0) {
    out.line(`  models       ${llmLine(s.llm)}`)
    for (const [skill, f] of Object.entries(s.llm.bySkill)) out.line(`    ${skill} (${f.models.join(', ')}): ${llmLine(f)}`)
  }
  return 0
}

async function peersCommand (flags: InspectFlags, out: Output): Promise<number> {
  const client = new ApiClient(resolveApiTarget(flags))
  const { peers } = await client.get('/v1/peers', PeersSchema)
  if (flags.json === true) {
    out.json(peers)
    return 0
  }
  if (peers.length === 0) {
    out.line('no connected peers')
    return 0
  }
  out.line(table(['PEER', 'DIRECTION', 'RTT', 'SCORE', 'PENALTY', 'ADDRESS'], peers.map(p => [p.peerId, p.direction, p.rttMs === undefined ? '-' : `${p.rttMs}ms`, scoreText(p.score, p.graylisted), p.penalty === undefined ? '-' : p.penalty.toFixed(1), p.addrs[0] ?? ''])))
  return 0
}

/** Gossipsub's score of a peer, marked when it is below the graylist threshold (its gossip is dropped). */
function scoreText (score: number | undefined, graylisted: boolean | undefined): string {
  if (score === undefined) return '-'
  return graylisted === true ? `${score.toFixed(1)} (graylisted)` : score.toFixed(1)
}

async function agentsCommand (flags: InspectFlags & { skill?: string }, out: Output): Promise<number> {
  let path = '/v1/agents'
  if (flags.skill !== undefined) {
    const filter = parseSkillFilter(flags.skill)
    path += `?skill=${encodeURIComponent(filter.skill)}${filter.minLevel !== undefined ? `&minLevel=${filter.minLevel}` : ''}`
  }
  const client = new ApiClient(resolveApiTarget(flags))
  const { agents } = await client.get(path, AgentsSchema)
  if (flags.json === true) {
    out.json(agents)
    return 0
  }
  if (agents.length === 0) {
    out.line(flags.skill === undefined ? 'no agents known' : `no agent has ${flags.skill}`)
    return 0
  }
  const now = Date.now()
  out.line(table(['NAME', 'PEER', 'LOAD', 'REP', 'SEEN', 'SKILLS'], agents.map(a => [
    a.name + (a.self ? ' (self)' : ''),
    shortId(a.peerId),
    `${a.load}/${a.capacity}`,
    typeof a.reputation === 'number' ? a.reputation.toFixed(2) : '-',
    a.self ? 'now' : `${formatMs(Math.max(0, now - a.lastSeen))} ago`,
    a.skills.map(s => `${s.name}:${s.level}`).join(', ')
  ])))
  return 0
}

/** Registers `status`, `peers` and `agents`. */
export function registerInspect (program: Command, ctx: CommandContext): void {
  addApiOptions(program.command('status').description('show the status of a running node'))
    .action(async (flags: InspectFlags) => { await ctx.run(async () => await statusCommand(flags, ctx.out)) })

  addApiOptions(program.command('peers').description('list the peers a running node is connected to'))
    .action(async (flags: InspectFlags) => { await ctx.run(async () => await peersCommand(flags, ctx.out)) })

  addApiOptions(program.command('agents').description('list the agents a running node knows, with their skills'))
    .option('--skill <name[:level]>', 'only agents with this skill, at this level or above')
    .action(async (flags: InspectFlags & { skill?: string }) => { await ctx.run(async () => await agentsCommand(flags, ctx.out)) })
}
