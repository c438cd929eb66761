/**
 * The composition root of a node: builds every service with the ports it takes (the real ones:
 * gossipsub, libp2p streams and connections, the SQLite store, the system clock) and connects
 * their hooks. Nothing here decides anything; the services and the pure core do.
 */
import { LIMITS, maxRequestBytes, protocolIds, topics } from '@swarm/protocol'
import { SOFTWARE } from './version.js'
import { directoryCatchUp } from './directory/catch-up.js'
import { directoryService } from './directory/directory-service.js'
import { buildAgentCard } from './directory/card.js'
import { RateLimiter } from './core/token-bucket.js'
import { createHandler, llmSettingsOf } from './executor/create-handler.js'
import { EndpointSlots } from './llm/endpoint-slots.js'
import { LlmTotals } from './llm/llm-totals.js'
import type { LlmCall } from './llm/llm-handler.js'
import { groupService } from './group/group-service.js'
import { inboxService } from './inbox/inbox-service.js'
import type { Inbox } from './inbox/inbox-service.js'
import { AwardBook } from './ledger/award-book.js'
import { guardedWrite } from './ledger/guarded.js'
import { KnownAnnouncers } from './ledger/known-announcers.js'
import { ReputationBook } from './ledger/reputation-book.js'
import { MemberLedger } from './ledger/member-ledger.js'
import { TaskLedger } from './ledger/task-ledger.js'
import { announcer as announcerService } from './negotiation/announcer/index.js'
import { bidder as bidderService } from './negotiation/bidder/index.js'
import { SkillRegistry } from './negotiation/skill-registry.js'
import { fetchTaskInput, serveTaskInput, INPUT_FETCH_TIMEOUT_MS } from './negotiation/task-input.js'
import { DialPolicy } from './net/dial-policy.js'
import { DirectMessenger } from './net/direct.js'
import { DirectRouter } from './net/direct-router.js'
import { GossipRouter } from './net/gossip.js'
import { SCORE_THRESHOLDS, gossipScores } from './net/gossip-score.js'
import { Libp2pEvents } from './net/libp2p-events.js'
import { Reachability } from './net/reachability.js'
import { BootstrapRejoiner } from './net/rejoin.js'
import type { NodeConfig } from './config.js'
import type { Logger } from './logger.js'
import type { NodeMetrics } from './metrics/node-metrics.js'
import type { SwarmLibp2p } from './net/libp2p.js'
import type { PeerPenalties } from './net/penalties.js'
import type { Clock } from './ports/clock.js'
import type { SignerPort } from './ports/signer.js'
import type { ConnectionsPort } from './ports/connections.js'
import type { EventSink } from './ports/events.js'
import type { SwarmStore } from './store/store.js'
import type { DirectoryCatchUp } from './directory/catch-up.js'
import type { DirectoryService } from './directory/directory-service.js'
import type { GroupService } from './group/group-service.js'
import type { Announcer } from './negotiation/announcer/index.js'
import type { Bidder } from './negotiation/bidder/index.js'
import type { SwarmNodeEvents } from './types.js'
import type { Penalty } from './net/verdict.js'
import type { PeerId } from '@libp2p/interface'

/** Direct requests: time to answer, and streams of the protocol per connection each way. */
const DIRECT_TIMEOUT_MS = 10_000
const DIRECT_STREAMS = { inbound: 512, outbound: 512 }
/** Inputs by reference are large and few: a longer time, fewer streams. */
const INPUT_STREAMS = { inbound: 32, outbound: 32 }
/** Neighbours asked, and how long, when an announcement needs agents the directory does not know. */
const ON_DEMAND_CATCH_UP = { neighbours: 2, timeoutMs: 3_000 }
/** Offers the member history remembers until an invite comes (most are never chosen). */
const MEMBER_OFFERS_KEPT = 1_000
/** Waiting for a dialled agent to subscribe to a skill topic, and agents dialled per skill. */
const REACH = { subscribeWaitMs: 3_000, dialsPerSkill: 3 }

export interface WiringInput {
  config: NodeConfig
  /** Display name of this agent. */
  name: string
  startedAt: number
  libp2p: SwarmLibp2p
  store: SwarmStore
  logger: Logger
  clock: Clock
  /** The book of misbehaving peers (built before libp2p, whose gossipsub score reads it). */
  penalties: PeerPenalties
  /** Signs with this node's private key, checks others' signatures (votes, offers). */
  signer: SignerPort
  /** Where every service's events go: the node's emitter. */
  events: EventSink<SwarmNodeEvents>
  metrics?: NodeMetrics
  /** Whether the node runs: its card carries addresses only then, and dials wait for it. */
  running: () => boolean
}

