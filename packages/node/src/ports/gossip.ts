import type { PeerId } from '@libp2p/interface'
import type { Channel, SwarmMessage } from '@swarm/protocol'

/** A validated gossip message and its authenticated sender (the gossipsub signer). */
export interface GossipDelivery {
  topic: string
  message: SwarmMessage
  /** The peer that signed the message: the only sender identity we trust. */
  from: PeerId
}

export type GossipHandler = (delivery: GossipDelivery) => void

/** Decides whether the signer may send this message on this topic (e.g. group members only). */
export type GossipAuthorizer = (message: SwarmMessage, from: PeerId) => boolean

/**
 * What services need of gossip: topics to listen on (with a channel that fixes which message
 * types are valid there, and an optional authorizer), who else listens, and publishing.
 * Implemented by net/gossip.ts over gossipsub; faked in unit tests.
 */
export interface GossipPort {
  subscribe: (topic: string, channel: Channel, handler: GossipHandler, authorize?: GossipAuthorizer) => void
  unsubscribe: (topic: string) => void
  isSubscribed: (topic: string) => boolean
  /** Connected peers subscribed to the topic. */
  subscribers: (topic: string) => PeerId[]
  /** Publishes; resolves with the number of peers it was sent to. */
  publish: (topic: string, message: SwarmMessage) => Promise<number>
}
