import type { PeerId } from '@libp2p/interface'
import type { SwarmMessage } from '@swarm/protocol'

export interface RequestOptions {
  timeoutMs?: number
  maxReplyBytes?: number
}

/**
 * Direct request/response to one peer over a Noise-secured stream. Implemented by
 * net/direct.ts; faked in unit tests.
 */
export interface MessengerPort {
  /** Sends a request and resolves with the peer's answer (an ERROR message is an answer too). */
  request: (peer: PeerId, message: SwarmMessage, options?: RequestOptions) => Promise<SwarmMessage>
  /** Remembers addresses of a peer before a dial (from the directory). */
  learnAddrs: (peer: PeerId, addrs: string[]) => Promise<void>
}

/** Answers one direct message; the sender is the stream's authenticated remote peer. */
export type DirectHandler<M extends SwarmMessage = SwarmMessage> = (message: M, from: PeerId) => Promise<SwarmMessage> | SwarmMessage

/** Where services register the direct message types they answer (see net/direct-router.ts). */
export interface DirectRegistry {
  handle: <T extends SwarmMessage['type']>(type: T, handler: DirectHandler<Extract<SwarmMessage, { type: T }>>) => void
}
