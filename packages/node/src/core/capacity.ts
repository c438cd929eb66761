/**
 * The bidder's capacity ledger: short leases reserved by open offers plus tasks running, never
 * more than the capacity together. Immutable state and pure functions; time is a parameter.
 */

/** A capacity reservation held for an open offer until `expiresAt` (epoch ms, exclusive). */
export interface Reservation {
  expiresAt: number
}

/** The ledger. Never mutate it; every function returns a new state (or the same when unchanged). */
export interface CapacityState {
  /** Tasks the agent runs at once at most. */
  capacity: number
  /** Task id → open reservation. */
  reservations: ReadonlyMap<string, Reservation>
  /** Task ids running (committed). */
  committed: ReadonlySet<string>
}

/** Outcome of {@link tryReserve}. */
export interface ReserveResult {
  state: CapacityState
  reserved: boolean
  /** Why not, when `reserved` is false. */
  reason?: string
}

/** Outcome of {@link commitReservation}. */
export interface CommitResult {
  state: CapacityState
  committed: boolean
  /** Why not, when `committed` is false. */
  reason?: string
}

/** A ledger with nothing reserved or running. */
export function emptyCapacity (capacity: number): CapacityState {
  if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be an integer >= 0, got ${capacity}`)
  return { capacity, reservations: new Map(), committed: new Set() }
}

/** Drops reservations whose lease has ended (`expiresAt <= now`). Same state when none has. */
export function expireReservations (state: CapacityState, now: number): CapacityState {
  let expired = false
  for (const reservation of state.reservations.values()) {
    if (reservation.expiresAt <= now) { expired = true; break }
  }
  if (!expired) return state
  const reservations = new Map<string, Reservation>()
  for (const [taskId, reservation] of state.reservations) {
    if (reservation.expiresAt > now) reservations.set(taskId, reservation)
  }
  return { ...state, reservations }
}

/** Live reservations plus running tasks at `now`. */
export function currentLoad (state: CapacityState, now: number): number {
  let live = 0
  for (const reservation of state.reservations.values()) {
    if (reservation.expiresAt > now) live++
  }
  return live + state.committed.size
}

/** Slots neither reserved nor running at `now`. */
export function freeSlots (state: CapacityState, now: number): number {
  return Math.max(0, state.capacity - currentLoad(state, now))
}

/** When the next reservation expires (epoch ms), for scheduling a timer; undefined when none. */
export function nextExpiry (state: CapacityState): number | undefined {
  let next: number | undefined
  for (const reservation of state.reservations.values()) {
    if (next === undefined || reservation.expiresAt < next) next = reservation.expiresAt
  }
  return next
}

/**
 * Reserves a slot for `taskId` until `now + leaseMs`, if one is free. Idempotent: reserving a task
 * that already holds a reservation takes no second slot and only extends its lease (never
 * shortens it). Fails for a task that is already running or when no slot is free.
 */
export function tryReserve (state: CapacityState, taskId: string, now: number, leaseMs: number): ReserveResult {
  if (!(leaseMs > 0) || !Number.isFinite(leaseMs)) throw new RangeError(`leaseMs must be a positive finite number, got ${leaseMs}`)
  const current = expireReservations(state, now)
  if (current.committed.has(taskId)) {
    return { state: current, reserved: false, reason: `task ${taskId} is already running here` }
  }
  const expiresAt = now + leaseMs
  const held = current.reservations.get(taskId)
  if (held !== undefined) {
    if (held.expiresAt >= expiresAt) return { state: current, reserved: true }
    const reservations = new Map(current.reservations)
    reservations.set(taskId, { expiresAt })
    return { state: { ...current, reservations }, reserved: true }
  }
  if (freeSlots(current, now) <= 0) {
    return { state: current, reserved: false, reason: `no free capacity (${currentLoad(current, now)} of ${current.capacity} slots in use)` }
  }
  const reservations = new Map(current.reservations)
  reservations.set(taskId, { expiresAt })
  return { state: { ...current, reservations }, reserved: true }
}

/**
 * Turns the reservation of `taskId` into a running task (the agent accepted the invitation).
 * When the lease has expired (or there never was one) it still commits if a slot is free, and
 * fails otherwise. Idempotent for a task already running.
 */
export function commitReservation (state: CapacityState, taskId: string, now: number): CommitResult {
  if (state.committed.has(taskId)) return { state, committed: true }
  const current = expireReservations(state, now)
  const held = current.reservations.has(taskId)
  if (!held && freeSlots(current, now) <= 0) {
    const why = state.reservations.has(taskId) ? `the lease for task ${taskId} expired` : `task ${taskId} holds no reservation (or its lease expired)`
    return { state: current, committed: false, reason: `${why} and no slot is free (${currentLoad(current, now)} of ${current.capacity} in use)` }
  }
  const reservations = new Map(current.reservations)
  reservations.delete(taskId)
  const committed = new Set(current.committed)
  committed.add(taskId)
  return { state: { ...current, reservations, committed }, committed: true }
}

/** Gives up the reservation of `taskId` (not chosen, or declined). Same state when it holds none. */
export function releaseReservation (state: CapacityState, taskId: string): CapacityState {
  if (!state.reservations.has(taskId)) return state
  const reservations = new Map(state.reservations)
  reservations.delete(taskId)
  return { ...state, reservations }
}

/** Frees the slot of a task that finished, failed or was dissolved (and any reservation it holds). */
export function finishTask (state: CapacityState, taskId: string): CapacityState {
  if (!state.committed.has(taskId)) return releaseReservation(state, taskId)
  const committed = new Set(state.committed)
  committed.delete(taskId)
  return releaseReservation({ ...state, committed }, taskId)
}
