import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { distrusted, lapse, leaseDuration, mayReserveFor, trustedPriority } from '../../src/core/announcer-limits.js'

const CAPS = { reservedSlotsPerAnnouncer: 2, reservedSlotsPerUnknownAnnouncer: 1 }

describe('leaseDuration', () => {
  it('is the bid window plus the grace under the cap', () => {
    assert.equal(leaseDuration(2_000, 5_000, 15_000), 7_000)
  })

  it('never exceeds the cap, however long the bid window', () => {
    assert.equal(leaseDuration(60_000, 5_000, 15_000), 15_000)
    assert.equal(leaseDuration(Number.MAX_SAFE_INTEGER, 5_000, 15_000), 15_000)
  })

  it('is uncapped without a cap', () => {
    assert.equal(leaseDuration(60_000, 5_000), 65_000)
  })
})

describe('mayReserveFor', () => {
  it('lets an unknown announcer hold one slot, not two', () => {
    assert.deepEqual(mayReserveFor(0, false, CAPS), { allowed: true })
    const second = mayReserveFor(1, false, CAPS)
    assert.equal(second.allowed, false)
    assert.equal(second.allowed ? undefined : second.cap, 1)
    assert.match(second.allowed ? '' : second.reason, /no successful task here yet.*at most 1/)
  })

  it('lets a known announcer hold up to its own cap', () => {
    assert.equal(mayReserveFor(1, true, CAPS).allowed, true)
    assert.equal(mayReserveFor(2, true, CAPS).allowed, false)
    assert.equal(mayReserveFor(7, true, CAPS).allowed, false)
  })
})

describe('trustedPriority', () => {
  it('believes a known announcer', () => {
    assert.equal(trustedPriority('critical', true, 'normal'), 'critical')
  })

  it('lowers what an unknown announcer claims above the ceiling, and only that', () => {
    assert.equal(trustedPriority('critical', false, 'normal'), 'normal')
    assert.equal(trustedPriority('high', false, 'normal'), 'normal')
    assert.equal(trustedPriority('normal', false, 'normal'), 'normal')
    assert.equal(trustedPriority('low', false, 'normal'), 'low')
    assert.equal(trustedPriority('critical', false, 'high'), 'high')
  })
})

describe('lapse and distrusted', () => {
  const RULES = { lapsesToDistrust: 3, lapseHalfLifeMs: 60_000, distrustMs: 300_000 }

  it('distrusts an announcer once its lapses reach the threshold, for distrustMs', () => {
    let r = lapse(undefined, 0, RULES)
    assert.equal(distrusted(r, 0), false)
    r = lapse(r, 1_000, RULES)
    assert.equal(distrusted(r, 1_000), false)
    r = lapse(r, 2_000, RULES)
    assert.equal(distrusted(r, 2_000), true)
    assert.equal(distrusted(r, 2_000 + 299_999), true)
    assert.equal(distrusted(r, 2_000 + 300_000), false, 'trusted again once the time is up')
    assert.equal(distrusted(undefined, 0), false)
  })

  it('forgets lapses as they age: an occasional one never adds up', () => {
    let r = lapse(undefined, 0, RULES)
    // One lapse every two half-lives: the count stays under 1.34, never 3.
    for (let t = 120_000; t <= 1_200_000; t += 120_000) r = lapse(r, t, RULES)
    assert.equal(distrusted(r, 1_200_000), false)
    assert.ok(r.lapses < 1.5)
  })
})
