import { Counter, Gauge, Histogram } from 'prom-client'
import { z } from 'zod'
import { llmMetrics } from './llm-metrics.js'
import type { Registry } from 'prom-client'
import type { SwarmNodeEvents } from '../types.js'

/** What the gauges read when Prometheus scrapes. */
export interface SwarmMetricsSources {
  /** Agents in the directory, this one included. */
  agentsKnown: () => number
  /** Peers with an open connection. */
  peersConnected: () => number
  /** Capacity slots: all of them, those reserved by offers, those committed to group work. */
  capacity: () => { total: number, reserved: number, committed: number }
  /** Tasks this node announced that have not finished yet. */
  tasksInFlight: () => number
  /** Votes this node counted and refused (by reason), in the working groups it is in. */
  votes?: () => { accepted: number, rejected: Readonly<Record<string, number>> }
  /** Penalties charged to peers (invalid gossip, malformed or unauthorized requests), by reason, and the peers in the book. */
  penalties?: () => { byReason: Readonly<Record<string, number>>, peers: number }
  /**
   * What the limits (config `limits`) dropped or refused so far, by kind (new-identity,
   * directory-full, directory-request, escalation, proposal, ...). Each layer counts its own;
   * add a kind by adding it to what this returns.
   */
  limited?: () => Readonly<Record<string, number>>
  /** Gossipsub's score of each connected peer, and the score below which a peer is graylisted. */
  peerScores?: () => { scores: Array<{ peerId: string, score: number }>, graylistThreshold: number }
}

/** Peers shown by `swarm_peer_score`: the lowest scores only, to bound the label values. */
const PEER_SCORES_SHOWN = 10

/** Labels of the `swarm_node_info` gauge. */
export interface SwarmNodeInfo {
  peerId: string
  name: string
  network: string
  version: string
}

/** Final outcomes of an announced task, as the `outcome` label. */
const TASK_OUTCOMES = ['completed', 'failed', 'rejected', 'cancelled'] as const
type TaskOutcomeLabel = (typeof TASK_OUTCOMES)[number]

/** Histogram buckets, in seconds. */
const FORMATION_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30]
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]

/*
 * Events of the working groups (proposals, escalations). Their payloads are read leniently: only
 * the fields that become labels, each bounded to a few short values.
 */
const LabelValueSchema = z.string().regex(/^[a-z][a-z_-]{0,23}$/)
/** The value of `payload[key]` when it makes a sound label value, otherwise `unknown`. */
function labelOf (payload: unknown, key: string): string {
  const parsed = z.object({ [key]: LabelValueSchema }).loose().safeParse(payload)
  const value = parsed.success ? parsed.data[key] : undefined
  return typeof value === 'string' ? value : 'unknown'
}

type Observers = { [K in keyof SwarmNodeEvents]?: (payload: SwarmNodeEvents[K]) => void }

type Registers = Registry[]

function counter<L extends string = never> (registers: Registers, name: string, help: string, labelNames: L[] = []): Counter<L> {
  return new Counter<L>({ name, help, labelNames, registers })
}

/** Metrics of the tasks this node announced: attempts, formations and outcomes. */
interface TaskMetrics {
  announced: Counter
  retries: Counter
  formed: Counter
  finished: Counter<'outcome'>
  formation: Histogram
  completion: Histogram<'outcome'>
}

function taskMetrics (registers: Registers): TaskMetrics {
  const announced = counter(registers, 'swarm_tasks_announced_total', 'Tasks this node announced (first attempts).')
  const retries = counter(registers, 'swarm_task_retries_total', 'Further attempts of tasks this node announced, after a failure.')
  const formed = counter(registers, 'swarm_tasks_formed_total', 'Working groups formed for tasks this node announced.')
  const finished = counter(registers, 'swarm_tasks_finished_total', 'Tasks this node announced that reached a final state, by outcome.', ['outcome'])
  for (const outcome of TASK_OUTCOMES) finished.inc({ outcome }, 0)
  const formation = new Histogram({ name: 'swarm_task_formation_seconds', help: 'Announcement to working group formed, of the attempt that formed it.', buckets: FORMATION_BUCKETS, registers })
  const completion = new Histogram<'outcome'>({ name: 'swarm_task_completion_seconds', help: 'Creation to final state of tasks this node announced, by outcome.', labelNames: ['outcome'], buckets: DURATION_BUCKETS, registers })
  return { announced, retries, formed, finished, formation, completion }
}

/** Metrics of offers, both ways, and of the work done: replacements and handler runs. */
interface WorkMetrics {
  offersReceived: Counter
  offersSent: Counter
  offersWon: Counter
  offersReleased: Counter
  replacements: Counter
  handler: Histogram<'skill' | 'result'>
}

