import { z } from 'zod'

/**
 * What one peer can make this node spend (issue 14): caps on reserved capacity, leases,
 * per-peer rates of each kind of request, identities learned, sizes. Every limit is per remote
 * peer unless it says otherwise; what goes over a rate is dropped and counted
 * (`swarm_limited_total{kind}` in /metrics).
 */

/** A token bucket: `perSecond` tokens flow in, at most `burst` are kept; one message costs one. */
const RateSchema = z.object({
  perSecond: z.number().positive().max(100_000),
  burst: z.number().int().min(1).max(1_000_000)
}).strict()

export type RateLimit = z.infer<typeof RateSchema>

export const LimitsConfigSchema = z.object({
  /**
   * Longest time a bidder reserves a slot for an offer, whatever bid window the announcement
   * asks for (the lease is the bid window plus negotiation.leaseGraceMs, capped to this).
   */
  maxLeaseMs: z.number().int().min(1_000).max(3_600_000).default(15_000),
  /** Slots one announcer may hold reserved (offered, not yet invited) on this node at once. */
  reservedSlotsPerAnnouncer: z.number().int().min(1).max(1024).default(2),
  /** The same for an announcer this node has no successful outcome with yet. */
  reservedSlotsPerUnknownAnnouncer: z.number().int().min(1).max(1024).default(1),
  /**
   * Reservations an announcer this node has no successful outcome with may let lapse (no
   * invite, release or cancel before the lease ends; or the offer could not be delivered)
   * within about `lapseHalfLifeMs` before this node gives it no reserved slot for `distrustMs`:
   * announcements made only to lock capacity up. A known announcer is never distrusted.
   */
  lapsesToDistrust: z.number().int().min(1).max(1_000).default(3),
  lapseHalfLifeMs: z.number().int().min(1_000).max(86_400_000).default(300_000),
  distrustMs: z.number().int().min(1_000).max(86_400_000).default(300_000),
  /**
   * Highest priority taken as it is from an announcer this node has no successful outcome
   * with: a higher one is lowered to this (an unknown peer cannot jump every queue).
   */
  unknownAnnouncerMaxPriority: z.enum(['low', 'normal', 'high', 'critical']).default('normal'),
  rates: z.object({
    /** Task announcements taken from one announcer (gossip and direct). */
    announcements: RateSchema.prefault({ perSecond: 10, burst: 40 }),
    /** Offers taken from one bidder. */
    offers: RateSchema.prefault({ perSecond: 20, burst: 60 }),
    /** Directory requests (catch-ups) answered for one peer. */
    directoryRequests: RateSchema.prefault({ perSecond: 1, burst: 5 }),
    /** Escalations taken from one member. */
    escalations: RateSchema.prefault({ perSecond: 0.2, burst: 5 }),
    /** Proposals taken from one member. */
    proposals: RateSchema.prefault({ perSecond: 1, burst: 10 })
  }).strict().prefault({}),
  /**
   * Agents not known before that the catch-up answers of one peer may teach this node per
   * minute (this node asks for them, at most 500 a time, on its own schedule).
   */
  newIdentitiesPerPeerPerMinute: z.number().int().min(1).max(1_000_000).default(1_000),
  /**
   * Agents not known before that one neighbour may introduce by passing their cards on over
   * gossip (a neighbour's own card never counts). Over it a card is LIMITED: neither taken nor
   * passed on, so a flood of made-up identities stops at its first hop.
   */
  relayedIdentities: RateSchema.prefault({ perSecond: 1, burst: 50 }),
  /** Agents the directory keeps at most (beyond: new ones are refused until old ones expire). */
  maxDirectoryAgents: z.number().int().min(10).max(10_000_000).default(20_000),
  /**
   * How far the directory's size may stretch the silence limit: at most this many times
   * directory.ttlMs (the heartbeat interval at most a third of that), however many agents the
   * directory holds. Agents an attacker makes up cannot make the swarm slow to forget the dead.
   */
  maxSilenceFactor: z.number().min(1).max(1_000).default(8),
  /** Largest escalation context kept (encoded JSON bytes); a larger one is refused. */
  maxEscalationContextBytes: z.number().int().min(256).max(1024 * 1024).default(16 * 1024)
}).strict()

export type LimitsConfig = z.infer<typeof LimitsConfigSchema>
