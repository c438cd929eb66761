/**
 * Conflict rules inside a working group: who holds a resource (claims with leases) and which
 * write of a shared value wins (versions). Pure and deterministic; time is a parameter. Strings
 * are compared in code-unit order, never by locale.
 */

/** A member's claim on a resource, valid for a lease. */
export interface Claim {
  resourceId: string
  /** Peer id of the claiming member. */
  holder: string
  /** Higher wins. */
  priority: number
  /** When the claim was made (epoch ms). */
  claimedAt: number
  /** The claim holds until `claimedAt + leaseMs` (exclusive). 0 releases. */
  leaseMs: number
  /**
   * The holder's claim counter: a claim with a higher `seq` from the same holder replaces its
   * earlier ones (absent counts as -1). To renew, send the same `claimedAt` with a longer lease
   * and a higher `seq`; to release, send `leaseMs: 0` with a higher `seq`.
   */
  seq?: number
}

/** A claim that lost, and when its holder may try again. */
export interface LosingClaim {
  claim: Claim
  /** The winner's remaining lease, milliseconds (≥ 0). */
  retryAfterMs: number
}

/** The outcome of the claims on one resource. */
export interface ClaimResolution {
  /** The holder of the resource now; absent when no claim is active. */
  winner?: Claim
  /** The other active claims, best first. */
  losers: LosingClaim[]
  /** Claims left out: expired leases, and claims replaced by a later claim of the same holder. */
  ignored: Claim[]
}

/**
 * Orders active claims, best first: higher priority, then earlier `claimedAt`, then lower holder
 * id, then higher `seq`.
 */
function compareClaims (a: Claim, b: Claim): number {
  if (a.priority !== b.priority) return a.priority > b.priority ? -1 : 1
  if (a.claimedAt !== b.claimedAt) return a.claimedAt < b.claimedAt ? -1 : 1
  if (a.holder !== b.holder) return a.holder < b.holder ? -1 : 1
  return (b.seq ?? -1) - (a.seq ?? -1)
}

/**
 * Resolves the claims on one resource at `now`:
 * 1. each holder's latest claim counts (highest `seq`, then latest `claimedAt`, then longest
 *    lease, then highest priority); its other claims are ignored;
 * 2. a claim whose lease has ended (`now ≥ claimedAt + leaseMs`) is ignored;
 * 3. the winner is the best of the rest by {@link compareClaims}. A higher priority claim made
 *    later preempts the current holder, which then loses and must stop using the resource;
 * 4. every other active claim loses and may retry after the winner's remaining lease.
 * Throws a RangeError when the claims name different resources or hold a non-finite number or a
 * negative lease.
 */
export function resolveClaims (claims: readonly Claim[], now: number): ClaimResolution {
  const resourceId = claims[0]?.resourceId
  const latest = new Map<string, Claim>()
  const ignored: Claim[] = []
  for (const claim of claims) {
    if (claim.resourceId !== resourceId) throw new RangeError(`claims on different resources: "${String(resourceId)}" and "${String(claim.resourceId)}"`)
    checkClaim(claim)
    const other = latest.get(claim.holder)
    if (other === undefined) {
      latest.set(claim.holder, claim)
    } else if (isNewerClaim(claim, other)) {
      latest.set(claim.holder, claim)
      ignored.push(other)
    } else {
      ignored.push(claim)
    }
  }
  const active: Claim[] = []
  for (const claim of latest.values()) {
    if (now < claim.claimedAt + claim.leaseMs) active.push(claim)
    else ignored.push(claim)
  }
  active.sort(compareClaims)
  ignored.sort(compareClaims)
  const [winner, ...rest] = active
  if (winner === undefined) return { losers: [], ignored }
  const retryAfterMs = Math.max(0, winner.claimedAt + winner.leaseMs - now)
  return { winner, losers: rest.map(claim => ({ claim, retryAfterMs })), ignored }
}

/** {@link resolveClaims} for claims on several resources: resource id → resolution, ids in order. */
export function resolveAllClaims (claims: readonly Claim[], now: number): Map<string, ClaimResolution> {
  const byResource = new Map<string, Claim[]>()
  for (const claim of claims) {
    const list = byResource.get(claim.resourceId)
    if (list === undefined) byResource.set(claim.resourceId, [claim])
    else list.push(claim)
  }
  const ids = [...byResource.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return new Map(ids.map(id => [id, resolveClaims(byResource.get(id) ?? [], now)]))
}

/** A value with the version it was written at and its writer. */
export interface Versioned<T> {
  value: T
  /** Higher is newer. */
  version: number
  /** Peer id of the writer. */
  writer: string
}

/** What {@link applyVersioned} returns: the value to keep, and whether it is the incoming one. */
export interface VersionedResult<T> extends Versioned<T> {
  applied: boolean
}

/**
 * Resolves a data conflict: the incoming write replaces the current one only with a newer
 * version (last write wins by version, never by arrival). With equal versions from different
 * writers, the greater writer id (code-unit order) wins, so every member keeps the same value.
 * The same version from the same writer is a redelivery and changes nothing (a writer must not
 * reuse a version for a different value). Throws a RangeError for a version that is not a finite
 * number.
 */
export function applyVersioned<T> (current: Versioned<T> | undefined, incoming: Versioned<T>): VersionedResult<T> {
  if (!Number.isFinite(incoming.version)) throw new RangeError(`version must be a finite number, got ${String(incoming.version)}`)
  if (current === undefined) return { value: incoming.value, version: incoming.version, writer: incoming.writer, applied: true }
  const newer = incoming.version > current.version ||
    (incoming.version === current.version && incoming.writer > current.writer)
  const kept = newer ? incoming : current
  return { value: kept.value, version: kept.version, writer: kept.writer, applied: newer }
}

/** True when `a` replaces `b` as its holder's latest claim. */
function isNewerClaim (a: Claim, b: Claim): boolean {
  const seqA = a.seq ?? -1
  const seqB = b.seq ?? -1
  if (seqA !== seqB) return seqA > seqB
  if (a.claimedAt !== b.claimedAt) return a.claimedAt > b.claimedAt
  if (a.leaseMs !== b.leaseMs) return a.leaseMs > b.leaseMs
  return a.priority > b.priority
}

function checkClaim (claim: Claim): void {
  for (const [field, value] of [['priority', claim.priority], ['claimedAt', claim.claimedAt], ['leaseMs', claim.leaseMs]] as const) {
    if (!Number.isFinite(value)) throw new RangeError(`claim ${field} must be a finite number, got ${String(value)}`)
  }
  if (claim.leaseMs < 0) throw new RangeError(`claim leaseMs must not be negative, got ${claim.leaseMs}`)
  if (claim.seq !== undefined && !Number.isFinite(claim.seq)) throw new RangeError(`claim seq must be a finite number, got ${String(claim.seq)}`)
}
