/**
 * The announcer side of group encryption: the group's key is made and installed on the group
 * topic when the members start, and goes to each member in its TASK_START; replacing a member
 * rotates it (a new epoch, to the members that stay by GROUP_KEY with the members now, to the
 * backup in its start, never to the member that left); a restarted announcer gives its resumed
 * group a new key.
 */
import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { topics } from '@swarm/protocol'
import { NETWORK, announcerHarness, strong, willing } from './harness.js'
import { decodeGroupKey } from '../../../src/net/group-seal.js'
import { fakePeerIds } from '../../fakes/fake-events.js'
import type { Harness } from './harness.js'
import type { UnfinishedTask } from '../../../src/negotiation/announcer/types.js'
import type { PeerId } from '@libp2p/interface'
import type { Json } from '@swarm/protocol'

const BID_WINDOW_MS = 500

describe('Announcer group keys', () => {
  let h: Harness
  let after: Harness | undefined
  let a: PeerId
  let b: PeerId
  let backup: PeerId

  beforeEach(async () => {
    vi.useFakeTimers()
    h = await announcerHarness()
    const [p, q, r] = await fakePeerIds(3)
    if (p === undefined || q === undefined || r === undefined) throw new Error('peers')
    a = p
    b = q
    backup = r
  })

  afterEach(async () => {
    await after?.close()
    after = undefined
    await h.close()
    vi.useRealTimers()
  })

  /** A running task: `a` does sum, `b` does mean; `backup` offered for sum too. */
  async function running (): Promise<string> {
    willing(h, a, strong('sum'))
    willing(h, b, strong('mean'))
    const second = { skills: [{ name: 'sum', level: 'advanced' as const, successRate: 0.9, avgCompletionMs: 0 }], load: 1, capacity: 4 }
    willing(h, backup, second)
    const { id } = await h.announcer.announce({ description: 'stats', skills: [{ name: 'sum' }, { name: 'mean' }], bidWindowMs: BID_WINDOW_MS, deadlineMs: 60_000, maxAttempts: 1 })
    await h.offer(a, id, strong('sum'))
    await h.offer(b, id, strong('mean'))
    await h.offer(backup, id, second)
    await vi.advanceTimersByTimeAsync(BID_WINDOW_MS + 1)
    assert.equal(h.announcer.state(id)?.status, 'RUNNING')
    return id
  }

  /** The key of the only TASK_START sent to `peer`. */
  function startKey (hh: Harness, peer: PeerId): { epoch: number, key: string } | undefined {
    const starts = hh.messenger.sentOfType('TASK_START', peer)
    return starts.at(-1)?.message.body.groupKey
  }

  it('makes one key per group, installs it on the group topic and sends it to every member in TASK_START', async () => {
    const id = await running()
    const topic = topics.group(NETWORK, h.groupOf(id))
    const ka = startKey(h, a)
    const kb = startKey(h, b)
    assert.ok(ka !== undefined)
    assert.deepEqual(kb, ka)
    const installed = h.gossip.groupKeys.get(topic)
    assert.deepEqual([...(installed?.keys() ?? [])], [ka.epoch])
    assert.deepEqual(installed?.get(ka.epoch), decodeGroupKey(ka.key))
    assert.equal(h.messenger.sentOfType('GROUP_KEY').length, 0)
  })

  it('rotates the key when a member is replaced: GROUP_KEY to the members that stay, the new key to the backup, nothing to the one replaced', async () => {
    const id = await running()
    const topic = topics.group(NETWORK, h.groupOf(id))
    const first = startKey(h, a)
    assert.ok(first !== undefined)
    h.announcer.peerGone(a.toString(), () => true)
    await vi.advanceTimersByTimeAsync(h.settings.memberGraceMs + 10)
    assert.deepEqual(h.announcer.state(id)?.members.map(m => m.peerId).sort(), [b.toString(), backup.toString()].sort())

    const notices = h.messenger.sentOfType('GROUP_KEY')
    assert.deepEqual(notices.map(n => n.peer.toString()), [b.toString()])
    const rotated = notices[0]?.message.body
    assert.ok(rotated !== undefined && rotated.epoch > first.epoch)
    assert.notEqual(rotated.key, first.key)
    assert.deepEqual(rotated.members.map(m => m.peerId).sort(), [b.toString(), backup.toString()].sort())
    assert.deepEqual(startKey(h, backup), { epoch: rotated.epoch, key: rotated.key })
    assert.equal(h.messenger.sentOfType('GROUP_KEY', a).length, 0)
    assert.equal(h.messenger.sentOfType('TASK_START', a).length, 1, 'the replaced member got only its first start')
    // This node seals with the new epoch from now on (the ring keeps the old one for a grace).
    assert.deepEqual(h.gossip.groupKeys.get(topic)?.get(rotated.epoch), decodeGroupKey(rotated.key))
    assert.ok(h.actions().includes('group-key-rotated'))
  })

  it('gives a resumed group a new key: GROUP_KEY to every member, the same key in the starts sent again', async () => {
    const id = await running()
    const first = startKey(h, a)
    assert.ok(first !== undefined)
    assert.equal((await h.result(a, id, 'sum', { ok: true, output: 6 })).type, 'ACK')
    const last = h.saved.filter(t => t.state.taskId === id).at(-1)
    if (last === undefined) throw new Error('not saved')
    const json = (value: unknown): Json => JSON.parse(JSON.stringify(value)) as Json
    const row: UnfinishedTask = {
      taskId: id, role: 'announcer', spec: json(last.spec), state: last.state, status: last.state.status, createdAt: last.state.createdAt, updatedAt: last.state.updatedAt,
      ...(last.resume !== undefined ? { resume: json(last.resume) } : {})
    }
    await vi.advanceTimersByTimeAsync(1_000)
    after = await announcerHarness()
    after.stored.push(row)
    after.announcer.start()
    after.announcer.afterStart()
    await vi.advanceTimersByTimeAsync(1)
    const notices = after.messenger.sentOfType('GROUP_KEY')
    assert.deepEqual(notices.map(n => n.peer.toString()).sort(), [a.toString(), b.toString()].sort())
    const fresh = notices[0]?.message.body
    assert.ok(fresh !== undefined && fresh.epoch > first.epoch)
    // `b` still owes its part: started again, with the new key.
    assert.deepEqual(startKey(after, b), { epoch: fresh.epoch, key: fresh.key })
    assert.deepEqual(after.gossip.groupKeys.get(topics.group(NETWORK, h.groupOf(id)))?.get(fresh.epoch), decodeGroupKey(fresh.key))
  })
})
