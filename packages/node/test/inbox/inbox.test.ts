/**
 * The inbox over a fake clock (vitest's fake timers drive the system clock): a part is claimed
 * under a lease, a lease that ends without progress sends it back to waiting and another worker
 * resumes it from the last checkpoint, a stale claim id is refused, a part nobody claims in time
 * is handed back, long-polling workers are served first come first served (and dropped when they
 * hang up), and the handler's abort takes the part out.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { SwarmError } from '../../src/errors.js'
import { inboxService } from '../../src/inbox/inbox-service.js'
import { silentLogger } from '../../src/logger.js'
import { systemClock } from '../../src/ports/clock.js'
import type { Inbox, PartEnd, PartHooks } from '../../src/inbox/inbox-service.js'
import type { PartSpec } from '../../src/inbox/part.js'
import type { InboxEvents } from '../../src/inbox/types.js'
import type { Json } from '@swarm/protocol'

const T0 = 1_700_000_000_000

function spec (extra: Partial<PartSpec> = {}): PartSpec {
  return {
    taskId: 'task-1',
    groupId: 'group-1',
    skill: 'review',
    description: 'review the patch',
    input: { patch: 'diff' },
    deadline: T0 + 600_000,
    attempt: 1,
    members: [],
    claimTimeoutMs: 30_000,
    leaseMs: 60_000,
    ...extra
  }
}

interface Enqueued {
  end: Promise<PartEnd>
  progress: Array<{ fraction: number, message?: string }>
  checkpoints: Json[]
  abort: AbortController
}

function setup (): { inbox: Inbox, events: Array<{ event: keyof InboxEvents, payload: unknown }>, enqueue: (s?: Partial<PartSpec>) => Enqueued } {
  const events: Array<{ event: keyof InboxEvents, payload: unknown }> = []
  const inbox = inboxService()({ clock: systemClock, events: { emit: (event, payload) => { events.push({ event, payload }) } }, logger: silentLogger() })
  const enqueue = (s: Partial<PartSpec> = {}): Enqueued => {
    const abort = new AbortController()
    const progress: Enqueued['progress'] = []
    const checkpoints: Json[] = []
    const hooks: PartHooks = {
      signal: abort.signal,
      progress: (fraction, message) => { progress.push({ fraction, ...(message !== undefined ? { message } : {}) }) },
      checkpoint: state => { checkpoints.push(state) }
    }
    const end = inbox.enqueue(spec(s), hooks)
    end.catch(() => {})
    return { end, progress, checkpoints, abort }
  }
  return { inbox, events, enqueue }
}

function codeOf (fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return err instanceof SwarmError ? err.code : 'not a SwarmError'
  }
  return undefined
}

describe('inbox', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(T0)
  })
  afterEach(() => { vi.useRealTimers() })

  it('a worker claims a part under a lease, reports progress (renewing it) and completes it: the handler gets the output', async () => {
    const { inbox, events, enqueue } = setup()
    const part = enqueue({ checkpoint: { page: 1 } })
    const [listed] = inbox.list()
    assert.equal(listed?.state, 'waiting')
    assert.equal(listed.hasCheckpoint, true)
    assert.equal(listed.enqueuedAt, T0)

    const claim = await inbox.claim({ skills: ['review'], worker: 'w1', leaseMs: 5_000 })
    assert.ok(claim !== null)
    assert.equal(claim.leaseEndsAt, T0 + 5_000)
    assert.deepEqual(claim.input, { patch: 'diff' })
    assert.deepEqual(claim.checkpoint, { page: 1 })
    assert.deepEqual(inbox.list({ state: 'claimed' }).map(p => p.worker), ['w1'])

    await vi.advanceTimersByTimeAsync(4_000)
    const renewed = inbox.progress(claim.partId, { claimId: claim.claimId, fraction: 0.5, message: 'half', checkpoint: { page: 2 } })
    assert.equal(renewed.leaseEndsAt, T0 + 9_000)
    assert.deepEqual(part.progress, [{ fraction: 0.5, message: 'half' }])
    assert.deepEqual(part.checkpoints, [{ page: 2 }])
    // The lease would have ended at T0 + 5 s without the progress report.
    await vi.advanceTimersByTimeAsync(4_000)
    assert.equal(inbox.list()[0]?.state, 'claimed')

    assert.deepEqual(inbox.complete(claim.partId, { output: { ok: true } }), { partId: claim.partId, taskId: 'task-1', state: 'completed' })
    assert.deepEqual(await part.end, { how: 'completed', output: { ok: true } })
    assert.deepEqual(inbox.list(), [])
    assert.deepEqual(events.map(e => e.event), ['inbox:queued', 'inbox:claimed', 'inbox:ended'])
    assert.deepEqual(events[2]?.payload, { partId: claim.partId, taskId: 'task-1', skill: 'review', how: 'completed' })
    assert.equal(codeOf(() => inbox.complete(claim.partId, { output: 1 })), 'INBOX_PART_NOT_FOUND')
  })

  it('a lease that ends without progress sends the part back; another worker resumes it from the last checkpoint; the old claim id is stale', async () => {
    const { inbox, enqueue } = setup()
    const part = enqueue()
    const first = await inbox.claim({ worker: 'w1', leaseMs: 1_000 })
    assert.ok(first !== null)
    inbox.progress(first.partId, { claimId: first.claimId, checkpoint: { step: 4 } })
    await vi.advanceTimersByTimeAsync(1_000)
    const [back] = inbox.list()
    assert.equal(back?.state, 'waiting')
    assert.equal(back.worker, undefined)
    assert.equal(codeOf(() => inbox.complete(first.partId, { claimId: first.claimId, output: 1 })), 'INBOX_CLAIM_STALE')
    assert.equal(codeOf(() => inbox.complete(first.partId, { output: 1 })), 'INBOX_NOT_CLAIMED')

    const second = await inbox.claim({ worker: 'w2' })
    assert.ok(second !== null)
    assert.equal(second.partId, first.partId)
    assert.notEqual(second.claimId, first.claimId)
    assert.deepEqual(second.checkpoint, { step: 4 })
    assert.equal(second.leaseEndsAt, T0 + 1_000 + 60_000, 'the skill\'s default lease')
    assert.equal(codeOf(() => inbox.progress(first.partId, { claimId: first.claimId, fraction: 0.9 })), 'INBOX_CLAIM_STALE')
    assert.equal(codeOf(() => inbox.fail(first.partId, { claimId: first.claimId, message: 'late' })), 'INBOX_CLAIM_STALE')
    inbox.fail(second.partId, { claimId: second.claimId, message: 'the patch does not apply' })
    assert.deepEqual(await part.end, { how: 'failed', message: 'the patch does not apply' })
  })

  it('a part nobody claims within its claim timeout (counted from when it became waiting again) is handed back with its checkpoint', async () => {
    const { inbox, events, enqueue } = setup()
    const part = enqueue({ claimTimeoutMs: 10_000 })
    await vi.advanceTimersByTimeAsync(8_000)
    const claim = await inbox.claim({})
    assert.ok(claim !== null)
    inbox.progress(claim.partId, { checkpoint: { done: 3 } })
    assert.deepEqual(inbox.release(claim.partId, { claimId: claim.claimId, reason: 'busy' }), { partId: claim.partId, taskId: 'task-1', state: 'waiting' })
    await vi.advanceTimersByTimeAsync(9_999)
    assert.equal(inbox.list().length, 1, 'the timeout restarted on the release')
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(await part.end, { how: 'unclaimed', checkpoint: { done: 3 } })
    assert.deepEqual(events.at(-1)?.payload, { partId: claim.partId, taskId: 'task-1', skill: 'review', how: 'handed-back' })
    assert.deepEqual(inbox.list(), [])
  })

  it('a long-polling claim waits for a matching part; waiters are served first come, first served', async () => {
    const { inbox, enqueue } = setup()
    const a = inbox.claim({ worker: 'a', skills: ['review'], waitMs: 30_000 })
    const other = inbox.claim({ worker: 'other', skills: ['translate'], waitMs: 30_000 })
    const b = inbox.claim({ worker: 'b', waitMs: 30_000 })
    enqueue({ taskId: 'task-1' })
    enqueue({ taskId: 'task-2' })
    assert.equal((await a)?.taskId, 'task-1')
    assert.equal((await b)?.taskId, 'task-2')
    await vi.advanceTimersByTimeAsync(30_000)
    assert.equal(await other, null, 'no part of its skill came within waitMs')
    assert.equal(await inbox.claim({}), null, 'without waitMs: no part waits, answered at once')
  })

  it('a long-polling worker that hangs up is dropped: the next part is not claimed for it', async () => {
    const { inbox, enqueue } = setup()
    const hangUp = new AbortController()
    const gone = inbox.claim({ worker: 'gone', waitMs: 60_000 }, hangUp.signal)
    hangUp.abort()
    assert.equal(await gone, null)
    enqueue()
    assert.equal(inbox.list()[0]?.state, 'waiting')
  })

  it('the handler\'s abort takes the part out: its claim is gone and the enqueue rejects with the reason', async () => {
    const { inbox, events, enqueue } = setup()
    const part = enqueue()
    const claim = await inbox.claim({ worker: 'w1' })
    assert.ok(claim !== null)
    part.abort.abort(new Error('cancelled by the user'))
    await assert.rejects(part.end, /cancelled by the user/)
    assert.deepEqual(inbox.list(), [])
    assert.equal(events.at(-1)?.event, 'inbox:ended')
    assert.deepEqual(events.at(-1)?.payload, { partId: claim.partId, taskId: 'task-1', skill: 'review', how: 'aborted' })
    assert.equal(codeOf(() => inbox.complete(claim.partId, { claimId: claim.claimId, output: 1 })), 'INBOX_PART_NOT_FOUND')
  })

  it('stop answers the long-polling workers with no part', async () => {
    const { inbox } = setup()
    const waiting = inbox.claim({ waitMs: 300_000 })
    inbox.stop()
    assert.equal(await waiting, null)
  })
})