/** Every service of a node, wired. */
export interface NodeServices {
  gossip: GossipRouter
  messenger: DirectMessenger
  inputMessenger: DirectMessenger
  direct: DirectRouter
  ledger: TaskLedger
  reputation: ReputationBook
  penalties: PeerPenalties
  directory: DirectoryService
  catchUp: DirectoryCatchUp
  skills: SkillRegistry
  bidder: Bidder
  announcer: Announcer
  groups: GroupService
  dialPolicy: DialPolicy
  reachability: Reachability
  rejoin: BootstrapRejoiner
  libp2pEvents: Libp2pEvents
  /** The awards of the tasks this node announced or offered on (`swarm-node verify`). */
  awards: AwardBook
  /** Tasks running plus capacity reserved, as the bidder last reported it. */
  load: () => number
  /** The model calls of this node's llm skills. */
  llmTotals: LlmTotals
  /** The parts of this node's inbox skills, for the external workers that pull them. */
  inbox: Inbox
}

function connectionsOf (libp2p: SwarmLibp2p): ConnectionsPort {
  return {
    connectionCount: peer => libp2p.getConnections(peer).length,
    connectedPeers: () => libp2p.getPeers(),
    dial: async peer => { await libp2p.dial(peer) }
  }
}

/** The messengers, the router and the penalty book: what every other service talks through. */
function wireTransport (input: WiringInput): Transport {
  const { config, libp2p, logger: log, clock, penalties } = input
  const onPenalty = (peer: PeerId, penalty: Penalty): void => { penalties.record(peer, penalty) }
  const gossip = new GossipRouter(libp2p.services.pubsub, { logger: log.child('gossip'), clock, onReject: (verdict, from) => { penalties.record(from, verdict) } })
  const messenger = new DirectMessenger({ libp2p, logger: log.child('direct'), protocol: protocolIds.direct(config.network), channel: 'direct', maxBytes: LIMITS.maxStreamMessageBytes, defaultTimeoutMs: DIRECT_TIMEOUT_MS, maxStreams: DIRECT_STREAMS, onPenalty })
  const inputMessenger = new DirectMessenger({ libp2p, logger: log.child('input'), protocol: protocolIds.input(config.network), channel: 'input', maxBytes: LIMITS.maxFetchedInputBytes + 64 * 1024, maxRequestBytes: maxRequestBytes('INPUT_REQUEST', LIMITS.maxStreamMessageBytes), defaultTimeoutMs: INPUT_FETCH_TIMEOUT_MS, maxStreams: INPUT_STREAMS, onPenalty })
  return { gossip, messenger, inputMessenger, direct: new DirectRouter(), penalties }
}

/** What the services of one node share while they are wired. */
interface Shared {
  input: WiringInput
  transport: Transport
  connections: ConnectionsPort
  skills: SkillRegistry
  /** Forwards an event to the node's emitter. */
  emit: (event: keyof SwarmNodeEvents & string, payload: unknown) => void
  sink: { emit: (event: keyof SwarmNodeEvents & string, payload: unknown) => void }
  /** The load the bidder last reported (tasks running plus capacity reserved). */
  load: { value: number }
}

type Transport = Pick<NodeServices, 'gossip' | 'messenger' | 'inputMessenger' | 'direct' | 'penalties'>
type Discovery = Pick<NodeServices, 'dialPolicy' | 'directory' | 'catchUp' | 'reachability'>

