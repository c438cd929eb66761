import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import type { CapacityState } from '../../src/core/index.js'
import {
  commitReservation,
  currentLoad,
  emptyCapacity,
  expireReservations,
  finishTask,
  freeSlots,
  nextExpiry,
  releaseReservation,
  tryReserve
} from '../../src/core/index.js'

const LEASE = 1000

function reserveAll (state: CapacityState, ids: string[], now: number): CapacityState {
  for (const id of ids) state = tryReserve(state, id, now, LEASE).state
  return state
}

describe('emptyCapacity', () => {
  it('starts with everything free', () => {
    const s = emptyCapacity(3)
    assert.equal(s.capacity, 3)
    assert.equal(currentLoad(s, 0), 0)
    assert.equal(freeSlots(s, 0), 3)
    assert.equal(nextExpiry(s), undefined)
  })

  it('refuses a negative or fractional capacity', () => {
    assert.throws(() => emptyCapacity(-1), RangeError)
    assert.throws(() => emptyCapacity(1.5), RangeError)
  })
})

describe('tryReserve', () => {
  it('reserves until capacity and then refuses with a reason', () => {
    let s = emptyCapacity(2)
    let r = tryReserve(s, 't1', 0, LEASE)
    assert.equal(r.reserved, true)
    s = r.state
    r = tryReserve(s, 't2', 0, LEASE)
    assert.equal(r.reserved, true)
    s = r.state
    r = tryReserve(s, 't3', 0, LEASE)
    assert.equal(r.reserved, false)
    assert.equal(r.reason, 'no free capacity (2 of 2 slots in use)')
    assert.equal(r.state, s, 'a refused reservation changes nothing')
    assert.equal(freeSlots(s, 0), 0)
  })

  it('never exceeds capacity under many simultaneous announcements', () => {
    let s = emptyCapacity(3)
    let granted = 0
    for (let i = 0; i < 100; i++) {
      const r = tryReserve(s, `task-${i}`, 10, LEASE)
      if (r.reserved) granted++
      s = r.state
      assert.ok(currentLoad(s, 10) <= 3)
    }
    assert.equal(granted, 3)
    assert.deepEqual([...s.reservations.keys()], ['task-0', 'task-1', 'task-2'])
  })

  it('is idempotent for the same task and extends (never shortens) its lease', () => {
    let s = emptyCapacity(2)
    s = tryReserve(s, 't1', 0, LEASE).state
    const again = tryReserve(s, 't1', 500, LEASE)
    assert.equal(again.reserved, true)
    assert.equal(currentLoad(again.state, 500), 1)
    assert.equal(again.state.reservations.get('t1')?.expiresAt, 1500)
    const shorter = tryReserve(again.state, 't1', 600, 100)
    assert.equal(shorter.reserved, true)
    assert.equal(shorter.state.reservations.get('t1')?.expiresAt, 1500)
    assert.equal(shorter.state, again.state)
  })

  it('stays idempotent when full', () => {
    let s = emptyCapacity(1)
    s = tryReserve(s, 't1', 0, LEASE).state
    assert.equal(tryReserve(s, 't1', 10, LEASE).reserved, true)
    assert.equal(tryReserve(s, 't2', 10, LEASE).reserved, false)
  })

  it('refuses a task already running here', () => {
    let s = emptyCapacity(2)
    s = tryReserve(s, 't1', 0, LEASE).state
    s = commitReservation(s, 't1', 10).state
    const r = tryReserve(s, 't1', 20, LEASE)
    assert.equal(r.reserved, false)
    assert.match(r.reason ?? '', /already running/)
    assert.equal(currentLoad(r.state, 20), 1)
  })

  it('never reserves with capacity 0', () => {
    assert.equal(tryReserve(emptyCapacity(0), 't1', 0, LEASE).reserved, false)
  })

  it('refuses a non-positive or infinite lease', () => {
    assert.throws(() => tryReserve(emptyCapacity(1), 't1', 0, 0), RangeError)
    assert.throws(() => tryReserve(emptyCapacity(1), 't1', 0, Number.POSITIVE_INFINITY), RangeError)
  })

  it('does not modify the state it was given', () => {
    const s = emptyCapacity(2)
    const r = tryReserve(s, 't1', 0, LEASE)
    assert.equal(s.reservations.size, 0)
    assert.equal(r.state.reservations.size, 1)
    assert.notEqual(r.state.reservations, s.reservations)
  })
})

describe('expireReservations', () => {
  it('frees slots when leases end', () => {
    let s = reserveAll(emptyCapacity(2), ['t1', 't2'], 0)
    assert.equal(freeSlots(s, 999), 0)
    assert.equal(freeSlots(s, 1000), 2, 'a lease ends at expiresAt')
    assert.equal(tryReserve(s, 't3', 999, LEASE).reserved, false)
    const r = tryReserve(s, 't3', 1000, LEASE)
    assert.equal(r.reserved, true)
    assert.deepEqual([...r.state.reservations.keys()], ['t3'])
    s = expireReservations(s, 1000)
    assert.equal(s.reservations.size, 0)
  })

  it('returns the same state when nothing expired', () => {
    const s = reserveAll(emptyCapacity(2), ['t1'], 0)
    assert.equal(expireReservations(s, 500), s)
  })

  it('keeps running tasks', () => {
    let s = reserveAll(emptyCapacity(2), ['t1', 't2'], 0)
    s = commitReservation(s, 't1', 100).state
    s = expireReservations(s, 5000)
    assert.deepEqual([...s.committed], ['t1'])
    assert.equal(currentLoad(s, 5000), 1)
  })
})

