import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { awardOf, bidderHarness, hangingHandler } from './harness.js'

describe('bidder: hearing announcements', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
  })
  afterEach(() => { vi.useRealTimers() })

  it('serves the waiting queue in effective-priority order as capacity frees', async () => {
    const h = await bidderHarness({ capacity: 1, skills: { alpha: hangingHandler().handler }, leaseGraceMs: 30_000 })
    const blocker = h.announcement('task-block', { bidWindowMs: 10_000 })
    h.hearOn('alpha', blocker)
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.offeredTasks(), ['task-block'])

    // Heard in this order while the slot is reserved; the oldest of equals goes first.
    const waiting = [
      h.announcement('task-low1', { priority: 'low', bidWindowMs: 20_000 }),
      h.announcement('task-crit', { priority: 'critical', bidWindowMs: 20_000 }),
      h.announcement('task-norm', { priority: 'normal', bidWindowMs: 20_000 }),
      h.announcement('task-high', { priority: 'high', bidWindowMs: 20_000 }),
      h.announcement('task-low2', { priority: 'low', bidWindowMs: 20_000, createdAt: Date.now() + 1 })
    ]
    for (const body of waiting) h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.offeredTasks(), ['task-block'])

    // Each release (the group formed without this node) frees the slot for the next waiting announcement.
    let previous = blocker
    for (let i = 0; i < waiting.length; i++) {
      const release = createMessage('OFFER_RELEASE', { taskId: previous.taskId, attempt: 1, award: awardOf(previous, h.announcers[0] ?? h.self, [{ peerId: (h.announcers[2] ?? h.self).toString(), skills: ['alpha'] }]) })
      assert.equal((await h.call(release)).type, 'ACK')
      await vi.advanceTimersByTimeAsync(1)
      const offered = h.offeredTasks().at(-1)
      previous = waiting.find(b => b.taskId === offered) ?? previous
    }
    assert.deepEqual(h.offeredTasks(), ['task-block', 'task-crit', 'task-high', 'task-norm', 'task-low1', 'task-low2'])
    assert.deepEqual(h.events.of('work:released').map(e => e.reason), Array(5).fill('group formed without us'))
    h.bidder.stop()
  })

  it('ranks waiting announcements up by the tasks waiting for them, by at most the largest dependents boost', async () => {
    const h = await bidderHarness({ capacity: 1, skills: { alpha: hangingHandler().handler }, leaseGraceMs: 30_000 })
    const blocker = h.announcement('task-block', { bidWindowMs: 10_000 })
    h.hearOn('alpha', blocker)
    await vi.advanceTimersByTimeAsync(1)
    // Effective priorities (defaults: 0.5 per dependent, at most 2): crit 4, high 3, low with
    // 1000 dependents 1 + 2 = 3 (capped; heard after high, created later), normal with one 2.5, normal 2.
    const at = Date.now()
    const waiting = [
      h.announcement('task-norm', { priority: 'normal', bidWindowMs: 20_000, createdAt: at }),
      h.announcement('task-low-many', { priority: 'low', dependents: 1000, bidWindowMs: 20_000, createdAt: at + 2 }),
      h.announcement('task-norm-one', { priority: 'normal', dependents: 1, bidWindowMs: 20_000, createdAt: at + 3 }),
      h.announcement('task-high', { priority: 'high', bidWindowMs: 20_000, createdAt: at + 1 }),
      h.announcement('task-crit', { priority: 'critical', bidWindowMs: 20_000, createdAt: at + 4 })
    ]
    for (const body of waiting) h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    let previous = blocker
    for (let i = 0; i < waiting.length; i++) {
      const release = createMessage('OFFER_RELEASE', { taskId: previous.taskId, attempt: 1, award: awardOf(previous, h.announcers[0] ?? h.self, [{ peerId: (h.announcers[2] ?? h.self).toString(), skills: ['alpha'] }]) })
      assert.equal((await h.call(release)).type, 'ACK')
      await vi.advanceTimersByTimeAsync(1)
      const offered = h.offeredTasks().at(-1)
      previous = waiting.find(b => b.taskId === offered) ?? previous
    }
    assert.deepEqual(h.offeredTasks(), ['task-block', 'task-crit', 'task-high', 'task-low-many', 'task-norm-one', 'task-norm'])
    h.bidder.stop()
  })

  it('drops a second copy of an announcement heard on another skill topic', async () => {
    const h = await bidderHarness({ capacity: 4, skills: { alpha: hangingHandler().handler, beta: hangingHandler().handler } })
    const body = h.announcement('task-twice', { skills: [{ name: 'alpha', minLevel: 'novice', count: 1 }, { name: 'beta', minLevel: 'novice', count: 1 }], maxGroupSize: 2 })
    assert.ok(h.hearOn('alpha', body))
    assert.ok(h.hearOn('beta', body))
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.offeredTasks(), ['task-twice'])
    assert.equal(h.bidder.stats.announcementsHeard, 1)
    assert.equal(h.bidder.load(), 1)
    // The offer covers both skills, once.
    assert.deepEqual(h.messenger.sentOfType('SKILL_OFFER')[0]?.message.body.skills.map(s => s.name), ['alpha', 'beta'])

    // The same again much later (still before the deadline) is still a duplicate.
    await vi.advanceTimersByTimeAsync(200)
    h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.offeredTasks(), ['task-twice'])
    h.bidder.stop()
  })
})
