import { hostname } from 'node:os'
import { a2aService } from './a2a/server.js'
import { ControlApi } from './api/control-api.js'
import { agentView } from './directory/view.js'
import { llmSettingsOf } from './executor/create-handler.js'
import { checkModels } from './llm/model-check.js'
import { defaultClient } from './llm/llm-handler.js'
import { verifyStored } from './ledger/verify-report.js'
import { SCORE_THRESHOLDS, gossipScores } from './net/gossip-score.js'
import { peerInfos } from './net/peer-info.js'
import { TypedEmitter } from './events.js'
import { GroupHandle } from './group/group-handle.js'
import { Lifecycle } from './lifecycle.js'
import { loadOrCreateToken } from './identity.js'
import { SwarmError } from './errors.js'
import { SOFTWARE } from './version.js'
import { wireServices } from './wiring.js'
import { WorkflowService } from './workflow/service.js'
import type { A2aService } from './a2a/server.js'
import type { LiveTask, NodeApi } from './api/node-api.js'
import type { NodeConfig } from './config.js'
import type { TaskState } from './core/task-machine.js'
import type { DataDirPaths } from './data-dir.js'
import type { DataDirLock } from './lock.js'
import type { SkillQuery } from './directory/agent-directory.js'
import type { DirectoryService } from './directory/directory-service.js'
import type { GroupService } from './group/group-service.js'
import type { Inbox } from './inbox/inbox-service.js'
import type { Logger } from './logger.js'
import type { NodeMetrics } from './metrics/node-metrics.js'
import type { Announcer } from './negotiation/announcer/index.js'
import type { Bidder } from './negotiation/bidder/index.js'
import type { SkillRegistry } from './negotiation/skill-registry.js'
import type { TaskHandle } from './negotiation/task-handle.js'
import type { TaskSpecInput } from './negotiation/task-spec.js'
import type { AccessView, PeerAccess } from './net/access.js'
import type { DirectMessenger } from './net/direct.js'
import type { GossipRouter } from './net/gossip.js'
import type { PeerPenalties } from './net/penalties.js'
import type { SwarmLibp2p } from './net/libp2p.js'
import type { Clock } from './ports/clock.js'
import type { SignerPort } from './ports/signer.js'
import type { SwarmStore } from './store/store.js'
import type { AuditEntry, StoredTask, TaskRole } from './store/types.js'
import type { AgentView, NodeStatus, PeerInfo, SwarmNodeEvents } from './types.js'
import type { NodeServices } from './wiring.js'
import type { VerifyReport } from './ledger/verify-report.js'
import type { PeerId } from '@libp2p/interface'
import type { ModelProblem } from './llm/model-check.js'
import type { LlmTotals } from './llm/llm-totals.js'
import type { WorkflowHandle } from './workflow/handle.js'
import type { WorkflowView } from './workflow/types.js'
import type { Json } from '@swarm/protocol'

export type { SwarmNodeEvents, NodeStatus, PeerInfo, AgentView } from './types.js'

/** What `createSwarmNode` hands the node: everything built before the services. */
export interface SwarmNodeParts {
  config: NodeConfig
  paths: DataDirPaths
  libp2p: SwarmLibp2p
  logger: Logger
  apiToken: string
  store: SwarmStore
  clock: Clock
  /** Peers refused by the connection gater (see blockPeers), shared with it. */
  blocked: Set<string>
  /** The allow and deny lists and the run-time blocks the connection gater asks (see block). */
  access: PeerAccess
  /** The book of misbehaving peers, built before libp2p: gossipsub's peer score reads it. */
  penalties: PeerPenalties
  /** Signs with this node's private key, checks others' signatures (votes, offers). */
  signer: SignerPort
  /** The data directory's lock, released when the node stops (or fails to start). */
  lock?: DataDirLock
  metrics?: NodeMetrics
}

/**
 * One agent of the swarm: a libp2p node with an identity, an agent directory, negotiation on
 * both sides, working groups and a control API. A thin facade: the services do the work
 * (wiring.ts builds them), the lifecycle starts and stops them in one order. Create it with
 * `createSwarmNode`.
 */
