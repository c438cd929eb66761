import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { finalEventOf, isTaskFinal, taskSummary } from '../../src/api/task-views.js'
import { FINAL_STATUSES } from '../../src/core/task-machine.js'
import { TaskHandle } from '../../src/negotiation/task-handle.js'
import { FakeNodeApi, call, serve, stored } from './fake-node-api.js'
import type { TaskOutcome } from '../../src/negotiation/task-handle.js'
import type { TaskSummary } from '../../src/types.js'

describe('task views: finality follows the state machine and its verify policy', () => {
  it('a COMPLETE task awaiting verification is not final: no finish time, no final event', () => {
    const awaiting = stored('verify-task-1', 'COMPLETE', {}, { verify: true })
    assert.equal(isTaskFinal(awaiting), false)
    const summary = taskSummary(awaiting, 10_000)
    assert.equal(summary.finishedAt, undefined)
    assert.equal(summary.durationMs, 9_000)
    assert.equal(finalEventOf(awaiting), undefined)
  })

  it('COMPLETE without verification, VERIFIED and the other final statuses are final', () => {
    for (const status of FINAL_STATUSES) {
      const task = stored(`final-${status}`, status, {}, { verify: status === 'VERIFIED' })
      assert.equal(isTaskFinal(task), true, status)
      assert.equal(taskSummary(task, 10_000).finishedAt, 3_000, status)
      assert.ok(finalEventOf(task) !== undefined, status)
    }
    assert.equal(finalEventOf(stored('verified-1', 'VERIFIED', {}, { verify: true }))?.type, 'completed')
    assert.equal(finalEventOf(stored('escalated-1', 'ESCALATED'))?.type, 'failed')
    assert.equal(isTaskFinal(stored('retry-1', 'RETRY')), false)
  })
})

describe('task routes with a task awaiting verification', () => {
  const node = new FakeNodeApi()
  let url: string
  let stop: () => Promise<void>

  beforeAll(async () => {
    ({ url, stop } = await serve(node))
    const handle = new TaskHandle('verify-live-1', async () => {})
    node.handles.set(handle.id, handle)
    node.tasksById.set(handle.id, stored(handle.id, 'COMPLETE', {}, { verify: true }))
    node.tasksById.set('verify-old-1', stored('verify-old-1', 'COMPLETE', {}, { verify: true }))
  })
  afterAll(async () => { await stop() })

  it('GET /v1/tasks/:id shows it active and without an outcome yet', async () => {
    const one = await call<{ task: { active: boolean, outcome?: TaskOutcome, summary: TaskSummary } }>(url, 'GET', '/v1/tasks/verify-live-1')
    assert.equal(one.status, 200)
    assert.equal(one.json.task.active, true)
    assert.equal(one.json.task.outcome, undefined)
    assert.equal(one.json.task.summary.finishedAt, undefined)
  })

  it('GET /v1/tasks/:id/events of one this node no longer follows has no final event to send: 409', async () => {
    const answer = await call(url, 'GET', '/v1/tasks/verify-old-1/events')
    assert.equal(answer.status, 409)
    assert.equal(answer.json.error.code, 'TASK_STATE')
    assert.match(answer.json.error.message, /is COMPLETE/)
  })
})
