import { createRandom } from './rng.js'
import type { Scenario } from './scenario.js'
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
  kind: 'kill' | 'restart' | 'partition' | 'heal'
  peers: number[]
}

export interface SimulationPlan {
  peers: PeerPlan[]
  tasks: TaskPlan[]
  chaos: ChaosEvent[]
  /** Time from the first to the last arrival. */
  arrivalPeriodMs: number
  workers: number
}

/**
 * The whole run decided up front from the scenario and its seed: peers and their skills, the
 * task arrivals, and the churn and partition events. Pure: the same scenario gives the same plan.
 */
export function planSimulation (scenario: Scenario, workers: number): SimulationPlan {
  const random = createRandom(scenario.seed)
  const names = scenario.skills.names
  const peers: PeerPlan[] = []
  for (let i = 0; i < scenario.peers; i++) {
    const skills = random.sample(names, scenario.skills.perPeer).map(name => ({ name, level: random.weighted<Level>(scenario.skills.levels) }))
    const bootstrap = i === 0 ? [] : [...new Set(Array.from({ length: Math.min(i, scenario.node.bootstrapPeers) }, () => random.int(0, i - 1)))]
    peers.push({ index: i, name: `peer-${i}`, skills, worker: i % workers, bootstrap, churns: false, partitioned: false })
  }

  // Peer 0 is the seed everyone can reach: it never churns and stays on the main side.
  const others = peers.slice(1).map(p => p.index)
  const killed = random.sample(others, Math.round(scenario.churn.fraction * scenario.peers))
  for (const k of killed) (peers[k] as PeerPlan).churns = true
  const cut = random.sample(others, Math.round(scenario.partition.fraction * scenario.peers))
  for (const c of cut) (peers[c] as PeerPlan).partitioned = true

  const count = scenario.tasks.count
  const arrivalPeriodMs = scenario.tasks.burst ? 0 : Math.round(((count - 1) / scenario.tasks.rate) * 1000)
  const announcers = peers.filter(p => scenario.tasks.announcers === 'any' || (!p.churns && !p.partitioned)).map(p => p.index)
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
  chaos.sort((a, b) => a.at - b.at)
  return { peers, tasks, chaos, arrivalPeriodMs, workers }
}