export class SwarmNode extends TypedEmitter<SwarmNodeEvents> implements NodeApi {
  readonly config: NodeConfig
  /** Display name: from the config, or <hostname>-<end of the peer id>. */
  readonly name: string
  readonly paths: DataDirPaths
  readonly libp2p: SwarmLibp2p
  readonly log: Logger
  readonly store: SwarmStore
  /** Prometheus metrics (libp2p's and the swarm's), when config.metrics enables them. */
  readonly metrics?: NodeMetrics
  readonly startedAt: number
  readonly gossip: GossipRouter
  readonly directory: DirectoryService
  readonly skills: SkillRegistry
  /** The model calls of this node's llm skills. */
  readonly #llmTotals: LlmTotals
  readonly messenger: DirectMessenger
  readonly inputMessenger: DirectMessenger
  readonly announcer: Announcer
  readonly bidder: Bidder
  /** Working groups this node is in: proposals, votes, blackboards, claims, escalations. */
  readonly groups: GroupService
  /** The workflows this node runs (workflow/service.ts). */
  readonly workflows: WorkflowService
  /** The parts of this node's `inbox` skills, which external workers claim and complete (inbox/). */
  readonly inbox: Inbox
  readonly #services: NodeServices
  readonly #clock: Clock
  readonly #blocked: Set<string>
  readonly #access: PeerAccess
  readonly #lock: DataDirLock | undefined
  readonly #apiToken: string
  readonly #lifecycle: Lifecycle
  readonly #api: ControlApi
  readonly #a2a: A2aService
  #running = false
  #stopping?: Promise<void>

