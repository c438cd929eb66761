/**
 * The malicious peers of a simulation (scenario adversaries), run in the worker threads next to
 * the honest ones. Each is an ordinary swarm node (the project's own libp2p stack) whose
 * gossipsub and direct streams this module drives by hand once the attacks start:
 *   flood    invalid gossip (undecodable bytes, messages on the wrong topic) and valid-looking
 *            TASK_ANNOUNCEs for tasks nobody will run, on the skill topics;
 *   sybil    agent cards on the agents topic, each signed by a fresh key (sybil-keys.ts);
 *   lockout  direct TASK_ANNOUNCEs with a long bid window to the capable agents in turn, to
 *            reserve their capacity;
 *   liar     (no driver: its node advertises expert skills and its handler never delivers; see
 *            coordinator.ts peerConfig).
 */
import { randomBytes } from 'node:crypto'
import { LIMITS, createMessage, encodeMessage, topics } from '@swarm/protocol'
import { SOFTWARE, isSwarmError } from '@swarm/node'
import { freshIdentity, publishAs } from './sybil-keys.js'
import type { AttackerStats } from './messages.js'
import type { AdversarySpec } from './scenario.js'
import type { SwarmNode } from '@swarm/node'
import type { SwarmMessage, TaskAnnounceBody } from '@swarm/protocol'


/** Ticks of the send loops a second. */
const TICKS_PER_SECOND = 10
/** Sends of one attacker in flight at most (a slow host does not pile them up). */
const MAX_IN_FLIGHT = 64
/** How long a lockout announcement waits for its answer. */
const LOCKOUT_TIMEOUT_MS = 5_000
/** Deadline of the attackers' announcements, from now. */
const FAKE_DEADLINE_MS = 120_000
/** How often the lockout lists its targets again. */
const TARGETS_REFRESH_MS = 2_000

/** A capable agent to lock out, and the skill to ask it for. */
interface Target {
  peer: Parameters<SwarmNode['messenger']['request']>[0]
  skill: string
}

/**
 * Sends `perSecond` times a second (counted on the elapsed time: a thread that was busy catches
 * up, by a second's worth at most), with at most MAX_IN_FLIGHT sends unfinished.
 */
class Pacer {
  #budget = 0
  #inFlight = 0
  #last = Date.now()
  readonly #timer: NodeJS.Timeout

