/**
 * Exclusive resource claims as the group's announcer keeps them: per resource one holder with a
 * lease, and a queue of waiting claimants served by priority, then by the time they asked.
 * Because one node (the announcer) decides, two members never hold a resource at once, whatever
 * order their requests arrive in. Pure: no network and no clock, time is a parameter. Every
 * operation first hands over the resources whose lease has ended at `now`, so the table is right
 * even when the announcer's timer fires late.
 */

/** The holder of a resource and its lease. */
export interface ClaimHolding {
  holder: string
  priority: number
  /** When the resource was granted to it, or its lease last renewed (epoch ms). */
  grantedAt: number
  /** The lease ends at this time (exclusive). */
  leaseEndsAt: number
}

/** A claimant waiting for a resource. */
export interface WaitingClaim {
  claimant: string
  /** Higher is served first. */
  priority: number
  /** The lease it gets once granted. */
  leaseMs: number
  /** When it first asked; earlier is served first among equal priorities. */
  queuedAt: number
  /** Arrival order, for requests made at the same millisecond. */
  order: number
}

/** Who holds one resource and who waits for it, next first. */
export interface ResourceClaims {
  resourceId: string
  holder?: ClaimHolding
  queue: WaitingClaim[]
}

/** The resource went to a new holder (its lease begins at `grantedAt`). */
export interface ClaimGrant {
  resourceId: string
  holding: ClaimHolding
}

/** What the table decided for one request, as seen by the one who asked. */
export type ClaimDecision =
  | { status: 'granted', holding: ClaimHolding }
  | { status: 'queued', holding: ClaimHolding, position: number }
  | { status: 'released' }
  | { status: 'withdrawn' }
  | { status: 'refused', holding?: ClaimHolding }

/** A decision and the other claimants that got a resource because of it (to be told). */
export interface ClaimOutcome {
  decision: ClaimDecision
  /** Resources handed to a waiting claimant (lease expiry, a release), in the order granted. */
  grants: ClaimGrant[]
}

/** A claim request: who asks, how urgently, and for how long. */
export interface ClaimAsk {
  claimant: string
  priority: number
  leaseMs: number
}

/** Orders waiting claims, next first: higher priority, then earlier `queuedAt`, then arrival. */
function compareWaiting (a: WaitingClaim, b: WaitingClaim): number {
  if (a.priority !== b.priority) return b.priority - a.priority
  if (a.queuedAt !== b.queuedAt) return a.queuedAt - b.queuedAt
  return a.order - b.order
}

/** The whole table, as it is stored for a restart of the announcer (see {@link ClaimQueue.restore}). */
export interface ClaimTable {
  revision: number
  order: number
  resources: ResourceClaims[]
}

/** The claims of one group, kept by its announcer. */
export class ClaimQueue {
  readonly #resources = new Map<string, ResourceClaims>()
  #order = 0
  #revision = 0

