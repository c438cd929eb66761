/**
 * What the announcer takes (its ports, as components, and its resolved settings, as init) and
 * what it reports. Types only.
 */
import type { NodeConfig } from '../../config.js'
import type { TaskState } from '../../core/task-machine.js'
import type { Logger } from '../../logger.js'
import type { Clock } from '../../ports/clock.js'
import type { EventSink } from '../../ports/events.js'
import type { GossipPort } from '../../ports/gossip.js'
import type { AuditFn, ReputationPort } from '../../ports/ledger.js'
import type { DirectRegistry, MessengerPort } from '../../ports/messenger.js'
import type { AwardBookPort } from '../../ports/award-book.js'
import type { SignerPort } from '../../ports/signer.js'
import type { TaskLifecycleEvent, TaskOutcome } from '../task-handle.js'
import type { TaskSpec } from '../task-spec.js'
import type { ResumeData } from './session.js'
import type { StoredTask } from '../../store/types.js'
import type { PeerId } from '@libp2p/interface'
import type { GroupMember, Json, Level, RequiredSkill, TaskAnnounceBody, VerifyPolicy } from '@swarm/protocol'

/** An outcome of a group decision. */
export type GroupOutcome = 'approved' | 'rejected' | 'no-quorum'

/** How the announcer tells the group layer about its groups, and asks it for decisions. */
export interface AnnouncerGroupHooks {
  /** A group formed, or (`resumed`) one of an earlier run is taken up again: this node (the announcer) is in it. */
  formed: (info: { taskId: string, groupId: string, members: GroupMember[], resumed?: boolean, deadline?: number }) => void
  /** A member was replaced. */
  membersChanged: (groupId: string, members: GroupMember[]) => void
  /** The group dissolves (before DISSOLVE goes out). */
  dissolved: (taskId: string, groupId: string) => void
  /** The group votes on the aggregated result; resolves with the outcome. */
  verify: (info: { taskId: string, groupId: string, attempt: number, policy: VerifyPolicy, timeoutMs: number, results?: Json }) => Promise<{ outcome: GroupOutcome, proposalId?: string }>
  /** A task failed all its attempts: a human should look at it. */
  escalate: (info: { taskId: string, groupId?: string, issue: string, attemptedResolutions: string[], context?: Json }) => void
}

/** A task this node announced, as the ledger persists it (the outcome once it is final). */
export interface AnnouncedTask {
  spec: TaskSpec
  state: TaskState
  outcome?: TaskOutcome
  /** What a restarted announcer needs besides the state (while the task is not final). */
  resume?: ResumeData
}

/**
 * A task an earlier run of this node announced and left unfinished, as the store holds it (its
 * `resume` column: what the state does not hold, see resume.ts; `checkpoint`: skill → checkpoint).
 */
export type UnfinishedTask = StoredTask

/** Where the announcer records its tasks and its decisions. */
export interface AnnouncerLedger {
  /** Persists a task's state, what a restart needs to resume it and, when final, its outcome. Never throws. */
  save: (task: AnnouncedTask) => void
  /** The tasks an earlier run left unfinished, oldest first (to resume them). Never throws. */
  unfinished: () => UnfinishedTask[]
  /** Cancels a stored unfinished task that cannot be resumed, with the reason. Never throws. */
  abandon: (task: UnfinishedTask, reason: string) => void
  /** Persists the last checkpoint of each skill of a task (skill → checkpoint), for a resume. Never throws. */
  saveCheckpoint: (taskId: string, checkpoint: Json) => void
  /** The audit trail, bound to the announcer role. */
  audit: AuditFn
}

/** What the announcer reads of the agent directory, to ask capable agents directly. */
export interface AnnouncerDirectory {
  /** Agents this node knows that can do a skill at a level (peer ids, never this node). */
  capablePeers: (skill: string, minLevel: Level) => string[]
  /** Known addresses of an agent, to reach it directly. */
  addrsOf: (peerId: string) => string[]
  /**
   * The capacity an agent advertises in its card, when known: an agent with none can never take
   * a task, so a task only it could do is rejected rather than queued.
   */
  capacityOf?: (peerId: string) => number | undefined
  /**
   * Subscribes to agents that free a slot (their card or heartbeat shows a load below their
   * capacity, lower than before); returns the unsubscribe function. Queued tasks are asked again then.
   */
  onCapacityFreed?: (listener: (peerId: string) => void) => () => void
}

