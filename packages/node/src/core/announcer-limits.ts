/**
 * What one announcer can make a bidder spend (issue 14): how long a slot stays reserved for an
 * offer, how many slots one announcer may hold reserved at once, and how much of the priority
 * it claims is believed. Pure; the caller says whether the announcer is known (this node had a
 * successful outcome with it).
 */
import { basePriority } from './priority.js'
import type { Priority } from '@swarm/protocol'

/**
 * How long a slot is reserved for an offer: the bid window plus the grace, at most `maxLeaseMs`
 * (however long a bid window the announcement asks for). Without a cap, the bid window plus
 * the grace.
 */
export function leaseDuration (bidWindowMs: number, leaseGraceMs: number, maxLeaseMs?: number): number {
  const wanted = bidWindowMs + leaseGraceMs
  return maxLeaseMs === undefined ? wanted : Math.min(wanted, maxLeaseMs)
}

/** The caps on reserved slots per announcer (the `limits` config block). */
export interface ReservedSlotCaps {
  /** For an announcer this node had a successful outcome with. */
  reservedSlotsPerAnnouncer: number
  /** For any other announcer. */
  reservedSlotsPerUnknownAnnouncer: number
}

/** Outcome of {@link mayReserveFor}. */
export type SlotDecision = { allowed: true } | { allowed: false, cap: number, reason: string }

/**
 * Whether one more slot may be reserved for an announcer that holds `held` reserved slots here
 * already (offered on, not yet invited): at most the cap for a known announcer, the (smaller)
 * cap for an unknown one.
 */
export function mayReserveFor (held: number, known: boolean, caps: ReservedSlotCaps): SlotDecision {
  const cap = known ? caps.reservedSlotsPerAnnouncer : caps.reservedSlotsPerUnknownAnnouncer
  if (held < cap) return { allowed: true }
  const who = known ? 'this announcer' : 'an announcer with no successful task here yet'
  return { allowed: false, cap, reason: `${who} holds ${held} reserved slot${held === 1 ? '' : 's'} here already (at most ${cap})` }
}

/**
 * The priority a bidder takes an announcement at: as claimed from a known announcer; from an
 * unknown one at most `maxUnknown` (an unknown peer cannot jump every queue by calling all its
 * tasks critical).
 */
export function trustedPriority (claimed: Priority, known: boolean, maxUnknown: Priority): Priority {
  if (known || basePriority(claimed) <= basePriority(maxUnknown)) return claimed
  return maxUnknown
}
