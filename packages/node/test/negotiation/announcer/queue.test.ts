/**
 * The queue: a task whose capable agents are all busy waits (QUEUED) instead of being rejected,
 * is asked again (same attempt, the next `ask`) on a backoff and whenever an agent frees a slot,
 * most urgent first, until it is taken, cancelled or its deadline passes. REJECTED stays for a
 * task nobody known can do.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { announcerHarness, strong, willing } from './harness.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import type { Harness } from './harness.js'
import type { PeerId } from '@libp2p/interface'
import type { Priority } from '@swarm/protocol'

const BID_WINDOW_MS = 500

describe('Announcer queue', () => {
  let h: Harness
  let agent: PeerId

  beforeEach(async () => {
    vi.useFakeTimers()
    h = await announcerHarness()
    const [a] = await fakePeerIds(1)
    if (a === undefined) throw new Error('peers')
    agent = a
    // The directory knows one capable agent (too few to ask it directly: the topic is used).
    h.capable.set('sum', [agent.toString()])
    willing(h, agent, strong('sum'))
  })

  afterEach(async () => {
    await h.close()
    vi.useRealTimers()
  })

  async function announce (priority: Priority = 'normal', deadlineMs = 60_000, dependents?: number): Promise<string> {
    const handle = await h.announcer.announce({ description: `a ${priority} sum`, skills: [{ name: 'sum' }], priority, bidWindowMs: BID_WINDOW_MS, deadlineMs, maxAttempts: 1, ...(dependents !== undefined ? { dependents } : {}) })
    return handle.id
  }

  /** Announcements of a task published on its topic so far, with their `ask`. */
  function asks (taskId: string): Array<number | undefined> {
    return h.gossip.publishedOfType('TASK_ANNOUNCE').filter(p => p.message.body.taskId === taskId).map(p => p.message.body.ask)
  }

  /** A task `agent` works on (it offered, was invited and started). */
  async function running (): Promise<string> {
    const taskId = await announce()
    await h.offer(agent, taskId, strong('sum'))
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS)
    assert.equal(h.announcer.state(taskId)?.status, 'RUNNING')
    return taskId
  }

  it('queues a task nobody offered on while a capable agent is known, with why, instead of rejecting it', async () => {
    const taskId = await announce()
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    const state = h.announcer.state(taskId)
    assert.equal(state?.status, 'QUEUED')
    assert.match(state?.reason ?? '', /waiting for a free agent: every capable agent is busy \(1 agent with "sum" known\)/)
    assert.equal(h.announcer.get(taskId)?.done, false)
    assert.deepEqual(h.events.of('task:state').filter(e => e.taskId === taskId).map(e => e.to), ['ANNOUNCED', 'QUEUED'])
    assert.deepEqual(h.audits.find(a => a.taskId === taskId && a.action === 'queued')?.detail, { reason: state?.reason, asks: 0, position: 1 })
  })

  it('rejects at once when no agent known can do it', async () => {
    h.capable.clear()
    const taskId = await announce()
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    assert.equal(h.announcer.state(taskId)?.status, 'REJECTED')
    assert.equal((await h.announcer.get(taskId)?.result())?.status, 'REJECTED')
  })

  it('asks a queued task again on a backoff (1 s, then 2 s …), same attempt, a new ask each time', async () => {
    const taskId = await announce()
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    assert.deepEqual(asks(taskId), [undefined])
    await vi.advanceTimersByTimeAsync(h.settings.queueRetryBaseMs - 10)
    assert.deepEqual(asks(taskId), [undefined])
    await vi.advanceTimersByTimeAsync(20)
    assert.deepEqual(asks(taskId), [undefined, 1])
    assert.equal(h.announcer.state(taskId)?.status, 'ANNOUNCED')
    assert.equal(h.announcer.state(taskId)?.attempt, 1)
    assert.deepEqual(h.audits.find(a => a.taskId === taskId && a.action === 'dequeued')?.detail, { trigger: 'backoff', asks: 1, waitedMs: h.settings.queueRetryBaseMs })
    // Nobody offers again: queued again, and the next re-ask waits twice as long.
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS)
    assert.equal(h.announcer.state(taskId)?.status, 'QUEUED')
    await vi.advanceTimersByTimeAsync(2 * h.settings.queueRetryBaseMs - 20)
    assert.deepEqual(asks(taskId), [undefined, 1])
    await vi.advanceTimersByTimeAsync(40)
    assert.deepEqual(asks(taskId), [undefined, 1, 2])
  })

  it('gives the slot of an agent whose task ended to the most urgent queued task, one task only', async () => {
    const busy = await running()
    const low = await announce('low')
    const high = await announce('high')
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    assert.equal(h.announcer.state(low)?.status, 'QUEUED')
    assert.equal(h.announcer.state(high)?.status, 'QUEUED')
    // The agent delivers: its slot frees, and the high task (announced last) is asked first.
    assert.equal((await h.result(agent, busy, 'sum', { ok: true, output: 1 })).type, 'ACK')
    assert.equal(h.announcer.state(busy)?.status, 'COMPLETE')
    assert.equal(h.announcer.state(high)?.status, 'ANNOUNCED')
    assert.equal(h.announcer.state(low)?.status, 'QUEUED')
    const dequeued = h.audits.find(a => a.taskId === high && a.action === 'dequeued')?.detail as Record<string, unknown> | undefined
    assert.equal(dequeued?.trigger, 'capacity-freed')
    assert.equal(dequeued?.peerId, agent.toString())
    assert.equal(dequeued?.why, `task ${busy} ended`)
    // The agent offers on the high task: it runs; the low one waits for the next slot.
    assert.equal((await h.offer(agent, high, strong('sum'))).type, 'ACK')
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS)
    assert.equal(h.announcer.state(high)?.status, 'RUNNING')
    assert.equal(h.announcer.state(low)?.status, 'QUEUED')
  })

  it('gives a freed slot to the queued task others wait for (the spec\'s dependents) before an older one', async () => {
    const busy = await running()
    const older = await announce('normal')
    await vi.advanceTimersByTimeAsync(10)
    const awaited = await announce('normal', 60_000, 2)
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    assert.equal(h.announcer.state(older)?.status, 'QUEUED')
    assert.equal(h.announcer.state(awaited)?.status, 'QUEUED')
    assert.equal((await h.result(agent, busy, 'sum', { ok: true, output: 1 })).type, 'ACK')
    assert.equal(h.announcer.state(awaited)?.status, 'ANNOUNCED')
    assert.equal(h.announcer.state(older)?.status, 'QUEUED')
    // The announcement says so too, for the bidders' queues.
    const bodies = h.gossip.publishedOfType('TASK_ANNOUNCE').map(p => p.message.body)
    assert.ok(bodies.filter(b => b.taskId === awaited).every(b => b.dependents === 2))
    assert.ok(bodies.filter(b => b.taskId === older).every(b => b.dependents === undefined))
  })

  it('takes an offer on a queued task as a freed slot: refused, and the most urgent queued task is asked again', async () => {
    const low = await announce('low')
    const high = await announce('critical')
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    const late = await h.offer(agent, low, strong('sum'))
    assert.equal(late.type === 'ERROR' ? late.body.code : late.type, 'BIDDING_CLOSED')
    assert.equal(h.announcer.state(high)?.status, 'ANNOUNCED')
    assert.equal(h.announcer.state(low)?.status, 'QUEUED')
    assert.deepEqual(asks(high), [undefined, 1])
  })

  it('fails a queued task at its deadline, and a cancelled one is not asked again', async () => {
    const late = await announce('normal', 1_800)
    const cancelled = await announce('normal')
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    await h.announcer.cancel(cancelled, 'changed my mind')
    assert.equal(h.announcer.state(cancelled)?.status, 'CANCELLED')
    await vi.advanceTimersByTimeAsync(1_800)
    const state = h.announcer.state(late)
    assert.equal(state?.status, 'FAILED')
    assert.equal(state?.reason, 'deadline passed')
    assert.deepEqual(state?.history.map(e => e.to), ['ANNOUNCED', 'QUEUED', 'ANNOUNCED', 'FAILED'])
    assert.deepEqual(asks(cancelled), [undefined])
  })
})
