/**
 * The adversaries' side of one simulation run (scenario `adversaries`): which started peers
 * attack and with what settings, having the worker threads watch the honest peers' gossipsub
 * score of them, starting the attacks at their time, and gathering what the threads counted.
 * The run (coordinator.ts) owns the worker threads and hands this its ways of calling them.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { sumCounters } from './adversaries-report.js'
import type { AdversaryFacts } from './adversaries-report.js'
import type { WorkerCommand, WorkerEvent } from './messages.js'
import type { PeerPlan, SimulationPlan } from './plan.js'
import type { AdversarySpec, Scenario } from './scenario.js'

/** What the attacks need of the run: its worker threads, and which peers started. */
export interface AttackRunPorts {
  /** Sends every worker thread `command` and waits for all their answers. */
  callAll: <T extends WorkerEvent['type']>(command: WorkerCommand, reply: T) => Promise<Array<Extract<WorkerEvent, { type: T }>>>
  /** Sends each worker thread holding some of `items` the command for its share; their answers. */
  callEach: <I, T extends WorkerEvent['type']>(items: Array<{ worker: number, item: I }>, command: (mine: I[]) => WorkerCommand, reply: T) => Promise<Array<Extract<WorkerEvent, { type: T }>>>
  /** Sends every worker thread `command` without waiting for an answer. */
  sendAll: (command: WorkerCommand) => void
  /** Whether the peer of this plan index started (it has an address). */
  started: (index: number) => boolean
  /** The libp2p peer id of a started peer. */
  peerIdOf: (index: number) => string
}

/** The attacks of a run with the adversaries; in the clean run of a comparison, nothing attacks. */
export class Attacks {
  readonly #settings: Scenario['adversaries']
  readonly #skills: string[]
  readonly #plan: SimulationPlan
  readonly #attacking: boolean
  readonly #ports: AttackRunPorts
  /** When the attacks were started (epoch ms; 0: not yet). */
  #startedAt = 0

  constructor (scenario: Scenario, plan: SimulationPlan, attacking: boolean, ports: AttackRunPorts) {
    this.#settings = scenario.adversaries
    this.#skills = scenario.skills.names
    this.#plan = plan
    this.#attacking = attacking
    this.#ports = ports
  }

  /** What a worker needs to run `peer` as an attacker (nothing for an honest peer, or in the clean run). */
  specOf (peer: PeerPlan): { adversary?: AdversarySpec } {
    if (!this.#attacking || peer.adversary === undefined || this.#settings === undefined) return {}
    return { adversary: { kind: peer.adversary, settings: this.#settings, skills: this.#skills } }
  }

  /** The started attackers of this run. */
  #attackers (): PeerPlan[] {
    return this.#attacking ? this.#plan.peers.filter(p => p.adversary !== undefined && this.#ports.started(p.index)) : []
  }

  /** Has every worker thread sample its honest peers' gossipsub score of the attackers. */
  watch (): void {
    const attackers = this.#attackers().map(p => this.#ports.peerIdOf(p.index))
    if (this.#settings === undefined || attackers.length === 0) return
    this.#ports.sendAll({ type: 'watch', attackers, everyMs: this.#settings.scoreSampleMs })
  }

  /**
   * Starts the attacks at adversaries.at of the arrival period from `loadStartedAt` (the threads
   * holding attackers), unless the run's `deadline` (epoch ms) passed by then.
   */
  async start (loadStartedAt: number, deadline: number): Promise<void> {
    const attackers = this.#attackers()
    if (this.#settings === undefined || attackers.length === 0) return
    const wait = loadStartedAt + Math.round(this.#settings.at * this.#plan.arrivalPeriodMs) - Date.now()
    if (wait > 0) await sleep(wait)
    if (Date.now() > deadline) return
    this.#startedAt = Date.now()
    await this.#ports.callEach(attackers.map(p => ({ worker: p.worker, item: p.index })), () => ({ type: 'attack' }), 'attacking')
  }

  /** Stops the attacks and gathers what the threads counted of them (undefined without adversaries). */
  async collect (): Promise<AdversaryFacts | undefined> {
    if (this.#settings === undefined) return undefined
    const answers = await this.#ports.callAll({ type: 'adversary-stats' }, 'adversary-stats')
    const threshold = answers.find(a => a.graylistThreshold !== undefined)?.graylistThreshold
    return {
      ...(this.#startedAt > 0 ? { attacksStartedAt: this.#startedAt } : {}),
      attackers: answers.flatMap(a => a.attackers),
      scores: answers.flatMap(a => a.scores),
      ...(threshold !== undefined ? { graylistThreshold: threshold } : {}),
      honest: sumCounters(answers.map(a => a.honest))
    }
  }
}
