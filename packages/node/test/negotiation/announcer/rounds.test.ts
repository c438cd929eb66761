/**
 * Announcement rounds: straight to the capable agents the directory knows, further direct rounds
 * when they cannot make a group, and widening to the skill topic (with a larger offer cap and a
 * whole bid window) when nobody is left to ask or the direct rounds are used up.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage, topics } from '@swarm/protocol'
import { MAX_DIRECT_ROUNDS, WIDENED_OFFER_CAP_FACTOR } from '../../../src/negotiation/announcer/constants.js'
import { NETWORK, announcerHarness, offerOf, strong, willing } from './harness.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import type { Harness } from './harness.js'
import type { PeerId } from '@libp2p/interface'

const BID_WINDOW_MS = 1_000

describe('Announcer rounds', () => {
  let h: Harness

  beforeEach(async () => {
    vi.useFakeTimers()
    h = await announcerHarness()
  })

  afterEach(async () => {
    await h.close()
    vi.useRealTimers()
  })

  /** `n` agents the directory knows for "sum"; those in `declining` answer a direct announcement with NO_CAPACITY. */
  async function knownAgents (n: number): Promise<{ peers: PeerId[], declining: Set<string> }> {
    const peers = await fakePeerIds(n)
    const declining = new Set(peers.map(p => p.toString()))
    h.capable.set('sum', peers.map(p => p.toString()))
    for (const peer of peers) {
      willing(h, peer, strong('sum'))
      h.messenger.on(peer, 'TASK_ANNOUNCE', message => declining.has(peer.toString())
        ? createMessage('ERROR', { ref: message.id, code: 'NO_CAPACITY', message: 'busy' })
        : offerOf(message.body.taskId, message.body.attempt, strong('sum')))
    }
    return { peers, declining }
  }

  async function announce (): Promise<string> {
    return (await h.announcer.announce({ description: 'add numbers', skills: [{ name: 'sum' }], bidWindowMs: BID_WINDOW_MS, maxAttempts: 1 })).id
  }

  it('asks offerCap known agents directly, not the topic, and forms the group from their answers', async () => {
    const { declining } = await knownAgents(5)
    declining.clear()
    const taskId = await announce()
    const asked = h.messenger.sentOfType('TASK_ANNOUNCE')
    assert.equal(asked.length, h.settings.offerCap)
    assert.equal(asked[0]?.message.body.offerCap, h.settings.offerCap)
    assert.equal(h.gossip.publishedOfType('TASK_ANNOUNCE').length, 0)
    await vi.advanceTimersByTimeAsync(1)
    assert.equal(h.announcer.state(taskId)?.status, 'RUNNING')
    assert.ok(asked.some(r => r.peer.toString() === h.announcer.state(taskId)?.members[0]?.peerId))
  })

  it('asks the next known agents when those asked first cannot make a group', async () => {
    const { peers, declining } = await knownAgents(4)
    const taskId = await announce()
    const first = h.messenger.peersSent('TASK_ANNOUNCE')
    assert.equal(first.length, 3)
    const fourth = peers.find(p => !first.includes(p.toString()))
    if (fourth === undefined) throw new Error('every agent was asked at once')
    declining.delete(fourth.toString())
    // Everyone asked answered: no need to wait for the window.
    await vi.advanceTimersByTimeAsync(1)
    assert.deepEqual(h.audits.find(a => a.action === 'announce-more')?.detail, { attempt: 1, round: 2, direct: [fourth.toString()], offers: 0 })
    await vi.advanceTimersByTimeAsync(1)
    assert.equal(h.announcer.state(taskId)?.status, 'RUNNING')
    assert.equal(h.announcer.state(taskId)?.members[0]?.peerId, fourth.toString())
    assert.equal(h.gossip.publishedOfType('TASK_ANNOUNCE').length, 0)
  })

  it('widens to the topic with a larger offer cap, and a whole bid window, when nobody is left to ask', async () => {
    await knownAgents(3)
    const taskId = await announce()
    await vi.advanceTimersByTimeAsync(1)
    const widened = h.gossip.publishedOfType('TASK_ANNOUNCE')
    assert.equal(widened.length, 1)
    assert.equal(widened[0]?.topic, topics.skill(NETWORK, 'sum'))
    assert.equal(widened[0]?.message.body.offerCap, h.settings.offerCap * WIDENED_OFFER_CAP_FACTOR)
    assert.ok(h.actions().includes('announce-widened'))
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS - 10)
    assert.equal(h.announcer.state(taskId)?.status, 'ANNOUNCED')
    await vi.advanceTimersByTimeAsync(20)
    // The three agents it knows are busy, not unable: the task waits in the queue.
    assert.equal(h.announcer.state(taskId)?.status, 'QUEUED')
  })

  it('widens after MAX_DIRECT_ROUNDS direct rounds even with agents left to ask', async () => {
    const { peers } = await knownAgents(h.settings.offerCap * (MAX_DIRECT_ROUNDS + 1))
    await announce()
    for (let round = 0; round < MAX_DIRECT_ROUNDS; round++) await vi.advanceTimersByTimeAsync(1)
    assert.equal(h.messenger.peersSent('TASK_ANNOUNCE').length, h.settings.offerCap * MAX_DIRECT_ROUNDS)
    assert.ok(h.messenger.peersSent('TASK_ANNOUNCE').length < peers.length)
    assert.deepEqual(h.actions().filter(a => a.startsWith('announce')), ['announce', ...Array<string>(MAX_DIRECT_ROUNDS - 1).fill('announce-more'), 'announce-widened'])
    assert.equal(h.gossip.publishedOfType('TASK_ANNOUNCE').length, 1)
  })

  it('tells an agent whose direct offer came after bidding closed to release its reservation', async () => {
    await h.close()
    h = await announcerHarness({ offerCap: 1 })
    const [late] = await fakePeerIds(1)
    if (late === undefined) throw new Error('peers')
    h.capable.set('sum', [late.toString()])
    const gate: { open?: () => void } = {}
    h.messenger.on(late, 'TASK_ANNOUNCE', async message => {
      await new Promise<void>(resolve => { gate.open = resolve })
      return offerOf(message.body.taskId, message.body.attempt, strong('sum'))
    })
    const taskId = await announce()
    await vi.advanceTimersByTimeAsync(0)
    assert.ok(gate.open !== undefined, 'the agent was asked')
    await h.announcer.cancel(taskId, 'changed my mind')
    gate.open()
    await vi.advanceTimersByTimeAsync(1)
    const cancels = h.messenger.sentOfType('TASK_CANCEL', late)
    assert.ok(cancels.some(c => c.message.body.reason === 'bidding closed'))
  })
})
