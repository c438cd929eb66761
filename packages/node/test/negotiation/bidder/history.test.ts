import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { bidderHarness, echoHandler, hangingHandler } from './harness.js'
import type { SkillHandler } from '../../../src/executor/types.js'

describe('bidder: the member history port', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
  })
  afterEach(() => { vi.useRealTimers() })

  it('reports the offer, the acceptance, the start, each part and the end, with what the row needs', async () => {
    const crashing: SkillHandler = async () => { throw new Error('the model ran out of patience') }
    const h = await bidderHarness({ capacity: 1, skills: { alpha: echoHandler, beta: crashing } })
    const body = h.announcement('task-history', { skills: [{ name: 'alpha', minLevel: 'novice', count: 1 }, { name: 'beta', minLevel: 'novice', count: 1 }], maxGroupSize: 2, priority: 'high', attempt: 2 })
    const announcer = h.announcers[0]?.toString()
    h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.history.steps('task-history'), ['offered'])
    const offered = h.history.calls[0]
    assert.equal(offered?.step, 'offered')
    if (offered?.step === 'offered') {
      assert.equal(offered.info.announcer, announcer)
      assert.equal(offered.info.attempt, 2)
      assert.equal(offered.info.priority, 'high')
      assert.equal(offered.info.description, body.description)
      assert.deepEqual(offered.info.skills, ['alpha', 'beta'])
      assert.equal(offered.info.at, Date.now() - 1)
    }

    await h.invite(body, 'group-history')
    const accepted = h.history.calls.find(c => c.step === 'accepted')
    assert.deepEqual(accepted?.info, { taskId: 'task-history', announcer, attempt: 2, groupId: 'group-history', skills: ['alpha', 'beta'], at: Date.now() })

    await vi.advanceTimersByTimeAsync(5)
    await h.start(body, 'group-history')
    await vi.advanceTimersByTimeAsync(10)
    assert.deepEqual(h.history.steps('task-history'), ['offered', 'accepted', 'started', 'partFinished', 'partFinished', 'finished'])
    const started = h.history.calls.find(c => c.step === 'started')
    assert.equal(started?.step === 'started' ? started.info.groupId : undefined, 'group-history')
    assert.deepEqual(started?.step === 'started' ? started.info.members.map(m => m.peerId) : undefined, [h.self.toString()])
    const parts = h.history.calls.flatMap(c => c.step === 'partFinished' ? [c.info] : [])
    assert.equal(parts.find(p => p.skill === 'alpha')?.ok, true)
    const beta = parts.find(p => p.skill === 'beta')
    assert.equal(beta?.ok, false)
    assert.equal(beta?.error?.code, 'HANDLER_CRASHED')
    assert.equal(h.history.calls.some(c => c.step === 'released'), false)
    h.bidder.stop()
  })

  it('reports an assignment let go: cancelled before its start, and the node stopping while it runs', async () => {
    const work = hangingHandler()
    const h = await bidderHarness({ capacity: 2, skills: { alpha: work.handler } })
    const first = h.announcement('task-cancelled')
    const second = h.announcement('task-stopped')
    h.hearOn('alpha', first)
    h.hearOn('alpha', second)
    await vi.advanceTimersByTimeAsync(1)
    await h.invite(first, 'group-cancelled')
    await h.invite(second, 'group-stopped')
    await h.call(createMessage('TASK_CANCEL', { taskId: 'task-cancelled', reason: 'the user changed their mind' }))
    assert.deepEqual(h.history.steps('task-cancelled'), ['offered', 'accepted', 'released'])
    const released = h.history.calls.find(c => c.step === 'released')
    assert.deepEqual(released?.info, { taskId: 'task-cancelled', reason: 'the user changed their mind', at: Date.now() })

    await h.start(second, 'group-stopped')
    await vi.advanceTimersByTimeAsync(1)
    h.bidder.stop()
    await vi.advanceTimersByTimeAsync(10)
    assert.deepEqual(h.history.steps('task-stopped'), ['offered', 'accepted', 'started', 'released', 'partFinished', 'finished'])
    const stopped = h.history.calls.find(c => c.step === 'released' && c.info.taskId === 'task-stopped')
    assert.equal(stopped?.step === 'released' ? stopped.info.reason : undefined, 'this node stopped')
  })
})
