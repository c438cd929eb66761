import type { PeerInfo } from '../types.js'
import type { Connection } from '@libp2p/interface'

/** One line per connected peer: its addresses, the direction of its first connection, streams open, round-trip time. Pure. */
export function peerInfos (connections: Connection[]): PeerInfo[] {
  const byPeer = new Map<string, PeerInfo>()
  for (const conn of connections) {
    const id = conn.remotePeer.toString()
    const info = byPeer.get(id) ?? { peerId: id, addrs: [], direction: conn.direction, streams: 0 }
    info.addrs.push(conn.remoteAddr.toString())
    info.streams += conn.streams.length
    if (conn.rtt !== undefined) info.rttMs = conn.rtt
    byPeer.set(id, info)
  }
  return [...byPeer.values()].sort((a, b) => a.peerId.localeCompare(b.peerId))
}
