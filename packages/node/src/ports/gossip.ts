import type { PeerId } from '@libp2p/interface'
import type { Channel, SwarmMessage } from '@swarm/protocol'

/** A validated gossip message and its authenticated sender (the gossipsub signer). */
export interface GossipDelivery {
  topic: string
  message: SwarmMessage
  /** The peer that signed the message: the only sender identity we trust. */
  from: PeerId
  /** The neighbour that delivered it (gossipsub's propagation source), when known. */
  via?: PeerId
}

export type GossipHandler = (delivery: GossipDelivery) => void

/** Decides whether the signer may send this message on this topic (e.g. group members only). */
export type GossipAuthorizer = (message: SwarmMessage, from: PeerId) => boolean

/**
 * Decides, once a message is authorized, whether the node takes it now within what `via` (the
 * neighbour that delivered it) may make it spend, e.g. new agents one neighbour may introduce.
 * True: taken. False: LIMITED (net/verdict.ts): neither delivered nor passed on, at no penalty,
 * so a flood stops at its first hop. 'FLOODING': the same, and `via` is charged a penalty: it
 * went over by far more than an honest neighbour relaying for a flooder can. It may charge
 * `via`'s budget: the router asks it once per message, at validation.
 */
export type GossipAdmission = (message: SwarmMessage, from: PeerId, via: PeerId) => boolean | 'FLOODING'

/** What a subscription may add to its handler: who may send (authorize) and what is taken now (admit). */
export interface GossipGuards {
  authorize?: GossipAuthorizer
  admit?: GossipAdmission
}

/**
 * What services need of gossip: topics to listen on (with a channel that fixes which message
 * types are valid there, and optional guards: who may send, what is taken now), who else
 * listens, and publishing.
 * Implemented by net/gossip.ts over gossipsub; faked in unit tests.
 */
export interface GossipPort {
  subscribe: (topic: string, channel: Channel, handler: GossipHandler, guards?: GossipGuards) => void
  unsubscribe: (topic: string) => void
  isSubscribed: (topic: string) => boolean
  /** Connected peers subscribed to the topic. */
  subscribers: (topic: string) => PeerId[]
  /** Publishes; resolves with the number of peers it was sent to. */
  publish: (topic: string, message: SwarmMessage) => Promise<number>
  /**
   * Installs a group topic's key of `epoch` (docs/protocol.md "Group encryption"): publishing
   * there seals with the newest epoch, and only messages sealed with a key held are taken; an
   * older epoch is still read for a short grace once a newer one is installed.
   */
  setGroupKey: (topic: string, epoch: number, key: Uint8Array) => void
  /** Forgets every key of a group topic (unsubscribing does too). */
  dropGroupKeys: (topic: string) => void
}