function workMetrics (registers: Registers): WorkMetrics {
  return {
    offersReceived: counter(registers, 'swarm_offers_received_total', 'Offers received for tasks this node announced.'),
    offersSent: counter(registers, 'swarm_offers_sent_total', 'Offers this node sent for other tasks (bids).'),
    offersWon: counter(registers, 'swarm_offers_won_total', 'Offers of this node that became group membership (invites accepted).'),
    offersReleased: counter(registers, 'swarm_offers_released_total', 'Reservations of this node released without work: not chosen, lease expired or task cancelled.'),
    replacements: counter(registers, 'swarm_member_replacements_total', 'Group members of tasks this node announced replaced by a backup.'),
    handler: new Histogram<'skill' | 'result'>({ name: 'swarm_handler_duration_seconds', help: 'Skill handler runs on this node, by skill and result (ok or error).', labelNames: ['skill', 'result'], buckets: DURATION_BUCKETS, registers })
  }
}

/** Metrics of the working groups this node is in: proposals and escalations. */
interface GroupMetrics {
  proposalsOpened: Counter
  proposalsDecided: Counter<'outcome'>
  escalations: Counter<'source'>
}

function groupMetrics (registers: Registers): GroupMetrics {
  return {
    proposalsOpened: counter(registers, 'swarm_proposals_opened_total', 'Proposals opened in working groups this node is in.'),
    proposalsDecided: counter(registers, 'swarm_proposals_decided_total', 'Proposals decided in working groups this node is in, by outcome (approved, rejected, no-quorum).', ['outcome']),
    escalations: counter(registers, 'swarm_escalations_total', 'Escalations to a human this node learnt of, by source.', ['source'])
  }
}

/** Counters kept by other layers (votes, penalties), registered only when their source is given. */
function registerCountedElsewhere (registers: Registers, sources: SwarmMetricsSources): void {
  const votes = sources.votes
  if (votes !== undefined) {
    // Counted by the group layer; read at scrape time.
    new Counter({ name: 'swarm_votes_accepted_total', help: 'Votes this node counted, in the working groups it is in.', registers, collect () { this.reset(); this.inc(votes().accepted) } })
    new Counter<'reason'>({
      name: 'swarm_votes_rejected_total',
      help: 'Votes this node refused, by reason (NOT_ELIGIBLE, AFTER_DEADLINE, SUPERSEDED, ...).',
      labelNames: ['reason'],
      registers,
      collect () {
        this.reset()
        for (const [reason, n] of Object.entries(votes().rejected)) this.inc({ reason }, n)
      }
    })
  }

  const penalties = sources.penalties
  if (penalties !== undefined) {
    new Counter<'reason'>({
      name: 'swarm_peer_penalties_total',
      help: 'Penalties this node charged to peers, by reason (invalid gossip, malformed frames, unauthorized requests).',
      labelNames: ['reason'],
      registers,
      collect () {
        this.reset()
        for (const [reason, n] of Object.entries(penalties().byReason)) this.inc({ reason }, n)
      }
    })
    new Gauge({ name: 'swarm_penalised_peers', help: 'Peers with a penalty score on this node (it decays over time).', registers, collect () { this.set(penalties().peers) } })
  }

  const limited = sources.limited
  if (limited !== undefined) {
    new Counter<'kind'>({
      name: 'swarm_limited_total',
      help: 'Messages and records dropped or refused by a limit (rates per peer, new identities per peer, directory size, escalations per task), by kind.',
      labelNames: ['kind'],
      registers,
      collect () {
        this.reset()
        for (const [kind, n] of Object.entries(limited())) this.inc({ kind }, n)
      }
    })
  }

  const peerScores = sources.peerScores
  if (peerScores !== undefined) registerPeerScores(registers, peerScores)
}

/** Gossipsub's peer scores: the lowest few by peer, and how many connected peers are graylisted. */
function registerPeerScores (registers: Registers, peerScores: NonNullable<SwarmMetricsSources['peerScores']>): void {
  new Gauge<'peer'>({
    name: 'swarm_peer_score',
    help: `Gossipsub's score of connected peers (the ${PEER_SCORES_SHOWN} lowest; below the graylist threshold a peer's gossip is dropped).`,
    labelNames: ['peer'],
    registers,
    collect () {
      this.reset()
      const lowest = [...peerScores().scores].sort((a, b) => a.score - b.score).slice(0, PEER_SCORES_SHOWN)
      for (const { peerId, score } of lowest) this.set({ peer: peerId }, score)
    }
  })
  new Gauge({
    name: 'swarm_graylisted_peers',
    help: 'Connected peers whose gossipsub score is below the graylist threshold: everything they gossip is dropped unread.',
    registers,
    collect () {
      const { scores, graylistThreshold } = peerScores()
      this.set(scores.filter(s => s.score < graylistThreshold).length)
    }
  })
}

