import { createRandom } from './rng.js'
import type { AdversaryKind, Scenario } from './scenario.js'
import type { Level, RequiredSkill } from '@swarm/protocol'

/** One simulated peer. */
export interface PeerPlan {
  index: number
  name: string
  skills: Array<{ name: string, level: Level }>
  /** Worker thread that hosts it. */
  worker: number
  /** Indices of earlier peers it bootstraps from. */
  bootstrap: number[]
  /** Whether it is killed during the run. */
  churns: boolean
  /** Whether it is on the cut-off side of the partition. */
  partitioned: boolean
  /** Whether it is frozen during the run (its worker thread holds frozen peers only). */
  frozen: boolean
  /** Whether its handler accepts work and never delivers. */
  liar: boolean
  /** Set on a malicious peer (scenario adversaries): what it does once the attacks start. */
  adversary?: AdversaryKind
}

/** One task of the workload. */
export interface TaskPlan {
  index: number
  /** When it is announced, ms after the load starts. */
  at: number
  /** Peer that announces it. */
  announcer: number
  skills: RequiredSkill[]
  /** The simulated work and whether it fails. */
  input: { workMs: number, fail: boolean, task: number }
}

export interface ChaosEvent {
  at: number
  kind: 'kill' | 'restart' | 'partition' | 'heal' | 'freeze' | 'thaw'
  /** The peers concerned; a freeze or thaw concerns every peer of one worker thread. */
  peers: number[]
}

export interface SimulationPlan {
  peers: PeerPlan[]
  tasks: TaskPlan[]
  chaos: ChaosEvent[]
  /** Time from the first to the last arrival. */
  arrivalPeriodMs: number
  /** Worker threads in all: the ordinary ones, then those holding the frozen peers. */
  workers: number
  /** Indices of the worker threads that hold the frozen peers (none without freeze). */
  freezeWorkers: number[]
}

/** Seed of the second random stream (frozen peers, liars): adding them leaves the rest of a plan as it was. */
const ROLES_SEED_SALT = 0x5f3759df
/** Seed of the third random stream (the announcers, when tasks.announcerCount picks some). */
const ANNOUNCERS_SEED_SALT = 0x2545f491
/** Seed of the fourth random stream (the adversaries): adding them leaves the rest of a plan as it was. */
const ADVERSARIES_SEED_SALT = 0x1b873593

/**
 * The whole run decided up front from the scenario and its seed: peers and their skills, the
 * task arrivals, and the churn, partition and freeze events. Pure: the same scenario gives the
 * same plan. `workers` threads hold the ordinary peers; frozen peers get threads of their own
 * after those (freezing a thread freezes every peer in it).
 */
export function planSimulation (scenario: Scenario, workers: number): SimulationPlan {
  const random = createRandom(scenario.seed)
  const names = scenario.skills.names
  const peers: PeerPlan[] = []
  for (let i = 0; i < scenario.peers; i++) {
    const skills = random.sample(names, scenario.skills.perPeer).map(name => ({ name, level: random.weighted<Level>(scenario.skills.levels) }))
    const bootstrap = i === 0 ? [] : [...new Set(Array.from({ length: Math.min(i, scenario.node.bootstrapPeers) }, () => random.int(0, i - 1)))]
    peers.push({ index: i, name: `peer-${i}`, skills, worker: i % workers, bootstrap, churns: false, partitioned: false, frozen: false, liar: false })
  }

  // Peer 0 is the seed everyone can reach: it never churns and stays on the main side.
  const others = peers.slice(1).map(p => p.index)
  const killed = random.sample(others, Math.round(scenario.churn.fraction * scenario.peers))
  for (const k of killed) (peers[k] as PeerPlan).churns = true
  const cut = random.sample(others, Math.round(scenario.partition.fraction * scenario.peers))
  for (const c of cut) (peers[c] as PeerPlan).partitioned = true
  const freezeWorkers = pickRoles(scenario, peers, workers)

  const count = scenario.tasks.count
  const arrivalPeriodMs = scenario.tasks.burst ? 0 : Math.round(((count - 1) / scenario.tasks.rate) * 1000)
  const announcers = announcersOf(scenario, peers)
  const tasks: TaskPlan[] = []
  for (let t = 0; t < count; t++) {
    const chosen = random.sample(names, scenario.tasks.skillsPerTask)
    tasks.push({
      index: t,
      at: scenario.tasks.burst ? 0 : Math.round((t * 1000) / scenario.tasks.rate),
      announcer: random.pick(announcers),
      skills: chosen.map((name, i) => ({ name, minLevel: i === 0 ? scenario.tasks.minLevel : 'novice', count: scenario.tasks.membersPerSkill })),
      input: { workMs: random.int(scenario.work.minMs, scenario.work.maxMs), fail: random.next() < scenario.work.failureRate, task: t }
    })
  }

  const chaos: ChaosEvent[] = []
  if (killed.length > 0) {
    const start = Math.round(scenario.churn.at * arrivalPeriodMs)
    killed.forEach((peer, i) => {
      const at = start + Math.round((i / Math.max(1, killed.length)) * scenario.churn.spreadMs)
      chaos.push({ at, kind: 'kill', peers: [peer] })
      if (scenario.churn.restartAfterMs > 0) chaos.push({ at: at + scenario.churn.restartAfterMs, kind: 'restart', peers: [peer] })
    })
  }
  if (cut.length > 0) {
    const at = Math.round(scenario.partition.at * arrivalPeriodMs)
    chaos.push({ at, kind: 'partition', peers: cut })
    chaos.push({ at: at + scenario.partition.durationMs, kind: 'heal', peers: cut })
  }
  chaos.push(...freezeEvents(scenario, peers, freezeWorkers, arrivalPeriodMs))
  chaos.sort((a, b) => a.at - b.at)
  return { peers, tasks, chaos, arrivalPeriodMs, workers: workers + freezeWorkers.length, freezeWorkers }
}

