/**
 * The member side of group encryption: the key in TASK_START is installed on the group topic
 * before the member follows it, a new key from the announcer (GROUP_KEY) replaces it and names
 * the current members, only they and the announcer are heard on the topic (an outsider's
 * TASK_UPDATE or HEARTBEAT is refused), and the keys go when the member leaves the group.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { createMessage, topics } from '@swarm/protocol'
import { bidderHarness, hangingHandler } from './harness.js'
import { encodeGroupKey, newGroupKey } from '../../../src/net/group-seal.js'
import { fakePeers } from '../../fakes/fake-bidder-ports.js'
import type { BidderHarness } from './harness.js'
import type { PeerId } from '@libp2p/interface'
import type { GroupMember, SwarmMessage, TaskAnnounceBody } from '@swarm/protocol'

const GROUP = 'group-key-0001'
const TOPIC = topics.group('unit', GROUP)

describe('bidder: group keys and who is heard on the group topic', () => {
  let h: BidderHarness
  let body: TaskAnnounceBody
  let announcer: PeerId
  let peer: PeerId
  let outsider: PeerId
  let newcomer: PeerId
  let members: GroupMember[]
  const k1 = newGroupKey()

  beforeEach(async () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
    h = await bidderHarness({ capacity: 1, skills: { alpha: hangingHandler().handler } })
    const [p, o, n] = await fakePeers(3)
    if (p === undefined || o === undefined || n === undefined || h.announcers[0] === undefined) throw new Error('peers')
    announcer = h.announcers[0]
    peer = p
    outsider = o
    newcomer = n
    body = h.announcement('task-key-0001', { skills: [{ name: 'alpha', minLevel: 'novice', count: 1 }, { name: 'beta', minLevel: 'novice', count: 1 }], maxGroupSize: 2 })
    members = [{ peerId: h.self.toString(), skills: ['alpha'] }, { peerId: peer.toString(), skills: ['beta'] }]
    h.hearOn('alpha', body)
    await vi.advanceTimersByTimeAsync(1)
    await h.invite(body, GROUP, ['alpha'])
  })
  afterEach(() => {
    h.bidder.stop()
    vi.useRealTimers()
  })

  async function start (epoch = 10, key = k1, from = announcer): Promise<SwarmMessage> {
    return await h.call(createMessage('TASK_START', {
      taskId: body.taskId, groupId: GROUP, description: body.description, skills: ['alpha'], input: body.input, deadline: body.deadline, members, groupKey: { epoch, key: encodeGroupKey(key) }
    }), from)
  }

  const update = (): SwarmMessage => createMessage('TASK_UPDATE', { taskId: body.taskId, groupId: GROUP, skill: 'beta', progress: 0.5 })
  const heartbeat = (): SwarmMessage => createMessage('HEARTBEAT', { cardSeq: 1, load: 0 })

  it('installs the key of TASK_START on the group topic and hears only the announcer and the members there', async () => {
    assert.equal((await start()).type, 'ACK')
    assert.ok(h.gossip.isSubscribed(TOPIC))
    assert.deepEqual(h.gossip.groupKeys.get(TOPIC)?.get(10), k1)
    assert.equal(h.gossip.deliver(TOPIC, update(), peer), true)
    assert.equal(h.gossip.deliver(TOPIC, update(), announcer), true)
    assert.equal(h.gossip.deliver(TOPIC, update(), outsider), false, "an outsider's TASK_UPDATE is refused")
    assert.equal(h.gossip.deliver(TOPIC, heartbeat(), outsider), false, "an outsider's HEARTBEAT is refused")
  })

  it('takes a new key and the members from the announcer (GROUP_KEY): the replaced member is no longer heard', async () => {
    await start()
    const k2 = newGroupKey()
    const now = [{ peerId: h.self.toString(), skills: ['alpha'] }, { peerId: newcomer.toString(), skills: ['beta'] }]
    const reply = await h.call(createMessage('GROUP_KEY', { taskId: body.taskId, groupId: GROUP, epoch: 11, key: encodeGroupKey(k2), members: now }))
    assert.equal(reply.type, 'ACK')
    assert.deepEqual(h.gossip.groupKeys.get(TOPIC)?.get(11), k2)
    assert.equal(h.gossip.deliver(TOPIC, update(), newcomer), true)
    assert.equal(h.gossip.deliver(TOPIC, update(), peer), false)
  })

  it('refuses a GROUP_KEY from anyone but the announcer, or for another group', async () => {
    await start()
    const forged = await h.call(createMessage('GROUP_KEY', { taskId: body.taskId, groupId: GROUP, epoch: 99, key: encodeGroupKey(newGroupKey()), members: [{ peerId: outsider.toString(), skills: ['beta'] }] }), outsider)
    assert.equal(forged.type, 'ERROR')
    assert.equal(forged.type === 'ERROR' ? forged.body.code : undefined, 'NOT_ASSIGNED')
    const other = await h.call(createMessage('GROUP_KEY', { taskId: body.taskId, groupId: 'group-other-01', epoch: 99, key: encodeGroupKey(newGroupKey()), members }))
    assert.equal(other.type, 'ERROR')
    assert.deepEqual([...(h.gossip.groupKeys.get(TOPIC)?.keys() ?? [])], [10])
    assert.equal(h.gossip.deliver(TOPIC, update(), outsider), false)
  })

  it('takes the new key of a start sent again (a restarted announcer)', async () => {
    await start()
    const k2 = newGroupKey()
    assert.equal((await start(5_000, k2)).type, 'ACK')
    assert.deepEqual(h.gossip.groupKeys.get(TOPIC)?.get(5_000), k2)
  })

  it('drops the keys when the announcer dissolves the group', async () => {
    await start()
    assert.equal(h.gossip.deliver(TOPIC, createMessage('DISSOLVE', { taskId: body.taskId, groupId: GROUP, reason: 'completed' }), announcer), true)
    assert.equal(h.gossip.isSubscribed(TOPIC), false)
    assert.equal(h.gossip.groupKeys.has(TOPIC), false)
  })

  it('leaves the group topic and drops its keys when the announcer cancels its part (it was replaced)', async () => {
    await start()
    await h.call(createMessage('TASK_CANCEL', { taskId: body.taskId, groupId: GROUP, reason: 'replaced: went silent' }), outsider)
    assert.ok(h.gossip.isSubscribed(TOPIC), 'a cancel from another peer changes nothing')
    await h.call(createMessage('TASK_CANCEL', { taskId: body.taskId, groupId: GROUP, reason: 'replaced: went silent' }))
    await vi.advanceTimersByTimeAsync(10)
    assert.equal(h.gossip.isSubscribed(TOPIC), false)
    assert.equal(h.gossip.groupKeys.has(TOPIC), false)
  })
})
