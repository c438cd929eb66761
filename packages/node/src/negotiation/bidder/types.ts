/**
 * The bidder's public contract: the events it emits, the ports it takes (components) and its
 * resolved settings (init). A module of types only, so that every part of the bidder can name
 * them without importing another part.
 */
import type { LimitsConfig } from '../../config-limits.js'
import type { HandlerContext, HandlerOutcome } from '../../executor/types.js'
import type { Logger } from '../../logger.js'
import type { Clock } from '../../ports/clock.js'
import type { EventSink } from '../../ports/events.js'
import type { GossipPort } from '../../ports/gossip.js'
import type { AuditFn } from '../../ports/ledger.js'
import type { DirectRegistry, MessengerPort } from '../../ports/messenger.js'
import type { MemberHistory } from '../../ports/member-history.js'
import type { AwardBookPort } from '../../ports/award-book.js'
import type { SignerPort } from '../../ports/signer.js'
import type { SkillRegistry } from '../skill-registry.js'
import type { PeerId } from '@libp2p/interface'
import type { GroupMember, Json, Level, TaskInput } from '@swarm/protocol'

/** Events of the bidder side, for library users and the control API. */
export interface BidderEvents {
  'work:offered': { taskId: string, announcer: string, skills: string[], score: number }
  'work:accepted': { taskId: string, groupId: string, skills: string[] }
  'work:started': { taskId: string, groupId: string, skills: string[] }
  'work:progress': { taskId: string, skill: string, progress: number, message?: string }
  'work:finished': { taskId: string, groupId: string, skill: string, ok: boolean, durationMs: number, error?: { code: string, message: string } }
  'work:released': { taskId: string, reason: string }
  /** A part moved to a backup (its handler called ctx.handoff, or the node drained); `work:finished` follows with error code HANDLER_HANDED_OFF. */
  'work:handed-off': { taskId: string, groupId: string, skill: string, reason: string, to?: string }
}

/** How the bidder tells the group layer about the groups this node works in. */
export interface BidderGroupHooks {
  /** This member starts work in a group (before its handlers run). */
  joined: (info: { taskId: string, groupId: string, announcer: string, members: GroupMember[], deadline?: number }) => void
  /** This member left the group's topic (dissolved, or its deadline passed). */
  left: (topic: string) => void
  /** The announcer named the group's current members (GROUP_KEY: a member was replaced). */
  membersChanged?: (groupId: string, members: GroupMember[]) => void
  /** One of this member's parts ended. */
  result: (groupId: string, skill: string, ok: boolean) => void
  /** The group functions of the handler context (post findings, propose, vote, escalate). */
  handlerContext: (taskId: string, groupId: string) => Partial<HandlerContext>
}

/** Fetches a task input that did not travel inline (from the announcer). */
export type InputFetcher = (announcer: PeerId, taskId: string, input: TaskInput) => Promise<Json>

/** What the bidder needs from the rest of the node. */
export interface BidderComponents {
  /** Skill topics (announcements, cancels) and group topics (progress, dissolve). */
  gossip: GossipPort
  /** Offers and results to announcers. */
  messenger: MessengerPort
  /** Where the bidder registers TASK_ANNOUNCE, GROUP_INVITE, GROUP_FORMED, TASK_START and TASK_CANCEL. */
  direct: DirectRegistry
  clock: Clock
  /** This node's skills, their handlers and track records. */
  skills: SkillRegistry
  fetchInput: InputFetcher
  events: EventSink<BidderEvents>
  /** The audit trail, bound to the member role. */
  audit: AuditFn
  logger: Logger
  /** Told whenever the load (reservations + running work) changes. */
  onLoad: (load: number) => void
  /** Told after a handler run with its outcome, to update skill statistics. */
  onOutcome: (skill: string, outcome: HandlerOutcome) => void
  /** Peer ids of the agents this node knows that can do `skill` at `minLevel` (itself included). */
  capablePeers: (skill: string, minLevel: Level) => string[]
  /** The working-group layer. */
  groups: BidderGroupHooks
  /** This node's history of the parts it works on (the member rows of the store). */
  history: MemberHistory
  /** Signs this node's offers (its libp2p key). */
  signer: SignerPort
  /** Keeps the signed offers and the awards heard, for `swarm-node verify`. */
  awards: AwardBookPort
  /**
   * Whether this node had a successful outcome with a peer (a task it announced that finished
   * well here, or good work as a member): such an announcer gets the larger share of reserved
   * slots and its priority is believed. Everyone counts as known without it.
   */
  announcerKnown?: (peerId: string) => boolean
}

/** The bidder's resolved settings (defaults in config.ts). */
export interface BidderInit {
  self: PeerId
  network: string
  /** Tasks this node works on at once at most (reservations included). */
  capacity: number
  /** How long past the bid window an offer's reservation is held waiting for an invite. */
  leaseGraceMs: number
  /** Announcements remembered to drop duplicates (a task on two skill topics). */
  dedupeSize: number
  /** How often a working member sends the announcer a heartbeat (see heartbeat.ts). */
  memberHeartbeatMs: number
  /** What one announcer can make this node spend (config `limits`; nothing is limited without it). */
  limits?: Pick<LimitsConfig, 'maxLeaseMs' | 'reservedSlotsPerAnnouncer' | 'reservedSlotsPerUnknownAnnouncer' | 'unknownAnnouncerMaxPriority' | 'rates' | 'lapsesToDistrust' | 'lapseHalfLifeMs' | 'distrustMs'>
}