/** Builds the services of one node and connects them. */
export function wireServices (input: WiringInput): NodeServices {
  const { config, libp2p, store } = input
  const emit = (event: keyof SwarmNodeEvents & string, payload: unknown): void => { input.events.emit(event, payload as never) }
  // The cap on requests at once to each model endpoint, over every llm skill of this node; the totals of their calls.
  const llmSlots = new EndpointSlots()
  const llmTotals = new LlmTotals()
  const onLlmCall = (call: LlmCall): void => {
    llmTotals.add(call)
    emit('llm:call', call)
  }
  // One inbox for every inbox skill of this node.
  const inbox = inboxService()({ clock: input.clock, events: { emit }, logger: input.logger.child('inbox') })
  const shared: Shared = {
    input,
    transport: wireTransport(input),
    connections: connectionsOf(libp2p),
    skills: new SkillRegistry(
      config.skills,
      skill => skill.handler === undefined ? undefined : createHandler(skill.handler, { skill: skill.name, llm: { defaults: config.llm, slots: llmSlots, env: process.env, onCall: onLlmCall }, inbox }),
      skill => store.getSkillStats(skill),
      // An llm part's time is its resolved settings' (the defaults, a role's preset and overrides, its own).
      skill => skill.handler?.kind === 'llm' ? llmSettingsOf(skill.name, skill.handler, config.llm).timeoutMs : undefined
    ),
    emit,
    sink: { emit },
    load: { value: 0 }
  }
  const discovery = wireDiscovery(shared)
  const work = wireWork(shared, discovery)
  const libp2pEvents = wireLibp2pEvents(shared, discovery, work.announcer)
  const rejoin = new BootstrapRejoiner({ libp2p, addrs: config.bootstrap, logger: input.logger.child('bootstrap') })
  const services: NodeServices = { ...shared.transport, ...discovery, ...work, skills: shared.skills, rejoin, libp2pEvents, load: () => shared.load.value, llmTotals, inbox }
  if (input.metrics !== undefined) attachMetrics(input, services)
  return services
}

/** The agent directory, its catch-ups, the dial policy and the reachability check of announcements. */
function wireDiscovery (shared: Shared): Discovery {
  const { input, transport: { gossip, messenger, direct }, connections, skills, emit } = shared
  const { config, libp2p, clock, logger: log } = input
  const self = libp2p.peerId
  const dialPolicy = new DialPolicy({ connections, gossip, messenger, clock, logger: log.child('dial'), canDo: skill => skills.canDo(skill, 'novice') }, {
    self,
    network: config.network,
    role: config.role,
    agentsTopic: topics.agents(config.network),
    maxConnections: config.connections.maxConnections,
    meshDegree: config.gossip.D,
    meshDegreeLow: config.gossip.Dlo
  })
  const directory = directoryService({ ...config.directory, network: config.network, self: self.toString(), limits: config.limits })({
    gossip,
    clock,
    logger: log.child('directory'),
    card: () => buildAgentCard({
      name: input.name,
      skills: config.skills,
      statsOf: skill => skills.get(skill)?.stats,
      capacity: config.capacity,
      load: shared.load.value,
      addrs: input.running() ? libp2p.getMultiaddrs().map(ma => ma.toString()) : [],
      startedAt: input.startedAt
    }),
    events: {
      emit: (event, payload) => {
        emit(event, payload)
        if (event === 'agent:joined' || event === 'agent:updated') dialPolicy.meetSkillPeer(payload as SwarmNodeEvents['agent:joined'])
      }
    }
  })
  const catchUp = directoryCatchUp()({ messenger, direct, clock, directory, peers: () => libp2p.getPeers(), logger: log.child('directory'), requestRate: config.limits.rates.directoryRequests })
  const reachability = new Reachability({
    gossip,
    messenger,
    connections,
    directory: directory.agents,
    clock,
    canDo: (skill, minLevel) => skills.canDo(skill, minLevel),
    askNeighbours: async () => { await catchUp.askNeighbours(ON_DEMAND_CATCH_UP.neighbours, ON_DEMAND_CATCH_UP.timeoutMs) },
    onSubscriptionChange: listener => {
      libp2p.services.pubsub.addEventListener('subscription-change', listener)
      return () => { libp2p.services.pubsub.removeEventListener('subscription-change', listener) }
    }
  }, { network: config.network, ...REACH })
  return { dialPolicy, directory, catchUp, reachability }
}

