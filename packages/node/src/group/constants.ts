/**
 * Fixed numbers of the group layer: which message types belong on a group topic, and the
 * protocol's timeouts and bounds. Settings a user may tune (the resync delay) are in config.ts.
 */
import type { SwarmMessage } from '@swarm/protocol'

/** Types the group service handles on group topics; anything else there is refused. */
export const GROUP_TYPES: ReadonlySet<SwarmMessage['type']> = new Set<SwarmMessage['type']>(['PROPOSAL', 'VOTE', 'PROPOSAL_DECIDED', 'BLACKBOARD_UPDATE', 'ESCALATION', 'DATA_WRITE', 'DISSOLVE'])

/** Types only the group's announcer may send. */
export const ANNOUNCER_TYPES: ReadonlySet<SwarmMessage['type']> = new Set<SwarmMessage['type']>(['ESCALATION', 'DISSOLVE'])

/** Blackboard changes within this long are stored in one write. */
export const BLACKBOARD_SAVE_DEBOUNCE_MS = 250

/** How long a member waits for the announcer's answer to a GROUP_SYNC_REQUEST. */
export const SYNC_TIMEOUT_MS = 5_000

/** How long a member waits for the announcer to take an escalation. */
export const ESCALATE_TIMEOUT_MS = 10_000

/** How long a member waits for the announcer's answer to a claim or a release. */
export const CLAIM_TIMEOUT_MS = 10_000

/** How long the announcer waits for the next holder to take the notice that its turn has come. */
export const CLAIM_NOTICE_TIMEOUT_MS = 5_000

/** Ids of refused messages remembered so that one is counted once (validator and delivery both see it). */
export const MAX_COUNTED_REFUSALS = 10_000
