import type { PeerId } from '@libp2p/interface'

/**
 * What services need of the connection manager: who this node is connected to, and dialling.
 * Implemented over libp2p by the wiring; faked in unit tests.
 */
export interface ConnectionsPort {
  /** Open connections, to one peer or in all. */
  connectionCount: (peer?: PeerId) => number
  /** Peers with an open connection. */
  connectedPeers: () => PeerId[]
  /** Dials a peer (the addresses it knows, see MessengerPort.learnAddrs). */
  dial: (peer: PeerId) => Promise<void>
}