/** The ledger, the working groups and both sides of negotiation. */
function wireWork (shared: Shared, discovery: Discovery): Pick<NodeServices, 'ledger' | 'reputation' | 'groups' | 'bidder' | 'announcer' | 'awards'> {
  const { input, transport: { gossip, messenger, direct } } = shared
  const { config, libp2p, store, clock, logger: log } = input
  const self = libp2p.peerId
  // The ledger and the groups ask the negotiation sides, which are built after them.
  const late: { announcer?: Announcer, bidder?: Bidder } = {}
  const ledger = new TaskLedger({
    store,
    logger: log,
    clock,
    attemptOf: (role, taskId) => role === 'announcer' ? late.announcer?.state(taskId)?.attempt : late.bidder?.attemptOf(taskId)
  }, { self: self.toString() })
  const groups = groupService({ self, network: config.network, resyncMs: config.groups.resyncMs, limits: config.limits })({
    gossip,
    messenger,
    direct,
    store,
    clock,
    logger: log.child('groups'),
    events: shared.sink,
    audit: (taskId, action, detail) => { ledger.audit(late.announcer?.state(taskId) !== undefined ? 'announcer' : 'member', taskId, action, detail) },
    signer: input.signer,
    penalties: (peer, penalty) => { shared.transport.penalties.record(peer, penalty) }
  })
  const reputation = new ReputationBook({ store, logger: log, clock }, config.reputation)
  const awards = new AwardBook({ store, logger: log.child('ledger'), now: () => clock.now() }, { self: self.toString() })
  const bidder = late.bidder = wireBidder(shared, discovery, ledger, groups, reputation, awards)
  const announcer = late.announcer = wireAnnouncer(shared, discovery, { ledger, reputation, groups, bidder, awards })
  direct.handle('INPUT_REQUEST', serveTaskInput((taskId, from) => announcer.inputFor(taskId, from)))
  return { ledger, reputation, groups, bidder, announcer, awards }
}

function wireBidder (shared: Shared, { directory }: Discovery, ledger: TaskLedger, groups: GroupService, reputation: ReputationBook, awards: AwardBook): Bidder {
  const { input, transport: { gossip, messenger, direct, inputMessenger }, skills } = shared
  const { config, libp2p, store, clock, logger: log } = input
  // The announcers this node worked for well (its member rows) and the peers that worked well for it.
  const known = new KnownAnnouncers({ store, reputation, logger: log.child('bidder') })
  const memberStore = { saveTask: (task: Parameters<SwarmStore['saveTask']>[0]) => { store.saveTask(task); known.saved(task) } }
  return bidderService({ self: libp2p.peerId, network: config.network, capacity: config.capacity, leaseGraceMs: config.negotiation.leaseGraceMs, dedupeSize: config.negotiation.dedupeSize, memberHeartbeatMs: config.negotiation.memberHeartbeatMs, limits: config.limits })({
    skills,
    gossip,
    messenger,
    direct,
    clock,
    fetchInput: async (announcer, taskId, taskInput) => await fetchTaskInput(inputMessenger, announcer, taskId, taskInput),
    logger: log.child('bidder'),
    audit: ledger.auditor('member'),
    signer: input.signer,
    awards,
    history: new MemberLedger({ store: memberStore, logger: log.child('ledger') }, { self: libp2p.peerId.toString(), maxOffers: MEMBER_OFFERS_KEPT }),
    announcerKnown: peerId => known.knows(peerId),
    events: shared.sink,
    onLoad: value => { shared.load.value = value },
    onOutcome: (skill, outcome) => {
      const stats = skills.record(skill, { ok: outcome.ok, durationMs: outcome.durationMs })
      // A handler stopped by the node's own stop may end after the store closed.
      if (stats !== undefined) guardedWrite(log, 'skill statistics', { skill }, () => { store.saveSkillStats(skill, stats) })
    },
    capablePeers: (skill, minLevel) => directory.agents.peersWith({ skill, minLevel }),
    groups: {
      joined: info => { groups.join({ ...info, role: 'member' }) },
      left: topic => { groups.leaveTopic(topic) },
      membersChanged: (groupId, members) => { groups.membersChanged(groupId, members) },
      result: (groupId, skill, ok) => { groups.ownResult(groupId, skill, ok) },
      handlerContext: (taskId, groupId) => groups.handlerApi(taskId, groupId)
    }
  })
}

