import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { ReputationBook } from '../../src/ledger/reputation-book.js'
import { NEUTRAL_REPUTATION, NEWCOMER_REPUTATION } from '../../src/core/reputation.js'
import { updateReputation } from '../../src/core/skill-stats.js'
import { SwarmStore } from '../../src/store/store.js'
import { createLogger } from '../../src/logger.js'
import { systemClock } from '../../src/ports/clock.js'
import { parseConfig } from '../../src/config.js'

const logger = createLogger({ level: 'error', sinks: [{ write: () => {} }] })
const HOUR = 3_600_000

describe('ReputationBook', () => {
  let store: SwarmStore
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
    store = SwarmStore.open(':memory:')
  })
  afterEach(() => {
    store.close()
    vi.useRealTimers()
  })

  const open = (): ReputationBook => new ReputationBook({ store, logger, clock: systemClock }, { halfLifeMs: HOUR })

  it('gives a peer never observed the newcomer prior, below neutral, and moves it by outcome', () => {
    const book = open()
    assert.equal(book.of('p'), NEWCOMER_REPUTATION)
    assert.ok(NEWCOMER_REPUTATION < NEUTRAL_REPUTATION)
    book.record('p', 'success')
    assert.equal(book.of('p'), updateReputation(NEWCOMER_REPUTATION, 'success'))
  })

  it('persists the score and reads it back in a new book', () => {
    const book = open()
    book.record('p', 'no-show')
    const expected = updateReputation(NEWCOMER_REPUTATION, 'no-show')
    assert.equal(book.of('p'), expected)
    assert.equal(open().of('p'), expected)
  })

  it('decays a score halfway to neutral per half-life without new outcomes', async () => {
    const book = open()
    book.record('p', 'no-show')
    const start = book.of('p')
    await vi.advanceTimersByTimeAsync(HOUR)
    assert.ok(Math.abs(book.of('p') - (NEUTRAL_REPUTATION + (start - NEUTRAL_REPUTATION) / 2)) < 1e-9)
    await vi.advanceTimersByTimeAsync(20 * HOUR)
    assert.ok(Math.abs(book.of('p') - NEUTRAL_REPUTATION) < 1e-5)
  })

  it('counts the outcomes it observed of each peer', () => {
    const book = open()
    assert.deepEqual(book.observed('p'), { successes: 0, total: 0 })
    book.record('p', 'success')
    book.record('p', 'no-show')
    book.record('q', 'failure')
    assert.deepEqual(book.observed('p'), { successes: 1, total: 2 })
    assert.deepEqual(book.observed('q'), { successes: 0, total: 1 })
  })

  it('keeps the outcomes and the time of the score across a restart (a new book over the same store)', async () => {
    const book = open()
    book.record('p', 'success')
    book.record('p', 'no-show')
    const score = book.of('p')
    await vi.advanceTimersByTimeAsync(HOUR)
    const again = open()
    assert.deepEqual(again.observed('p'), { successes: 1, total: 2 })
    // The decay counts from when the score was set, not from the restart.
    assert.ok(Math.abs(again.of('p') - (NEUTRAL_REPUTATION + (score - NEUTRAL_REPUTATION) / 2)) < 1e-9)
    again.record('p', 'success')
    assert.deepEqual(open().observed('p'), { successes: 2, total: 3 })
  })

  it('refuses a half-life that is not positive', () => {
    assert.throws(() => new ReputationBook({ store, logger, clock: systemClock }, { halfLifeMs: 0 }), /halfLifeMs/)
  })

  it('takes its half-life from the reputation.halfLifeMs setting (24 h by default)', () => {
    assert.equal(parseConfig({}).reputation.halfLifeMs, 86_400_000)
    assert.equal(parseConfig({ reputation: { halfLifeMs: 1000 } }).reputation.halfLifeMs, 1000)
    assert.throws(() => parseConfig({ reputation: { halfLifeMs: 0 } }), /halfLifeMs/)
  })
})