describe('nextExpiry', () => {
  it('is the earliest lease end', () => {
    let s = tryReserve(emptyCapacity(3), 't1', 100, LEASE).state
    s = tryReserve(s, 't2', 0, LEASE).state
    assert.equal(nextExpiry(s), 1000)
  })
})

describe('commitReservation', () => {
  it('turns a reservation into a running task without taking another slot', () => {
    let s = reserveAll(emptyCapacity(2), ['t1', 't2'], 0)
    const r = commitReservation(s, 't1', 500)
    assert.equal(r.committed, true)
    s = r.state
    assert.equal(s.reservations.has('t1'), false)
    assert.equal(s.committed.has('t1'), true)
    assert.equal(currentLoad(s, 500), 2)
  })

  it('is idempotent', () => {
    let s = reserveAll(emptyCapacity(1), ['t1'], 0)
    s = commitReservation(s, 't1', 10).state
    const again = commitReservation(s, 't1', 20)
    assert.equal(again.committed, true)
    assert.equal(again.state, s)
  })

  it('still commits after the lease expired when a slot is free', () => {
    const s = reserveAll(emptyCapacity(1), ['t1'], 0)
    const r = commitReservation(s, 't1', 5000)
    assert.equal(r.committed, true)
    assert.equal(currentLoad(r.state, 5000), 1)
  })

  it('fails after the lease expired when another task took the slot', () => {
    let s = reserveAll(emptyCapacity(1), ['t1'], 0)
    s = tryReserve(s, 't2', 1000, LEASE).state
    const r = commitReservation(s, 't1', 1500)
    assert.equal(r.committed, false)
    assert.equal(r.reason, 'task t1 holds no reservation (or its lease expired) and no slot is free (1 of 1 in use)')
    assert.equal(currentLoad(r.state, 1500), 1)
    assert.deepEqual([...r.state.reservations.keys()], ['t2'])
  })

  it('names the expired lease when the ledger still holds it', () => {
    const s: CapacityState = { capacity: 1, reservations: new Map([['t1', { expiresAt: 1000 }]]), committed: new Set(['t2']) }
    const r = commitReservation(s, 't1', 1500)
    assert.equal(r.committed, false)
    assert.equal(r.reason, 'the lease for task t1 expired and no slot is free (1 of 1 in use)')
    assert.equal(r.state.reservations.size, 0)
  })

  it('fails without a reservation when full, and commits one when a slot is free', () => {
    const full = reserveAll(emptyCapacity(1), ['t1'], 0)
    const r = commitReservation(full, 'tx', 10)
    assert.equal(r.committed, false)
    assert.match(r.reason ?? '', /holds no reservation/)
    assert.equal(commitReservation(emptyCapacity(1), 'tx', 10).committed, true)
  })
})

describe('releaseReservation and finishTask', () => {
  it('release frees the slot of a reservation', () => {
    let s = reserveAll(emptyCapacity(1), ['t1'], 0)
    s = releaseReservation(s, 't1')
    assert.equal(freeSlots(s, 10), 1)
    assert.equal(tryReserve(s, 't2', 10, LEASE).reserved, true)
  })

  it('release of an unknown or running task changes nothing', () => {
    let s = reserveAll(emptyCapacity(2), ['t1'], 0)
    assert.equal(releaseReservation(s, 'nope'), s)
    s = commitReservation(s, 't1', 10).state
    assert.equal(releaseReservation(s, 't1'), s)
    assert.equal(currentLoad(s, 10), 1)
  })

  it('finish frees the slot of a running task', () => {
    let s = reserveAll(emptyCapacity(1), ['t1'], 0)
    s = commitReservation(s, 't1', 10).state
    s = finishTask(s, 't1')
    assert.equal(currentLoad(s, 20), 0)
    assert.equal(s.committed.size, 0)
  })

  it('finish of a task only reserved releases it, of an unknown task changes nothing', () => {
    const s = reserveAll(emptyCapacity(1), ['t1'], 0)
    assert.equal(currentLoad(finishTask(s, 't1'), 10), 0)
    assert.equal(finishTask(s, 'nope'), s)
  })
})

describe('capacity invariant', () => {
  it('holds under a long random mix of operations', () => {
    let seed = 7
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
    const capacity = 4
    let s = emptyCapacity(capacity)
    let now = 0
    let committedOk = 0
    for (let i = 0; i < 5000; i++) {
      now += Math.floor(random() * 200)
      const id = `t${Math.floor(random() * 30)}`
      const op = random()
      if (op < 0.45) s = tryReserve(s, id, now, 100 + Math.floor(random() * 1000)).state
      else if (op < 0.7) {
        const r = commitReservation(s, id, now)
        if (r.committed) committedOk++
        s = r.state
      } else if (op < 0.85) s = releaseReservation(s, id)
      else s = finishTask(s, id)
      assert.ok(currentLoad(s, now) <= capacity, `load ${currentLoad(s, now)} at step ${i}`)
      assert.equal(freeSlots(s, now), capacity - currentLoad(s, now))
      for (const taskId of s.committed) assert.equal(s.reservations.has(taskId), false)
    }
    assert.ok(committedOk > 0)
  })
})
