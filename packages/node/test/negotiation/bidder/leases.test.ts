import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { bidderHarness, hangingHandler } from './harness.js'

describe('bidder: reservations, leases and commitments', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
  })
  afterEach(() => { vi.useRealTimers() })

  it('frees the reservation (and the load) when the lease ends without an invite', async () => {
    const h = await bidderHarness({ capacity: 1, skills: { alpha: hangingHandler().handler }, leaseGraceMs: 1_000 })
    const first = h.announcement('task-first', { bidWindowMs: 500 })
    h.hearOn('alpha', first)
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.offeredTasks(), ['task-first'])
    assert.equal(h.bidder.load(), 1)
    const offer = h.messenger.sentOfType('SKILL_OFFER')[0]?.message
    assert.equal(offer?.body.leaseExpiresAt, first.createdAt + 500 + 1_000)

    // A second announcement waits: the slot is reserved for the first.
    const second = h.announcement('task-second', { bidWindowMs: 10_000 })
    h.hearOn('alpha', second)
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.offeredTasks(), ['task-first'])

    // Bid window (500) + grace (1 000): the lease ends, the slot goes to the waiting one.
    await vi.advanceTimersByTimeAsync(1_400)
    assert.deepEqual(h.offeredTasks(), ['task-first'], 'not before the lease ends')
    await vi.advanceTimersByTimeAsync(200)
    assert.deepEqual(h.offeredTasks(), ['task-first', 'task-second'])
    assert.equal(h.bidder.load(), 1)
    h.bidder.stop()

    // Alone, an expired lease brings the load back to 0.
    const lone = await bidderHarness({ capacity: 1, skills: { alpha: hangingHandler().handler }, leaseGraceMs: 1_000 })
    lone.hearOn('alpha', lone.announcement('task-lone', { bidWindowMs: 500 }))
    await vi.advanceTimersByTimeAsync(1)
    assert.equal(lone.loads.at(-1), 1)
    await vi.advanceTimersByTimeAsync(1_600)
    assert.equal(lone.bidder.load(), 0)
    assert.equal(lone.loads.at(-1), 0, 'the freed load is reported')
    lone.bidder.stop()
  })

  it('never holds more reservations plus running work than its capacity', async () => {
    const work = hangingHandler()
    const h = await bidderHarness({ capacity: 2, skills: { alpha: work.handler }, leaseGraceMs: 30_000 })
    const bodies = ['task-a001', 'task-a002', 'task-a003', 'task-a004', 'task-a005'].map(id => h.announcement(id, { bidWindowMs: 10_000 }))
    for (const body of bodies) h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    assert.equal(h.offeredTasks().length, 2, 'two offers for two slots')
    assert.equal(h.bidder.load(), 2)

    // One offer becomes running work: still two in all, and nothing more is offered.
    const [taken] = h.offeredTasks()
    const body = bodies.find(b => b.taskId === taken)
    assert.ok(body !== undefined)
    assert.equal((await h.invite(body, 'group-a001')).type, 'GROUP_ACCEPT')
    assert.equal((await h.start(body, 'group-a001')).type, 'ACK')
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(work.runs, [taken])
    for (const extra of ['task-b001', 'task-b002']) h.hearOn('alpha', h.announcement(extra, { bidWindowMs: 10_000 }))
    await vi.advanceTimersByTimeAsync(1)
    assert.equal(h.offeredTasks().length, 2)

    // A direct announcement is refused for lack of capacity rather than over-committed.
    const reply = await h.call(createMessage('TASK_ANNOUNCE', h.announcement('task-c001')))
    assert.equal(reply.type, 'ERROR')
    assert.equal(reply.type === 'ERROR' ? reply.body.code : undefined, 'NO_CAPACITY')
    assert.ok(Math.max(...h.loads) <= 2, `loads reported: ${h.loads.join(', ')}`)
    assert.equal(h.bidder.load(), 2)
    h.bidder.stop()
  })

  it('turns the reservation into a commitment on an accepted invite: the lease no longer frees it', async () => {
    const work = hangingHandler()
    const h = await bidderHarness({ capacity: 1, skills: { alpha: work.handler }, leaseGraceMs: 1_000 })
    const body = h.announcement('task-commit', { bidWindowMs: 500 })
    h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    const accepted = await h.invite(body, 'group-commit')
    assert.equal(accepted.type, 'GROUP_ACCEPT')
    assert.deepEqual(h.events.of('work:accepted'), [{ taskId: 'task-commit', groupId: 'group-commit', skills: ['alpha'] }])
    assert.deepEqual(h.bidder.assignments().map(a => a.taskId), ['task-commit'])

    // Well past the lease: the slot stays taken, and another announcement is not offered on.
    await vi.advanceTimersByTimeAsync(5_000)
    assert.equal(h.bidder.load(), 1)
    h.hearOn('alpha', h.announcement('task-later', { bidWindowMs: 10_000 }))
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.offeredTasks(), ['task-commit'])

    // An invite from a peer that is not the announcer is declined.
    const stranger = h.announcers[1]
    assert.ok(stranger !== undefined)
    assert.equal((await h.invite(body, 'group-other', undefined, stranger)).type, 'GROUP_REJECT')
    h.bidder.stop()
  })
})