/** The events of the tasks this node announced, named as the node emits them (`task:<type>`). */
export type AnnouncerEvents = { [E in TaskLifecycleEvent as `task:${E['type']}`]: E }

export interface AnnouncerComponents {
  gossip: GossipPort
  messenger: MessengerPort
  /** The announcer registers SKILL_OFFER, TASK_COMPLETE and TASK_UPDATE here. */
  direct: DirectRegistry
  clock: Clock
  logger: Logger
  reputation: ReputationPort
  ledger: AnnouncerLedger
  events: EventSink<AnnouncerEvents>
  directory: AnnouncerDirectory
  /** Peers this node has an open connection to (those are asked first, see chooseDirectTargets). */
  connectedPeers: () => ReadonlySet<string>
  /** This node's dialable addresses, put in announcements. */
  addrs: () => string[]
  /** Makes sure announcements for these skills reach someone; throws NO_CAPABLE_PEERS otherwise. */
  ensureReachable: (skills: RequiredSkill[]) => Promise<void>
  /** Hands an announcement to this node's own bidder (gossip does not deliver to the sender). */
  localBidder: (body: TaskAnnounceBody) => void
  /** Whether this node's own bidder can do a skill at a level (it counts as a capable agent for the queue). */
  selfCapable?: (skill: string, minLevel: Level) => boolean
  /** The working-group layer (verification, escalations, blackboards). */
  groups: AnnouncerGroupHooks
  /** Checks the signatures of offers (the bidders' libp2p keys). */
  signer: SignerPort
  /** Keeps the award of each attempt with the signed offers it lists (for `swarm-node verify`). */
  awards: Pick<AwardBookPort, 'awarded'>
  /** Offers taken per bidder (limits.rates.offers; keyed by peer id): the excess is refused with RATE_LIMITED. No limit without it. */
  offerLimiter?: { allow: (key: string, now: number) => boolean, readonly limited: number }
}

/**
 * The negotiation settings the announcer uses, resolved (defaults in config.ts):
 * - earlyClose*: bidding closes at once when every slot has an offer scoring earlyCloseMinScore
 *   plus earlyCloseBackupsPerSkill backups; or, without backups, once earlyCloseGraceFraction of
 *   the bid window passed (offers from responsive agents arrive within milliseconds).
 * - offerCap: offers wanted per required member in a first round (0: every capable agent offers).
 * - inviteTimeoutMs: how long an invitee has to answer.
 * - memberGraceMs: how long a member may be unreachable before its part goes to a backup.
 * - memberHeartbeatMs, memberMissedHeartbeats: a member silent for their product is replaced.
 * - memberResultShare: the fraction of the time left at its start a member has to deliver.
 * - verifyTimeoutMs: longest time the group has to verify a result (never past the deadline).
 * - retainFinished: finished tasks kept in memory (older ones are only in the store).
 * - queueRetryBaseMs, queueRetryMaxMs: the backoff of re-asks of a queued task (see queue.ts).
 */
export type AnnouncerSettings = Pick<NodeConfig['negotiation'],
'earlyCloseMinScore' | 'earlyCloseBackupsPerSkill' | 'earlyCloseGraceFraction' | 'offerCap' |
'inviteTimeoutMs' | 'memberGraceMs' | 'memberHeartbeatMs' | 'memberMissedHeartbeats' | 'memberResultShare' |
'verifyTimeoutMs' | 'retainFinished' | 'queueRetryBaseMs' | 'queueRetryMaxMs'>

export interface AnnouncerInit {
  network: string
  /** This node's peer id. */
  self: PeerId
  negotiation: AnnouncerSettings
}

/** Counters of what the announcer did since it was created. */
export interface AnnouncerStats {
  announced: number
  formed: number
  completed: number
  failed: number
  rejected: number
  cancelled: number
  offersReceived: number
  retries: number
  verified: number
  escalated: number
  invalidTransitions: number
  /** Times a task went into the queue (every capable agent busy), and was asked again from it. */
  queued: number
  reasked: number
}