/**
 * Picks the frozen peers and the liars (from a random stream of their own, among the peers that
 * neither churn nor get cut off, never peer 0), and moves the frozen ones to worker threads
 * `workers`, `workers + 1`, … round-robin; those threads' indices.
 */
function pickRoles (scenario: Scenario, peers: PeerPlan[], workers: number): number[] {
  const random = createRandom((scenario.seed ^ ROLES_SEED_SALT) >>> 0)
  const pool = peers.slice(1).filter(p => !p.churns && !p.partitioned).map(p => p.index)
  const frozen = random.sample(pool, Math.round(scenario.freeze.fraction * scenario.peers)).sort((a, b) => a - b)
  const frozenSet = new Set(frozen)
  const liars = random.sample(pool.filter(i => !frozenSet.has(i)), Math.round(scenario.liars.fraction * scenario.peers))
  for (const l of liars) (peers[l] as PeerPlan).liar = true
  pickAdversaries(scenario, peers, pool.filter(i => !frozenSet.has(i) && !(peers[i] as PeerPlan).liar))
  const threads = Math.min(frozen.length, scenario.freeze.workers)
  frozen.forEach((f, i) => {
    const peer = peers[f] as PeerPlan
    peer.frozen = true
    peer.worker = workers + (i % threads)
  })
  return Array.from({ length: threads }, (_, i) => workers + i)
}

/**
 * Picks the adversaries among `pool` (from a random stream of their own) and gives them their
 * kinds in turn, in the order of their indices.
 */
function pickAdversaries (scenario: Scenario, peers: PeerPlan[], pool: number[]): void {
  const a = scenario.adversaries
  if (a === undefined) return
  const random = createRandom((scenario.seed ^ ADVERSARIES_SEED_SALT) >>> 0)
  const picked = random.sample(pool, Math.round(a.fraction * scenario.peers)).sort((x, y) => x - y)
  picked.forEach((index, i) => { (peers[index] as PeerPlan).adversary = a.kinds[i % a.kinds.length] })
}

/**
 * The peers that announce: any honest peer, or those that never churn, get cut off, freeze or
 * lie ('stable'); tasks.announcerCount of them (picked from a random stream of their own) when
 * set. Adversaries never announce the workload's tasks.
 */
function announcersOf (scenario: Scenario, peers: PeerPlan[]): number[] {
  const all = peers.filter(p => p.adversary === undefined && (scenario.tasks.announcers === 'any' || (!p.churns && !p.partitioned && !p.frozen && !p.liar))).map(p => p.index)
  const count = scenario.tasks.announcerCount
  if (count === undefined || count >= all.length) return all
  return createRandom((scenario.seed ^ ANNOUNCERS_SEED_SALT) >>> 0).sample(all, count).sort((a, b) => a - b)
}

/** One freeze per freeze thread, from freeze.at of the arrival period, spread over spreadMs; their thaws after durationMs. */
function freezeEvents (scenario: Scenario, peers: PeerPlan[], freezeWorkers: number[], arrivalPeriodMs: number): ChaosEvent[] {
  const { at, spreadMs, durationMs } = scenario.freeze
  const start = Math.round(at * arrivalPeriodMs)
  return freezeWorkers.flatMap((w, i) => {
    const when = start + Math.round((i / freezeWorkers.length) * spreadMs)
    const mine = peers.filter(p => p.worker === w).map(p => p.index)
    const freeze: ChaosEvent = { at: when, kind: 'freeze', peers: mine }
    return durationMs > 0 ? [freeze, { at: when + durationMs, kind: 'thaw', peers: mine }] : [freeze]
  })
}
