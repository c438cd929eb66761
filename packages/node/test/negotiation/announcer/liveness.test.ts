/**
 * Liveness of members: a member whose heartbeats stop (a stopped process, a peer that went
 * silent without closing its connection) is replaced from the backups after
 * memberHeartbeatMs × memberMissedHeartbeats, with the last checkpoint and a no-show; one that
 * keeps beating is left alone; one that beats but never delivers is replaced once its share of
 * the deadline is over.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { announcerHarness, strong, willing } from './harness.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import type { FakeAgent, Harness } from './harness.js'
import type { TaskSpecInput } from '../../../src/negotiation/task-spec.js'
import type { PeerId } from '@libp2p/interface'

const BID_WINDOW_MS = 500

describe('Announcer liveness of members', () => {
  let h: Harness
  let member: PeerId
  let backup: PeerId

  beforeEach(async () => {
    vi.useFakeTimers()
    h = await announcerHarness()
    const [a, b] = await fakePeerIds(2)
    if (a === undefined || b === undefined) throw new Error('peers')
    member = a
    backup = b
  })

  afterEach(async () => {
    await h.close()
    vi.useRealTimers()
  })

  /** A running one-member task: `member` (the best offer) was chosen, `backup` offered too. */
  async function running (spec: Partial<TaskSpecInput> = {}): Promise<string> {
    const best: FakeAgent = strong('sum')
    const second: FakeAgent = { skills: [{ name: 'sum', level: 'advanced', successRate: 0.9, avgCompletionMs: 0 }], load: 1, capacity: 4 }
    willing(h, member, best)
    willing(h, backup, second)
    const { id } = await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum' }], bidWindowMs: BID_WINDOW_MS, maxAttempts: 1, ...spec })
    await h.offer(member, id, best)
    await h.offer(backup, id, second)
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.announcer.state(id)?.members.map(m => m.peerId), [member.toString()])
    return id
  }

  /** A heartbeat of `peer` for the task's part, arriving directly. */
  async function beat (peer: PeerId, taskId: string, progress = 0.3): Promise<void> {
    const reply = await h.direct.call(createMessage('TASK_UPDATE', { taskId, groupId: h.groupOf(taskId), skill: 'sum', progress, message: 'heartbeat' }), peer)
    assert.equal(reply.type, 'ACK')
  }

  function membersOf (taskId: string): string[] | undefined {
    return h.announcer.state(taskId)?.members.map(m => m.peerId)
  }

  it('replaces a member whose heartbeats stop after the missed-heartbeat limit, from its last checkpoint', async () => {
    const limitMs = h.settings.memberHeartbeatMs * h.settings.memberMissedHeartbeats
    const taskId = await running()
    assert.equal(h.progress(member, taskId, 'sum', { progress: 0.4, checkpoint: { done: 7 }, message: 'checkpoint' }), true)
    await vi.advanceTimersByTimeAsync(h.settings.memberHeartbeatMs)
    await beat(member, taskId)
    // Then the member freezes: no more beats, its connection stays open.
    await vi.advanceTimersByTimeAsync(limitMs - 10)
    assert.deepEqual(membersOf(taskId), [member.toString()])
    assert.equal(h.messenger.sentOfType('GROUP_INVITE', backup).length, 0)
    await vi.advanceTimersByTimeAsync(20)
    assert.deepEqual(membersOf(taskId), [backup.toString()])
    assert.equal(h.announcer.state(taskId)?.status, 'RUNNING')
    const starts = h.messenger.sentOfType('TASK_START', backup)
    assert.equal(starts.length, 1)
    assert.deepEqual(starts[0]?.message.body.checkpoint, { done: 7 })
    assert.deepEqual(h.reputation.outcomesOf(member), ['no-show'])
    // The frozen member is told to stop, should it wake up.
    assert.ok(h.messenger.sentOfType('TASK_CANCEL', member).some(r => r.message.body.reason.startsWith(`replaced: missed ${h.settings.memberMissedHeartbeats} heartbeats`)))
    const silent = h.audits.find(a => a.action === 'member-silent')
    assert.deepEqual(silent?.detail, { peerId: member.toString(), silentMs: limitMs, missedHeartbeats: h.settings.memberMissedHeartbeats })
    const actions = h.actions()
    assert.ok(actions.indexOf('member-silent') < actions.indexOf('member-replaced'))
    assert.match(h.events.of('task:member-replaced')[0]?.reason ?? '', new RegExp(`missed ${h.settings.memberMissedHeartbeats} heartbeats`))
    // Heartbeats are not progress events.
    assert.deepEqual(h.events.of('task:progress'), [])
    assert.equal((await h.result(backup, taskId, 'sum', { ok: true, output: 42 })).type, 'ACK')
    assert.equal((await h.announcer.get(taskId)?.result())?.ok, true)
  })

  it('keeps a member that goes on beating', async () => {
    const taskId = await running()
    for (let t = 0; t < 40_000; t += h.settings.memberHeartbeatMs) {
      await vi.advanceTimersByTimeAsync(h.settings.memberHeartbeatMs)
      await beat(member, taskId, t / 60_000)
    }
    assert.deepEqual(membersOf(taskId), [member.toString()])
    assert.equal(h.messenger.sentOfType('GROUP_INVITE', backup).length, 0)
    assert.deepEqual(h.reputation.outcomesOf(member), [])
    assert.ok(!h.actions().includes('member-silent'))
  })

  it('replaces a member that beats but sends no result within its share of the deadline', async () => {
    const deadlineMs = 10_000
    const taskId = await running({ deadlineMs })
    // Started about 1 ms after the announcement: the result is due 0.8 × 9 999 ms later.
    const dueMs = Math.floor(h.settings.memberResultShare * (deadlineMs - 1))
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(h.settings.memberHeartbeatMs)
      await beat(member, taskId)
    }
    await vi.advanceTimersByTimeAsync(dueMs - 3 * h.settings.memberHeartbeatMs - 20)
    assert.deepEqual(membersOf(taskId), [member.toString()])
    await vi.advanceTimersByTimeAsync(40)
    assert.deepEqual(membersOf(taskId), [backup.toString()])
    assert.ok(h.actions().includes('member-overdue'))
    assert.ok(!h.actions().includes('member-silent'))
    assert.deepEqual(h.reputation.outcomesOf(member), ['no-show'])
    assert.match(h.events.of('task:member-replaced')[0]?.reason ?? '', /share of the deadline/)
  })

  it('lets a late member that beats keep its part when no backup could take it (the deadline decides)', async () => {
    const deadlineMs = 10_000
    willing(h, member, strong('sum'))
    const { id: taskId } = await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum' }], bidWindowMs: BID_WINDOW_MS, maxAttempts: 1, deadlineMs })
    await h.offer(member, taskId, strong('sum'))
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    assert.deepEqual(membersOf(taskId), [member.toString()])
    // It beats past the time its result was due (memberResultShare of the deadline).
    const dueMs = h.settings.memberResultShare * deadlineMs
    for (let t = 0; t <= dueMs; t += h.settings.memberHeartbeatMs) {
      await vi.advanceTimersByTimeAsync(h.settings.memberHeartbeatMs)
      await beat(member, taskId)
    }
    assert.ok(h.actions().includes('member-overdue'))
    assert.ok(h.actions().includes('member-kept'))
    assert.deepEqual(membersOf(taskId), [member.toString()])
    assert.equal(h.announcer.state(taskId)?.status, 'RUNNING')
    assert.deepEqual(h.reputation.outcomesOf(member), [])
    assert.equal((await h.result(member, taskId, 'sum', { ok: true, output: 5 })).type, 'ACK')
    assert.equal((await h.announcer.get(taskId)?.result())?.ok, true)
  })
})
