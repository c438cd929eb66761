import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { backoffPass, nextForFreedSlot, nextReaskAt, rankQueue, reaskDelayMs, reaskDueAt } from '../../src/core/queue.js'
import { dependentsBoost, effectivePriority } from '../../src/core/priority.js'
import type { QueuedTask } from '../../src/core/queue.js'

const NOW = 1_000_000
const FAR = NOW + 3_600_000
const BACKOFF = { baseMs: 1_000, maxMs: 10_000 }

function task (taskId: string, priority: QueuedTask['priority'], extra: Partial<QueuedTask> = {}): QueuedTask {
  return { taskId, priority, createdAt: NOW, deadline: FAR, skills: ['sum'], queuedAt: NOW, asks: 0, ...extra }
}

describe('reaskDelayMs', () => {
  it('starts at baseMs and doubles with every re-ask up to maxMs', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 50].map(n => reaskDelayMs(n, BACKOFF)), [1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000])
  })

  it('refuses a backoff that cannot work', () => {
    assert.throws(() => reaskDelayMs(0, { baseMs: 0, maxMs: 10 }), RangeError)
    assert.throws(() => reaskDelayMs(0, { baseMs: 100, maxMs: 10 }), RangeError)
  })

  it('is due that long after the task (last) entered the queue', () => {
    assert.equal(reaskDueAt({ queuedAt: NOW, asks: 2 }, BACKOFF), NOW + 4_000)
    assert.equal(nextReaskAt([task('a', 'low', { asks: 3 }), task('b', 'low', { queuedAt: NOW + 500 })], NOW, BACKOFF), NOW + 1_500)
    assert.equal(nextReaskAt([], NOW, BACKOFF), undefined)
  })

  it('plans the next pass when the next task falls due, baseMs on when all are due already', () => {
    const tasks = [task('due', 'low'), task('later', 'low', { asks: 2 })]
    assert.equal(nextReaskAt(tasks, NOW + 1_000, BACKOFF), NOW + 4_000)
    assert.equal(nextReaskAt(tasks, NOW + 4_000, BACKOFF), NOW + 5_000)
  })
})

describe('rankQueue', () => {
  it('puts the most urgent first: base priority, then older', () => {
    const low = task('low', 'low', { createdAt: NOW - 1_000 })
    const high = task('high', 'high')
    const normal = task('normal', 'normal')
    assert.deepEqual(rankQueue([low, normal, high], NOW).map(t => t.taskId), ['high', 'normal', 'low'])
  })

  it('raises a task by deadline pressure, aging and dependents', () => {
    const urgent = task('urgent', 'low', { deadline: NOW + 1_000 })
    const aged = task('aged', 'low', { createdAt: NOW - 120_000 })
    const needed = task('needed', 'low', { dependents: 4 })
    const normal = task('normal', 'normal')
    assert.deepEqual(rankQueue([normal, urgent], NOW).map(t => t.taskId), ['urgent', 'normal'])
    assert.deepEqual(rankQueue([normal, aged], NOW).map(t => t.taskId), ['aged', 'normal'])
    assert.deepEqual(rankQueue([normal, needed], NOW).map(t => t.taskId), ['needed', 'normal'])
  })

  it('counts dependents at dependentStep each, at most maxDependentsBoost', () => {
    assert.equal(dependentsBoost(undefined, 0.5, 2), 0)
    assert.equal(dependentsBoost(-3, 0.5, 2), 0)
    assert.equal(dependentsBoost(2, 0.5, 2), 1)
    assert.equal(dependentsBoost(100, 0.5, 2), 2)
    assert.equal(effectivePriority({ priority: 'normal', createdAt: NOW, dependents: 2 }, NOW), 3)
  })
})

describe('nextForFreedSlot', () => {
  it('gives a freed slot to the most urgent task the agent can take, one task only', () => {
    const low = task('low', 'low')
    const high = task('high', 'high', { skills: ['sort'] })
    const normal = task('normal', 'normal')
    assert.equal(nextForFreedSlot([low, high, normal], NOW, () => true)?.taskId, 'high')
    assert.equal(nextForFreedSlot([low, high, normal], NOW, t => t.skills.includes('sum'))?.taskId, 'normal')
    assert.equal(nextForFreedSlot([low, high], NOW, () => false), undefined)
  })
})

describe('backoffPass', () => {
  it('asks nothing before the first task is due', () => {
    assert.deepEqual(backoffPass([task('a', 'low')], NOW + 999, BACKOFF), [])
  })

  it('asks the most urgent due task of a skill; the others of that skill wait for it', () => {
    const tasks = [task('low', 'low'), task('high', 'high'), task('normal', 'normal')]
    assert.deepEqual(backoffPass(tasks, NOW + 1_000, BACKOFF).map(t => t.taskId), ['high'])
  })

  it('holds a due task back while a more urgent one of its skill is not due yet', () => {
    const tasks = [task('low', 'low'), task('high', 'high', { asks: 2 })]
    assert.deepEqual(backoffPass(tasks, NOW + 1_000, BACKOFF), [])
    assert.deepEqual(backoffPass(tasks, NOW + 4_000, BACKOFF).map(t => t.taskId), ['high'])
  })

  it('holds a due task back while a more urgent one of its skill is being asked right now', () => {
    const low = task('low', 'low')
    const asking = [task('high', 'high')]
    assert.deepEqual(backoffPass([low], NOW + 1_000, BACKOFF, {}, asking), [])
    // One being asked that is less urgent does not hold a queued task up, and is not asked twice.
    assert.deepEqual(backoffPass([task('critical', 'critical')], NOW + 1_000, BACKOFF, {}, [low]).map(t => t.taskId), ['critical'])
  })

  it('asks tasks of different skills in the same pass', () => {
    const tasks = [task('sum-low', 'low'), task('sort-low', 'low', { skills: ['sort'] }), task('sum-high', 'high')]
    assert.deepEqual(backoffPass(tasks, NOW + 1_000, BACKOFF).map(t => t.taskId), ['sum-high', 'sort-low'])
  })
})
