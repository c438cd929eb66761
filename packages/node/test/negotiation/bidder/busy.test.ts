/**
 * A busy bidder and the announcer's queue: a direct announcement it cannot take is answered
 * NO_CAPACITY at once (so that the announcer queues the task) and waits for a slot like one heard
 * on gossip; a re-ask of a queued task (`ask`) is a new announcement, not a copy.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { bidderHarness, hangingHandler } from './harness.js'
import type { BidderHarness } from './harness.js'

describe('a busy bidder', () => {
  let h: BidderHarness
  let work: ReturnType<typeof hangingHandler>

  beforeEach(async () => {
    vi.useFakeTimers()
    work = hangingHandler()
    h = await bidderHarness({ capacity: 1, skills: { alpha: work.handler } })
  })

  afterEach(() => {
    h.bidder.stop()
    vi.useRealTimers()
  })

  /** Takes task-busy on the only slot: offered, invited, started. */
  async function occupy (): Promise<void> {
    const body = h.announcement('task-busy', { bidWindowMs: 500 })
    h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    assert.equal((await h.invite(body, 'group-busy')).type, 'GROUP_ACCEPT')
    assert.equal((await h.start(body, 'group-busy')).type, 'ACK')
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(work.runs, ['task-busy'])
  }

  it('answers a direct re-ask NO_CAPACITY, and offers on it once its slot frees within the bid window', async () => {
    await occupy()
    const first = await h.call(createMessage('TASK_ANNOUNCE', h.announcement('task-first', { bidWindowMs: 5_000 })))
    assert.equal(first.type === 'ERROR' ? first.body.code : first.type, 'NO_CAPACITY')
    const reply = await h.call(createMessage('TASK_ANNOUNCE', h.announcement('task-next', { bidWindowMs: 5_000, ask: 1 })))
    assert.equal(reply.type === 'ERROR' ? reply.body.code : reply.type, 'NO_CAPACITY')
    assert.deepEqual(h.offeredTasks(), ['task-busy'])
    // The running task is called off: its slot frees, and the waiting re-ask is offered on (the
    // first ask is not: its announcer queues it and asks again).
    assert.equal((await h.call(createMessage('TASK_CANCEL', { taskId: 'task-busy', groupId: 'group-busy', reason: 'done elsewhere' }))).type, 'ACK')
    await vi.advanceTimersByTimeAsync(10)
    assert.deepEqual(h.offeredTasks(), ['task-busy', 'task-next'])
  })

  it('does not offer on a declined direct announcement after its bid window', async () => {
    await occupy()
    await h.call(createMessage('TASK_ANNOUNCE', h.announcement('task-late', { bidWindowMs: 200, ask: 1 })))
    await vi.advanceTimersByTimeAsync(500)
    await h.call(createMessage('TASK_CANCEL', { taskId: 'task-busy', groupId: 'group-busy', reason: 'done elsewhere' }))
    await vi.advanceTimersByTimeAsync(10)
    assert.deepEqual(h.offeredTasks(), ['task-busy'])
  })

  it('hears a re-ask of the same attempt as a new announcement, a copy of it only once', async () => {
    const body = h.announcement('task-again', { bidWindowMs: 200 })
    h.hearOn('alpha', body)
    h.hearOn('alpha', body)
    assert.equal(h.bidder.stats.announcementsHeard, 1)
    h.hearOn('alpha', { ...body, ask: 1 })
    h.hearOn('alpha', { ...body, ask: 1 })
    assert.equal(h.bidder.stats.announcementsHeard, 2)
    // A direct re-ask is answered too (the first ask of the attempt was already heard).
    const reply = await h.call(createMessage('TASK_ANNOUNCE', { ...body, ask: 2 }))
    assert.equal(reply.type, 'SKILL_OFFER')
    const duplicate = await h.call(createMessage('TASK_ANNOUNCE', { ...h.announcement('task-other'), ask: 1 }))
    assert.equal(duplicate.type === 'ERROR' ? duplicate.body.code : duplicate.type, 'NO_CAPACITY')
  })
})
