import { rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { ControlApiServer } from './api/server.js'
import { nodeRoutes } from './api/routes.js'
import { NodeConfigSchema, parseConfig } from './config.js'
import { ensureDataDir } from './data-dir.js'
import { DirectoryService } from './directory/directory-service.js'
import { TypedEmitter } from './events.js'
import { loadOrCreatePrivateKey, loadOrCreateToken } from './identity.js'
import { createLogger, fileSink, stderrSink } from './logger.js'
import { GossipRouter } from './net/gossip.js'
import { buildLibp2p } from './net/libp2p.js'
import { SOFTWARE } from './version.js'
import type { NodeConfig, NodeConfigInput } from './config.js'
import type { DataDirPaths } from './data-dir.js'
import type { AgentRecord, SkillQuery } from './directory/agent-directory.js'
import type { DirectoryServiceEvents } from './directory/directory-service.js'
import type { Logger, LogSink } from './logger.js'
import type { SwarmLibp2p } from './net/libp2p.js'
import type { PeerId } from '@libp2p/interface'
import type { AgentCardBody, SkillAd } from '@swarm/protocol'

/** Events a node emits to library users and to the control API's event stream. */
export interface SwarmNodeEvents extends DirectoryServiceEvents {
  'peer:connect': { peerId: string }
  'peer:disconnect': { peerId: string }
  'node:stopping': Record<string, never>
}

export interface NodeStatus {
  peerId: string
  name: string
  network: string
  software: { name: string, version: string }
  startedAt: number
  uptimeMs: number
  addrs: string[]
  api: string | null
  dataDir: string
  connections: number
  peers: number
  agents: number
  capacity: number
  load: number
  skills: SkillAd[]
  topics: string[]
  gossip: GossipRouter['stats']
}

export interface PeerInfo {
  peerId: string
  addrs: string[]
  direction: 'inbound' | 'outbound'
  streams: number
  rttMs?: number
}

export interface AgentView {
  peerId: string
  name: string
  self: boolean
  skills: SkillAd[]
  capacity: number
  load: number
  addrs: string[]
  version: string
  lastSeen: number
}

export interface CreateSwarmNodeOptions {
  /** A logger to use instead of the node's JSON-lines log file. */
  logger?: Logger
  /** Extra log sinks next to the log file. */
  logSinks?: LogSink[]
  /** Start right away (default true). */
  start?: boolean
}

function toAgentView (record: AgentRecord): AgentView {
  return {
    peerId: record.peerId,
    name: record.card.name,
    self: record.self,
    skills: record.card.skills,
    capacity: record.card.capacity,
    load: record.load,
    addrs: record.card.addrs,
    version: record.card.software.version,
    lastSeen: record.lastSeen
  }
}

/**
 * One agent of the swarm: a libp2p node with an identity, an agent directory and a control
 * API. Create it with `createSwarmNode`.
 */
export class SwarmNode extends TypedEmitter<SwarmNodeEvents> {
  readonly config: NodeConfig
  /** Display name: from the config, or <hostname>-<end of the peer id>. */
  readonly name: string
  readonly paths: DataDirPaths
  readonly libp2p: SwarmLibp2p
  readonly log: Logger
  readonly gossip: GossipRouter
  readonly directory: DirectoryService
  readonly startedAt = Date.now()
  readonly #apiToken: string
  #api?: ControlApiServer
  #running = false
  #stopping?: Promise<void>
  #load = 0

  /** Use `createSwarmNode`. */
  constructor (config: NodeConfig, paths: DataDirPaths, libp2p: SwarmLibp2p, log: Logger, apiToken: string) {
    super()
    this.config = config
    this.name = config.name ?? `${hostname()}-${libp2p.peerId.toString().slice(-6)}`
    this.paths = paths
    this.libp2p = libp2p
    this.log = log
    this.#apiToken = apiToken
    this.gossip = new GossipRouter(libp2p.services.pubsub, { logger: log.child('gossip') })
    this.directory = new DirectoryService({
      network: config.network,
      selfPeerId: libp2p.peerId.toString(),
      router: this.gossip,
      logger: log.child('directory'),
      heartbeatMs: config.directory.heartbeatMs,
      ttlMs: config.directory.ttlMs,
      buildCard: () => this.#buildCard(),
      emit: (event, payload) => { this.emit(event, payload as SwarmNodeEvents[typeof event]) }
    })
  }

  get peerId (): PeerId {
    return this.libp2p.peerId
  }

  get isRunning (): boolean {
    return this.#running
  }

  /** The addresses other nodes can dial, each ending in /p2p/<peer id>. */
  get addrs (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => ma.toString())
  }

  /** Base URL of the control API, when it runs. */
  get apiUrl (): string | undefined {
    return this.#api?.url
  }

  get apiToken (): string {
    return this.#apiToken
  }

  /** Tasks running plus capacity reserved (updated by the executor). */
  get load (): number {
    return this.#load
  }

  async start (): Promise<void> {
    if (this.#running) return
    await this.libp2p.start()
    this.#running = true
    this.libp2p.addEventListener('peer:connect', this.#onPeerConnect)
    this.libp2p.addEventListener('peer:disconnect', this.#onPeerDisconnect)
    this.libp2p.addEventListener('peer:discovery', this.#onPeerDiscovery)
    this.libp2p.services.pubsub.addEventListener('subscription-change', this.#onSubscriptionChange)
    this.directory.start()
    if (this.config.api.enabled) {
      this.#api = new ControlApiServer({
        host: this.config.api.host,
        port: this.config.api.port,
        token: this.#apiToken,
        routes: nodeRoutes(this),
        logger: this.log.child('api')
      })
      try {
        await this.#api.start()
      } catch (err) {
        await this.stop()
        throw err
      }
      writeFileSync(this.paths.apiInfo, JSON.stringify({ url: this.#api.url, peerId: this.peerId.toString(), pid: process.pid }) + '\n', { mode: 0o600 })
    }
    this.log.info('node started', { peerId: this.peerId.toString(), addrs: this.addrs, api: this.apiUrl, network: this.config.network })
  }

  async stop (): Promise<void> {
    if (this.#stopping !== undefined) return await this.#stopping
    this.#stopping = (async () => {
      this.emit('node:stopping', {})
      this.log.info('node stopping')
      this.directory.stop()
      this.gossip.stop()
      this.libp2p.removeEventListener('peer:connect', this.#onPeerConnect)
      this.libp2p.removeEventListener('peer:disconnect', this.#onPeerDisconnect)
      this.libp2p.removeEventListener('peer:discovery', this.#onPeerDiscovery)
      this.libp2p.services.pubsub.removeEventListener('subscription-change', this.#onSubscriptionChange)
      if (this.#api !== undefined) {
        await this.#api.stop()
        rmSync(this.paths.apiInfo, { force: true })
      }
      await this.libp2p.stop()
      this.#running = false
      this.log.info('node stopped')
    })()
    await this.#stopping
  }

  status (): NodeStatus {
    const card = this.directory.currentCard()
    return {
      peerId: this.peerId.toString(),
      name: this.name,
      network: this.config.network,
      software: { ...SOFTWARE },
      startedAt: this.startedAt,
      uptimeMs: Date.now() - this.startedAt,
      addrs: this.addrs,
      api: this.apiUrl ?? null,
      dataDir: this.paths.root,
      connections: this.libp2p.getConnections().length,
      peers: this.libp2p.getPeers().length,
      agents: this.directory.directory.size,
      capacity: card.capacity,
      load: card.load,
      skills: card.skills,
      topics: this.libp2p.services.pubsub.getTopics(),
      gossip: this.gossip.stats
    }
  }

  peers (): PeerInfo[] {
    const byPeer = new Map<string, PeerInfo>()
    for (const conn of this.libp2p.getConnections()) {
      const id = conn.remotePeer.toString()
      const info = byPeer.get(id) ?? { peerId: id, addrs: [], direction: conn.direction, streams: 0 }
      info.addrs.push(conn.remoteAddr.toString())
      info.streams += conn.streams.length
      if (conn.rtt !== undefined) info.rttMs = conn.rtt
      byPeer.set(id, info)
    }
    return [...byPeer.values()].sort((a, b) => a.peerId.localeCompare(b.peerId))
  }

  /** Known agents (this one included), or those with a skill at a minimum level. */
  agents (query?: SkillQuery): AgentView[] {
    const records = query === undefined ? this.directory.directory.list() : this.directory.directory.find(query)
    return records.map(toAgentView)
  }

  /** Sets the load reported in the agent card. */
  setLoad (load: number): void {
    this.#load = load
  }

  #buildCard (): Omit<AgentCardBody, 'seq'> {
    return {
      name: this.name,
      software: { ...SOFTWARE },
      skills: this.config.skills.map(skill => ({
        id: skill.id ?? skill.name,
        name: skill.name,
        level: skill.level,
        successRate: skill.successRate,
        avgCompletionMs: skill.avgCompletionMs,
        description: skill.description,
        tags: skill.tags,
        examples: skill.examples,
        inputModes: skill.inputModes,
        outputModes: skill.outputModes,
        hasHandler: skill.handler !== undefined
      })),
      capacity: this.config.capacity,
      load: this.#load,
      addrs: this.#running ? this.addrs.slice(0, 16) : [],
      startedAt: this.startedAt
    }
  }

  readonly #onPeerConnect = (event: CustomEvent<PeerId>): void => {
    this.emit('peer:connect', { peerId: event.detail.toString() })
  }

  readonly #onPeerDisconnect = (event: CustomEvent<PeerId>): void => {
    this.emit('peer:disconnect', { peerId: event.detail.toString() })
  }

  readonly #onPeerDiscovery = (event: CustomEvent<{ id: PeerId }>): void => {
    const peer = event.detail.id
    if (peer.equals(this.peerId) || this.libp2p.getConnections(peer).length > 0) return
    if (this.libp2p.getConnections().length >= this.config.connections.maxConnections / 2) return
    this.libp2p.dial(peer).catch((err: unknown) => {
      this.log.debug('dial to discovered peer failed', { peer: peer.toString(), err })
    })
  }

  readonly #onSubscriptionChange = (event: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
    for (const sub of event.detail.subscriptions) {
      if (sub.subscribe && sub.topic === this.directory.topic) this.directory.peerJoined()
    }
  }
}

/**
 * Creates (and by default starts) a swarm node: loads or creates its identity in the data
 * directory, assembles libp2p, joins the agent directory and opens the control API.
 */
export async function createSwarmNode (input: NodeConfigInput | NodeConfig = {}, options: CreateSwarmNodeOptions = {}): Promise<SwarmNode> {
  const config = parseConfig(input)
  const paths = ensureDataDir(config.dataDir)
  const sinks: LogSink[] = [fileSink(paths.log), ...(options.logSinks ?? [])]
  if (config.logToStderr) sinks.push(stderrSink())
  const log = options.logger ?? createLogger({ level: config.logLevel, sinks, fields: config.name !== undefined ? { node: config.name } : {} })
  const privateKey = await loadOrCreatePrivateKey(paths.privateKey)
  const token = loadOrCreateToken(paths.apiToken)
  const libp2p = await buildLibp2p({ privateKey, config })
  const node = new SwarmNode(config, paths, libp2p, log, token)
  if (options.start !== false) {
    await node.start()
  }
  return node
}

export { NodeConfigSchema }
