/**
 * What one announcer can make a bidder spend (issue 14): how long a slot stays reserved for an
 * offer, how many slots one announcer may hold reserved at once, how much of the priority it
 * claims is believed, and when it is distrusted for letting reservations lapse. Pure; the caller
 * says whether the announcer is known (this node had a successful outcome with it).
 */
import { decayed } from './decay.js'
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

/**
 * How a bidder comes to distrust an announcer that lets its reservations lapse (the `limits`
 * config): an honest announcer ends every reservation it was offered, with an invite, an
 * OFFER_RELEASE or a cancel, within the lease; one that lets `lapsesToDistrust` of them run out
 * (or cannot be reached with the offer) within about `lapseHalfLifeMs` is given no reserved
 * slot for `distrustMs`.
 */
export interface DistrustRules {
  lapsesToDistrust: number
  lapseHalfLifeMs: number
  distrustMs: number
}

/** One announcer's lapses (decaying) as of `at`, and until when it is distrusted. */
export interface LapseRecord {
  lapses: number
  at: number
  distrustedUntil?: number
}

/**
 * The record after one more lapse at `now`. Each lapse counts one and fades by half every
 * `lapseHalfLifeMs`; once they add up to more than `lapsesToDistrust - 1` (so that three lapses
 * close together make three), the announcer is distrusted from now for `distrustMs`, and the
 * count starts again from zero.
 */
export function lapse (record: LapseRecord | undefined, now: number, rules: DistrustRules): LapseRecord {
  const lapses = (record === undefined ? 0 : decayed(record.lapses, now - record.at, rules.lapseHalfLifeMs)) + 1
  if (lapses > rules.lapsesToDistrust - 1) return { lapses: 0, at: now, distrustedUntil: now + rules.distrustMs }
  return record?.distrustedUntil === undefined ? { lapses, at: now } : { lapses, at: now, distrustedUntil: record.distrustedUntil }
}

/** Whether the announcer of `record` is distrusted at `now`. */
export function distrusted (record: LapseRecord | undefined, now: number): boolean {
  return record?.distrustedUntil !== undefined && now < record.distrustedUntil
}
