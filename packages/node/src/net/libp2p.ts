import { bootstrap } from '@libp2p/bootstrap'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { kadDHT } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { LIMITS } from '@swarm/protocol'
import { createLibp2p } from 'libp2p'
import type { Libp2pOptions } from 'libp2p'
import { SwarmError } from '../errors.js'
import { checkAddresses, isCircuitAddr } from './addresses.js'
import { nodeLibp2pMetrics } from '../metrics/libp2p-metrics.js'
import { libp2pLogger } from './libp2p-logger.js'
import { gossipScoring, scoreSwarmTopics } from './gossip-score.js'
import { fastMessageId } from './message-id.js'
import { privateNetwork } from './private-network.js'
import type { NodeConfig } from '../config.js'
import type { Logger } from '../logger.js'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { GossipSub, GossipSubComponents } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Registry } from 'prom-client'
import type { Ping } from '@libp2p/ping'

// A type alias (not an interface) so that it satisfies libp2p's ServiceMap index signature.
export type SwarmServices = {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
  dht?: KadDHT
  /** Circuit relay v2 server (config.relay.server: the registry). */
  relay?: CircuitRelayService
}

export type SwarmLibp2p = Libp2p<SwarmServices>

export interface BuildLibp2pOptions {
  privateKey: PrivateKey
  config: NodeConfig
  /** Gossipsub peer exchange on prune (the registry sends it; see config.role). */
  doPX?: boolean
  /** Peers (peer id strings) this node refuses to talk to; changed at run time by `blockPeers`. */
  blocked?: ReadonlySet<string>
  /** The node's Prometheus registry: libp2p's metrics go there (none are collected without it). */
  metricsRegistry?: Registry
  /** The node's log: libp2p's own lines go there at debug (see net/libp2p-logger.ts). */
  logger: Logger
  /** A private swarm's pre-shared key (net/private-network.ts): only nodes with it connect. */
  swarmKey?: Uint8Array
  /** Whether a peer may connect at all (allow and deny lists, net/access.ts). */
  permits?: (peerId: string) => boolean
  /**
   * The node's penalty book score of a peer (net/penalties.ts; higher is worse): gossipsub's
   * peer score subtracts it (P5), so direct-stream misbehaviour graylists a peer too.
   */
  penaltyScore?: (peerId: string) => number
}

/**
 * Assembles the libp2p node of an agent: TCP + Noise + Yamux, identify, ping, gossipsub with
 * strict signing, bootstrap and mDNS discovery, and optionally the Kademlia DHT.
 */
