/**
 * A member keeps a result the announcer cannot take (its process is down or restarting) and
 * sends it again with a growing backoff until it is taken, the part is abandoned, or the
 * deadline passes; its heartbeats tell when the announcer is lost and when it is back.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { deliverResult, resultRetryDelayMs } from '../../../src/negotiation/bidder/deliver.js'
import { startHeartbeats } from '../../../src/negotiation/bidder/heartbeat.js'
import { silentLogger } from '../../../src/logger.js'
import { systemClock } from '../../../src/ports/clock.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import { FakeMessenger, ack, unreachable } from '../../fakes/fake-messenger.js'
import type { PeerId } from '@libp2p/interface'
import type { Json } from '@swarm/protocol'

describe('bidder: result delivery and the lost announcer', () => {
  let announcer: PeerId
  let messenger: FakeMessenger
  let audits: Array<{ action: string, detail?: Json }>
  const ports = (): Parameters<typeof deliverResult>[0] => ({ messenger, clock: systemClock, logger: silentLogger(), audit: (_taskId, action, detail) => { audits.push({ action, ...(detail !== undefined ? { detail } : {}) }) } })
  const result = createMessage('TASK_COMPLETE', { taskId: 'task-0001', groupId: 'group-0001', skill: 'sum', ok: true, durationMs: 3, output: 6 })

  beforeEach(async () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
    const [p] = await fakePeerIds(1)
    if (p === undefined) throw new Error('peer')
    announcer = p
    messenger = new FakeMessenger()
    audits = []
  })
  afterEach(() => { vi.useRealTimers() })

  it('backs off 500 ms, 1 s, 2 s… up to 5 s between tries', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(resultRetryDelayMs), [500, 1_000, 2_000, 4_000, 5_000, 5_000])
  })

  it('keeps the result while the announcer is down and delivers it once it is back', async () => {
    messenger.on(announcer, 'TASK_COMPLETE', unreachable())
    const delivery = deliverResult(ports(), announcer, result, { deadline: Date.now() + 60_000, abandoned: () => false })
    await vi.advanceTimersByTimeAsync(30_000)
    const tries = messenger.sentOfType('TASK_COMPLETE').length
    assert.ok(tries >= 6, `tried ${tries} times in 30 s`)
    // The announcer restarted.
    messenger.on(announcer, 'TASK_COMPLETE', ack())
    await vi.advanceTimersByTimeAsync(5_000)
    assert.equal(await delivery, 'delivered')
    assert.deepEqual(audits.map(a => a.action), ['result-delivered'])
  })

  it('gives up at the deadline, and when the part is abandoned', async () => {
    messenger.on(announcer, 'TASK_COMPLETE', unreachable())
    const late = deliverResult(ports(), announcer, result, { deadline: Date.now() + 10_000, abandoned: () => false })
    await vi.advanceTimersByTimeAsync(10_000)
    assert.equal(await late, 'deadline')
    assert.deepEqual(audits.map(a => a.action), ['result-undelivered'])
    let cancelled = false
    const dropped = deliverResult(ports(), announcer, result, { deadline: Date.now() + 60_000, abandoned: () => cancelled })
    cancelled = true
    await vi.advanceTimersByTimeAsync(1_000)
    assert.equal(await dropped, 'abandoned')
  })

  it('a refusal ends the delivery at once', async () => {
    messenger.on(announcer, 'TASK_COMPLETE', message => createMessage('ERROR', { ref: message.id, code: 'NOT_A_MEMBER', message: 'no' }))
    assert.equal(await deliverResult(ports(), announcer, result, { deadline: Date.now() + 60_000, abandoned: () => false }), 'refused')
  })

  it('heartbeats tell when the announcer is lost (3 beats missed) and when it is back', async () => {
    const changes: Array<{ lost: boolean, missed?: number, afterMs?: number }> = []
    messenger.on(announcer, 'TASK_UPDATE', unreachable())
    const beats = startHeartbeats({ messenger, clock: systemClock, announcer, taskId: 'task-0001', groupId: 'group-0001', skills: ['sum'], intervalMs: 2_000, lostAfter: 3, onAnnouncer: change => { changes.push(change) } })
    await vi.advanceTimersByTimeAsync(4_000 + 10)
    assert.equal(changes.length, 0, 'two beats missed are not a lost announcer')
    await vi.advanceTimersByTimeAsync(2_000)
    assert.equal(JSON.stringify(changes), JSON.stringify([{ lost: true, missed: 3 }]))
    await vi.advanceTimersByTimeAsync(10_000)
    assert.equal(changes.length, 1, 'lost is told once')
    messenger.on(announcer, 'TASK_UPDATE', ack())
    await vi.advanceTimersByTimeAsync(2_000)
    assert.equal(changes.length, 2)
    assert.equal(changes[1]?.lost, false)
    beats.stop()
  })
})
