/**
 * Forming the group: an invitee that declines, or stays silent until the invite times out, is
 * replaced by the next backup for its skill; with no backup left the attempt fails and those
 * that accepted are told to cancel.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { announcerHarness, answersInvites, offerOf, strong, willing } from './harness.js'
import { verifyAward } from '../../../src/core/award.js'
import { PENALTY, directPenalty } from '../../../src/net/verdict.js'
import { BAD_SIGNATURE } from '../../fakes/fake-awards.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import { silent } from '../../fakes/fake-messenger.js'
import type { FakeAgent, Harness } from './harness.js'
import type { PeerId } from '@libp2p/interface'

const BID_WINDOW_MS = 500

/** Offers in descending score: the first is chosen, the next ones are the backups in order. */
function ranked (skill: string, n: number): FakeAgent[] {
  return Array.from({ length: n }, (_, i) => ({ skills: [{ name: skill, level: 'expert' as const, successRate: 1 - i * 0.1, avgCompletionMs: 0 }], load: 0, capacity: 4 }))
}

describe('Announcer group formation', () => {
  let h: Harness
  let peers: PeerId[]

  beforeEach(async () => {
    vi.useFakeTimers()
    h = await announcerHarness()
    peers = await fakePeerIds(3)
    for (const p of peers) willing(h, p, strong('sum'))
  })

  afterEach(async () => {
    await h.close()
    vi.useRealTimers()
  })

  /** Announces a one-member task and has every peer offer (ranked: peers[0] best). */
  async function announceWithOffers (maxAttempts = 1): Promise<string> {
    const agents = ranked('sum', peers.length)
    const { id } = await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum' }], bidWindowMs: BID_WINDOW_MS, maxAttempts })
    for (const [i, p] of peers.entries()) await h.offer(p, id, agents[i] ?? strong('sum'))
    return id
  }

  it('replaces an invitee that declines with the best backup', async () => {
    const [first, backup] = peers
    if (first === undefined || backup === undefined) throw new Error('peers')
    answersInvites(h, first, m => createMessage('GROUP_REJECT', { taskId: m.body.taskId, groupId: m.body.groupId, reason: 'changed my mind' }))
    const taskId = await announceWithOffers()
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.messenger.peersSent('GROUP_INVITE'), [first.toString(), backup.toString()])
    assert.ok(h.actions().includes('invite-declined'))
    assert.deepEqual(h.audits.find(a => a.action === 'backup-chosen')?.detail, { skill: 'sum', backup: backup.toString() })
    const state = h.announcer.state(taskId)
    assert.equal(state?.status, 'RUNNING')
    assert.deepEqual(state?.members, [{ peerId: backup.toString(), skills: ['sum'] }])
    // A decline is an answer: no reputation lost for it.
    assert.deepEqual(h.reputation.outcomesOf(first), [])
  })

  it('sends GROUP_FORMED to the members only and OFFER_RELEASE (no group id) to the others, with an award naming the backup', async () => {
    const [first, backup, third] = peers
    if (first === undefined || backup === undefined || third === undefined) throw new Error('peers')
    answersInvites(h, first, m => createMessage('GROUP_REJECT', { taskId: m.body.taskId, groupId: m.body.groupId, reason: 'changed my mind' }))
    const taskId = await announceWithOffers()
    await vi.advanceTimersByTimeAsync(1)
    const groupId = h.groupOf(taskId)
    assert.deepEqual(h.messenger.peersSent('GROUP_FORMED'), [backup.toString()])
    assert.deepEqual(h.messenger.peersSent('OFFER_RELEASE').sort(), [first.toString(), third.toString()].sort())
    const release = h.messenger.sentOfType('OFFER_RELEASE', third)[0]?.message
    assert.ok(release !== undefined && !JSON.stringify(release).includes(groupId), 'a release never names the group')
    const award = release.body.award
    assert.deepEqual(award.selected.map(m => m.peerId), [first.toString()])
    assert.deepEqual(award.replacements, [{ skill: 'sum', by: backup.toString() }])
    assert.deepEqual(award.members.map(m => m.peerId), [backup.toString()])
    assert.deepEqual(verifyAward(award).problems, [])
    assert.deepEqual(h.messenger.sentOfType('GROUP_FORMED', backup)[0]?.message.body.award, award)
    // The announcer keeps the award with the three signed offers it lists.
    assert.deepEqual(h.awards.awards[0]?.offers.map(o => o.bidder).sort(), peers.map(p => p.toString()).sort())
  })

  it('refuses an offer whose signature does not verify, with BAD_SIGNATURE (a penalty on the wire)', async () => {
    const [first] = peers
    if (first === undefined) throw new Error('peers')
    const { id } = await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum' }], bidWindowMs: BID_WINDOW_MS, maxAttempts: 1 })
    const offer = offerOf(id, 1, strong('sum'))
    const reply = await h.direct.call({ ...offer, body: { ...offer.body, signature: BAD_SIGNATURE } }, first)
    assert.equal(reply.type === 'ERROR' ? reply.body.code : reply.type, 'BAD_SIGNATURE')
    assert.equal(h.announcer.stats.offersReceived, 0)
    assert.equal(directPenalty('BAD_SIGNATURE')?.penalty, PENALTY.severe)
  })

  it('replaces an invitee that does not answer within the invite timeout, and counts it a no-show', async () => {
    const [first, backup] = peers
    if (first === undefined || backup === undefined) throw new Error('peers')
    answersInvites(h, first, silent())
    const taskId = await announceWithOffers()
    await vi.advanceTimersByTimeAsync(h.settings.inviteTimeoutMs - 10)
    assert.equal(h.announcer.state(taskId)?.status, 'ANNOUNCED')
    assert.deepEqual(h.messenger.peersSent('GROUP_INVITE'), [first.toString()])
    await vi.advanceTimersByTimeAsync(20)
    assert.ok(h.actions().includes('invite-unanswered'))
    assert.deepEqual(h.reputation.outcomesOf(first), ['no-show'])
    assert.equal(h.announcer.state(taskId)?.status, 'RUNNING')
    assert.deepEqual(h.announcer.state(taskId)?.members.map(m => m.peerId), [backup.toString()])
  })

  it('fails the attempt when every backup declines, and retries it with attempts left', async () => {
    for (const p of peers) answersInvites(h, p, m => createMessage('GROUP_REJECT', { taskId: m.body.taskId, groupId: m.body.groupId, reason: 'busy' }))
    const taskId = await announceWithOffers(2)
    await vi.advanceTimersByTimeAsync(1)
    assert.equal(h.messenger.peersSent('GROUP_INVITE').length, peers.length)
    const state = h.announcer.state(taskId)
    assert.equal(state?.status, 'RETRY')
    assert.match(state?.reason ?? '', /the group could not be completed/)
    assert.equal(h.events.of('task:retry').length, 1)
  })

  it('tells the members that accepted when the rest of the group cannot be completed', async () => {
    const [a, b, c] = peers
    if (a === undefined || b === undefined || c === undefined) throw new Error('peers')
    // Two slots: a accepts, b and c (its only backup) decline.
    for (const p of [b, c]) answersInvites(h, p, m => createMessage('GROUP_REJECT', { taskId: m.body.taskId, groupId: m.body.groupId, reason: 'busy' }))
    const { id } = await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum', count: 2 }], bidWindowMs: BID_WINDOW_MS, maxAttempts: 1 })
    await h.offer(a, id, ranked('sum', 3)[0] ?? strong('sum'))
    await h.offer(b, id, ranked('sum', 3)[1] ?? strong('sum'))
    await h.offer(c, id, ranked('sum', 3)[2] ?? strong('sum'))
    await vi.advanceTimersByTimeAsync(1)
    assert.equal(h.announcer.state(id)?.status, 'FAILED')
    const cancels = h.messenger.sentOfType('TASK_CANCEL', a)
    assert.ok(cancels.some(r => r.message.body.reason === 'the group could not be completed'))
  })

  it('never picks a member still answering its own invite as the backup of a count-2 skill', async () => {
    const [a, b, c] = peers
    if (a === undefined || b === undefined || c === undefined) throw new Error('peers')
    // a and b are chosen for the two places; a declines at once while b takes a while to accept.
    answersInvites(h, a, m => createMessage('GROUP_REJECT', { taskId: m.body.taskId, groupId: m.body.groupId, reason: 'busy' }))
    answersInvites(h, b, async m => await new Promise(resolve => {
      setTimeout(() => { resolve(createMessage('GROUP_ACCEPT', { taskId: m.body.taskId, groupId: m.body.groupId })) }, 200)
    }))
    const { id } = await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum', count: 2 }], bidWindowMs: BID_WINDOW_MS, maxAttempts: 1 })
    const agents = ranked('sum', 3)
    for (const [i, p] of [a, b, c].entries()) await h.offer(p, id, agents[i] ?? strong('sum'))
    await vi.advanceTimersByTimeAsync(300)
    assert.deepEqual(h.messenger.peersSent('GROUP_INVITE'), [a.toString(), b.toString(), c.toString()])
    assert.deepEqual(h.audits.find(x => x.action === 'backup-chosen')?.detail, { skill: 'sum', backup: c.toString() })
    const state = h.announcer.state(id)
    assert.equal(state?.status, 'RUNNING')
    assert.deepEqual(state?.members.map(m => m.peerId).sort(), [b.toString(), c.toString()].sort())
  })
})
