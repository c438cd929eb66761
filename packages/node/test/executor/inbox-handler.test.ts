/**
 * The `inbox` handler over a fake context and a real inbox on fake time: it returns the
 * worker's output, fails with HANDLER_WORKER_FAILED and the worker's message, and hands the part
 * back (ctx.handoff, with the last checkpoint) when nobody claims it in time.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { inboxHandler } from '../../src/executor/inbox-handler.js'
import { HandlerError, HandlerHandoff } from '../../src/executor/types.js'
import { inboxService } from '../../src/inbox/inbox-service.js'
import { silentLogger } from '../../src/logger.js'
import { systemClock } from '../../src/ports/clock.js'
import type { HandlerContext } from '../../src/executor/types.js'
import type { Json } from '@swarm/protocol'

function fakeCtx (): HandlerContext & { handoffs: Array<{ reason: string, state?: Json }>, progressed: number[], checkpoints: Json[] } {
  const handoffs: Array<{ reason: string, state?: Json }> = []
  const progressed: number[] = []
  const checkpoints: Json[] = []
  return {
    taskId: 'task-1',
    groupId: 'group-1',
    skill: 'review',
    description: 'review the patch',
    members: [],
    deadline: Date.now() + 600_000,
    attempt: 1,
    signal: new AbortController().signal,
    checkpoint: { from: 'an earlier member' },
    progress: fraction => { progressed.push(fraction) },
    saveCheckpoint: state => { checkpoints.push(state) },
    handoff: (reason, state) => {
      handoffs.push({ reason, ...(state !== undefined ? { state } : {}) })
      throw new HandlerHandoff({ reason })
    },
    log: silentLogger(),
    handoffs,
    progressed,
    checkpoints
  }
}

describe('inbox handler', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  const setup = (): { inbox: ReturnType<ReturnType<typeof inboxService>>, run: (ctx: HandlerContext) => Promise<Json> } => {
    const inbox = inboxService()({ clock: systemClock, events: { emit: () => {} }, logger: silentLogger() })
    const handler = inboxHandler({ kind: 'inbox', claimTimeoutMs: 5_000 }, inbox)
    return { inbox, run: async ctx => await handler({ patch: 'diff' }, ctx) }
  }

  it('returns the output the worker completes the part with; its progress and checkpoints reach the context', async () => {
    const { inbox, run } = setup()
    const ctx = fakeCtx()
    const result = run(ctx)
    const claim = await inbox.claim({ skills: ['review'] })
    assert.ok(claim !== null)
    assert.deepEqual(claim.input, { patch: 'diff' })
    assert.deepEqual(claim.checkpoint, { from: 'an earlier member' })
    assert.equal(claim.description, 'review the patch')
    inbox.progress(claim.partId, { claimId: claim.claimId, fraction: 0.4, checkpoint: { line: 10 } })
    inbox.complete(claim.partId, { claimId: claim.claimId, output: { approved: true } })
    assert.deepEqual(await result, { approved: true })
    assert.deepEqual(ctx.progressed, [0.4])
    assert.deepEqual(ctx.checkpoints, [{ line: 10 }])
  })

  it('fails with HANDLER_WORKER_FAILED and the worker\'s message', async () => {
    const { inbox, run } = setup()
    const result = run(fakeCtx())
    const claim = await inbox.claim({})
    assert.ok(claim !== null)
    inbox.fail(claim.partId, { message: 'cannot reach the repository' })
    await assert.rejects(result, (err: unknown) => err instanceof HandlerError && err.code === 'HANDLER_WORKER_FAILED' && /cannot reach the repository/.test(err.message))
  })

  it('hands the part back with its last checkpoint when nobody claims it within claimTimeoutMs', async () => {
    const { inbox, run } = setup()
    const ctx = fakeCtx()
    const result = run(ctx)
    result.catch(() => {})
    await vi.advanceTimersByTimeAsync(5_000)
    await assert.rejects(result, HandlerHandoff)
    assert.deepEqual(ctx.handoffs, [{ reason: 'no inbox worker claimed the part within 5000 ms', state: { from: 'an earlier member' } }])
    assert.deepEqual(inbox.list(), [])
  })

  it('refuses a configuration out of range, naming the field', () => {
    const inbox = inboxService()({ clock: systemClock, events: { emit: () => {} }, logger: silentLogger() })
    assert.throws(() => inboxHandler({ kind: 'inbox', leaseMs: 10 }, inbox), /leaseMs/)
  })
})
