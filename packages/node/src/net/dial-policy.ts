import { peerIdFromString } from '@libp2p/peer-id'
import { topics } from '@swarm/protocol'
import type { AgentRecord } from '../directory/agent-directory.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../ports/clock.js'
import type { ConnectionsPort } from '../ports/connections.js'
import type { GossipPort } from '../ports/gossip.js'
import type { MessengerPort } from '../ports/messenger.js'
import type { PeerId, Startable } from '@libp2p/interface'

export interface DialPolicyComponents {
  connections: ConnectionsPort
  gossip: GossipPort
  messenger: MessengerPort
  clock: Clock
  logger: Logger
  /** Whether this node works a skill (with a handler) at a level. */
  canDo: (skill: string) => boolean
}

export interface DialPolicyInit {
  self: PeerId
  network: string
  role: 'agent' | 'registry'
  /** The agents topic: its subscribers are this node's directory neighbours. */
  agentsTopic: string
  /** Connections at which this node stops dialling on its own: half of the connection limit. */
  maxConnections: number
  /** Gossip mesh degree (D) and its lower bound (Dlo). */
  meshDegree: number
  meshDegreeLow: number
}

/** How long the higher peer id of two agents that want to meet waits before dialling (up to twice this). */
const SECOND_DIALER_DELAY_MS = 1_500

/**
 * Which peers this node dials on its own. It connects to an agent of a skill it also works while
 * the skill's topic has fewer connected subscribers than the gossip mesh wants, so that the agents
 * of one skill form one mesh (an announcement reaching one of them reaches them all), keeps a few
 * neighbours whatever their skills (the directory's gossip must not hang on the one peer it joined
 * through), and dials peers found by discovery while it has few connections. It never dials past
 * half the connection limit, and counts dials under way so that a burst of newly known agents does
 * not turn into a dial storm.
 */
export class DialPolicy implements Startable {
  readonly #c: DialPolicyComponents
  readonly #init: DialPolicyInit
  /** Dials under way to agents of shared skills, with those skills. */
  readonly #meeting = new Map<string, string[]>()
  #running = false

  constructor (components: DialPolicyComponents, init: DialPolicyInit) {
    this.#c = components
    this.#init = init
  }

  start (): void { this.#running = true }
  stop (): void { this.#running = false }

  /** An agent joined or changed: connect to it when it shares a skill whose mesh is thin. */
  meetSkillPeer (record: AgentRecord): void {
    if (!this.#running || record.self) return
    const { gossip, connections } = this.#c
    const shared = record.card.skills.filter(s => s.hasHandler && this.#c.canDo(s.name))
    const fewNeighbours = this.#init.role === 'agent' && gossip.subscribers(this.#init.agentsTopic).length + this.#meeting.size < this.#init.meshDegreeLow
    if (shared.length === 0 && !fewNeighbours) return
    const peer = peerIdFromString(record.peerId)
    if (connections.connectionCount(peer) > 0 || this.#meeting.has(record.peerId)) return
    if (connections.connectionCount() + this.#meeting.size >= this.#init.maxConnections / 2) return
    const dialling = (skill: string): number => [...this.#meeting.values()].filter(skills => skills.includes(skill)).length
    const thin = (skill: string): boolean => gossip.subscribers(topics.skill(this.#init.network, skill)).length + dialling(skill) < this.#init.meshDegree
    if (!fewNeighbours && !shared.some(s => thin(s.name))) return
    this.#meeting.set(record.peerId, shared.map(s => s.name))
    void this.#meet(peer, record).finally(() => { this.#meeting.delete(record.peerId) })
  }

  /** A peer found by discovery (mDNS, bootstrap list, DHT): dial it while connections are few. */
  discovered (peer: PeerId): void {
    const { connections } = this.#c
    if (peer.equals(this.#init.self) || connections.connectionCount(peer) > 0) return
    if (connections.connectionCount() >= this.#init.maxConnections / 2) return
    connections.dial(peer).catch((err: unknown) => {
      this.#c.logger.debug('dial to discovered peer failed', { peer: peer.toString(), err })
    })
  }

  /**
   * When both agents want to meet, both would dial at once and end up with two connections
   * (gossipsub then loses track of its stream on one of them): the lower peer id dials at once,
   * the other only if still unconnected a moment later.
   */
  async #meet (peer: PeerId, record: AgentRecord): Promise<void> {
    const second = this.#init.self.toString() > record.peerId
    try {
      if (second) await this.#c.clock.sleep(SECOND_DIALER_DELAY_MS * (1 + Math.random()))
      await this.#c.messenger.learnAddrs(peer, record.card.addrs)
      if (!this.#running || this.#c.connections.connectionCount(peer) > 0) return
      await this.#c.connections.dial(peer)
    } catch (err) {
      this.#c.logger.debug('dial to a known agent failed', { peer: record.peerId, err })
    }
  }
}
