/**
 * The context every part of the announcer works on: its ports, its settings and its shared
 * state (the live tasks, the counters, the notices on their way). The parts are module functions
 * taking this context; the Announcer class (index.ts) builds it.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { NOTICE_TIMEOUT_MS } from './constants.js'
import type { Session, TaskSessions } from './session.js'
import type { AnnouncerComponents, AnnouncerSettings, AnnouncerStats } from './types.js'
import type { TaskLifecycleEvent } from '../task-handle.js'
import type { PeerId } from '@libp2p/interface'
import type { SwarmMessage } from '@swarm/protocol'

/**
 * Steps that one part hands to another that sits above it (and so imports it): wired by the
 * Announcer, they keep the parts free of import cycles.
 */
export interface AnnouncerFlow {
  /** A result is COMPLETE and must be verified by the group (verification.ts). */
  verify: (session: Session) => Promise<void>
  /** The backoff after a failed attempt passed: announce the next one (rounds.ts). */
  retry: (session: Session) => Promise<void>
  /** Bidding ended and the direct offers make no group: ask more agents or widen (rounds.ts). */
  nextRound: (session: Session) => void
  /** No group formed but capable agents exist, all busy: the task waits in the queue (queue.ts). */
  queue: (session: Session, reason: string) => void
  /** A task ended: the agents that worked on it free their slots (queue.ts asks queued tasks again). */
  ended: (session: Session) => void
  /** An agent has a free slot (it offered on a queued task): the most urgent queued task it can take is asked again (queue.ts). */
  capacityFreed: (peerId: string, why: string) => void
  /** A task restored QUEUED after a restart waits in the queue again (queue.ts; for resume.ts). */
  adoptQueued: (session: Session) => void
}

export interface AnnouncerContext extends AnnouncerComponents {
  readonly network: string
  readonly self: PeerId
  /** `self` as a string, as peer ids are kept in sessions. */
  readonly selfId: string
  readonly settings: AnnouncerSettings
  readonly sessions: TaskSessions
  readonly stats: AnnouncerStats
  /** Notices on their way (cancels, group formed): stopping waits a little for them. */
  readonly notices: Set<Promise<void>>
  readonly flow: AnnouncerFlow
}

/** Counters at zero. */
export function newStats (): AnnouncerStats {
  return { announced: 0, formed: 0, completed: 0, failed: 0, rejected: 0, cancelled: 0, offersReceived: 0, retries: 0, verified: 0, escalated: 0, invalidTransitions: 0, queued: 0, reasked: 0 }
}

/**
 * Hands a task event to its handle (readers of the task) and to the node's events. A final
 * event also tells the queue that the task's members free their slots.
 */
export function emitEvent (ctx: AnnouncerContext, event: TaskLifecycleEvent): void {
  const session = ctx.sessions.get(event.taskId)
  session?.handle.push(event)
  ctx.events.emit(`task:${event.type}`, event)
  const final = event.type === 'completed' || event.type === 'failed' || event.type === 'rejected' || event.type === 'cancelled'
  if (final && session !== undefined) ctx.flow.ended(session)
}

/**
 * Sends a notice to one peer without waiting for it: a notice that is not delivered (the peer is
 * gone) changes nothing here, and the peer's lease or deadline frees its capacity anyway.
 */
export function notify (ctx: AnnouncerContext, peerId: string, message: SwarmMessage): void {
  const notice: Promise<void> = ctx.messenger.request(peerIdFromString(peerId), message, { timeoutMs: NOTICE_TIMEOUT_MS })
    .then(() => {}, (err: unknown) => {
      ctx.logger.debug('notice not delivered', { type: message.type, peerId, err })
    })
    .finally(() => { ctx.notices.delete(notice) })
  ctx.notices.add(notice)
}