  /** The table as it stands (leases as granted, even those ended: `expire` hands them over). */
  snapshot (): ClaimTable {
    return {
      revision: this.#revision,
      order: this.#order,
      resources: [...this.#resources.values()].map(r => ({ resourceId: r.resourceId, ...(r.holder !== undefined ? { holder: { ...r.holder } } : {}), queue: r.queue.map(w => ({ ...w })) }))
    }
  }

  /**
   * The table of an announcer that restarted, from its last snapshot: holders keep their
   * leases (until they end), waiting claimants their places, so that nobody who was granted a
   * resource before the restart finds it granted to another after it. The revision goes on
   * past the stored one, so that members take the new answers as newer.
   */
  static restore (table: ClaimTable): ClaimQueue {
    const queue = new ClaimQueue()
    for (const r of table.resources) {
      queue.#resources.set(r.resourceId, { resourceId: r.resourceId, ...(r.holder !== undefined ? { holder: { ...r.holder } } : {}), queue: r.queue.map(w => ({ ...w })).sort(compareWaiting) })
    }
    queue.#order = table.order
    queue.#revision = table.revision + 1
    return queue
  }

  /** Counts the changes of the table: an answer with a higher revision is newer. */
  get revision (): number {
    return this.#revision
  }

  /** Every claimant that holds or waits for a resource. */
  claimants (): Set<string> {
    const out = new Set<string>()
    for (const r of this.#resources.values()) {
      if (r.holder !== undefined) out.add(r.holder.holder)
      for (const w of r.queue) out.add(w.claimant)
    }
    return out
  }

  /**
   * A claimant asks for a resource. Free: granted for `leaseMs` from `now`. Asked again by its
   * holder: the lease is renewed from `now` (the queue keeps waiting). Held by another: the
   * claimant waits in the queue (asking again updates its priority and lease, never its place
   * among equal priorities). Throws a RangeError for a lease that is not a positive finite number.
   */
  claim (resourceId: string, ask: ClaimAsk, now: number): ClaimOutcome {
    if (!(Number.isFinite(ask.leaseMs) && ask.leaseMs > 0)) throw new RangeError(`claim leaseMs must be a positive number, got ${String(ask.leaseMs)}`)
    if (!Number.isFinite(ask.priority)) throw new RangeError(`claim priority must be a finite number, got ${String(ask.priority)}`)
    const grants = this.expire(now)
    const r = this.#resource(resourceId)
    this.#revision++
    if (r.holder === undefined || r.holder.holder === ask.claimant) {
      const holding = { holder: ask.claimant, priority: ask.priority, grantedAt: now, leaseEndsAt: now + ask.leaseMs }
      r.holder = holding
      r.queue = r.queue.filter(w => w.claimant !== ask.claimant)
      return { decision: { status: 'granted', holding: { ...holding } }, grants }
    }
    const known = r.queue.find(w => w.claimant === ask.claimant)
    if (known !== undefined) {
      known.priority = ask.priority
      known.leaseMs = ask.leaseMs
    } else {
      r.queue.push({ claimant: ask.claimant, priority: ask.priority, leaseMs: ask.leaseMs, queuedAt: now, order: this.#order++ })
    }
    r.queue.sort(compareWaiting)
    const position = r.queue.findIndex(w => w.claimant === ask.claimant) + 1
    return { decision: { status: 'queued', holding: { ...r.holder }, position }, grants }
  }

  /**
   * A claimant gives a resource back. Only its holder releases it (the next waiting claimant gets
   * it at once); a waiting claimant leaves the queue (`withdrawn`); anyone else is refused and
   * changes nothing.
   */
  release (resourceId: string, claimant: string, now: number): ClaimOutcome {
    const grants = this.expire(now)
    const r = this.#resources.get(resourceId)
    if (r?.holder?.holder === claimant) {
      this.#revision++
      r.holder = undefined
      const next = this.#handOver(r, now)
      if (next !== undefined) grants.push(next)
      this.#forgetIfIdle(r)
      return { decision: { status: 'released' }, grants }
    }
    if (r !== undefined && r.queue.some(w => w.claimant === claimant)) {
      this.#revision++
      r.queue = r.queue.filter(w => w.claimant !== claimant)
      this.#forgetIfIdle(r)
      return { decision: { status: 'withdrawn' }, grants }
    }
    return { decision: r?.holder !== undefined ? { status: 'refused', holding: { ...r.holder } } : { status: 'refused' }, grants }
  }

  /**
   * Removes a claimant from everything (it left the group): what it held goes to the next in
   * line, and it leaves every queue.
   */
  drop (claimant: string, now: number): ClaimGrant[] {
    const grants = this.expire(now)
    for (const r of [...this.#resources.values()]) {
      const waiting = r.queue.length
      r.queue = r.queue.filter(w => w.claimant !== claimant)
      if (r.queue.length !== waiting) this.#revision++
      if (r.holder?.holder === claimant) {
        this.#revision++
        r.holder = undefined
        const next = this.#handOver(r, now)
        if (next !== undefined) grants.push(next)
      }
      this.#forgetIfIdle(r)
    }
    return grants
  }

  /** Ends the leases that are over at `now` and hands each resource to its next claimant. */
  expire (now: number): ClaimGrant[] {
    const grants: ClaimGrant[] = []
    for (const r of [...this.#resources.values()]) {
      if (r.holder === undefined || now < r.holder.leaseEndsAt) continue
      this.#revision++
      r.holder = undefined
      const next = this.#handOver(r, now)
      if (next !== undefined) grants.push(next)
      this.#forgetIfIdle(r)
    }
    return grants
  }

  /** Who holds a resource and who waits, at `now` (leases over at `now` count as ended). */
  status (resourceId: string, now: number): ResourceClaims {
    const r = this.#resources.get(resourceId)
    if (r === undefined) return { resourceId, queue: [] }
    const holder = r.holder !== undefined && now < r.holder.leaseEndsAt ? { ...r.holder } : undefined
    return { resourceId, ...(holder !== undefined ? { holder } : {}), queue: r.queue.map(w => ({ ...w })) }
  }

  /** The earliest time a lease ends, or undefined when nothing is held. */
  nextExpiry (): number | undefined {
    let next: number | undefined
    for (const r of this.#resources.values()) {
      if (r.holder !== undefined && (next === undefined || r.holder.leaseEndsAt < next)) next = r.holder.leaseEndsAt
    }
    return next
  }

  /** The first waiting claimant takes a free resource, its lease starting at `now`. */
  #handOver (r: ResourceClaims, now: number): ClaimGrant | undefined {
    const next = r.queue.shift()
    if (next === undefined) return undefined
    r.holder = { holder: next.claimant, priority: next.priority, grantedAt: now, leaseEndsAt: now + next.leaseMs }
    return { resourceId: r.resourceId, holding: { ...r.holder } }
  }

  #resource (resourceId: string): ResourceClaims {
    let r = this.#resources.get(resourceId)
    if (r === undefined) {
      r = { resourceId, queue: [] }
      this.#resources.set(resourceId, r)
    }
    return r
  }

  /** Memory follows the resources in use, not every resource ever claimed. */
  #forgetIfIdle (r: ResourceClaims): void {
    if (r.holder === undefined && r.queue.length === 0) this.#resources.delete(r.resourceId)
  }
}
