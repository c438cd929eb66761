/**
 * Checks of the addresses a node is configured with, before libp2p sees them: each must be a
 * multiaddr, a listen address must be one of the transports the node has (TCP, or /p2p-circuit
 * through a relay), and a bootstrap address must end in the /p2p/<peer id> of a real peer id.
 * Every failure is ADDRESS_INVALID (exit 2 at the command line) naming the field and the value.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { SwarmError } from '../errors.js'

/** The addresses of a node's configuration. */
export interface AddressConfig {
  listen: string[]
  announce: string[]
  bootstrap: string[]
}

/** Whether `addr` is a circuit relay address. */
export function isCircuitAddr (addr: string): boolean {
  return addr.split('/').includes('p2p-circuit')
}

/** Protocols of transports the node has not (it has TCP, and circuit relay). */
const OTHER_TRANSPORTS = new Set(['udp', 'quic', 'quic-v1', 'ws', 'wss', 'tls', 'webtransport', 'webrtc', 'webrtc-direct', 'unix'])

function parse (field: string, index: number, addr: string): void {
  try {
    multiaddr(addr)
  } catch (err) {
    throw new SwarmError('ADDRESS_INVALID', `${field}.${index}: "${addr}" is not a multiaddr (${(err as Error).message}); e.g. /ip4/10.0.0.5/tcp/4001`, { field, addr })
  }
}

/** Throws ADDRESS_INVALID for the first address of `config` that the node cannot use. */
export function checkAddresses (config: AddressConfig): void {
  config.listen.forEach((addr, i) => {
    parse('listen', i, addr)
    const parts = addr.split('/')
    if (!isCircuitAddr(addr) && (!parts.includes('tcp') || parts.some(p => OTHER_TRANSPORTS.has(p)))) {
      throw new SwarmError('ADDRESS_INVALID', `listen.${i}: "${addr}" is not a transport this node has: it listens on TCP only (/ip4/<address>/tcp/<port>, /ip6/…/tcp/<port>) or through a relay (/p2p-circuit)`, { field: 'listen', addr })
    }
  })
  config.announce.forEach((addr, i) => { parse('announce', i, addr) })
  config.bootstrap.forEach((addr, i) => {
    parse('bootstrap', i, addr)
    const ids = [...addr.matchAll(/\/p2p\/([^/]+)/g)].map(m => m[1] ?? '')
    if (ids.length === 0) {
      throw new SwarmError('ADDRESS_INVALID', `bootstrap.${i}: "${addr}" has no /p2p/<peer id> part: copy the full address that the other node printed ("join it: …")`, { field: 'bootstrap', addr })
    }
    for (const id of ids) {
      try {
        peerIdFromString(id)
      } catch {
        throw new SwarmError('ADDRESS_INVALID', `bootstrap.${i}: "${id}" in "${addr}" is not a peer id (they look like 12D3KooW… and are printed by the node you join: "join it: …")`, { field: 'bootstrap', addr })
      }
    }
  })
}