export async function buildLibp2p (options: BuildLibp2pOptions): Promise<SwarmLibp2p> {
  const { config } = options
  checkAddresses(config)

  if (!config.relay.client && config.listen.some(isCircuitAddr)) {
    throw new SwarmError('CONFIG_INVALID', 'listening on /p2p-circuit needs the relay client: set relay.client to true, or drop the /p2p-circuit listen address')
  }

  const peerDiscovery: NonNullable<Libp2pOptions['peerDiscovery']> = []
  if (config.bootstrap.length > 0) peerDiscovery.push(bootstrap({ list: config.bootstrap, timeout: 0 }))
  if (config.mdns) peerDiscovery.push(mdns({ serviceTag: `swarm-${config.network}.local`, interval: 10_000 }))

  const services = {
    identify: identify({ runOnLimitedConnection: true }),
    ping: ping(),
    pubsub: gossipService(config, options),
    ...(dhtMode(config) !== 'off' ? { dht: kadDHT({ clientMode: dhtMode(config) === 'client', protocol: `/swarm/${config.network}/kad/1.0.0` }) } : {}),
    // Relayed connections carry the swarm's own protocols, so the relay sets no data or time
    // limit on them (a limited connection would only run identify); maxReservations bounds it.
    ...(config.relay.server ? { relay: circuitRelayServer({ reservations: { maxReservations: config.relay.maxReservations, applyDefaultLimit: false } }) } : {})
  }

  try {
    return await createLibp2p({
      privateKey: options.privateKey,
      logger: libp2pLogger(options.logger),
      addresses: { listen: config.listen, announce: config.announce },
      transports: config.relay.client ? [tcp(), circuitRelayTransport()] : [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery,
      connectionGater: gaterFor(options.blocked, options.permits),
      ...(options.swarmKey !== undefined ? { connectionProtector: privateNetwork(options.swarmKey, options.logger.child('private-network')) } : {}),
      ...(options.metricsRegistry !== undefined ? { metrics: nodeLibp2pMetrics({ registry: options.metricsRegistry }) } : {}),
      connectionMonitor: {
        pingInterval: config.connections.pingIntervalMs,
        pingTimeout: { minTimeout: config.connections.pingTimeoutMs, maxTimeout: Math.max(60_000, config.connections.pingTimeoutMs) }
      },
      connectionManager: {
        maxConnections: config.connections.maxConnections,
        inboundConnectionThreshold: config.connections.inboundConnectionThreshold,
        maxIncomingPendingConnections: config.connections.maxIncomingPendingConnections,
        dialTimeout: config.connections.dialTimeoutMs
      },
      services
    })
  } catch (err) {
    throw translateListenError(err, config.listen)
  }
}

/**
 * Gossipsub with strict signing, the mesh settings of the config and the swarm's peer scoring
 * (net/gossip-score.ts): thresholds and global weights at construction, the per-topic parameters
 * installed on the instance (gossipsub copies a topic map given at construction, and group
 * topics come and go).
 */
function gossipService (config: NodeConfig, options: Pick<BuildLibp2pOptions, 'doPX' | 'penaltyScore'>): (components: GossipSubComponents) => GossipSub {
  const scoring = gossipScoring({ ipColocationThreshold: config.gossip.ipColocationThreshold, ...(options.penaltyScore !== undefined ? { penaltyScore: options.penaltyScore } : {}) })
  const factory = gossipsub({
    globalSignaturePolicy: 'StrictSign',
    emitSelf: false,
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    fastMsgIdFn: fastMessageId,
    D: config.gossip.D,
    Dlo: config.gossip.Dlo,
    Dhi: config.gossip.Dhi,
    heartbeatInterval: config.gossip.heartbeatIntervalMs,
    idontwantMinDataSize: config.gossip.idontwantMinBytes,
    doPX: options.doPX ?? config.role === 'registry',
    maxInboundDataLength: 4 * LIMITS.maxGossipMessageBytes,
    scoreParams: scoring.scoreParams,
    scoreThresholds: scoring.scoreThresholds
  })
  return components => scoreSwarmTopics(factory(components), config.network)
}

/** The DHT mode of a configuration: off, client (queries only) or server. */
export function dhtMode (config: Pick<NodeConfig, 'dht'>): 'off' | 'client' | 'server' {
  if (config.dht === true) return 'server'
  if (config.dht === false) return 'off'
  return config.dht
}

/**
 * A connection gater that refuses, in both directions, the peers in `blocked` (cut off at run
 * time, e.g. a simulated partition) and those `permits` refuses (allow and deny lists).
 */
function gaterFor (blocked: ReadonlySet<string> | undefined, permits: ((peerId: string) => boolean) | undefined): Libp2pOptions['connectionGater'] {
  if (blocked === undefined && permits === undefined) return undefined
  const deny = (peer: { toString: () => string }): boolean => {
    const id = peer.toString()
    return blocked?.has(id) === true || (permits !== undefined && !permits(id))
  }
  return {
    denyDialPeer: deny,
    denyInboundEncryptedConnection: deny,
    denyOutboundEncryptedConnection: deny
  }
}

/** Turns a listen failure into an error that tells the user what to do. */
function translateListenError (err: unknown, listen: string[]): Error {
  const text = String((err as Error)?.message ?? err)
  const code = (err as { code?: string })?.code
  if (code === 'EADDRINUSE' || text.includes('EADDRINUSE')) {
    return new SwarmError('PORT_IN_USE', `cannot listen on ${listen.join(', ')}: the port is already in use (is another swarm-node running?). Stop it, or pass another port, e.g. --listen /ip4/0.0.0.0/tcp/0`, { listen }, { cause: err })
  }
  if (code === 'EADDRNOTAVAIL' || text.includes('EADDRNOTAVAIL')) {
    return new SwarmError('ADDRESS_INVALID', `cannot listen on ${listen.join(', ')}: that address is not on this machine; use 0.0.0.0 or one of this machine's addresses`, { listen }, { cause: err })
  }
  if (err instanceof Error) return err
  return new Error(text)
}