  constructor (perSecond: number, send: () => Promise<void>, onError: () => void) {
    this.#timer = setInterval(() => {
      const now = Date.now()
      this.#budget = Math.min(Math.max(1, perSecond), this.#budget + (perSecond * (now - this.#last)) / 1000)
      this.#last = now
      while (this.#budget >= 1) {
        this.#budget--
        if (this.#inFlight >= MAX_IN_FLIGHT) continue
        this.#inFlight++
        send().catch(onError).finally(() => { this.#inFlight-- })
      }
    }, 1000 / TICKS_PER_SECOND)
  }

  stop (): void {
    clearInterval(this.#timer)
  }
}

function taskId (): string {
  return randomBytes(12).toString('base64url')
}

/** A valid-looking announcement of a task nobody will run, from `node`. */
function fakeAnnouncement (node: SwarmNode, skill: string, bidWindowMs: number): TaskAnnounceBody {
  const now = Date.now()
  return {
    taskId: taskId(),
    description: 'urgent analysis, well paid',
    skills: [{ name: skill, minLevel: 'novice', count: 1 }],
    maxGroupSize: 1,
    priority: 'critical',
    deadline: now + FAKE_DEADLINE_MS,
    bidWindowMs,
    input: { kind: 'none' },
    announcerAddrs: node.addrs.slice(0, 4),
    attempt: 1,
    createdAt: now,
    verify: 'none',
    offerCap: 0
  }
}

function encode (message: SwarmMessage): Uint8Array {
  return encodeMessage(message, LIMITS.maxGossipMessageBytes)
}

/** One malicious peer's attack: started and stopped by its worker, counted as it goes. */
export class Attacker {
  readonly #node: SwarmNode
  readonly #spec: AdversarySpec
  readonly #pacers: Pacer[] = []
  readonly stats: AttackerStats
  #turn = 0
  /** The lockout's targets, and when they were listed. */
  #targets: Target[] = []
  #targetsAt = 0
  #listing: Promise<void> | undefined

  constructor (node: SwarmNode, index: number, spec: AdversarySpec) {
    this.#node = node
    this.#spec = spec
    this.stats = { index, peerId: node.peerId.toString(), kind: spec.kind, sent: {}, answers: {}, errors: 0 }
    if (spec.kind === 'liar') node.on('work:started', () => { this.#misbehaved() })
  }

  /** Starts the attack (a liar has nothing to start: it misbehaves when it gets work). */
  start (): void {
    const { kind, settings } = this.#spec
    const onError = (): void => { this.stats.errors++ }
    if (kind === 'flood') {
      this.#pacers.push(new Pacer(settings.flood.invalidPerSecond, async () => { await this.#sendInvalid() }, onError))
      this.#pacers.push(new Pacer(settings.flood.announcesPerSecond, async () => { await this.#floodAnnounce() }, onError))
    } else if (kind === 'sybil') {
      this.#pacers.push(new Pacer(settings.sybil.cardsPerSecond, async () => { await this.#sybilCard() }, onError))
    } else if (kind === 'lockout') {
      this.#pacers.push(new Pacer(settings.lockout.announcesPerSecond, async () => { await this.#lockout() }, onError))
    }
  }

  stop (): void {
    for (const p of this.#pacers.splice(0)) p.stop()
  }

  #count (what: string): void {
    this.stats.sent[what] = (this.stats.sent[what] ?? 0) + 1
  }

  #misbehaved (): void {
    this.stats.firstMisbehaviourAt ??= Date.now()
  }

  #nextSkill (): string {
    const { skills } = this.#spec
    return skills[this.#turn++ % skills.length] as string
  }

  /** Undecodable bytes or a message on a topic where it does not belong, in turn. */
  async #sendInvalid (): Promise<void> {
    const network = this.#node.config.network
    const pubsub = this.#node.libp2p.services.pubsub
    const variant = ((this.stats.sent.undecodable ?? 0) + (this.stats.sent.wrongChannel ?? 0)) % 3
    const skillTopic = topics.skill(network, this.#nextSkill())
    this.#misbehaved()
    if (variant === 0) {
      this.#count('undecodable')
      await pubsub.publish(skillTopic, randomBytes(64))
    } else if (variant === 1) {
      this.#count('wrongChannel')
      await pubsub.publish(skillTopic, encode(createMessage('HEARTBEAT', { cardSeq: 1, load: 0 })))
    } else {
      this.#count('wrongChannel')
      await pubsub.publish(topics.agents(network), encode(createMessage('TASK_ANNOUNCE', fakeAnnouncement(this.#node, this.#nextSkill(), 1000))))
    }
  }

  /** A valid-looking announcement on a skill topic: the bidders reserve a slot and offer. */
  async #floodAnnounce (): Promise<void> {
    const skill = this.#nextSkill()
    const body = fakeAnnouncement(this.#node, skill, this.#spec.settings.flood.bidWindowMs)
    this.#misbehaved()
    this.#count('announces')
    await this.#node.libp2p.services.pubsub.publish(topics.skill(this.#node.config.network, skill), encode(createMessage('TASK_ANNOUNCE', body)))
  }

  /** An expert agent card that no peer stands behind, signed by a fresh key. */
  async #sybilCard (): Promise<void> {
    if ((this.stats.sent.cards ?? 0) >= this.#spec.settings.sybil.identities) return
    const identity = freshIdentity()
    const n = this.stats.sent.cards ?? 0
    const card = {
      name: `agent-${identity.peerId.slice(-6)}`,
      software: { ...SOFTWARE },
      skills: [this.#nextSkill(), this.#nextSkill()].filter((s, i, all) => all.indexOf(s) === i).map(name => ({
        id: name, name, level: 'expert' as const, successRate: 1, avgCompletionMs: 5, description: '', tags: [], examples: [], inputModes: ['application/json'], outputModes: ['application/json'], hasHandler: true
      })),
      capacity: 64,
      load: 0,
      addrs: [],
      seq: 1,
      startedAt: Date.now() - n
    }
    this.#misbehaved()
    this.#count('cards')
    await publishAs(this.#node, identity, topics.agents(this.#node.config.network), encode(createMessage('AGENT_CARD', card)))
  }

  /**
   * The next capable agent this node can reach, in turn, with one of its skills: the agents of
   * its directory with a handler that it is connected to or its peer store knows how to dial
   * (not the sybils' cards). The list is made again every TARGETS_REFRESH_MS, once at a time.
   */
  async #nextTarget (): Promise<Target | undefined> {
    if (Date.now() - this.#targetsAt > TARGETS_REFRESH_MS) {
      this.#targetsAt = Date.now()
      this.#listing ??= this.#listTargets().finally(() => { this.#listing = undefined })
    }
    if (this.#targets.length === 0 && this.#listing !== undefined) await this.#listing
    return this.#targets[this.#turn++ % Math.max(1, this.#targets.length)]
  }

  async #listTargets (): Promise<void> {
    const self = this.#node.peerId.toString()
    const skillOf = new Map<string, string>()
    for (const r of this.#node.directory.agents.list()) {
      const skill = r.card.skills.find(s => s.hasHandler)?.name
      if (r.peerId !== self && skill !== undefined) skillOf.set(r.peerId, skill)
    }
    const peers = new Map<string, Target['peer']>()
    for (const c of this.#node.libp2p.getConnections()) peers.set(c.remotePeer.toString(), c.remotePeer)
    for (const p of await this.#node.libp2p.peerStore.all()) peers.set(p.id.toString(), p.id)
    const targets: Target[] = []
    for (const [id, peer] of peers) {
      const skill = skillOf.get(id)
      if (skill !== undefined) targets.push({ peer, skill })
    }
    this.#targets = targets
  }

  /** A direct announcement with a long bid window: the agent reserves a slot for about as long. */
  async #lockout (): Promise<void> {
    const target = await this.#nextTarget()
    if (target === undefined) {
      this.#count('noTarget')
      return
    }
    const body = fakeAnnouncement(this.#node, target.skill, this.#spec.settings.lockout.bidWindowMs)
    this.#misbehaved()
    this.#count('lockouts')
    let answer: string
    try {
      const reply = await this.#node.messenger.request(target.peer, createMessage('TASK_ANNOUNCE', body), { timeoutMs: LOCKOUT_TIMEOUT_MS })
      answer = reply.type === 'ERROR' ? `refused ${reply.body.code}` : reply.type === 'SKILL_OFFER' ? 'reserved' : reply.type
    } catch (err) {
      // No answer in time (a limit may drop the request unanswered), or the stream failed.
      answer = isSwarmError(err) && err.code === 'TIMEOUT' ? 'no answer' : 'failed'
    }
    this.stats.answers[answer] = (this.stats.answers[answer] ?? 0) + 1
  }
}
