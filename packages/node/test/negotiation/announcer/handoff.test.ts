/**
 * Handoff on the announcer side: a member's HANDOFF moves its part to a backup (started with the
 * state the member passed, else the last checkpoint), is audited as `member-handoff` with the
 * reason and costs the member no reputation; without a backup the member is told (ERROR
 * NO_CAPACITY) and keeps its part. On vitest's fake clock.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { announcerHarness, strong, willing } from './harness.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import { silent, unreachable } from '../../fakes/fake-messenger.js'
import { HANDOFF_ANSWER_MS } from '../../../src/negotiation/announcer/handoff.js'
import type { FakeAgent, Harness } from './harness.js'
import type { PeerId } from '@libp2p/interface'
import type { Json, SwarmMessage } from '@swarm/protocol'

const BID_WINDOW_MS = 500

describe('Announcer: a member hands its part off', () => {
  let h: Harness
  let member: PeerId
  let backup: PeerId
  let stranger: PeerId

  beforeEach(async () => {
    vi.useFakeTimers()
    h = await announcerHarness()
    const [a, b, c] = await fakePeerIds(3)
    if (a === undefined || b === undefined || c === undefined) throw new Error('peers')
    member = a
    backup = b
    stranger = c
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
    assert.deepEqual(h.announcer.state(id)?.members.map(m => m.peerId), [member.toString()])
    return id
  }

  async function handoff (from: PeerId, taskId: string, body: { reason: string, checkpoint?: Json, skill?: string, claimedFrom?: string }): Promise<SwarmMessage> {
    const message = createMessage('HANDOFF', {
      taskId,
      groupId: h.groupOf(taskId),
      skill: body.skill ?? 'sum',
      from: body.claimedFrom ?? from.toString(),
      reason: body.reason,
      ...(body.checkpoint !== undefined ? { checkpoint: body.checkpoint } : {})
    })
    return await h.direct.call(message, from)
  }

  it('starts the backup with the passed state, answers ACK naming it, and the backup completes the task', async () => {
    const taskId = await running()
    const reply = await handoff(member, taskId, { reason: 'needs a specialist', checkpoint: { step: 3 } })
    assert.equal(reply.type, 'ACK')
    assert.deepEqual(reply.type === 'ACK' ? reply.body.data : undefined, { to: backup.toString() })

    const state = h.announcer.state(taskId)
    assert.equal(state?.status, 'RUNNING')
    assert.deepEqual(state?.members, [{ peerId: backup.toString(), skills: ['sum'] }])
    const starts = h.messenger.sentOfType('TASK_START', backup)
    assert.equal(starts.length, 1)
    assert.deepEqual(starts[0]?.message.body.checkpoint, { step: 3 })
    const audit = h.audits.find(a => a.action === 'member-handoff')
    assert.deepEqual(audit?.detail, { skill: 'sum', from: member.toString(), to: backup.toString(), reason: 'handoff: needs a specialist' })
    assert.ok(!h.actions().includes('member-replaced'))
    const event = h.events.of('task:member-replaced')[0]
    assert.equal(event?.to, backup.toString())
    assert.match(event?.reason ?? '', /handoff: needs a specialist/)
    // No no-show: the member handed its part over on its own.
    assert.deepEqual(h.reputation.outcomesOf(member), [])
    // The state is persisted with the task like any checkpoint.
    assert.deepEqual(h.checkpointsSaved.at(-1), { taskId, checkpoint: { sum: { step: 3 } } })

    assert.equal((await h.result(member, taskId, 'sum', { ok: true, output: 1 })).type, 'ERROR', 'the former member no longer delivers')
    assert.equal((await h.result(backup, taskId, 'sum', { ok: true, output: 42 })).type, 'ACK')
    const outcome = await h.announcer.get(taskId)?.result()
    assert.equal(outcome?.status, 'COMPLETE')
    assert.deepEqual(outcome?.output, { sum: 42 })
  })

  it('falls back to the last checkpoint the member posted when it passes no state', async () => {
    const taskId = await running()
    assert.equal(h.progress(member, taskId, 'sum', { progress: 0.4, checkpoint: { done: 4 }, message: 'checkpoint' }), true)
    assert.equal((await handoff(member, taskId, { reason: 'shutting down' })).type, 'ACK')
    assert.deepEqual(h.messenger.sentOfType('TASK_START', backup)[0]?.message.body.checkpoint, { done: 4 })
  })

  it('tells the member when no backup can take the part: it keeps it, and its failure fails the attempt', async () => {
    const taskId = await running()
    h.messenger.on(backup, 'GROUP_INVITE', unreachable())
    const reply = await handoff(member, taskId, { reason: 'shutting down', checkpoint: { step: 1 } })
    assert.equal(reply.type, 'ERROR')
    assert.equal(reply.type === 'ERROR' ? reply.body.code : undefined, 'NO_CAPACITY')
    assert.match(reply.type === 'ERROR' ? reply.body.message : '', /no backup/)
    const state = h.announcer.state(taskId)
    assert.equal(state?.status, 'RUNNING')
    assert.deepEqual(state?.members.map(m => m.peerId), [member.toString()])
    assert.ok(h.actions().includes('handoff-refused'))
    assert.deepEqual(h.reputation.outcomesOf(member), [])
    // The member (draining) fails its part: the attempt fails (maxAttempts 1).
    const result = await h.direct.call(createMessage('TASK_COMPLETE', { taskId, groupId: h.groupOf(taskId), skill: 'sum', ok: false, durationMs: 3, error: { code: 'HANDLER_ABORTED', message: 'handler aborted: shutting down' } }), member)
    assert.equal(result.type, 'ACK')
    assert.equal(h.announcer.state(taskId)?.status, 'FAILED')
  })

  it('answers ACK (pending) when the search outlasts its answer time, and fails the attempt if it then finds no backup', async () => {
    const taskId = await running()
    // The backup never answers its invite (it takes inviteTimeoutMs to give up on it).
    h.messenger.on(backup, 'GROUP_INVITE', silent())
    const settings = { ...h.settings, inviteTimeoutMs: HANDOFF_ANSWER_MS + 2_000 }
    assert.ok(settings.inviteTimeoutMs > HANDOFF_ANSWER_MS)
    h.settings.inviteTimeoutMs = settings.inviteTimeoutMs
    let reply: SwarmMessage | undefined
    void handoff(member, taskId, { reason: 'overloaded' }).then(r => { reply = r })
    await vi.advanceTimersByTimeAsync(HANDOFF_ANSWER_MS + 10)
    assert.equal(reply?.type, 'ACK')
    assert.deepEqual(reply?.type === 'ACK' ? reply.body.data : undefined, { pending: true })
    assert.equal(h.announcer.state(taskId)?.status, 'RUNNING')
    await vi.advanceTimersByTimeAsync(2_100)
    const state = h.announcer.state(taskId)
    assert.equal(state?.status, 'FAILED')
    assert.match(state?.reason ?? '', /handed off "sum" \(overloaded\) and no backup could take it over/)
  })

  it('refuses a HANDOFF from outside the group, for another peer, or for an unknown task', async () => {
    const taskId = await running()
    const code = (m: SwarmMessage): string | undefined => m.type === 'ERROR' ? m.body.code : undefined
    assert.equal(code(await handoff(stranger, taskId, { reason: 'x' })), 'NOT_A_MEMBER')
    assert.equal(code(await handoff(stranger, taskId, { reason: 'x', claimedFrom: member.toString() })), 'NOT_A_MEMBER')
    assert.equal(code(await handoff(member, taskId, { reason: 'x', skill: 'other' })), 'NOT_A_MEMBER')
    const unknown = createMessage('HANDOFF', { taskId: 'no-such-task', groupId: h.groupOf(taskId), skill: 'sum', from: member.toString(), reason: 'x' })
    assert.equal(code(await h.direct.call(unknown, member)), 'UNKNOWN_TASK')
    assert.deepEqual(h.announcer.state(taskId)?.members.map(m => m.peerId), [member.toString()])
    assert.equal(h.messenger.sentOfType('GROUP_INVITE', backup).length, 0)
  })
})
