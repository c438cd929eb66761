/**
 * What the parts of the group service share: the registry of live groups, the counters, the
 * ports, the store side and the refusal counter. Built once by {@link GroupService}; each part
 * (proposals, blackboard sync, claims, escalations) takes it instead of the service itself.
 */
import type { GroupAuthorization } from './authorization.js'
import type { GroupEvents, GroupStats } from './inputs.js'
import type { Live, LiveGroups } from './live-groups.js'
import type { GroupPersistence } from './persistence.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../ports/clock.js'
import type { EventSink } from '../ports/events.js'
import type { AuditFn } from '../ports/ledger.js'
import type { SwarmMessage } from '@swarm/protocol'

export interface GroupContext {
  /** This node's peer id. */
  readonly self: string
  readonly groups: LiveGroups
  readonly stats: GroupStats
  readonly log: Logger
  readonly clock: Clock
  readonly events: EventSink<GroupEvents>
  readonly audit: AuditFn
  readonly persistence: GroupPersistence
  readonly authorization: GroupAuthorization
  /** Publishes on the group's topic; a failure is logged, never thrown. */
  readonly publish: (live: Live, message: SwarmMessage) => Promise<void>
}
