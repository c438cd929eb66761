/**
 * Handoff on the member side: a handler that calls ctx.handoff makes the member send HANDOFF to
 * its announcer (no TASK_COMPLETE when it is accepted), and a graceful drain hands every running
 * part off ("shutting down", from its last checkpoint) before the node stops. On the fake clock.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { bidderHarness } from './harness.js'
import type { BidderHarness } from './harness.js'
import type { SkillHandler } from '../../../src/executor/types.js'
import type { PeerId } from '@libp2p/interface'
import type { Json, SwarmMessage } from '@swarm/protocol'

const BACKUP = '12D3KooWHdRzLbYhJmJmj3y2eQ2HdwRBRvZp4XWfsKsT1iFz4ZG6'

/** A handler that saves a checkpoint, then runs until its signal aborts. */
function checkpointingHandler (): { handler: SkillHandler, aborted: unknown[] } {
  const aborted: unknown[] = []
  const handler: SkillHandler = async (_input, ctx) => await new Promise<Json>((_resolve, reject) => {
    ctx.saveCheckpoint({ step: 1 })
    ctx.signal.addEventListener('abort', () => {
      aborted.push(ctx.signal.reason)
      reject(ctx.signal.reason)
    }, { once: true })
  })
  return { handler, aborted }
}

/** The announcer's answer to HANDOFF (everything else is acknowledged). */
function answerHandoff (h: BidderHarness, answer: (message: Extract<SwarmMessage, { type: 'HANDOFF' }>) => SwarmMessage | Promise<SwarmMessage>): void {
  h.messenger.answer = async (_peer, message) => message.type === 'HANDOFF' ? await answer(message) : createMessage('ACK', { ref: message.id })
}

/** Hears, accepts and starts a one-skill task from `from` (default: the first announcer). */
async function startTask (h: BidderHarness, taskId: string, from?: PeerId): Promise<void> {
  const body = h.announcement(taskId)
  h.hearOn('alpha', body, from)
  await vi.advanceTimersByTimeAsync(1)
  assert.equal((await h.invite(body, `group-${taskId}`, undefined, from)).type, 'GROUP_ACCEPT')
  assert.equal((await h.start(body, `group-${taskId}`, undefined, undefined, from)).type, 'ACK')
  await vi.advanceTimersByTimeAsync(1)
}

