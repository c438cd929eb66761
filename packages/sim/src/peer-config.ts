/** What each simulated peer is started with. */
import { join } from 'node:path'
import type { PeerPlan } from './plan.js'
import type { Scenario } from './scenario.js'
import type { NodeConfigInput } from '@swarm/node'

/**
 * The handler of a liar: it accepts the part and never delivers (it sleeps an hour, until the
 * task is cancelled or its deadline passes), while its node keeps beating.
 */
const LIAR_HANDLER = { kind: 'builtin' as const, name: 'sleep' as const, delayMs: 3_600_000, timeoutMs: 3_600_000 }
const SIMULATE_HANDLER = { kind: 'builtin' as const, name: 'simulate' as const }

type SkillInput = NonNullable<NodeConfigInput['skills']>[number]

/**
 * The skills of a peer. A liar adversary advertises each of its skills at the expert level with
 * a perfect, fast track record (the configured figures stand until it has worked) and never
 * delivers; a liar of the scenario's `liars` keeps its planned levels.
 */
function skillsOf (peer: PeerPlan): SkillInput[] {
  if (peer.adversary === 'liar') return peer.skills.map(s => ({ name: s.name, level: 'expert', successRate: 1, avgCompletionMs: 5, handler: LIAR_HANDLER }))
  return peer.skills.map(s => ({ name: s.name, level: s.level, handler: peer.liar ? LIAR_HANDLER : SIMULATE_HANDLER }))
}

/**
 * Whether the peer collects Prometheus metrics: only the honest peers of a scenario with
 * adversaries and adversaries.countLimited, whose limited and penalty counters the report reads.
 */
function metricsOn (scenario: Scenario, peer: PeerPlan): boolean {
  return scenario.adversaries?.countLimited === true && peer.adversary === undefined
}

/** The node configuration of one simulated peer, tuned for many peers on one host. */
export function peerConfig (scenario: Scenario, peer: PeerPlan, root: string, bootstrap: string[]): NodeConfigInput {
  return {
    name: peer.name,
    dataDir: join(root, peer.name),
    storage: 'memory',
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    // Cheap peers: no circuit relay transport and no DHT (the default) in simulations.
    relay: { client: false },
    api: { enabled: false },
    // Prometheus metrics cost memory and CPU per peer; the simulator measures on its own (the
    // honest peers' limited and penalty counters are read from them when adversaries attack).
    metrics: metricsOn(scenario, peer) ? { enabled: true, process: false } : { enabled: false },
    logLevel: 'silent',
    capacity: scenario.capacity,
    // A killed peer crashes: stopping it must not hand its parts off (graceful drain).
    negotiation: { drainTimeoutMs: 0 },
    bootstrap,
    connections: { inboundConnectionThreshold: 100_000, maxIncomingPendingConnections: 2_000, maxConnections: 200, dialTimeoutMs: 20_000, pingIntervalMs: 300_000 },
    gossip: { ipColocationThreshold: 1_000_000, D: scenario.node.gossipD, Dlo: scenario.node.gossipDlo, Dhi: scenario.node.gossipDhi },
    directory: { heartbeatMs: scenario.node.heartbeatMs, ttlMs: scenario.node.heartbeatMs * 3, swarmHeartbeatsPerSecond: scenario.node.swarmHeartbeatsPerSecond, joinFloodsPerSecond: scenario.node.joinFloodsPerSecond },
    skills: skillsOf(peer),
    ...(scenario.node.swarmKey !== undefined ? { swarmKey: scenario.node.swarmKey } : {})
  }
}

