/**
 * How tasks end: results completing a task (and its verification by the group), the deadline
 * failing it, a failed attempt retried after its backoff, cancel, and stop.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { topics } from '@swarm/protocol'
import { retryDelayMs } from '../../../src/core/task-machine.js'
import { NETWORK, announcerHarness, strong, willing } from './harness.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import type { Harness } from './harness.js'
import type { TaskSpecInput } from '../../../src/negotiation/task-spec.js'
import type { PeerId } from '@libp2p/interface'

const BID_WINDOW_MS = 500

describe('Announcer task outcomes', () => {
  let h: Harness
  let a: PeerId
  let b: PeerId

  beforeEach(async () => {
    vi.useFakeTimers()
    // The fake members here send no heartbeats and take their time: liveness (liveness.test.ts)
    // is kept out of the way, so that outcomes are decided by results and the deadline alone.
    h = await announcerHarness({ memberMissedHeartbeats: 100, memberResultShare: 1 })
    const [p, q] = await fakePeerIds(2)
    if (p === undefined || q === undefined) throw new Error('peers')
    a = p
    b = q
    willing(h, a, strong('sum'))
    willing(h, b, strong('sum'))
  })

  afterEach(async () => {
    vi.restoreAllMocks()
    await h.close()
    vi.useRealTimers()
  })

  /** Announces, has a and b offer the same (ties go to the lower peer id), and waits for the group: `member` was chosen. */
  async function running (spec: Partial<TaskSpecInput> = {}): Promise<{ taskId: string, member: PeerId, other: PeerId }> {
    const { id } = await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum' }], bidWindowMs: BID_WINDOW_MS, maxAttempts: 1, ...spec })
    await h.offer(a, id, strong('sum'))
    await h.offer(b, id, strong('sum'))
    await vi.advanceTimersByTimeAsync(1)
    const chosen = h.announcer.state(id)?.members[0]?.peerId
    assert.equal(h.announcer.state(id)?.status, 'RUNNING')
    const member = chosen === a.toString() ? a : b
    return { taskId: id, member, other: member === a ? b : a }
  }

  it('completes with the members\' results, persists the outcome and dissolves the group', async () => {
    const { taskId, member } = await running()
    const groupId = h.groupOf(taskId)
    assert.equal((await h.result(member, taskId, 'sum', { ok: true, output: 3 })).type, 'ACK')
    const outcome = await h.announcer.get(taskId)?.result()
    assert.equal(outcome?.status, 'COMPLETE')
    assert.deepEqual(outcome?.output, { sum: 3 })
    assert.equal(h.saved.at(-1)?.outcome?.status, 'COMPLETE')
    assert.deepEqual(h.reputation.outcomesOf(member), ['success'])
    assert.equal(h.gossip.publishedOfType('DISSOLVE')[0]?.topic, topics.group(NETWORK, groupId))
    assert.deepEqual(h.groups.dissolvedGroups, [groupId])
    assert.equal(h.announcer.active(), 0)
  })

  it('has the group verify the result when the task asks for it', async () => {
    const { taskId, member } = await running({ verify: 'majority' })
    h.groups.verdict = 'approved'
    await h.result(member, taskId, 'sum', { ok: true, output: 3 })
    const outcome = await h.announcer.get(taskId)?.result()
    assert.equal(outcome?.status, 'VERIFIED')
    assert.equal(h.groups.verifications.length, 1)
    assert.equal(h.groups.verifications[0]?.timeoutMs, h.settings.verifyTimeoutMs)
  })

  it('fails a task whose deadline passes, tells its members to stop, and does not escalate', async () => {
    const deadlineMs = 5_000
    const { taskId, member } = await running({ deadlineMs, maxAttempts: 3 })
    await vi.advanceTimersByTimeAsync(deadlineMs - 10)
    assert.equal(h.announcer.state(taskId)?.status, 'RUNNING')
    await vi.advanceTimersByTimeAsync(20)
    const state = h.announcer.state(taskId)
    assert.equal(state?.status, 'FAILED')
    assert.equal(state?.reason, 'deadline passed')
    assert.ok(h.messenger.sentOfType('TASK_CANCEL', member).some(r => r.message.body.reason === 'deadline passed'))
    assert.equal(h.groups.escalations.length, 0)
    assert.equal((await h.announcer.get(taskId)?.result())?.status, 'FAILED')
  })

  it('retries a failed attempt after its backoff, without the member that failed', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const delayMs = retryDelayMs(1, {}, 0.5)
    const { taskId, member, other } = await running({ maxAttempts: 2 })
    await h.result(member, taskId, 'sum', { ok: false })
    assert.equal(h.announcer.state(taskId)?.status, 'RETRY')
    assert.deepEqual(h.events.of('task:retry').map(e => e.delayMs), [delayMs])
    assert.deepEqual(h.reputation.outcomesOf(member), ['failure'])
    const announced = h.events.of('task:announced').length
    await vi.advanceTimersByTimeAsync(delayMs - 10)
    assert.equal(h.events.of('task:announced').length, announced)
    await vi.advanceTimersByTimeAsync(20)
    assert.equal(h.events.of('task:announced').length, announced + 1)
    assert.equal(h.announcer.state(taskId)?.attempt, 2)
    assert.equal(h.gossip.publishedOfType('TASK_ANNOUNCE').at(-1)?.message.body.attempt, 2)
    // Both offer again; the one that failed is not chosen.
    await h.offer(member, taskId, strong('sum'), 2)
    await h.offer(other, taskId, strong('sum'), 2)
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    assert.deepEqual(h.announcer.state(taskId)?.members.map(m => m.peerId), [other.toString()])
  })

  it('escalates a task that failed all its attempts', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const { taskId, member, other } = await running({ maxAttempts: 2 })
    await h.result(member, taskId, 'sum', { ok: false })
    await vi.advanceTimersByTimeAsync(retryDelayMs(1, {}, 0.5) + 1)
    await h.offer(other, taskId, strong('sum'), 2)
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    await h.result(other, taskId, 'sum', { ok: false })
    assert.equal(h.announcer.state(taskId)?.status, 'FAILED')
    assert.equal(h.groups.escalations.length, 1)
    assert.match(h.groups.escalations[0]?.issue ?? '', /task failed all 2 attempts/)
  })

  it('cancels a running task: members are told, the outcome says why, a second cancel is refused', async () => {
    const { taskId, member } = await running()
    const state = await h.announcer.cancel(taskId, 'not needed any more')
    assert.equal(state.status, 'CANCELLED')
    assert.ok(h.messenger.sentOfType('TASK_CANCEL', member).some(r => r.message.body.reason === 'not needed any more'))
    const outcome = await h.announcer.get(taskId)?.result()
    assert.equal(outcome?.status, 'CANCELLED')
    assert.equal(outcome?.reason, 'not needed any more')
    // The member's unfinished part was stopped, not failed: no NO_RESULT error (`task <id>` shows none).
    assert.deepEqual(outcome?.errors, [])
    assert.deepEqual(outcome?.bySkill?.sum?.map(part => part.error?.code), ['CANCELLED'])
    await assert.rejects(h.announcer.cancel(taskId, 'again'), { code: 'TASK_STATE' })
    await assert.rejects(h.announcer.cancel('no-such-task', 'why'), { code: 'TASK_NOT_FOUND' })
  })

  it('cancels what is still open when it stops, and announces nothing after', async () => {
    const { taskId } = await running()
    await h.close()
    assert.equal(h.announcer.state(taskId)?.status, 'CANCELLED')
    assert.equal(h.announcer.state(taskId)?.reason, 'the announcer stopped')
    await assert.rejects(h.announcer.announce({ description: 'more', skills: [{ name: 'sum' }] }), { code: 'NOT_STARTED' })
  })
})
