/**
 * A member's heartbeats: while its part runs it tells the announcer, directly and every
 * memberHeartbeatMs, that it is alive, with the part's last progress; once the part's result is
 * delivered (or the task is cancelled) the beats stop.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { bidderHarness, hangingHandler } from './harness.js'
import type { SkillHandler } from '../../../src/executor/types.js'
import type { Json } from '@swarm/protocol'

const BEAT_MS = 2_000

describe('bidder: heartbeats while a part runs', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
  })
  afterEach(() => { vi.useRealTimers() })

  it('beats with the progress while the handler runs, and stops once the result is delivered', async () => {
    let finish: (value: Json) => void = () => {}
    const handler: SkillHandler = async (_input, ctx) => await new Promise<Json>(resolve => {
      ctx.progress(0.5, 'half way')
      finish = resolve
    })
    const h = await bidderHarness({ capacity: 1, skills: { alpha: handler }, memberHeartbeatMs: BEAT_MS })
    const announcer = h.announcers[0]
    assert.ok(announcer !== undefined)
    const body = h.announcement('task-beat')
    h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    await h.invite(body, 'group-beat')
    await h.start(body, 'group-beat')
    const beats = (): Array<{ skill: string, progress: number }> => h.messenger.sentOfType('TASK_UPDATE')
      .filter(r => r.message.body.message === 'heartbeat' && r.peer.equals(announcer))
      .map(r => ({ skill: r.message.body.skill, progress: r.message.body.progress }))

    await vi.advanceTimersByTimeAsync(BEAT_MS - 10)
    assert.deepEqual(beats(), [], 'the first beat comes one interval after the start')
    await vi.advanceTimersByTimeAsync(2 * BEAT_MS + 20)
    assert.deepEqual(beats(), [{ skill: 'alpha', progress: 0.5 }, { skill: 'alpha', progress: 0.5 }, { skill: 'alpha', progress: 0.5 }])

    finish({ done: true })
    await vi.advanceTimersByTimeAsync(1)
    assert.equal(h.messenger.sentOfType('TASK_COMPLETE').length, 1)
    const sent = beats().length
    await vi.advanceTimersByTimeAsync(10 * BEAT_MS)
    assert.equal(beats().length, sent, 'no beat after the result was delivered')
    h.bidder.stop()
  })

  it('stops beating when the announcer cancels the task', async () => {
    const work = hangingHandler()
    const h = await bidderHarness({ capacity: 1, skills: { alpha: work.handler }, memberHeartbeatMs: BEAT_MS })
    const body = h.announcement('task-cancel-beat')
    h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    await h.invite(body, 'group-cancel-beat')
    await h.start(body, 'group-cancel-beat')
    await vi.advanceTimersByTimeAsync(BEAT_MS + 10)
    const count = (): number => h.messenger.sentOfType('TASK_UPDATE').filter(r => r.message.body.message === 'heartbeat').length
    assert.equal(count(), 1)
    await h.call(createMessage('TASK_CANCEL', { taskId: 'task-cancel-beat', reason: 'not needed' }))
    await vi.advanceTimersByTimeAsync(10 * BEAT_MS)
    assert.equal(count(), 1)
    h.bidder.stop()
  })
})
