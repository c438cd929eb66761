/**
 * Fixed numbers of the announcer side of negotiation. What an operator may tune lives in the
 * `negotiation` block of config.ts instead.
 */

/**
 * Direct rounds of one attempt before its announcement goes to the whole skill topics. When the
 * first agents asked cannot make a group (busy, gone), the next ones the directory knows are
 * asked: the cost stays with a few agents per round. Widening to the topic instead would hand
 * every capable agent the work of an announcement at the moment the swarm is busiest, which
 * turns an overload into a collapse (measured at 20 tasks/s on 100 peers: 49 500 gossip
 * announcements delivered, half the tasks rejected).
 */
export const MAX_DIRECT_ROUNDS = 3

/**
 * Offers per required slot that a widened (topic) round asks for, as a multiple of offerCap:
 * enough to reach agents beyond the ones asked directly, bounded so that a widened task costs
 * the announcer tens of offers (each a stream, often a new connection), not one per capable
 * agent of the swarm.
 */
export const WIDENED_OFFER_CAP_FACTOR = 4

/**
 * Connections below which an announcer keeps one place of each direct round for an agent it
 * may not be connected to (see chooseDirectTargets): that spreads work and connections over
 * the swarm; above it, connected agents come first.
 */
export const EXPLORE_BELOW_CONNECTIONS = 32

/** How long past its bid window a direct announcement waits for the agent's answer. */
export const DIRECT_ANSWER_SLACK_MS = 2_000

/** How long a member has to acknowledge its TASK_START. */
export const START_TIMEOUT_MS = 5_000

/** How long a notice to one peer (TASK_CANCEL, GROUP_FORMED) may take to be delivered. */
export const NOTICE_TIMEOUT_MS = 5_000

/** How long stopping waits for the notices still on their way. */
export const STOP_NOTICE_WAIT_MS = 2_000

/**
 * Backups named per skill when the group is selected (recorded in the audit trail; decliners
 * are replaced from every offer left, see formation.ts).
 */
export const SELECTION_BACKUPS_PER_SKILL = 2

/** The shortest time a group is given to verify a result, even right before the deadline. */
export const MIN_VERIFY_TIMEOUT_MS = 100

/** Reasons of earlier attempts listed in an escalation at most. */
export const MAX_ATTEMPTED_RESOLUTIONS = 32

/**
 * The reason of the cancellation of the tasks still out when the announcer stops: a workflow
 * that reads it on restart sends the task again instead of counting it failed (workflow/service.ts).
 */
export const STOPPED_REASON = 'the announcer stopped'