function wireAnnouncer (shared: Shared, { directory, reachability }: Discovery, deps: { ledger: TaskLedger, reputation: ReputationBook, groups: GroupService, bidder: Bidder, awards: AwardBook }): Announcer {
  const { input, transport: { gossip, messenger, direct } } = shared
  const { config, libp2p, clock, logger: log } = input
  const { ledger, groups, bidder } = deps
  const self = libp2p.peerId
  return announcerService({ self, network: config.network, negotiation: config.negotiation })({
    gossip,
    messenger,
    direct,
    clock,
    logger: log.child('announcer'),
    reputation: deps.reputation,
    signer: input.signer,
    awards: deps.awards,
    ledger: { save: task => { ledger.saveAnnounced(task) }, unfinished: () => ledger.unfinished(), abandon: (task, reason) => { ledger.closeInterrupted([task], reason) }, saveCheckpoint: (taskId, checkpoint) => { ledger.saveCheckpoint('announcer', taskId, checkpoint) }, audit: ledger.auditor('announcer') },
    events: shared.sink,
    directory: {
      capablePeers: (skill, minLevel) => directory.agents.peersWith({ skill, minLevel }, false),
      addrsOf: peerId => directory.agents.get(peerId)?.card.addrs ?? [],
      capacityOf: peerId => directory.agents.get(peerId)?.card.capacity,
      onCapacityFreed: listener => directory.onCapacityFreed(listener)
    },
    connectedPeers: () => new Set(libp2p.getConnections().map(c => c.remotePeer.toString())),
    addrs: () => libp2p.getMultiaddrs().map(ma => ma.toString()),
    ensureReachable: async required => { await reachability.ensure(required) },
    localBidder: body => { bidder.hear(body, self) },
    offerLimiter: new RateLimiter(config.limits.rates.offers),
    selfCapable: (skill, minLevel) => config.capacity > 0 && shared.skills.canDo(skill, minLevel),
    groups: {
      formed: info => { groups.join({ ...info, announcer: self.toString(), role: 'announcer' }) },
      membersChanged: (groupId, members) => { groups.membersChanged(groupId, members) },
      dissolved: (_taskId, groupId) => { groups.leave(groupId) },
      verify: async info => await groups.verify(info),
      escalate: info => {
        try {
          groups.raise({ ...info, announcer: self.toString(), raisedBy: self.toString(), source: 'retries-exhausted', severity: 'high' })
        } catch (err) {
          log.warn('escalation not raised', { taskId: info.taskId, err })
        }
      }
    }
  })
}

/** What the node does when libp2p reports a connection, a discovery, an address or a subscription. */
function wireLibp2pEvents (shared: Shared, { catchUp, dialPolicy, directory }: Discovery, announcer: Announcer): Libp2pEvents {
  const { input: { libp2p, running }, emit } = shared
  return new Libp2pEvents({ libp2p, pubsub: libp2p.services.pubsub }, {
    connected: peer => {
      emit('peer:connect', { peerId: peer.toString() })
      catchUp.onPeerConnect(peer)
    },
    disconnected: peer => {
      emit('peer:disconnect', { peerId: peer.toString() })
      announcer.peerGone(peer.toString(), () => libp2p.getConnections(peer).length === 0)
    },
    discovered: peer => { dialPolicy.discovered(peer) },
    selfChanged: () => { if (running()) directory.cardChanged() },
    subscriptionChanged: (_peer, subscriptions) => {
      for (const sub of subscriptions) if (sub.subscribe && sub.topic === directory.topic) directory.peerJoined()
    }
  })
}

/** Gauges read at scrape time, and the node's events fed to the counters. */
function attachMetrics (input: WiringInput & { metrics?: NodeMetrics }, s: NodeServices): void {
  const { metrics, libp2p, config } = input
  if (metrics === undefined) return
  metrics.attach({
    agentsKnown: () => s.directory.agents.size,
    peersConnected: () => libp2p.getPeers().length,
    capacity: () => {
      const committed = s.bidder.assignments().length
      return { total: s.bidder.capacity, committed, reserved: Math.max(0, s.bidder.load() - committed) }
    },
    tasksInFlight: () => s.announcer.active(),
    votes: () => ({ accepted: s.groups.stats.votesAccepted, rejected: s.groups.stats.votesRejected }),
    penalties: () => s.penalties.stats(),
    limited: () => ({ ...s.directory.limited, 'directory-request': s.catchUp.limited, ...s.groups.limited(), ...s.bidder.limited, ...s.announcer.limited() }),
    peerScores: () => {
      const score = gossipScores(libp2p.services.pubsub)
      const scores = libp2p.getPeers().map(peer => ({ peerId: peer.toString(), score: score(peer.toString()) }))
      return { scores, graylistThreshold: SCORE_THRESHOLDS.graylistThreshold }
    }
  }, { peerId: libp2p.peerId.toString(), name: input.name, network: config.network, version: SOFTWARE.version })
}
