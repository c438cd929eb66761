import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { hostname } from 'node:os'
import { ControlApiServer } from './api/server.js'
import { nodeRoutes } from './api/routes.js'
import { NodeConfigSchema, metricsEnabled, parseConfig } from './config.js'
import { NodeMetrics } from './metrics/node-metrics.js'
import { ensureDataDir } from './data-dir.js'
import { DirectoryService } from './directory/directory-service.js'
import { TypedEmitter } from './events.js'
import { loadOrCreatePrivateKey, loadOrCreateToken } from './identity.js'
import { createLogger, fileSink, stderrSink } from './logger.js'
import { GossipRouter } from './net/gossip.js'
import { buildLibp2p } from './net/libp2p.js'
import { DirectMessenger } from './net/direct.js'
import { BootstrapRejoiner } from './net/rejoin.js'
import { SOFTWARE } from './version.js'
import { SwarmStore } from './store/store.js'
import { SkillRegistry } from './negotiation/skill-registry.js'
import { Announcer } from './negotiation/announcer.js'
import { Bidder } from './negotiation/bidder.js'
import { createHandler } from './executor/create-handler.js'
import { GroupService } from './group/group-service.js'
import { SwarmError } from './errors.js'
import { DEFAULT_REPUTATION } from './core/scoring.js'
import { updateReputation } from './core/skill-stats.js'
import { createMessage, LIMITS, protocolIds, topics } from '@swarm/protocol'
import { createHash } from 'node:crypto'
import type { AgentView, NodeStatus, PeerInfo, SwarmNodeEvents } from './types.js'
import type { BidderEvents } from './negotiation/bidder.js'
import type { GroupEvents } from './group/group-service.js'
import { GroupHandle } from './group/group-handle.js'
import type { BlackboardView, ProposeInput, VoteInput } from './group/group-service.js'
import type { ProposalView } from './group/group-session.js'
import type { EscalationRecord } from './group/escalations.js'
import type { TaskHandle, TaskLifecycleEvent, TaskOutcome } from './negotiation/task-handle.js'
import type { TaskSpec, TaskSpecInput } from './negotiation/task-spec.js'
import type { TaskState } from './core/task-machine.js'
import type { AuditEntry, StoredTask, TaskRole } from './store/types.js'
import type { Json, RequiredSkill, SwarmMessage, TaskInput } from '@swarm/protocol'
import type { NodeConfig, NodeConfigInput } from './config.js'
import type { DataDirPaths } from './data-dir.js'
import type { AgentRecord, SkillQuery } from './directory/agent-directory.js'
import type { DirectoryServiceEvents } from './directory/directory-service.js'
import type { Logger, LogSink } from './logger.js'
import type { SwarmLibp2p } from './net/libp2p.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { AgentCardBody, SkillAd } from '@swarm/protocol'

export interface CreateSwarmNodeOptions {
  /** A logger to use instead of the node's JSON-lines log file. */
  logger?: Logger
  /** Extra log sinks next to the log file. */
  logSinks?: LogSink[]
  /** Start right away (default true). */
  start?: boolean
  /**
   * The node's identity, instead of the key in the data directory (e.g. the registry's fixed
   * key, so that its address is known before it starts).
   */
  privateKey?: PrivateKey
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

/** Delays between directory catch-ups (see #scheduleDirectoryCatchUp). */
const DIRECTORY_CATCH_UP_MS = [5_000, 10_000, 30_000, 75_000, 300_000]
/** Delay of the next catch-up after one that added agents. */
const DIRECTORY_LEARNING_CATCH_UP_MS = 3_000
/** How long an announcement waits for a catch-up when the directory knows nobody for a skill. */
const ON_DEMAND_CATCH_UP_TIMEOUT_MS = 3_000

/** Up to `n` distinct items of `items`, chosen at random. */
function pickAtRandom<T> (items: readonly T[], n: number): T[] {
  const pool = [...items]
  const picked: T[] = []
  while (picked.length < n && pool.length > 0) picked.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0] as T)
  return picked
}

/**
 * One agent of the swarm: a libp2p node with an identity, an agent directory and a control
 * API. Create it with `createSwarmNode`.
 */
export type { SwarmNodeEvents, NodeStatus, PeerInfo, AgentView } from './types.js'

