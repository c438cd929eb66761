/** Timings and bounds of the bidder that are not settings. */

/** How long an announcement with no bid window (0: first offers win) stays worth an offer. */
export const NO_BID_WINDOW_OPEN_MS = 1_000

/** Slack after a lease's end before the lease timer fires, so that the lease has surely ended. */
export const LEASE_TIMER_SLACK_MS = 5

/** Shortest wait for the announcer's answer to an offer (the bid window adds to it). */
export const OFFER_MIN_TIMEOUT_MS = 2_000

/** Former offers remembered at most (for backup invites). */
export const MAX_FORMER_OFFERS = 1_000

/** How long past the deadline an accepted invite waits for TASK_START before it lapses. */
export const START_GRACE_MS = 1_000

/** How long past the deadline a member stays on its group topic (late dissolve, stragglers). */
export const GROUP_LINGER_MS = 5_000

/** Progress reports closer together than this are dropped (except the last, at 1). */
export const PROGRESS_MIN_INTERVAL_MS = 200

/** Longest progress message sent to the group. */
export const PROGRESS_MESSAGE_MAX_CHARS = 256

/**
 * A result that is not delivered is sent again after 250 ms × 2^attempt, at most
 * RESULT_RETRY_MAX_MS apart, until the deadline (see deliver.ts).
 */
export const RESULT_RETRY_BASE_MS = 250
export const RESULT_RETRY_MAX_MS = 5_000
export const RESULT_TIMEOUT_MS = 10_000

/**
 * Heartbeats in a row the announcer did not take before a member records it as lost (audit
 * `announcer-lost`, then `announcer-back` when it answers again).
 */
export const ANNOUNCER_LOST_AFTER_BEATS = 3
