import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { decayed } from '../../src/core/decay.js'
import { charge, peerPenalties } from '../../src/net/penalties.js'
import { systemClock } from '../../src/ports/clock.js'
import type { PeerPenalties } from '../../src/net/penalties.js'

const HALF_LIFE = 60_000
const A = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const B = '12D3KooWAjg6exuoS5YziHwKoqHKw5fVUhqb9HCZiauaQQ7yLSz5'

describe('penalty arithmetic', () => {
  it('decayed halves a score every half-life', () => {
    assert.equal(decayed(20, 0, HALF_LIFE), 20)
    assert.equal(decayed(20, HALF_LIFE, HALF_LIFE), 10)
    assert.equal(decayed(20, 2 * HALF_LIFE, HALF_LIFE), 5)
    assert.ok(Math.abs(decayed(20, HALF_LIFE / 2, HALF_LIFE) - 20 / Math.SQRT2) < 1e-9)
    // A clock that steps back does not raise a score.
    assert.equal(decayed(20, -5_000, HALF_LIFE), 20)
  })

  it('charge decays the old score, adds the new penalty and counts the reason', () => {
    const first = charge(undefined, { reason: 'MALFORMED', penalty: 20 }, 1_000, HALF_LIFE)
    assert.deepEqual(first, { score: 20, at: 1_000, counts: { MALFORMED: 1 } })
    const second = charge(first, { reason: 'STALE', penalty: 0 }, 1_000 + HALF_LIFE, HALF_LIFE)
    assert.deepEqual(second, { score: 10, at: 1_000 + HALF_LIFE, counts: { MALFORMED: 1, STALE: 1 } })
    const third = charge(second, { reason: 'MALFORMED', penalty: 20 }, 1_000 + HALF_LIFE, HALF_LIFE)
    assert.deepEqual(third.counts, { MALFORMED: 2, STALE: 1 })
    assert.equal(third.score, 30)
    assert.deepEqual(first.counts, { MALFORMED: 1 }, 'records are not changed in place')
  })
})

describe('PeerPenalties on a fake clock', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(Date.parse('2026-01-05T10:00:00.000Z'))
  })
  afterEach(() => { vi.useRealTimers() })

  const book = (maxPeers = 100): PeerPenalties => peerPenalties({ halfLifeMs: HALF_LIFE, maxPeers })({ clock: systemClock })

  it('scores decay as time passes, without a timer', async () => {
    const penalties = book()
    penalties.record(A, { reason: 'WRONG_CHANNEL', penalty: 20 })
    assert.equal(penalties.score(A), 20)
    await vi.advanceTimersByTimeAsync(HALF_LIFE)
    assert.equal(penalties.score(A), 10)
    penalties.record(A, { reason: 'UNAUTHORIZED', penalty: 5 })
    assert.equal(penalties.score(A), 15)
    await vi.advanceTimersByTimeAsync(2 * HALF_LIFE)
    assert.equal(penalties.score(A), 15 / 4)
    assert.equal(vi.getTimerCount(), 0)
    assert.deepEqual(penalties.counts(A), { WRONG_CHANNEL: 1, UNAUTHORIZED: 1 })
    assert.equal(penalties.score(B), 0)
    assert.deepEqual(penalties.counts(B), {})
  })

  it('stats: totals by reason that never drop, peers in the book, the worst first', async () => {
    const penalties = book(2)
    penalties.record(A, { reason: 'MALFORMED', penalty: 20 })
    penalties.record(B, { reason: 'STALE', penalty: 0 })
    penalties.record(B, { reason: 'FUTURE', penalty: 1 })
    await vi.advanceTimersByTimeAsync(HALF_LIFE)
    assert.deepEqual(penalties.stats(), {
      byReason: { MALFORMED: 1, STALE: 1, FUTURE: 1 },
      peers: 2,
      worst: [{ peerId: A, score: 10 }, { peerId: B, score: 0.5 }]
    })
  })

  it('keeps at most maxPeers, forgetting the one charged longest ago', () => {
    const penalties = book(2)
    penalties.record(A, { reason: 'MALFORMED', penalty: 20 })
    penalties.record(B, { reason: 'MALFORMED', penalty: 20 })
    penalties.record(A, { reason: 'MALFORMED', penalty: 20 })
    penalties.record('12D3KooWThird', { reason: 'MALFORMED', penalty: 1 })
    assert.equal(penalties.stats().peers, 2)
    assert.equal(penalties.score(B), 0, 'B was charged longest ago')
    assert.equal(penalties.score(A), 40)
    assert.equal(penalties.stats().byReason.MALFORMED, 4, 'the totals keep what was forgotten')
  })
})
