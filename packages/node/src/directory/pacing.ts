/**
 * How often agents speak on the agents topic, and when they stay quiet: pure functions, so that
 * the costs they bound (heartbeats each agent receives, join cards crossing the swarm) are
 * unit-tested without a network.
 */
import { RECENT_JOIN_WINDOW_MS } from './constants.js'

/**
 * The heartbeat interval of one agent: `minMs`, or longer in a large swarm so that all `known`
 * agents together send at most `swarmPerSecond` heartbeats a second. Every agent receives every
 * heartbeat, so a fixed interval would cost each agent work in proportion to the swarm's size
 * (and a simulation on one host the square of it); this keeps it constant, up to `maxMs`
 * (see maxHeartbeatInterval). Pure.
 */
export function heartbeatInterval (known: number, minMs: number, swarmPerSecond: number, maxMs = Number.POSITIVE_INFINITY): number {
  if (!(swarmPerSecond > 0)) return minMs
  return Math.max(minMs, Math.min(maxMs, Math.ceil((Math.max(1, known) / swarmPerSecond) * 1000)))
}

/**
 * The longest heartbeat interval, whatever the directory's size: a third of `maxSilenceFactor`
 * times the configured silence limit, so that the silence limit (three intervals) stays within
 * that factor. Agents made up by an attacker (each signed by a fresh key) count in the
 * directory like real ones; this bounds what they can stretch. Pure.
 */
export function maxHeartbeatInterval (ttlMs: number, maxSilenceFactor: number): number {
  return Math.floor(ttlMs * maxSilenceFactor / 3)
}

/** How long an agent may stay silent before it is forgotten: `minMs`, and at least three of its heartbeats. Pure. */
export function silenceLimit (intervalMs: number, minMs: number): number {
  return Math.max(minMs, 3 * intervalMs)
}

/**
 * Whether a newcomer should publish its card to the whole swarm: not while many agents are
 * joining at once (more than `floodsPerSecond` started in the last window, by their cards), as
 * when a swarm of hundreds starts together: each card would cross every mesh link, hundreds of
 * times over. It spreads by catch-ups instead (its own request carries it to its neighbours,
 * their answers pass it on). Pure.
 */
export function shouldFloodJoin (startedRecently: number, floodsPerSecond: number, windowMs = RECENT_JOIN_WINDOW_MS): boolean {
  if (!(floodsPerSecond > 0)) return false
  return startedRecently / (windowMs / 1000) < floodsPerSecond
}