  /** Use `createSwarmNode`. */
  constructor (parts: SwarmNodeParts) {
    super()
    const { config, libp2p, logger, clock } = parts
    this.config = config
    this.name = config.name ?? `${hostname()}-${libp2p.peerId.toString().slice(-6)}`
    this.paths = parts.paths
    this.libp2p = libp2p
    this.log = logger
    this.store = parts.store
    this.#clock = clock
    this.startedAt = clock.now()
    this.#blocked = parts.blocked
    this.#access = parts.access
    this.#lock = parts.lock
    this.#apiToken = parts.apiToken
    const s = wireServices({ config, name: this.name, startedAt: this.startedAt, libp2p, store: parts.store, logger, clock, penalties: parts.penalties, signer: parts.signer, events: this, running: () => this.#running, ...(parts.metrics !== undefined ? { metrics: parts.metrics } : {}) })
    this.#services = s
    this.gossip = s.gossip
    this.directory = s.directory
    this.skills = s.skills
    this.#llmTotals = s.llmTotals
    this.messenger = s.messenger
    this.inputMessenger = s.inputMessenger
    this.announcer = s.announcer
    this.bidder = s.bidder
    this.groups = s.groups
    this.inbox = s.inbox
    this.workflows = new WorkflowService({
      announcer: s.announcer,
      store: parts.store,
      escalations: s.groups,
      emit: (name, payload) => { this.emit(name, payload as SwarmNodeEvents[typeof name]) },
      clock,
      self: libp2p.peerId.toString(),
      log: logger.child('workflows')
    })
    this.on('escalation:resolved', record => { this.workflows.onEscalationResolved(record) })
    if (parts.metrics !== undefined) {
      const metrics = parts.metrics
      this.metrics = metrics
      this.onAny((event, payload) => { metrics.observe(event, payload) })
    }
    this.#api = new ControlApi(this, { api: config.api, token: parts.apiToken, infoFile: parts.paths.apiInfo }, logger.child('api'))
    this.#a2a = a2aService({ config: config.a2a, token: () => loadOrCreateToken(parts.paths.a2aToken), name: this.name, peerId: libp2p.peerId.toString(), version: SOFTWARE.version })({ node: this, logger: logger.child('a2a') })
    this.#lifecycle = this.#buildLifecycle()
  }

  /**
   * The start and stop order of every part, in one place. The graceful drain runs first (the
   * bidder hands its running parts to backups while everything is up), then the announcer stops (its cancel
   * notices need the messenger, and followers of the event stream see them), the group service
   * after libp2p (it stores the blackboards of live groups), the store last of all (in stop()).
   */
  #buildLifecycle (): Lifecycle {
    const s = this.#services
    const dispatch = s.direct.dispatch.bind(s.direct)
    const parts = {
      libp2p: { start: async () => { await this.libp2p.start(); this.#running = true }, stop: async () => { await this.libp2p.stop() } },
      ledger: { start: () => { s.ledger.closeInterruptedWork() } },
      groups: s.groups,
      dialPolicy: s.dialPolicy,
      catchUp: s.catchUp,
      libp2pEvents: s.libp2pEvents,
      directory: s.directory,
      gossip: { stop: () => { s.gossip.stop() } },
      messenger: { start: async () => { await s.messenger.start(dispatch) }, stop: async () => { await s.messenger.stop() } },
      inputMessenger: { start: async () => { await s.inputMessenger.start(dispatch) }, stop: async () => { await s.inputMessenger.stop() } },
      // Graceful drain: running parts go to backups before anything stops (start: nothing).
      drain: { stop: async () => { await s.bidder.drain(this.config.negotiation.drainTimeoutMs) } },
      bidder: s.bidder,
      announcer: s.announcer,
      rejoin: s.rejoin,
      // Started once everything can announce; stopped first, so that tasks the stop cancels leave the workflows running (to resume).
      workflows: { start: () => { this.workflows.start() }, stop: () => { this.workflows.stop() } },
      // Stopped before the API: workers long-polling for a part get their answer (none).
      inbox: s.inbox,
      api: this.#api,
      // The A2A server: after the control API; stopped after the announcer, so that open streams see their tasks cancelled.
      a2a: this.#a2a
    }
    const named = (names: Array<keyof typeof parts>): Array<{ name: string, part: (typeof parts)[keyof typeof parts] }> => names.map(name => ({ name, part: parts[name] }))
    return new Lifecycle(
      named(['libp2p', 'ledger', 'groups', 'announcer', 'dialPolicy', 'catchUp', 'libp2pEvents', 'directory', 'gossip', 'messenger', 'inputMessenger', 'bidder', 'rejoin', 'workflows', 'inbox', 'api', 'a2a', 'drain']),
      named(['workflows', 'drain', 'announcer', 'a2a', 'bidder', 'rejoin', 'catchUp', 'dialPolicy', 'messenger', 'inputMessenger', 'directory', 'gossip', 'libp2pEvents', 'inbox', 'api', 'libp2p', 'groups', 'ledger']),
      this.log
    )
  }

  async start (): Promise<void> {
    if (this.#running) return
    try {
      await this.#lifecycle.start()
    } catch (err) {
      // The parts that started are stopped again; the store closes with the node.
      this.#running = false
      this.store.close()
      this.#lock?.release()
      throw err
    }
    this.log.info('node started', { peerId: this.peerId.toString(), addrs: this.addrs, api: this.apiUrl, ...(this.a2aUrl !== undefined ? { a2a: this.a2aUrl } : {}), network: this.config.network })
  }

  /**
   * Asks each model server of this node's `llm` skills for its models, once per endpoint:
   * the skills whose model it does not list, or whose server cannot be reached (each also logged
   * as a warning). The node works either way; their parts fail with the same code.
   */
  async checkModels (): Promise<ModelProblem[]> {
    const skills = this.config.skills.flatMap(s => s.handler?.kind === 'llm' ? [{ skill: s.name, settings: llmSettingsOf(s.name, s.handler, this.config.llm) }] : [])
    if (skills.length === 0) return []
    const problems = await checkModels(skills, settings => defaultClient(settings, settings.apiKeyEnv === undefined ? undefined : process.env[settings.apiKeyEnv]))
    for (const p of problems) this.log.warn('model check', { ...p })
    return problems
  }

  async stop (): Promise<void> {
    if (this.#stopping !== undefined) return await this.#stopping
    this.#stopping = (async () => {
      this.emit('node:stopping', {})
      this.log.info('node stopping')
      await this.#lifecycle.stop()
      this.store.close()
      this.#lock?.release()
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
      uptimeMs: this.#clock.now() - this.startedAt,
      addrs: this.addrs,
      api: this.apiUrl ?? null,
      a2a: this.a2aUrl ?? null,
      dataDir: this.paths.root,
      connections: this.libp2p.getConnections().length,
      peers: this.libp2p.getPeers().length,
      agents: this.directory.agents.size,
      capacity: card.capacity,
      load: card.load,
      skills: card.skills,
      topics: this.libp2p.services.pubsub.getTopics(),
      gossip: this.gossip.stats,
      llm: this.#llmTotals.view()
    }
  }

  /** Connected peers, each with gossipsub's score of it and our penalty score (net/gossip-score.ts). */
  peers (): PeerInfo[] {
    const gossipScore = gossipScores(this.libp2p.services.pubsub)
    const penalties = this.#services.penalties
    return peerInfos(this.libp2p.getConnections()).map(peer => {
      const score = gossipScore(peer.peerId)
      return { ...peer, score, graylisted: score < SCORE_THRESHOLDS.graylistThreshold, penalty: penalties.score(peer.peerId) }
    })
  }

  /** Known agents (this one included), or those with a skill at a minimum level. */
  agents (query?: SkillQuery): AgentView[] {
    const records = query === undefined ? this.directory.agents.list() : this.directory.agents.find(query)
    const reputation = this.#services.reputation
    return records.map(record => agentView(record, peerId => reputation.of(peerId)))
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

  /**
   * Runs a workflow (a parsed workflow file, or the object form: workflow/spec.ts): each step a
   * task announced in the swarm when its needs are done. Returns its handle: `events()` streams
   * the steps as they become ready, start and end; `result()` resolves with the workflow's view
   * once it completed, failed or was cancelled. Throws WORKFLOW_INVALID naming every problem of the
   * file before anything runs. The workflow survives a restart of this node.
   */
  run (spec: unknown, opts: { input?: Json, workflowId?: string } = {}): WorkflowHandle {
    if (!this.#running) throw new SwarmError('NOT_STARTED', 'start the node before running workflows')
    return this.workflows.run(spec, opts)
  }

  /** A workflow this node runs or ran, with every step's state. */
  workflow (workflowId: string): WorkflowView | undefined {
    return this.workflows.view(workflowId)
  }

  /** Cancels a task this node announced. */
  async cancel (taskId: string, reason = 'cancelled by the user'): Promise<TaskState> {
    return await this.announcer.cancel(taskId, reason)
  }

  /**
   * The working group of a task this node is in (as announcer or member): propose, vote, the
   * blackboard, claims, escalations. Throws GROUP_NOT_FOUND when this node is in no live group of
   * the task. Proposals and escalations of every group are on `node.groups`.
   */
  group (taskId: string): GroupHandle {
    if (!this.groups.inGroup(taskId)) {
      throw new SwarmError('GROUP_NOT_FOUND', `this node is not in a working group of task ${taskId} (it is not its announcer or a member, or the group has dissolved)`, { taskId })
    }
    return new GroupHandle(this.groups, taskId)
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

  /** Who may connect: the allow and deny lists of the config and the peers blocked at run time. */
  access (): AccessView {
    return this.#access.view()
  }

  /**
   * Blocks a peer from now on, also after a restart (`swarm-node block`): its connections are
   * closed and it can neither connect nor be dialled. Throws CONFIG_INVALID for a bad peer id.
   */
  async block (peerId: string, reason?: string): Promise<AccessView> {
    if (peerId === this.peerId.toString()) throw new SwarmError('CONFIG_INVALID', 'a node cannot block itself', { peerId })
    if (this.#access.block(peerId, this.#clock.now(), reason)) {
      this.log.warn('peer blocked', { peerId, ...(reason !== undefined ? { reason } : {}) })
      await Promise.allSettled(this.libp2p.getConnections()
        .filter(c => c.remotePeer.toString() === peerId)
        .map(async c => { await c.close().catch(() => { c.abort(new Error('blocked')) }) }))
    }
    return this.#access.view()
  }

  /** Lifts a block made with {@link block} (a peer on the config's deny list stays refused). */
  unblock (peerId: string): AccessView {
    if (this.#access.unblock(peerId)) this.log.info('peer unblocked', { peerId })
    return this.#access.view()
  }

  /** Checks the stored award of a task, or the vote certificate of a proposal (`swarm-node verify`). */
  async verify (id: string): Promise<VerifyReport | undefined> {
    return await verifyStored({ awards: this.#services.awards, proposals: this.store }, id)
  }

  /**
   * Tasks this node announced (`role: 'announcer'`, the default) or worked on as a group member
   * (`role: 'member'`), newest first (from the store: includes those of earlier runs).
   */
  tasks (filter: { role?: TaskRole, limit?: number, offset?: number, status?: string[] } = {}): StoredTask[] {
    return this.store.listTasks({ role: filter.role ?? 'announcer', limit: filter.limit ?? 100, offset: filter.offset ?? 0, ...(filter.status !== undefined ? { status: filter.status } : {}) })
  }

  /** A task announced in this run while the announcer still follows it: its handle and status (the control API's live views). */
  liveTask (taskId: string): LiveTask | undefined {
    const handle = this.announcer.get(taskId)
    const state = this.announcer.state(taskId)
    return handle === undefined || state === undefined ? undefined : { handle, status: state.status }
  }

  /** One task with its audit trail: its row in `role`, or without one its announcer row, else its member row. */
  task (taskId: string, role?: TaskRole): { task: StoredTask, audit: AuditEntry[] } | undefined {
    const task = this.store.getTask(taskId, role)
    if (task === undefined) return undefined
    return { task, audit: this.store.listAudit({ taskId }) }
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
    return this.#api.url
  }

  /** URL of the A2A server (a2a/server.ts), when it runs. */
  get a2aUrl (): string | undefined {
    return this.#a2a.url
  }

  get apiToken (): string {
    return this.#apiToken
  }

  /** Tasks running plus capacity reserved (updated by the executor). */
  get load (): number {
    return this.#services.load()
  }
}
