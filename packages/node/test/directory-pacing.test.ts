import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { heartbeatInterval, maxHeartbeatInterval, shouldFloodJoin, silenceLimit } from '../src/directory/pacing.js'

describe('heartbeat pacing', () => {
  it('keeps the configured interval in a small swarm', () => {
    assert.equal(heartbeatInterval(5, 15_000, 10), 15_000)
    assert.equal(heartbeatInterval(150, 15_000, 10), 15_000)
  })

  it('stretches the interval so that the whole swarm stays under its heartbeat rate', () => {
    // 500 agents at 10 a second in all: each beats every 50 s.
    assert.equal(heartbeatInterval(500, 15_000, 10), 50_000)
    assert.equal(heartbeatInterval(1000, 300_000, 0.5), 2_000_000)
    // Doubling the swarm doubles the interval: what each agent receives stays the same.
    const rate = (n: number): number => n / heartbeatInterval(n, 1_000, 10)
    assert.equal(rate(400), rate(800))
  })

  it('falls back to the configured interval without a rate, and counts at least one agent', () => {
    assert.equal(heartbeatInterval(1000, 15_000, 0), 15_000)
    assert.equal(heartbeatInterval(0, 100, 1), 1_000)
  })

  it('stretches the interval at most to its cap, so that the silence limit stays within maxSilenceFactor times the configured one', () => {
    const cap = maxHeartbeatInterval(45_000, 8)
    assert.equal(cap, 120_000)
    assert.equal(heartbeatInterval(2_000, 15_000, 10, cap), 120_000, '2,000 agents would ask for 200 s')
    assert.equal(silenceLimit(heartbeatInterval(20_000, 15_000, 10, cap), 45_000), 8 * 45_000)
    assert.equal(heartbeatInterval(500, 15_000, 10, cap), 50_000, 'below the cap: as before')
    assert.equal(heartbeatInterval(10, 15_000, 10, 1_000), 15_000, 'never below the configured interval')
  })

  it('forgets an agent only after three of its heartbeats, and never before the configured limit', () => {
    assert.equal(silenceLimit(15_000, 45_000), 45_000)
    assert.equal(silenceLimit(50_000, 45_000), 150_000)
    assert.equal(silenceLimit(1_000, 45_000), 45_000)
  })
})

describe('join floods', () => {
  it('floods the card when few agents are joining', () => {
    assert.equal(shouldFloodJoin(0, 2), true)
    assert.equal(shouldFloodJoin(19, 2, 10_000), true)
  })

  it('leaves the card to catch-ups while many agents join at once', () => {
    assert.equal(shouldFloodJoin(20, 2, 10_000), false)
    assert.equal(shouldFloodJoin(400, 1), false)
  })

  it('never floods with a rate of zero', () => {
    assert.equal(shouldFloodJoin(0, 0), false)
  })
})
