import { peerIdFromString } from '@libp2p/peer-id'
import { topics } from '@swarm/protocol'
import { SwarmError } from '../errors.js'
import type { DirectoryView } from '../directory/view.js'
import type { Clock } from '../ports/clock.js'
import type { ConnectionsPort } from '../ports/connections.js'
import type { GossipPort } from '../ports/gossip.js'
import type { MessengerPort } from '../ports/messenger.js'
import type { Level, RequiredSkill } from '@swarm/protocol'

export interface ReachabilityComponents {
  gossip: GossipPort
  messenger: MessengerPort
  connections: ConnectionsPort
  directory: DirectoryView
  clock: Clock
  /** Whether this node itself works a skill at a level. */
  canDo: (skill: string, minLevel: Level) => boolean
  /** Asks a few neighbours for the agents they know (directory catch-up on demand). */
  askNeighbours: () => Promise<void>
  /** Calls the listener on every change of a peer's topic subscriptions; returns an unsubscribe function. */
  onSubscriptionChange: (listener: () => void) => () => void
}

export interface ReachabilityInit {
  network: string
  /** How long to wait for a dialled agent to subscribe to a skill's topic. */
  subscribeWaitMs: number
  /** Agents of one skill dialled at most, when no subscriber of its topic is connected. */
  dialsPerSkill: number
}

/**
 * Makes sure that an announcement for each required skill reaches at least one agent that can do
 * it: this node, a connected subscriber of the skill's topic, or an agent from the directory that
 * is dialled now. A directory that knows nobody for a skill (this node joined moments ago, or its
 * catch-ups failed on a busy swarm) first asks neighbours for what they know. Throws
 * NO_CAPABLE_PEERS, naming each skill nobody can take and why.
 */
export class Reachability {
  readonly #c: ReachabilityComponents
  readonly #init: ReachabilityInit

  constructor (components: ReachabilityComponents, init: ReachabilityInit) {
    this.#c = components
    this.#init = init
  }

  async ensure (required: RequiredSkill[]): Promise<void> {
    if (required.some(req => this.#unknown(req))) await this.#c.askNeighbours()
    const missing: string[] = []
    for (const req of required) {
      const problem = await this.#reach(req)
      if (problem !== undefined) missing.push(problem)
    }
    if (missing.length > 0) {
      throw new SwarmError('NO_CAPABLE_PEERS', `no peer can take this task: ${missing.join('; ')}`, { missing })
    }
  }

  #topic (skill: string): string {
    return topics.skill(this.#init.network, skill)
  }

  /** Neither a connected subscriber of its topic nor any other agent with a handler in the directory. */
  #unknown (req: RequiredSkill): boolean {
    return this.#c.gossip.subscribers(this.#topic(req.name)).length === 0 &&
      !this.#c.directory.find({ skill: req.name, minLevel: req.minLevel }).some(a => !a.self && a.skill.hasHandler)
  }

  /** Reaches one skill; returns why nobody can take it, or undefined when someone can. */
  async #reach (req: RequiredSkill): Promise<string | undefined> {
    const topic = this.#topic(req.name)
    if (this.#c.gossip.subscribers(topic).length > 0) return undefined
    const known = this.#c.directory.find({ skill: req.name, minLevel: req.minLevel }).filter(a => !a.self)
    const able = known.filter(a => a.skill.hasHandler)
    // Even when this node can do the skill itself, others that can should hear the task too.
    if (able.length > 0 && await this.#dialAndWait(topic, able.slice(0, this.#init.dialsPerSkill))) return undefined
    if (this.#c.canDo(req.name, req.minLevel)) return undefined
    const level = req.minLevel === 'novice' ? '' : ` at level ${req.minLevel} or above`
    if (able.length > 0) return `skill "${req.name}"${level}: ${able.length} agent(s) have it but none could be reached`
    if (known.length > 0) return `skill "${req.name}"${level}: ${known.map(a => a.card.name).join(', ')} advertise it without a handler (start them with --exec ${req.name}=<command>)`
    return `skill "${req.name}"${level}: no agent with it is known`
  }

  /** Dials the agents and resolves whether one of them subscribed to the topic in time. */
  async #dialAndWait (topic: string, agents: Array<{ peerId: string, card: { addrs: string[] } }>): Promise<boolean> {
    const subscribed = new Promise<boolean>(resolve => {
      const done = (ok: boolean): void => {
        this.#c.clock.clearTimeout(timer)
        off()
        resolve(ok)
      }
      const timer = this.#c.clock.setTimeout(() => { done(false) }, this.#init.subscribeWaitMs)
      const off = this.#c.onSubscriptionChange(() => { if (this.#c.gossip.subscribers(topic).length > 0) done(true) })
    })
    for (const agent of agents) {
      const peer = peerIdFromString(agent.peerId)
      await this.#c.messenger.learnAddrs(peer, agent.card.addrs)
      this.#c.connections.dial(peer).catch(() => {})
    }
    return await subscribed
  }
}
