import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { bidderHarness, echoHandler, hangingHandler } from './harness.js'
import type { HandlerContext, SkillHandler } from '../../../src/executor/types.js'

describe('bidder: running the work', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
  })
  afterEach(() => { vi.useRealTimers() })

  it('aborts the running handler when the announcer cancels the task (and only the announcer)', async () => {
    const work = hangingHandler()
    const h = await bidderHarness({ capacity: 1, skills: { alpha: work.handler } })
    const body = h.announcement('task-cancel')
    h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    await h.invite(body, 'group-cancel')
    await h.start(body, 'group-cancel')
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(work.runs, ['task-cancel'])

    const stranger = h.announcers[1]
    assert.ok(stranger !== undefined)
    await h.call(createMessage('TASK_CANCEL', { taskId: 'task-cancel', reason: 'not yours to cancel' }), stranger)
    await vi.advanceTimersByTimeAsync(100)
    assert.deepEqual(work.aborted, [], 'a cancel from another peer is ignored')

    assert.equal((await h.call(createMessage('TASK_CANCEL', { taskId: 'task-cancel', reason: 'the user changed their mind' }))).type, 'ACK')
    await vi.advanceTimersByTimeAsync(100)
    assert.deepEqual(work.aborted, ['task-cancel'])
    const finished = h.events.of('work:finished')
    assert.equal(finished.length, 1)
    assert.equal(finished[0]?.ok, false)
    assert.equal(finished[0]?.error?.code, 'HANDLER_ABORTED')
    assert.deepEqual(h.messenger.sentOfType('TASK_COMPLETE'), [], 'the announcer no longer waits for a cancelled part')
    assert.equal(h.bidder.load(), 0)
    assert.deepEqual(h.bidder.assignments(), [])
    h.bidder.stop()
  })

  it('gives the handler the workflow tag of the announcement (and none to a task outside a workflow)', async () => {
    const seen = new Map<string, HandlerContext['workflow']>()
    const recording: SkillHandler = async (input, ctx) => {
      seen.set(ctx.taskId, ctx.workflow)
      return input
    }
    const h = await bidderHarness({ capacity: 2, skills: { alpha: recording } })
    const workflow = { workflowId: 'wf-000001', stepId: 'review', iteration: 2, buildsOn: ['clean', 'code'] }
    const tagged = h.announcement('task-tagged', { workflow })
    const plain = h.announcement('task-plain')
    for (const [body, group] of [[tagged, 'group-tagged'], [plain, 'group-plain']] as const) {
      h.hearOn('alpha', body)
      await vi.advanceTimersByTimeAsync(1)
      await h.invite(body, group)
      await h.start(body, group)
      await vi.advanceTimersByTimeAsync(10)
    }
    assert.deepEqual(seen.get('task-tagged'), workflow)
    assert.ok(seen.has('task-plain'))
    assert.equal(seen.get('task-plain'), undefined)
    h.bidder.stop()
  })

  it('fails only the part whose handler crashed; the other part delivers its result', async () => {
    const crashing: SkillHandler = async () => { throw new Error('the model ran out of patience') }
    const h = await bidderHarness({ capacity: 1, skills: { alpha: crashing, beta: echoHandler } })
    const body = h.announcement('task-crash', { skills: [{ name: 'alpha', minLevel: 'novice', count: 1 }, { name: 'beta', minLevel: 'novice', count: 1 }], maxGroupSize: 2 })
    h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    await h.invite(body, 'group-crash')
    await h.start(body, 'group-crash')
    await vi.advanceTimersByTimeAsync(10)

    const results = h.messenger.sentOfType('TASK_COMPLETE').map(r => r.message.body)
    assert.equal(results.length, 2)
    const alpha = results.find(r => r.skill === 'alpha')
    const beta = results.find(r => r.skill === 'beta')
    assert.equal(alpha?.ok, false)
    assert.equal(alpha?.error?.code, 'HANDLER_CRASHED')
    assert.match(alpha?.error?.message ?? '', /ran out of patience/)
    assert.equal(beta?.ok, true)
    assert.deepEqual(beta?.output, { task: 'task-crash' })
    assert.deepEqual(h.outcomes.map(o => [o.skill, o.outcome.ok]).sort(), [['alpha', false], ['beta', true]])
    assert.equal(h.bidder.load(), 0, 'the slot is free once both parts ended')
    h.bidder.stop()
  })
})
