/**
 * Execution: a member that went away (peerGone, still gone after the grace period) or never
 * acknowledged its start is replaced from the backups, and the backup resumes from the last
 * checkpoint the member posted on the group topic.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { announcerHarness, strong, willing } from './harness.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import { unreachable } from '../../fakes/fake-messenger.js'
import type { FakeAgent, Harness } from './harness.js'
import type { PeerId } from '@libp2p/interface'

const BID_WINDOW_MS = 500

describe('Announcer execution and replacement', () => {
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
  async function running (): Promise<string> {
    const best: FakeAgent = strong('sum')
    const second: FakeAgent = { skills: [{ name: 'sum', level: 'advanced', successRate: 0.9, avgCompletionMs: 0 }], load: 1, capacity: 4 }
    willing(h, member, best)
    willing(h, backup, second)
    const { id } = await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum' }], bidWindowMs: BID_WINDOW_MS, maxAttempts: 1 })
    await h.offer(member, id, best)
    await h.offer(backup, id, second)
    await vi.advanceTimersByTimeAsync(1)
    assert.equal(h.announcer.state(id)?.status, 'RUNNING')
    assert.deepEqual(h.announcer.state(id)?.members.map(m => m.peerId), [member.toString()])
    return id
  }

  it('hands the part of a member that went away to the backup after the grace period, with its checkpoint', async () => {
    const taskId = await running()
    assert.equal(h.progress(member, taskId, 'sum', { progress: 0.5, checkpoint: { done: 21 }, message: 'checkpoint' }), true)
    h.announcer.peerGone(member.toString(), () => true)
    await vi.advanceTimersByTimeAsync(h.settings.memberGraceMs - 10)
    assert.deepEqual(h.announcer.state(taskId)?.members.map(m => m.peerId), [member.toString()])
    await vi.advanceTimersByTimeAsync(20)
    const state = h.announcer.state(taskId)
    assert.equal(state?.status, 'RUNNING')
    assert.deepEqual(state?.members, [{ peerId: backup.toString(), skills: ['sum'] }])
    const starts = h.messenger.sentOfType('TASK_START', backup)
    assert.equal(starts.length, 1)
    assert.deepEqual(starts[0]?.message.body.checkpoint, { done: 21 })
    assert.deepEqual(h.reputation.outcomesOf(member), ['no-show'])
    assert.equal(h.events.of('task:member-replaced')[0]?.to, backup.toString())
    assert.deepEqual(h.groups.changes.at(-1)?.members, [backup.toString()])
    // The backup's result completes the task; the former member's is not taken.
    assert.equal((await h.result(member, taskId, 'sum', { ok: true, output: 1 })).type, 'ERROR')
    assert.equal((await h.result(backup, taskId, 'sum', { ok: true, output: 42 })).type, 'ACK')
    const outcome = await h.announcer.get(taskId)?.result()
    assert.equal(outcome?.ok, true)
    assert.deepEqual(outcome?.output, { sum: 42 })
  })

  it('keeps a member that came back within the grace period', async () => {
    const taskId = await running()
    h.announcer.peerGone(member.toString(), () => false)
    await vi.advanceTimersByTimeAsync(h.settings.memberGraceMs + 10)
    assert.deepEqual(h.announcer.state(taskId)?.members.map(m => m.peerId), [member.toString()])
    assert.equal(h.messenger.sentOfType('GROUP_INVITE', backup).length, 0)
  })

  it('fails the attempt when a gone member has no backup left', async () => {
    const taskId = await running()
    h.messenger.on(backup, 'GROUP_INVITE', unreachable())
    h.announcer.peerGone(member.toString(), () => true)
    await vi.advanceTimersByTimeAsync(h.settings.memberGraceMs + 10)
    const state = h.announcer.state(taskId)
    assert.equal(state?.status, 'FAILED')
    assert.match(state?.reason ?? '', /went away and no backup could take over "sum"/)
  })

  it('replaces a member that does not acknowledge its start', async () => {
    willing(h, member, strong('sum'))
    h.messenger.on(member, 'TASK_START', unreachable())
    willing(h, backup, strong('sum'))
    const { id } = await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum' }], bidWindowMs: BID_WINDOW_MS, maxAttempts: 1 })
    await h.offer(member, id, strong('sum'))
    await h.offer(backup, id, { skills: [{ name: 'sum', level: 'advanced', successRate: 0.9, avgCompletionMs: 0 }], load: 1, capacity: 4 })
    await vi.advanceTimersByTimeAsync(1)
    const state = h.announcer.state(id)
    assert.equal(state?.status, 'RUNNING')
    assert.deepEqual(state?.members.map(m => m.peerId), [backup.toString()])
    assert.equal(h.events.of('task:member-replaced')[0]?.reason, 'did not acknowledge the task start')
  })
})
