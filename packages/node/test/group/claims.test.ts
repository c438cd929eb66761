import { afterEach, beforeAll, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage } from '@swarm/protocol'
import { groupPeers } from '../fakes/fake-group-bus.js'
import type { FakeGroupBus } from '../fakes/fake-group-bus.js'
import { GROUP_ID, TASK_ID, TOPIC, eventsOf, groupNodes, membersOf, settle, startGroup, stopGroup } from './group-harness.js'
import type { GroupNode } from './group-harness.js'
import type { PeerId } from '@libp2p/interface'

describe('GroupService: claims and versioned data', () => {
  let peers: PeerId[]
  let bus: FakeGroupBus
  let all: GroupNode[]
  let announcer: GroupNode
  let b: GroupNode
  let c: GroupNode

  beforeAll(async () => {
    peers = await groupPeers(4)
  })

  beforeEach(async () => {
    ;({ bus, all } = await startGroup(peers.slice(0, 3)))
    ;[announcer, b, c] = all as [GroupNode, GroupNode, GroupNode]
  })

  afterEach(() => { stopGroup(all) })

  it('grants a contested resource to one member only; the other waits at position 1 behind it', async () => {
    const [first, second] = await Promise.all([b.service.claim(TASK_ID, 'printer', 10_000), c.service.claim(TASK_ID, 'printer', 10_000, 5)])
    assert.notEqual(first.granted, second.granted, 'exactly one of two simultaneous claims is granted')
    const [holder, waiter] = first.granted ? [b, c] : [c, b]
    const waiting = waiter.service.claimStatus(TASK_ID, 'printer')
    assert.deepEqual({ granted: waiting.granted, holder: waiting.holder, position: waiting.position }, { granted: false, holder: holder.id, position: 1 })
    assert.ok((waiting.retryAfterMs ?? 0) > 0 && (waiting.retryAfterMs ?? 0) <= 10_000)
    assert.equal(holder.service.claimStatus(TASK_ID, 'printer').granted, true)
    assert.equal(announcer.service.claimStatus(TASK_ID, 'printer').holder, holder.id)
    // Nothing about claims goes over the group topic any more: the announcer decides.
    assert.deepEqual(bus.log.filter(m => m.message.type.startsWith('CLAIM')), [])
  })

  it('a higher priority that asks later waits for the holder, then goes before earlier, lower claims', async () => {
    assert.equal((await announcer.service.claim(TASK_ID, 'printer', 10_000)).granted, true)
    await vi.advanceTimersByTimeAsync(10)
    const low = await b.service.claim(TASK_ID, 'printer', 1_000, 0)
    await vi.advanceTimersByTimeAsync(10)
    const high = await c.service.claim(TASK_ID, 'printer', 1_000, 7)
    assert.deepEqual([low.granted, low.position, high.granted, high.position], [false, 1, false, 1])
    // The announcer releases: the higher priority gets it and is told; the earlier, lower one is next.
    await announcer.service.claim(TASK_ID, 'printer', 0)
    await settle()
    assert.equal(c.service.claimStatus(TASK_ID, 'printer').granted, true)
    assert.equal(b.service.claimStatus(TASK_ID, 'printer').granted, false)
    assert.deepEqual(eventsOf(c, 'claim:granted').map(e => e.resourceId), ['printer'])
    assert.deepEqual(eventsOf(b, 'claim:granted'), [])
    // c's lease ends: the resource goes to b, which hears so without asking.
    await vi.advanceTimersByTimeAsync(1_000)
    await settle()
    assert.equal(b.service.claimStatus(TASK_ID, 'printer').granted, true)
    assert.equal(c.service.claimStatus(TASK_ID, 'printer').granted, false)
    assert.equal(announcer.service.claimStatus(TASK_ID, 'printer').holder, b.id)
    assert.ok(announcer.audits.some(a => a.action === 'claim-granted' && (a.detail as { holder?: string }).holder === b.id))
  })

  it('refuses a release by a member that does not hold the resource; only the holder releases it', async () => {
    await b.service.claim(TASK_ID, 'printer', 10_000)
    const refused = await c.service.claim(TASK_ID, 'printer', 0)
    assert.equal(refused.refused, true)
    assert.equal(refused.holder, b.id)
    assert.equal(announcer.service.claimStatus(TASK_ID, 'printer').holder, b.id)
    assert.ok(announcer.audits.some(a => a.action === 'claim-release-refused'))
    const released = await b.service.claim(TASK_ID, 'printer', 0)
    assert.deepEqual([released.granted, released.holder, released.refused], [false, undefined, undefined])
    assert.equal(announcer.service.claimStatus(TASK_ID, 'printer').holder, undefined)
  })

  it('an announcer that restarts keeps the claims: a resource held before is not granted to another after', async () => {
    assert.equal((await b.service.claim(TASK_ID, 'printer', 60_000)).granted, true)
    assert.equal((await c.service.claim(TASK_ID, 'printer', 60_000)).granted, false)
    assert.ok(announcer.store.claimRows.has(GROUP_ID), 'the table is stored')
    // The announcer's process dies (no stop); a new one over the same store rejoins the group.
    const [again] = groupNodes(bus, [announcer.peer], [announcer.store])
    assert.ok(again !== undefined)
    all.push(again)
    again.service.join({ taskId: TASK_ID, groupId: GROUP_ID, announcer: again.id, members: membersOf([b, c]), role: 'announcer', resumed: true })
    assert.ok(again.audits.some(a => a.action === 'claims-restored'))
    const retried = await c.service.claim(TASK_ID, 'printer', 60_000)
    assert.equal(retried.granted, false, 'still held by the member it was granted to')
    assert.equal(retried.holder, b.id)
    assert.equal(again.service.claimStatus(TASK_ID, 'printer').holder, b.id)
    // The holder releases it: the one waiting gets it, from the restarted announcer.
    await b.service.claim(TASK_ID, 'printer', 0)
    await settle()
    assert.equal(c.service.claimStatus(TASK_ID, 'printer').granted, true)
  })

  it('a member that leaves the group loses what it held to the next claimant', async () => {
    await b.service.claim(TASK_ID, 'printer', 60_000)
    await c.service.claim(TASK_ID, 'printer', 60_000)
    announcer.service.membersChanged(GROUP_ID, membersOf([c]))
    await settle()
    assert.equal(c.service.claimStatus(TASK_ID, 'printer').granted, true)
    assert.equal(announcer.service.claimStatus(TASK_ID, 'printer').holder, c.id)
  })

  it('answers a claim from outside the group with NOT_A_MEMBER and ignores turn notices from non-announcers', async () => {
    const outsider = bus.node(peers[3] as PeerId)
    const reply = await outsider.messenger.request(announcer.peer, createMessage('CLAIM_REQUEST', { taskId: TASK_ID, groupId: GROUP_ID, resourceId: 'printer', priority: 0, leaseMs: 1_000 }))
    assert.equal(reply.type === 'ERROR' ? reply.body.code : reply.type, 'NOT_A_MEMBER')
    const forged = createMessage('CLAIM_ANSWER', { taskId: TASK_ID, groupId: GROUP_ID, resourceId: 'printer', status: 'granted', holder: c.id, leaseEndsAt: Date.now() + 60_000, revision: 99 })
    assert.equal((await b.ports.messenger.request(c.peer, forged)).type, 'ACK')
    assert.equal(c.service.claimStatus(TASK_ID, 'printer').granted, false)
    assert.equal(c.service.stats.rejected['CLAIM_ANSWER:NOT_ANNOUNCER'], 1)
  })

  it('fails the claim when the announcer cannot be reached', async () => {
    bus.offline.add(announcer.id)
    await assert.rejects(b.service.claim(TASK_ID, 'printer', 1_000))
  })

  it('refuses a lease that is not a whole number of milliseconds up to a week', async () => {
    await assert.rejects(b.service.claim(TASK_ID, 'printer', 1.5), (err: Error & { code?: string }) => err.code === 'API_BAD_REQUEST')
    await assert.rejects(b.service.claim(TASK_ID, 'printer', 8 * 24 * 3600 * 1000), (err: Error & { code?: string }) => err.code === 'API_BAD_REQUEST')
  })

  it('a newer version of a shared value wins on every member; the writer is its signer', async () => {
    assert.deepEqual(await b.service.writeData(TASK_ID, 'plan', { step: 1 }), { version: 0, applied: true })
    await settle()
    assert.deepEqual(c.service.readData(TASK_ID, 'plan'), { value: { step: 1 }, version: 0, writer: b.id })
    assert.deepEqual(await c.service.writeData(TASK_ID, 'plan', { step: 2 }), { version: 1, applied: true })
    await settle()
    for (const n of all) assert.deepEqual(n.service.readData(TASK_ID, 'plan'), { value: { step: 2 }, version: 1, writer: c.id })

    // An older version arriving late changes nothing.
    await bus.inject(TOPIC, createMessage('DATA_WRITE', { taskId: TASK_ID, groupId: 'group-0001', key: 'plan', version: 0, value: { step: 0 } }), b.peer)
    for (const n of all) assert.equal(n.service.readData(TASK_ID, 'plan')?.version, 1)
  })

  it('counts a data write for another group as WRONG_GROUP', async () => {
    await bus.inject(TOPIC, createMessage('DATA_WRITE', { taskId: TASK_ID, groupId: 'group-other', key: 'plan', version: 0, value: 1 }), b.peer)
    assert.equal(c.service.stats.rejected['DATA_WRITE:WRONG_GROUP'], 1)
    assert.equal(c.service.readData(TASK_ID, 'plan'), undefined)
  })
})
