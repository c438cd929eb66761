/** The pure rules of one inbox part: claim checks, lease renewal, and what its timer means. */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import type { SwarmError } from '../../src/errors.js'
import { authorize, backToWaiting, claimPart, claimable, newPart, renewLease, timerAt, timerVerdict } from '../../src/inbox/part.js'

const base = newPart('p1', { taskId: 't1', groupId: 'g1', skill: 'review', description: 'd', input: null, deadline: 99_000, attempt: 1, members: [], claimTimeoutMs: 500, leaseMs: 2_000 }, 1_000)

describe('inbox part rules', () => {
  it('a waiting part times out claimTimeoutMs after it became waiting; a claimed one at the end of its lease, renewed by progress', () => {
    assert.equal(timerAt(base), 1_500)
    assert.equal(timerVerdict(base, 1_499), 'not-yet')
    assert.equal(timerVerdict(base, 1_500), 'hand-back')
    const claimed = claimPart(base, { claimId: 'c1' }, 1_200)
    assert.equal(claimed.claim.worker, 'anonymous')
    assert.equal(timerAt(claimed), 3_200)
    assert.equal(timerVerdict(renewLease(claimed, 3_000), 3_200), 'not-yet')
    assert.equal(timerVerdict(claimed, 3_200), 'lease-ended')
    assert.equal(timerAt(backToWaiting(claimed, 4_000)), 4_500)
  })

  it('only a waiting part of a skill asked for (or any skill) is claimable', () => {
    assert.ok(claimable(base, undefined))
    assert.ok(claimable(base, []))
    assert.ok(claimable(base, ['review', 'x']))
    assert.ok(!claimable(base, ['translate']))
    assert.ok(!claimable(claimPart(base, { claimId: 'c1' }, 1_000), undefined))
  })

  it('authorize: a missing part, a stale claim id and an unclaimed part each have their code', () => {
    const claimed = claimPart(base, { claimId: 'c1' }, 1_000)
    const code = (fn: () => unknown): string => { try { fn(); return 'ok' } catch (err) { return (err as SwarmError).code } }
    assert.equal(code(() => authorize(undefined, 'p1', undefined, 'complete')), 'INBOX_PART_NOT_FOUND')
    assert.equal(code(() => authorize(claimed, 'p1', 'c0', 'complete')), 'INBOX_CLAIM_STALE')
    assert.equal(code(() => authorize(base, 'p1', 'c1', 'progress')), 'INBOX_CLAIM_STALE')
    assert.equal(code(() => authorize(base, 'p1', undefined, 'fail')), 'INBOX_NOT_CLAIMED')
    assert.equal(code(() => authorize(claimed, 'p1', 'c1', 'complete')), 'ok')
    assert.equal(code(() => authorize(claimed, 'p1', undefined, 'complete')), 'ok')
  })
})