export class SwarmNode extends TypedEmitter<SwarmNodeEvents> {
  readonly config: NodeConfig
  /** Display name: from the config, or <hostname>-<end of the peer id>. */
  readonly name: string
  readonly paths: DataDirPaths
  readonly libp2p: SwarmLibp2p
  readonly log: Logger
  readonly gossip: GossipRouter
  readonly directory: DirectoryService
  readonly store: SwarmStore
  readonly skills: SkillRegistry
  readonly messenger: DirectMessenger
  readonly inputMessenger: DirectMessenger
  readonly announcer: Announcer
  readonly bidder: Bidder
  /** Working groups this node is in: proposals, votes, blackboards, claims, escalations. */
  readonly groups: GroupService
  /** Prometheus metrics (libp2p's and the swarm's), when config.metrics enables them. */
  readonly metrics?: NodeMetrics
  readonly startedAt = Date.now()
  readonly #reputation = new Map<string, number>()
  /** Peers this node refuses to talk to (see blockPeers); shared with the connection gater. */
  readonly #blocked: Set<string>
  readonly #apiToken: string
  readonly #auditLog: Logger
  #api?: ControlApiServer
  #running = false
  #stopping?: Promise<void>
  #load = 0

  /** Use `createSwarmNode`. */
  constructor (config: NodeConfig, paths: DataDirPaths, libp2p: SwarmLibp2p, log: Logger, apiToken: string, store: SwarmStore, blocked: Set<string> = new Set(), metrics?: NodeMetrics) {
    super()
    this.#blocked = blocked
    this.config = config
    this.name = config.name ?? `${hostname()}-${libp2p.peerId.toString().slice(-6)}`
    this.paths = paths
    this.libp2p = libp2p
    this.log = log
    this.#apiToken = apiToken
    this.store = store
    this.gossip = new GossipRouter(libp2p.services.pubsub, { logger: log.child('gossip') })
    this.directory = new DirectoryService({
      network: config.network,
      selfPeerId: libp2p.peerId.toString(),
      router: this.gossip,
      logger: log.child('directory'),
      heartbeatMs: config.directory.heartbeatMs,
      ttlMs: config.directory.ttlMs,
      swarmHeartbeatsPerSecond: config.directory.swarmHeartbeatsPerSecond,
      joinFloodsPerSecond: config.directory.joinFloodsPerSecond,
      buildCard: () => this.#buildCard(),
      emit: (event, payload) => {
        this.emit(event, payload as SwarmNodeEvents[typeof event])
        if (event === 'agent:joined' || event === 'agent:updated') this.#meetSkillPeer(payload as AgentRecord)
      }
    })
    this.skills = new SkillRegistry(config.skills, skill => skill.handler === undefined ? undefined : createHandler(skill.handler), skill => store.getSkillStats(skill))
    this.messenger = new DirectMessenger({ libp2p, logger: log.child('direct'), protocol: protocolIds.direct(config.network), channel: 'direct', maxBytes: LIMITS.maxStreamMessageBytes })
    this.inputMessenger = new DirectMessenger({ libp2p, logger: log.child('input'), protocol: protocolIds.input(config.network), channel: 'input', maxBytes: LIMITS.maxFetchedInputBytes + 64 * 1024, defaultTimeoutMs: 60_000, maxInboundStreams: 32 })
    this.#auditLog = log.child('audit')
    const auditAs = (role: TaskRole) => (taskId: string, action: string, detail?: Json): void => { this.#audit(role, taskId, action, detail) }
    this.groups = new GroupService({
      self: libp2p.peerId,
      network: config.network,
      gossip: this.gossip,
      messenger: this.messenger,
      store,
      logger: log.child('groups'),
      emit: (event, payload) => { this.emit(event, payload as SwarmNodeEvents[typeof event]) },
      audit: (taskId, action, detail) => { this.#audit(this.announcer.state(taskId) !== undefined ? 'announcer' : 'member', taskId, action, detail) }
    })
    this.bidder = new Bidder({
      self: libp2p.peerId,
      network: config.network,
      capacity: config.capacity,
      skills: this.skills,
      gossip: this.gossip,
      messenger: this.messenger,
      fetchInput: async (announcer, taskId, input) => await this.#fetchInput(announcer, taskId, input),
      logger: log.child('bidder'),
      audit: auditAs('member'),
      emit: (event, payload) => { this.emit(event, payload as SwarmNodeEvents[typeof event]) },
      onLoad: load => { this.#load = load },
      onOutcome: (skill, outcome) => {
        const stats = this.skills.record(skill, { ok: outcome.ok, durationMs: outcome.durationMs })
        try {
          // A handler stopped by the node's own stop may end after the store closed.
          if (stats !== undefined) this.store.saveSkillStats(skill, stats)
        } catch (err) {
          this.log.warn('skill statistics not saved', { skill, err })
        }
      },
      leaseGraceMs: config.negotiation.leaseGraceMs,
      capablePeers: (skill, minLevel) => this.directory.directory.find({ skill, minLevel }).filter(a => a.skill.hasHandler).map(a => a.peerId),
      groups: {
        joined: info => { this.groups.join({ ...info, role: 'member' }) },
        left: topic => { this.groups.leaveTopic(topic) },
        result: (groupId, skill, ok) => { this.groups.ownResult(groupId, skill, ok) },
        handlerContext: (taskId, groupId) => this.groups.handlerApi(taskId, groupId)
      }
    })
    this.announcer = new Announcer({
      self: libp2p.peerId,
      network: config.network,
      gossip: this.gossip,
      messenger: this.messenger,
      logger: log.child('announcer'),
      addrs: () => this.addrs,
      ensureReachable: async required => { await this.#ensureReachable(required) },
      localBidder: body => { this.bidder.hear(body, this.peerId) },
      save: ({ spec, state, outcome }) => { this.#saveTask(spec, state, outcome) },
      audit: auditAs('announcer'),
      reputation: peerId => this.#reputationOf(peerId),
      onReputation: (peerId, outcome) => {
        try {
          const next = updateReputation(this.#reputationOf(peerId), outcome)
          this.#reputation.set(peerId, next)
          this.store.saveReputation(peerId, next)
        } catch (err) {
          // As with the audit: work still in flight while the node stops must not crash it.
          this.log.warn('reputation not saved', { peerId, err })
        }
      },
      emit: event => { this.emit(`task:${event.type}`, event as SwarmNodeEvents[`task:${typeof event.type}`]) },
      earlyClose: { minScore: config.negotiation.earlyCloseMinScore, backupsPerSkill: 1, graceFraction: config.negotiation.earlyCloseGraceFraction },
      offerCap: config.negotiation.offerCap,
      capablePeers: (skill, minLevel) => this.directory.directory.find({ skill, minLevel }).filter(a => a.skill.hasHandler && !a.self).map(a => a.peerId),
      addrsOf: peerId => this.directory.directory.get(peerId)?.card.addrs ?? [],
      connectedPeers: () => new Set(this.libp2p.getConnections().map(c => c.remotePeer.toString())),
      inviteTimeoutMs: config.negotiation.inviteTimeoutMs,
      memberGraceMs: config.negotiation.memberGraceMs,
      groups: {
        formed: info => { this.groups.join({ ...info, announcer: this.peerId.toString(), role: 'announcer' }) },
        membersChanged: (groupId, members) => { this.groups.membersChanged(groupId, members) },
        dissolved: (_taskId, groupId) => { this.groups.leave(groupId) },
        verify: async info => await this.groups.verify(info),
        escalate: info => {
          try {
            this.groups.raise({ ...info, announcer: this.peerId.toString(), raisedBy: this.peerId.toString(), source: 'retries-exhausted', severity: 'high' })
          } catch (err) {
            this.log.warn('escalation not raised', { taskId: info.taskId, err })
          }
        }
      }
    })
    if (metrics !== undefined) {
      this.metrics = metrics
      metrics.attach({
        agentsKnown: () => this.directory.directory.size,
        peersConnected: () => this.libp2p.getPeers().length,
        capacity: () => {
          const committed = this.bidder.assignments().length
          return { total: this.bidder.capacity, committed, reserved: Math.max(0, this.bidder.load() - committed) }
        },
        tasksInFlight: () => this.announcer.active(),
        votes: () => ({ accepted: this.groups.stats.votesAccepted, rejected: this.groups.stats.votesRejected })
      }, { peerId: libp2p.peerId.toString(), name: this.name, network: config.network, version: SOFTWARE.version })
      this.onAny((event, payload) => { metrics.observe(event, payload) })
    }
  }

  /**
   * Records a coordination decision: appends it to the audit log and writes it to the node log at
   * info level (component `audit`, `msg` the action) with the task id, the attempt, this node's
   * role in the task and the details. Every decision goes through here.
   */
  #audit (role: TaskRole, taskId: string, action: string, detail?: Json, attempt?: number): void {
    try {
      this.store.appendAudit({ taskId, at: Date.now(), actor: this.peerId.toString(), action, ...(detail !== undefined ? { detail } : {}) })
    } catch (err) {
      this.log.error('audit entry not written', { taskId, action, err })
    }
    if (!this.#auditLog.isEnabled('info')) return
    const fromDetail = typeof detail === 'object' && detail !== null && !Array.isArray(detail) && typeof detail.attempt === 'number' ? detail.attempt : undefined
    const n = attempt ?? (role === 'announcer' ? this.announcer.state(taskId)?.attempt : this.bidder.attemptOf(taskId)) ?? fromDetail
    this.#auditLog.info(action, { taskId, ...(n !== undefined ? { attempt: n } : {}), role, ...(detail !== undefined ? { detail } : {}) })
  }

  #reputationOf (peerId: string): number {
    let r = this.#reputation.get(peerId)
    if (r === undefined) {
      r = this.store.getReputation(peerId) ?? DEFAULT_REPUTATION
      this.#reputation.set(peerId, r)
    }
    return r
  }

  #saveTask (spec: TaskSpec, state: TaskState, outcome?: TaskOutcome): void {
    try {
      this.store.saveTask({
        taskId: state.taskId,
        role: 'announcer',
        spec: JSON.parse(JSON.stringify(spec)) as Json,
        state,
        status: state.status,
        createdAt: state.createdAt,
        updatedAt: state.updatedAt,
        ...(outcome !== undefined ? { result: JSON.parse(JSON.stringify(outcome)) as Json } : {}),
        ...(state.groupId !== undefined ? { groupId: state.groupId } : {})
      })
    } catch (err) {
      this.log.error('task not saved', { taskId: state.taskId, err })
    }
  }

  /**
   * Connects to an agent that works a skill this node also works, while the skill's topic has
   * fewer connected subscribers than the gossip mesh wants: so the agents of one skill form one
   * mesh even when the peer they bootstrapped from (or everyone they know) lacks the skill, and an
   * announcement reaching one of them reaches them all.
   */
  #meetSkillPeer (record: AgentRecord): void {
    if (!this.#running || record.self) return
    const shared = record.card.skills.filter(s => s.hasHandler && this.skills.canDo(s.name, 'novice'))
    // An agent also keeps a few direct neighbours whatever their skills, so that the directory's
    // gossip does not hang on the one peer it joined through (a registry may stop).
    const fewNeighbours = this.config.role === 'agent' && this.gossip.subscribers(this.directory.topic).length + this.#meeting.size < this.config.gossip.Dlo
    if (shared.length === 0 && !fewNeighbours) return
    const peer = peerIdFromString(record.peerId)
    if (this.libp2p.getConnections(peer).length > 0 || this.#meeting.has(record.peerId)) return
    if (this.libp2p.getConnections().length + this.#meeting.size >= this.config.connections.maxConnections / 2) return
    // Count dials under way too: a burst of newly known agents must not turn into a dial storm.
    const dialling = (skill: string): number => [...this.#meeting.values()].filter(skills => skills.includes(skill)).length
    const wanted = fewNeighbours || shared.some(s => this.gossip.subscribers(topics.skill(this.config.network, s.name)).length + dialling(s.name) < this.config.gossip.D)
    if (!wanted) return
    this.#meeting.set(record.peerId, shared.map(s => s.name))
    // When both agents want to meet, both would dial at once and end up with two connections
    // (gossipsub then loses track of its stream on one of them): the lower peer id dials at
    // once, the other only if still unconnected a moment later.
    const second = this.peerId.toString() > record.peerId
    void new Promise(resolve => setTimeout(resolve, second ? 1_500 + Math.random() * 1_500 : 0).unref())
      .then(async () => { await this.messenger.learnAddrs(peer, record.card.addrs) })
      .then(async () => {
        if (!this.#running || this.libp2p.getConnections(peer).length > 0) return
        await this.libp2p.dial(peer)
      })
      .catch((err: unknown) => { this.log.debug('dial to a known agent failed', { peer: record.peerId, err }) })
      .finally(() => { this.#meeting.delete(record.peerId) })
  }

  /** Dials under way to agents of shared skills, with those skills. */
  readonly #meeting = new Map<string, string[]>()

  /** Dials the bootstrap peers again while this node has no connection at all. */
  #rejoin?: BootstrapRejoiner

  async #fetchInput (announcer: PeerId, taskId: string, input: TaskInput): Promise<Json> {
    if (input.kind === 'none') return null
    if (input.kind === 'inline') return input.value
    const reply = await this.inputMessenger.request(announcer, createMessage('INPUT_REQUEST', { taskId }), { timeoutMs: 60_000 })
    if (reply.type !== 'INPUT_RESPONSE') throw new Error(reply.type === 'ERROR' ? reply.body.message : `unexpected ${reply.type}`)
    const bytes = new TextEncoder().encode(JSON.stringify(reply.body.value))
    const digest = createHash('sha256').update(bytes).digest('hex')
    if (bytes.byteLength !== input.bytes || digest !== input.sha256) throw new Error('the fetched input does not match its announced size and hash')
    return reply.body.value
  }

  /**
   * Makes sure that an announcement for each required skill reaches at least one agent that can
   * do it: this node, a connected subscriber of the skill's topic, or an agent from the
   * directory that we dial now. A directory that knows nobody for a skill (this node joined
   * moments ago, or its catch-ups failed on a busy swarm) first asks two neighbours for what
   * they know.
   */
  async #ensureReachable (required: RequiredSkill[]): Promise<void> {
    const unknown = (req: RequiredSkill): boolean => this.gossip.subscribers(topics.skill(this.config.network, req.name)).length === 0 &&
      !this.directory.directory.find({ skill: req.name, minLevel: req.minLevel }).some(a => !a.self && a.skill.hasHandler)
    if (required.some(unknown)) {
      await Promise.all(pickAtRandom(this.libp2p.getPeers(), 2).map(async peer => { await this.#syncDirectory(peer, 0, ON_DEMAND_CATCH_UP_TIMEOUT_MS) }))
    }
    const missing: string[] = []
    for (const req of required) {
      const topic = topics.skill(this.config.network, req.name)
      if (this.gossip.subscribers(topic).length > 0) continue
      // Even when this node can do the skill itself, others that can should hear the task too.
      const selfCapable = this.skills.canDo(req.name, req.minLevel)
      const known = this.directory.directory.find({ skill: req.name, minLevel: req.minLevel }).filter(a => !a.self)
      const able = known.filter(a => a.skill.hasHandler)
      if (able.length > 0) {
        const subscribed = new Promise<boolean>(resolve => {
          const timer = setTimeout(() => { done(false) }, 3_000)
          const onChange = (): void => { if (this.gossip.subscribers(topic).length > 0) done(true) }
          const done = (ok: boolean): void => {
            clearTimeout(timer)
            this.libp2p.services.pubsub.removeEventListener('subscription-change', onChange)
            resolve(ok)
          }
          this.libp2p.services.pubsub.addEventListener('subscription-change', onChange)
        })
        for (const agent of able.slice(0, 3)) {
          const peer = peerIdFromString(agent.peerId)
          await this.messenger.learnAddrs(peer, agent.card.addrs)
          this.libp2p.dial(peer).catch(() => {})
        }
        if (await subscribed) continue
      }
      if (selfCapable) continue
      const level = req.minLevel === 'novice' ? '' : ` at level ${req.minLevel} or above`
      if (able.length > 0) missing.push(`skill "${req.name}"${level}: ${able.length} agent(s) have it but none could be reached`)
      else if (known.length > 0) missing.push(`skill "${req.name}"${level}: ${known.map(a => a.card.name).join(', ')} advertise it without a handler (start them with --exec ${req.name}=<command>)`)
      else missing.push(`skill "${req.name}"${level}: no agent with it is known`)
    }
    if (missing.length > 0) {
      throw new SwarmError('NO_CAPABLE_PEERS', `no peer can take this task: ${missing.join('; ')}`, { missing })
    }
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
    this.libp2p.addEventListener('self:peer:update', this.#onSelfUpdate)
    this.libp2p.services.pubsub.addEventListener('subscription-change', this.#onSubscriptionChange)
    this.directory.start()
    this.#recoverTasks()
    await this.messenger.start(async (message, from) => await this.#onDirect(message, from))
    await this.inputMessenger.start(async (message, from) => await this.#onInputRequest(message, from))
    this.bidder.start()
    this.#rejoin = new BootstrapRejoiner({ libp2p: this.libp2p, addrs: this.config.bootstrap, logger: this.log.child('bootstrap') })
    this.#rejoin.start()
    // Catch up again later from random neighbours (anti-entropy): the first ones asked may have
    // been newcomers themselves, and gossip loses cards while meshes form. Each request names the
    // agents already known, so once directories agree a catch-up costs a few KiB.
    this.#scheduleDirectoryCatchUp(0)
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
      clearTimeout(this.#catchUpTimer)
      await this.announcer.stop()
      this.bidder.stop()
      this.#rejoin?.stop()
      await this.messenger.stop()
      await this.inputMessenger.stop()
      this.directory.stop()
      this.gossip.stop()
      this.libp2p.removeEventListener('peer:connect', this.#onPeerConnect)
      this.libp2p.removeEventListener('peer:disconnect', this.#onPeerDisconnect)
      this.libp2p.removeEventListener('peer:discovery', this.#onPeerDiscovery)
      this.libp2p.removeEventListener('self:peer:update', this.#onSelfUpdate)
      this.libp2p.services.pubsub.removeEventListener('subscription-change', this.#onSubscriptionChange)
      if (this.#api !== undefined) {
        await this.#api.stop()
        rmSync(this.paths.apiInfo, { force: true })
      }
      await this.libp2p.stop()
      this.groups.stop()
      this.store.close()
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
      role: this.config.role,
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

  /**
   * Announces a task to the agents that have its skills and returns its handle: `events()`
   * streams what happens, `result()` resolves with the outcome. Throws NO_CAPABLE_PEERS at once
   * when nobody could hear it.
   */
  async announce (spec: TaskSpecInput): Promise<TaskHandle> {
    if (!this.#running) throw new SwarmError('NOT_STARTED', 'start the node before announcing tasks')
    return await this.announcer.announce(spec)
  }

  /** Cancels a task this node announced. */
  /**
   * The working group of a task this node is in (as announcer or member): propose, vote, the
   * blackboard, claims, escalations. Throws GROUP_NOT_FOUND when this node is in no live group of
   * the task.
   */
  group (taskId: string): GroupHandle {
    if (!this.groups.inGroup(taskId)) {
      throw new SwarmError('GROUP_NOT_FOUND', `this node is not in a working group of task ${taskId} (it is not its announcer or a member, or the group has dissolved)`, { taskId })
    }
    return new GroupHandle(this.groups, taskId)
  }

  /** Proposals this node saw, newest first; only a task's when `taskId` is given. */
  proposals (taskId?: string): ProposalView[] {
    return this.groups.proposals(taskId)
  }

  /** One proposal with its votes and tally. */
  proposal (proposalId: string): ProposalView | undefined {
    return this.groups.proposal(proposalId)
  }

  /** Votes on a proposal of a group this node is a member of. */
  vote (proposalId: string, vote: VoteInput): ProposalView {
    return this.groups.vote(proposalId, vote)
  }

  /** Puts a proposal to the working group of a task. */
  async propose (taskId: string, input: ProposeInput): Promise<ProposalView> {
    return await this.groups.propose(taskId, input)
  }

  /** The blackboard of a task: its live group's, else the one kept when the group dissolved. */
  blackboard (taskId: string): BlackboardView | undefined {
    return this.groups.blackboard(taskId)
  }

  /** Escalations this node keeps (as announcer) or heard of (as member), newest first. */
  escalations (filter: { status?: 'open' | 'resolved', taskId?: string } = {}): EscalationRecord[] {
    return this.groups.escalations(filter)
  }

  /** Records a human's decision on an escalation this node keeps as announcer; the group hears it. */
  resolveEscalation (escalationId: string, decision: string): EscalationRecord {
    return this.groups.resolveEscalation(escalationId, decision)
  }

  async cancel (taskId: string, reason = 'cancelled by the user'): Promise<TaskState> {
    return await this.announcer.cancel(taskId, reason)
  }

  /**
   * Refuses all traffic with these peers (replacing the previous list) and hangs up on them:
   * used to simulate network partitions, and to shut out misbehaving peers. An empty list
   * lifts the block.
   */
  async blockPeers (peerIds: Iterable<string>): Promise<void> {
    this.#blocked.clear()
    for (const id of peerIds) if (id !== '' && id !== this.peerId.toString()) this.#blocked.add(id)
    await Promise.allSettled(this.libp2p.getConnections()
      .filter(c => this.#blocked.has(c.remotePeer.toString()))
      .map(async c => { await c.close().catch(() => { c.abort(new Error('blocked')) }) }))
  }

  /** Tasks this node announced, newest first (from the store: includes those of earlier runs). */
  tasks (filter: { limit?: number, offset?: number, status?: string[] } = {}): StoredTask[] {
    return this.store.listTasks({ role: 'announcer', limit: filter.limit ?? 100, offset: filter.offset ?? 0, ...(filter.status !== undefined ? { status: filter.status } : {}) })
  }

  /** One task with its audit trail. */
  task (taskId: string): { task: StoredTask, audit: AuditEntry[] } | undefined {
    const task = this.store.getTask(taskId, 'announcer') ?? this.store.getTask(taskId)
    if (task === undefined) return undefined
    return { task, audit: this.store.listAudit({ taskId }) }
  }

  /** Tasks left unfinished by an earlier run are closed: their announcer is gone. */
  #recoverTasks (): void {
    const open = this.store.listTasks({ role: 'announcer', status: ['PENDING', 'ANNOUNCED', 'ASSIGNED', 'RUNNING', 'RETRY'], limit: 10_000 })
    for (const task of open) {
      const reason = 'the announcer restarted before the task finished'
      const state: TaskState = {
        ...task.state,
        status: 'CANCELLED',
        reason,
        updatedAt: Date.now(),
        history: [...task.state.history, { at: Date.now(), from: task.state.status, to: 'CANCELLED', event: 'cancel', reason }]
      }
      this.store.saveTask({ ...task, state, status: 'CANCELLED', updatedAt: state.updatedAt })
      this.#audit('announcer', task.taskId, `state:${task.state.status}->CANCELLED`, { reason }, task.state.attempt)
    }
  }

  async #onDirect (message: SwarmMessage, from: PeerId): Promise<SwarmMessage> {
    switch (message.type) {
      case 'SKILL_OFFER':
      case 'TASK_COMPLETE':
      case 'TASK_UPDATE':
        return await this.announcer.handleDirect(message, from)
      case 'TASK_ANNOUNCE':
      case 'GROUP_INVITE':
      case 'GROUP_FORMED':
      case 'TASK_START':
      case 'TASK_CANCEL':
        return await this.bidder.handleDirect(message, from)
      case 'GROUP_SYNC_REQUEST':
      case 'ESCALATE':
        return this.groups.handleDirect(message, from)
      case 'DIRECTORY_REQUEST':
        if (message.body.card !== undefined) this.directory.acceptFirstHand(from.toString(), message.body.card)
        // At most 500 cards of at most 4 addresses: the answer stays well under the 1 MiB frame.
        return createMessage('DIRECTORY_RESPONSE', { agents: this.directory.snapshot(Math.min(500, message.body.limit), message.body.skill, message.body.have === undefined ? undefined : new Set(message.body.have)) })
      default:
        return createMessage('ERROR', { ref: message.id, code: 'UNEXPECTED', message: `${message.type} is not expected on a direct stream` })
    }
  }

  #onInputRequest (message: SwarmMessage, from: PeerId): SwarmMessage {
    if (message.type !== 'INPUT_REQUEST') return createMessage('ERROR', { ref: message.id, code: 'UNEXPECTED', message: 'send INPUT_REQUEST' })
    const value = this.announcer.inputFor(message.body.taskId, from)
    if (value === undefined) return createMessage('ERROR', { ref: message.id, code: 'FORBIDDEN', message: 'only members of the task\'s group may fetch its input' })
    return createMessage('INPUT_RESPONSE', { taskId: message.body.taskId, value })
  }

  #buildCard (): Omit<AgentCardBody, 'seq'> {
    return {
      name: this.name,
      software: { ...SOFTWARE },
      skills: this.config.skills.map(skill => ({
        id: skill.id ?? skill.name,
        name: skill.name,
        level: skill.level,
        successRate: this.skills.get(skill.name)?.stats.successRate ?? skill.successRate,
        avgCompletionMs: this.skills.get(skill.name)?.stats.avgCompletionMs ?? skill.avgCompletionMs,
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
    // A newcomer catches up on the agent directory from its first two neighbours, instead of
    // waiting for every agent's next heartbeat.
    if (this.#directorySyncs < 2) {
      this.#directorySyncs++
      void this.#syncDirectory(event.detail, this.#directorySyncs === 1 ? 0 : 2_000)
    }
  }

  #directorySyncs = 0
  #catchUpTimer: NodeJS.Timeout | undefined

  #catchUpRound = 0

  /**
   * Catch-ups at about 5 s, 10 s, 30 s and 75 s after the start, then every 5 min; and a few
   * seconds after one that taught us something (another neighbour likely knows more: while a
   * swarm is starting, directories fill this way without every card crossing every link).
   */
  #scheduleDirectoryCatchUp (round: number, delayMs?: number): void {
    clearTimeout(this.#catchUpTimer)
    this.#catchUpRound = round
    const delay = delayMs ?? DIRECTORY_CATCH_UP_MS[Math.min(round, DIRECTORY_CATCH_UP_MS.length - 1)] ?? 300_000
    this.#catchUpTimer = setTimeout(() => {
      if (!this.#running) return
      const [peer] = pickAtRandom(this.libp2p.getPeers(), 1)
      this.#scheduleDirectoryCatchUp(round + 1)
      if (peer !== undefined) void this.#syncDirectory(peer, 0)
    }, delay * (0.8 + Math.random() * 0.4))
    this.#catchUpTimer.unref()
  }

  async #syncDirectory (peer: PeerId, delayMs: number, timeoutMs = 10_000): Promise<void> {
    if (delayMs > 0) await new Promise(resolve => setTimeout(resolve, delayMs).unref())
    if (!this.#running) return
    try {
      // Name the agents already known: the answer holds only the others.
      const reply = await this.messenger.request(peer, createMessage('DIRECTORY_REQUEST', { limit: 500, have: this.directory.knownTags().slice(0, 4000), card: this.directory.currentCard() }), { timeoutMs })
      if (reply.type === 'DIRECTORY_RESPONSE') {
        const added = this.directory.mergeHearsay(reply.body.agents)
        this.log.debug('directory synced', { from: peer.toString(), agents: reply.body.agents.length, added })
        // Learned something: ask another neighbour soon, without moving on in the schedule.
        if (added > 0 && this.#running) this.#scheduleDirectoryCatchUp(Math.max(0, this.#catchUpRound - 1), DIRECTORY_LEARNING_CATCH_UP_MS)
      }
    } catch (err) {
      this.#directorySyncs = Math.max(0, this.#directorySyncs - 1)
      this.log.debug('directory sync failed', { from: peer.toString(), err })
    }
  }

  readonly #onPeerDisconnect = (event: CustomEvent<PeerId>): void => {
    const peer = event.detail
    this.emit('peer:disconnect', { peerId: peer.toString() })
    this.announcer.peerGone(peer.toString(), () => this.libp2p.getConnections(peer).length === 0)
  }

  /** Our addresses changed (e.g. a relay reservation): others learn the new card soon. */
  readonly #onSelfUpdate = (): void => {
    if (this.#running) this.directory.cardChanged()
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

/** The sink of the node's JSON-lines log: a file, or standard error for `-`. */
function logSink (logFile: string): LogSink {
  if (logFile === '-') return stderrSink()
  try {
    mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 })
    return fileSink(logFile)
  } catch (err) {
    throw new SwarmError('DATA_DIR', `cannot write the log file ${logFile}: ${(err as Error).message}; pass --log-file with a file you can write, or --log-file - for standard error`, { logFile })
  }
}

/**
 * Creates (and by default starts) a swarm node: loads or creates its identity in the data
 * directory, assembles libp2p, joins the agent directory and opens the control API.
 */
export async function createSwarmNode (input: NodeConfigInput | NodeConfig = {}, options: CreateSwarmNodeOptions = {}): Promise<SwarmNode> {
  const config = parseConfig(input)
  const paths = ensureDataDir(config.dataDir)
  const sinks: LogSink[] = [logSink(config.logFile ?? paths.log), ...(options.logSinks ?? [])]
  if (config.logToStderr && config.logFile !== '-') sinks.push(stderrSink())
  const log = options.logger ?? createLogger({ level: config.logLevel, sinks, fields: config.name !== undefined ? { node: config.name } : {} })
  const privateKey = options.privateKey ?? await loadOrCreatePrivateKey(paths.privateKey)
  const token = loadOrCreateToken(paths.apiToken)
  const blocked = new Set<string>()
  const store = SwarmStore.open(config.storage === 'memory' ? ':memory:' : paths.database)
  const metrics = metricsEnabled(config) ? new NodeMetrics({ process: config.metrics.process }) : undefined
  let libp2p: SwarmLibp2p
  try {
    libp2p = await buildLibp2p({ privateKey, config, blocked, ...(metrics !== undefined ? { metricsRegistry: metrics.registry } : {}) })
  } catch (err) {
    store.close()
    throw err
  }
  const node = new SwarmNode(config, paths, libp2p, log, token, store, blocked, metrics)
  if (options.start !== false) {
    await node.start()
  }
  return node
}

export { NodeConfigSchema }
