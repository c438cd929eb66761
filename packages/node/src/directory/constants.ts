/** Timings of the directory and its catch-ups that are not settings. */

/** How long after its first neighbour a node publishes its card (up to twice this, jittered). */
export const JOIN_PUBLISH_DELAY_MS = 2_000

/** Every how many heartbeats the whole card is sent again (the others carry only seq and load). */
export const FULL_CARD_EVERY = 4

/** Window over which a newcomer counts the agents that started just before it (see shouldFloodJoin). */
export const RECENT_JOIN_WINDOW_MS = 10_000

/** Arrival times of cards kept at most before the old ones are pruned. */
export const MAX_CARD_ARRIVALS = 256

/**
 * Longest heartbeat timer: the interval grows with the swarm, so a long wait is checked again
 * at least this often (and a beat comes early by at most HEARTBEAT_EARLY_MS).
 */
export const HEARTBEAT_CHECK_MAX_MS = 60_000
export const HEARTBEAT_EARLY_MS = 1_000

/** Delay of a republication after the card changed (changes close together make one). */
export const CARD_CHANGE_REPUBLISH_MS = 50

/** Delays between directory catch-ups, by round (the last repeats). */
export const DIRECTORY_CATCH_UP_MS = [5_000, 10_000, 30_000, 75_000, 300_000]
/** Delay of the next catch-up after one that added agents. */
export const DIRECTORY_LEARNING_CATCH_UP_MS = 3_000
/** Neighbours a newcomer catches up from as it connects, and the delay of the second. */
export const FIRST_CATCH_UPS = 2
export const SECOND_CATCH_UP_DELAY_MS = 2_000
/** How long a catch-up waits for its answer. */
export const CATCH_UP_TIMEOUT_MS = 10_000
/** Cards asked for, and sent, in one catch-up: with at most 4 addresses each, well under the 1 MiB frame. */
export const CATCH_UP_MAX_CARDS = 500
/** Known agents named in a catch-up request (their cards are not sent back). */
export const CATCH_UP_MAX_HAVE = 4_000
