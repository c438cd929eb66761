import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { PRIORITIES } from '@swarm/protocol'
import type { PrioritizedTask } from '../../src/core/index.js'
import {
  DEFAULT_PRIORITY_OPTIONS,
  agingBoost,
  basePriority,
  compareByEffectivePriority,
  deadlineBoost,
  effectivePriority,
  rankByEffectivePriority
} from '../../src/core/index.js'

const NOW = 1_000_000
const FAR = NOW + 3_600_000

describe('basePriority', () => {
  it('maps low 1, normal 2, high 3, critical 4', () => {
    assert.deepEqual(PRIORITIES.map(basePriority), [1, 2, 3, 4])
  })
})

describe('deadlineBoost', () => {
  it('is 0 at or beyond the horizon and without a deadline', () => {
    assert.equal(deadlineBoost(undefined, NOW, 60_000, 2), 0)
    assert.equal(deadlineBoost(NOW + 60_000, NOW, 60_000, 2), 0)
    assert.equal(deadlineBoost(NOW + 600_000, NOW, 60_000, 2), 0)
  })

  it('rises linearly to the maximum at the deadline', () => {
    assert.equal(deadlineBoost(NOW + 30_000, NOW, 60_000, 2), 1)
    assert.equal(deadlineBoost(NOW + 15_000, NOW, 60_000, 2), 1.5)
    assert.equal(deadlineBoost(NOW, NOW, 60_000, 2), 2)
  })

  it('is the maximum past the deadline', () => {
    assert.equal(deadlineBoost(NOW - 1, NOW, 60_000, 2), 2)
    assert.equal(deadlineBoost(NOW - 1e9, NOW, 60_000, 3), 3)
  })
})

describe('agingBoost', () => {
  it('adds one step per whole interval waited', () => {
    assert.equal(agingBoost(NOW, NOW, 30_000, 0.5, 2), 0)
    assert.equal(agingBoost(NOW, NOW + 29_999, 30_000, 0.5, 2), 0)
    assert.equal(agingBoost(NOW, NOW + 30_000, 30_000, 0.5, 2), 0.5)
    assert.equal(agingBoost(NOW, NOW + 95_000, 30_000, 0.5, 2), 1.5)
  })

  it('is capped', () => {
    assert.equal(agingBoost(0, NOW * 100, 30_000, 0.5, 2), 2)
  })

  it('ignores a creation time in the future', () => {
    assert.equal(agingBoost(NOW + 100_000, NOW, 30_000, 0.5, 2), 0)
  })

  it('refuses a non-positive interval', () => {
    assert.throws(() => agingBoost(0, NOW, 0, 0.5, 2), RangeError)
  })
})

describe('effectivePriority', () => {
  it('is the base priority for a fresh task with a far deadline', () => {
    for (const priority of PRIORITIES) {
      assert.equal(effectivePriority({ priority, deadline: FAR, createdAt: NOW }, NOW), basePriority(priority))
    }
  })

  it('adds deadline pressure and aging', () => {
    const task = { priority: 'normal' as const, deadline: NOW + 30_000, createdAt: NOW - 60_000 }
    assert.equal(effectivePriority(task, NOW), 2 + 1 + 1)
  })

  it('is at most base + both maximum boosts', () => {
    assert.equal(effectivePriority({ priority: 'low', deadline: 0, createdAt: 0 }, NOW), 1 + 2 + 2)
  })

  it('lets a long-waiting low task outrank a fresh normal one', () => {
    const oldLow = { priority: 'low' as const, deadline: FAR, createdAt: NOW - 120_000 }
    const newNormal = { priority: 'normal' as const, deadline: FAR, createdAt: NOW }
    assert.ok(effectivePriority(oldLow, NOW) > effectivePriority(newNormal, NOW))
    // …but not while it is still fresh.
    assert.ok(effectivePriority({ ...oldLow, createdAt: NOW - 10_000 }, NOW) < effectivePriority(newNormal, NOW))
  })

  it('lets a task at its deadline outrank a fresh higher one', () => {
    const urgentNormal = { priority: 'normal' as const, deadline: NOW + 1000, createdAt: NOW }
    const relaxedHigh = { priority: 'high' as const, deadline: FAR, createdAt: NOW }
    assert.ok(effectivePriority(urgentNormal, NOW) > effectivePriority(relaxedHigh, NOW))
  })

  it('honours options', () => {
    const task = { priority: 'low' as const, deadline: NOW + 5_000, createdAt: NOW - 10_000 }
    assert.equal(effectivePriority(task, NOW, { agingIntervalMs: 1000, agingStep: 1, maxAgingBoost: 5, deadlineHorizonMs: 10_000, maxDeadlineBoost: 4 }), 1 + 2 + 5)
    assert.equal(effectivePriority(task, NOW, { maxAgingBoost: 0, maxDeadlineBoost: 0 }), 1)
  })

  it('has documented defaults', () => {
    assert.deepEqual({ ...DEFAULT_PRIORITY_OPTIONS }, { agingIntervalMs: 30_000, agingStep: 0.5, maxAgingBoost: 2, deadlineHorizonMs: 60_000, maxDeadlineBoost: 2, dependentStep: 0.5, maxDependentsBoost: 2 })
  })
})

describe('compareByEffectivePriority', () => {
  const t = (taskId: string, priority: PrioritizedTask['priority'], createdAt: number, deadline = FAR): PrioritizedTask => ({ taskId, priority, createdAt, deadline })

  it('puts higher effective priority first', () => {
    assert.ok(compareByEffectivePriority(t('a', 'high', NOW), t('b', 'normal', NOW), NOW) < 0)
    assert.ok(compareByEffectivePriority(t('a', 'low', NOW), t('b', 'critical', NOW), NOW) > 0)
  })

  it('puts the older task first on equal priority, then the lower id', () => {
    assert.ok(compareByEffectivePriority(t('b', 'normal', NOW - 1000), t('a', 'normal', NOW), NOW) < 0)
    assert.ok(compareByEffectivePriority(t('b', 'normal', NOW), t('a', 'normal', NOW), NOW) > 0)
    assert.equal(compareByEffectivePriority(t('a', 'normal', NOW), t('a', 'normal', NOW), NOW), 0)
  })

  it('sorts a queue deterministically, with aging and deadlines', () => {
    const tasks = [
      t('fresh-normal', 'normal', NOW),
      t('old-low', 'low', NOW - 120_000),
      t('fresh-low', 'low', NOW),
      t('critical', 'critical', NOW),
      t('due-normal', 'normal', NOW, NOW + 1000),
      t('fresh-normal-2', 'normal', NOW)
    ]
    const order = rankByEffectivePriority(tasks, NOW).map(x => x.taskId)
    assert.deepEqual(order, ['critical', 'due-normal', 'old-low', 'fresh-normal', 'fresh-normal-2', 'fresh-low'])
    assert.deepEqual(rankByEffectivePriority([...tasks].reverse(), NOW).map(x => x.taskId), order)
    assert.equal(tasks[0]?.taskId, 'fresh-normal', 'the input is not sorted in place')
  })
})