/** The gauges read from the node at scrape time, and the constant `swarm_node_info`. */
function registerGauges (registers: Registers, sources: SwarmMetricsSources, info: SwarmNodeInfo): void {
  new Gauge({ name: 'swarm_agents_known', help: 'Agents in this node\'s directory, itself included.', registers, collect () { this.set(sources.agentsKnown()) } })
  new Gauge({ name: 'swarm_peers_connected', help: 'Peers this node has an open connection with.', registers, collect () { this.set(sources.peersConnected()) } })
  new Gauge({ name: 'swarm_tasks_in_flight', help: 'Tasks this node announced that have not finished.', registers, collect () { this.set(sources.tasksInFlight()) } })
  new Gauge<'state'>({
    name: 'swarm_capacity_slots',
    help: 'Capacity of this node: total slots, slots reserved by open offers, slots committed to group work.',
    labelNames: ['state'],
    registers,
    collect () {
      const { total, reserved, committed } = sources.capacity()
      this.set({ state: 'total' }, total)
      this.set({ state: 'reserved' }, reserved)
      this.set({ state: 'committed' }, committed)
    }
  })
  new Gauge<'peer_id' | 'name' | 'network' | 'version'>({ name: 'swarm_node_info', help: 'This node: peer id, name, network and software version (always 1).', labelNames: ['peer_id', 'name', 'network', 'version'], registers })
    .set({ peer_id: info.peerId, name: info.name, network: info.network, version: info.version }, 1)
}

/** What each typed node event adds to the task and work metrics. */
function eventObservers (tasks: TaskMetrics, work: WorkMetrics, llm: (call: SwarmNodeEvents['llm:call']) => void): Observers {
  const finished = (outcome: TaskOutcomeLabel) => (event: { at: number, outcome: { timings: { createdAt: number, totalMs?: number } } }): void => {
    tasks.finished.inc({ outcome })
    const ms = event.outcome.timings.totalMs ?? event.at - event.outcome.timings.createdAt
    if (ms >= 0) tasks.completion.observe({ outcome }, ms / 1000)
  }
  return {
    'task:announced': e => { if (e.attempt <= 1) tasks.announced.inc() },
    'task:retry': () => { tasks.retries.inc() },
    'task:offer': () => { work.offersReceived.inc() },
    'task:formed': e => {
      tasks.formed.inc()
      if (e.formationMs >= 0) tasks.formation.observe(e.formationMs / 1000)
    },
    'task:member-replaced': () => { work.replacements.inc() },
    'task:completed': finished('completed'),
    'task:failed': finished('failed'),
    'task:rejected': finished('rejected'),
    'task:cancelled': finished('cancelled'),
    'work:offered': () => { work.offersSent.inc() },
    'work:accepted': () => { work.offersWon.inc() },
    'work:released': () => { work.offersReleased.inc() },
    'work:finished': e => { work.handler.observe({ skill: e.skill, result: e.ok ? 'ok' : 'error' }, Math.max(0, e.durationMs) / 1000) },
    'llm:call': llm
  }
}

/**
 * The swarm's own Prometheus metrics of one node: counters and histograms fed by the node's
 * events, gauges read from the node at scrape time. All in the node's registry.
 */
export class SwarmMetrics {
  readonly #groups: GroupMetrics
  readonly #observers: Observers

  constructor (registry: Registry, sources: SwarmMetricsSources, info: SwarmNodeInfo) {
    // Registered in this order, which is the order of the exposition.
    const registers = [registry]
    const tasks = taskMetrics(registers)
    const work = workMetrics(registers)
    this.#groups = groupMetrics(registers)
    registerCountedElsewhere(registers, sources)
    registerGauges(registers, sources, info)
    this.#observers = eventObservers(tasks, work, llmMetrics(registers))
  }

  /** Updates the metrics for one event of the node (any event: those that count nothing are ignored). */
  observe (event: string, payload: unknown): void {
    const observer = (this.#observers as Record<string, ((payload: unknown) => void) | undefined>)[event]
    if (observer !== undefined) {
      observer(payload)
      return
    }
    switch (event) {
      case 'proposal:opened':
        this.#groups.proposalsOpened.inc()
        break
      case 'proposal:decided':
        this.#groups.proposalsDecided.inc({ outcome: labelOf(payload, 'outcome') })
        break
      case 'escalation:created':
        this.#groups.escalations.inc({ source: labelOf(payload, 'source') })
        break
    }
  }
}
