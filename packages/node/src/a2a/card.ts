/**
 * The A2A agent card of a node (pure): the node as a gateway to the swarm. Its skills are those the
 * swarm can get done, from the node's agent directory, one entry per skill name with the best level
 * an agent advertises.
 */
import { levelRank } from '@swarm/protocol'
import type { AgentView } from '../types.js'
import type { AgentCard, AgentSkill } from '@a2a-js/sdk'
import type { Level } from '@swarm/protocol'

/** The protocol version of the A2A binding this node serves (and v0.3 next to it, see server.ts). */
const A2A_VERSION = '1.0'
/** The v0.3 JSON-RPC interface the SDK's compat layer needs the card to declare. */
const A2A_LEGACY_VERSION = '0.3'
/** The name of the bearer security scheme in the card. */
const BEARER_SCHEME = 'bearer'

/** One skill the swarm can do, as known from the directory. */
export interface SwarmSkill {
  name: string
  /** The best level an agent advertises. */
  level: Level
  /** Agents that advertise it. */
  agents: number
  /** The A2A skill ids agents give it (SkillConfig.id), besides its name. */
  ids: string[]
  description: string
  tags: string[]
  examples: string[]
}

/**
 * The skills of the agent directory, one per name (sorted), with the best level, the number of
 * agents and the first non-empty description; tags and examples are merged.
 */
export function swarmSkills (agents: AgentView[]): SwarmSkill[] {
  const byName = new Map<string, SwarmSkill>()
  for (const agent of agents) {
    for (const ad of agent.skills) {
      const known = byName.get(ad.name)
      if (known === undefined) {
        byName.set(ad.name, { name: ad.name, level: ad.level, agents: 1, ids: ad.id !== ad.name ? [ad.id] : [], description: ad.description, tags: [...ad.tags], examples: [...ad.examples] })
        continue
      }
      known.agents += 1
      if (levelRank(ad.level) > levelRank(known.level)) known.level = ad.level
      if (ad.id !== ad.name && !known.ids.includes(ad.id)) known.ids.push(ad.id)
      if (known.description === '' && ad.description !== '') known.description = ad.description
      for (const tag of ad.tags) if (!known.tags.includes(tag)) known.tags.push(tag)
      for (const example of ad.examples) if (!known.examples.includes(example)) known.examples.push(example)
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
}

/** The AgentSkill entry of a swarm skill: id and name are the skill's name. */
export function agentSkill (skill: SwarmSkill): AgentSkill {
  const known = `best level ${skill.level}, ${skill.agents} agent${skill.agents === 1 ? '' : 's'}`
  return {
    id: skill.name,
    name: skill.name,
    description: skill.description === '' ? `The swarm's "${skill.name}" skill (${known}).` : `${skill.description} (${known})`,
    tags: [...new Set(['swarm', `level:${skill.level}`, ...skill.tags])],
    examples: skill.examples,
    inputModes: ['application/json', 'text/plain'],
    outputModes: ['application/json', 'text/plain'],
    securityRequirements: []
  }
}

export interface CardInit {
  /** The node's display name. */
  name: string
  peerId: string
  version: string
  /** The URL clients call: the one listened on (the real port), or the configured public URL. */
  url: string
  auth: 'token' | 'none'
  agents: AgentView[]
}

/** The agent card of the node: JSON-RPC on `url` (v1.0, and v0.3 for older clients), streaming, bearer auth when on. */
export function buildAgentCard (init: CardInit): AgentCard {
  const bearer = init.auth === 'token'
  return {
    name: init.name,
    description: `Swarm node ${init.name} (${init.peerId}): a gateway to a peer-to-peer swarm of agents. Send a message naming the skills it needs (metadata.skills: ["name:level", ...], or metadata.skillId); the swarm negotiates a working group that does the work, and the task carries its result.`,
    supportedInterfaces: [
      { url: init.url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_VERSION },
      { url: init.url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_LEGACY_VERSION }
    ],
    provider: undefined,
    version: init.version,
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: bearer
      ? { [BEARER_SCHEME]: { scheme: { $case: 'httpAuthSecurityScheme', value: { description: 'the token in <data-dir>/a2a-token of the node', scheme: 'Bearer', bearerFormat: '' } } } }
      : {},
    securityRequirements: bearer ? [{ schemes: { [BEARER_SCHEME]: { list: [] } } }] : [],
    defaultInputModes: ['application/json', 'text/plain'],
    defaultOutputModes: ['application/json', 'text/plain'],
    skills: swarmSkills(init.agents).map(agentSkill),
    signatures: []
  }
}