describe('bidder: handing a part off', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
  })
  afterEach(() => { vi.useRealTimers() })

  it('sends HANDOFF with the handler\'s reason and state; accepted, the part ends without a result', async () => {
    const handler: SkillHandler = async (_input, ctx) => ctx.handoff?.('needs a specialist', { step: 3 }) ?? null
    const h = await bidderHarness({ capacity: 1, skills: { alpha: handler } })
    answerHandoff(h, m => createMessage('ACK', { ref: m.id, data: { to: BACKUP } }))
    await startTask(h, 'task-own')
    await vi.advanceTimersByTimeAsync(10)

    const sent = h.messenger.sentOfType('HANDOFF')
    assert.equal(sent.length, 1)
    assert.equal(sent[0]?.peer.toString(), h.announcers[0]?.toString())
    const { to, ...body } = sent[0]?.message.body ?? { to: 'missing' }
    assert.equal(to, undefined, 'the member does not pick the backup')
    assert.deepEqual(body, { taskId: 'task-own', groupId: 'group-task-own', skill: 'alpha', from: h.self.toString(), reason: 'needs a specialist', checkpoint: { step: 3 } })
    assert.deepEqual(h.messenger.sentOfType('TASK_COMPLETE'), [])
    assert.deepEqual(h.events.of('work:handed-off'), [{ taskId: 'task-own', groupId: 'group-task-own', skill: 'alpha', reason: 'needs a specialist', to: BACKUP }])
    assert.equal(h.events.of('work:finished')[0]?.error?.code, 'HANDLER_HANDED_OFF')
    assert.deepEqual(h.outcomes, [], 'a handoff is neither a success nor a failure of the skill')
    const part = h.history.calls.flatMap(c => c.step === 'partFinished' ? [c.info] : [])[0]
    assert.deepEqual(part?.handedOff, { reason: 'needs a specialist', to: BACKUP })
    assert.equal(h.bidder.load(), 0, 'the slot is free')
    h.bidder.stop()
  })

  it('fails the part with HANDLER_HANDOFF_REFUSED when the announcer finds no backup', async () => {
    const handler: SkillHandler = async (_input, ctx) => ctx.handoff?.('overloaded') ?? null
    const h = await bidderHarness({ capacity: 1, skills: { alpha: handler } })
    answerHandoff(h, m => createMessage('ERROR', { ref: m.id, code: 'NO_CAPACITY', message: 'no backup could take over "alpha"' }))
    await startTask(h, 'task-refused')
    await vi.advanceTimersByTimeAsync(10)

    const results = h.messenger.sentOfType('TASK_COMPLETE').map(r => r.message.body)
    assert.equal(results.length, 1)
    assert.equal(results[0]?.ok, false)
    assert.equal(results[0]?.error?.code, 'HANDLER_HANDOFF_REFUSED')
    assert.match(results[0]?.error?.message ?? '', /overloaded.*NO_CAPACITY/)
    assert.deepEqual(h.events.of('work:handed-off'), [])
    assert.equal(h.bidder.load(), 0)
    h.bidder.stop()
  })

  it('drain hands a running part off from its last checkpoint, then stops its handler', async () => {
    const work = checkpointingHandler()
    const h = await bidderHarness({ capacity: 1, skills: { alpha: work.handler } })
    answerHandoff(h, m => createMessage('ACK', { ref: m.id, data: { to: BACKUP } }))
    await startTask(h, 'task-drain')
    assert.deepEqual(work.aborted, [])

    await h.bidder.drain(5_000)
    const sent = h.messenger.sentOfType('HANDOFF').map(r => r.message.body)
    assert.equal(sent.length, 1)
    assert.equal(sent[0]?.reason, 'shutting down')
    assert.deepEqual(sent[0]?.checkpoint, { step: 1 })
    assert.equal(work.aborted.length, 1, 'the handler was stopped')
    assert.deepEqual(h.messenger.sentOfType('TASK_COMPLETE'), [], 'no result: the backup delivers')
    assert.equal(h.events.of('work:handed-off')[0]?.reason, 'shutting down')
    assert.equal(h.bidder.load(), 0)
    h.bidder.stop()
  })

  it('drain fails a part whose handoff is refused, so that the announcer retries', async () => {
    const work = checkpointingHandler()
    const h = await bidderHarness({ capacity: 1, skills: { alpha: work.handler } })
    answerHandoff(h, m => createMessage('ERROR', { ref: m.id, code: 'NO_CAPACITY', message: 'no backup could take over "alpha"' }))
    await startTask(h, 'task-drain-refused')

    await h.bidder.drain(5_000)
    const results = h.messenger.sentOfType('TASK_COMPLETE').map(r => r.message.body)
    assert.equal(results.length, 1)
    assert.equal(results[0]?.ok, false)
    assert.equal(results[0]?.error?.code, 'HANDLER_ABORTED')
    assert.match(results[0]?.error?.message ?? '', /shutting down \(handoff refused: NO_CAPACITY/)
    h.bidder.stop()
  })

  it('drain waits at most its timeout for an announcer that does not answer', async () => {
    const work = checkpointingHandler()
    const h = await bidderHarness({ capacity: 1, skills: { alpha: work.handler } })
    answerHandoff(h, async () => await new Promise<SwarmMessage>(() => {}))
    await startTask(h, 'task-drain-silent')

    let drained = false
    const draining = h.bidder.drain(3_000).then(() => { drained = true })
    await vi.advanceTimersByTimeAsync(2_900)
    assert.equal(drained, false)
    await vi.advanceTimersByTimeAsync(200)
    await draining
    assert.equal(drained, true)
    h.bidder.stop()
    await vi.advanceTimersByTimeAsync(10)
    assert.equal(work.aborted.length, 1, 'stop aborts what the drain left')
  })

  it('declines invites once it drains: a backup part taken then would only be aborted', async () => {
    const h = await bidderHarness({ capacity: 2, skills: { alpha: checkpointingHandler().handler } })
    const body = h.announcement('task-late-invite')
    h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.offeredTasks(), ['task-late-invite'])
    await h.bidder.drain(5_000)
    const reply = await h.invite(body, 'group-late-invite')
    assert.equal(reply.type, 'GROUP_REJECT')
    assert.match(reply.type === 'GROUP_REJECT' ? reply.body.reason : '', /stopping/)
    h.bidder.stop()
  })

  it('drain leaves the parts of a task this node announced itself to stop()', async () => {
    const work = checkpointingHandler()
    const h = await bidderHarness({ capacity: 1, skills: { alpha: work.handler } })
    await startTask(h, 'task-local', h.self)
    await h.bidder.drain(5_000)
    assert.deepEqual(h.messenger.sentOfType('HANDOFF'), [])
    assert.deepEqual(work.aborted, [])
    h.bidder.stop()
  })
})
