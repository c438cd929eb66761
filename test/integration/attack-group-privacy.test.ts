/**
 * Group privacy against an outsider, over real TCP (issue 14, item 4): a group of 2 members does
 * a task with a finding on its blackboard, a proposal and votes, while an outsider (an ordinary
 * node driven by hand) subscribes to the group's topic and records every message it receives.
 * It reads nothing: every message is SEALED (AES-256-GCM with the group's key, which travels
 * only in TASK_START and GROUP_KEY over Noise-secured streams), no action, vote reason or finding
 * text appears in its bytes. A member that is stopped mid-task is replaced by a backup: the
 * group's key rotates, and the key the stopped member held opens the messages before the
 * rotation but none after. What the outsider publishes on the topic (TASK_UPDATE, HEARTBEAT, a
 * forged SEALED) is refused by every member (last: those rejections cost the outsider its
 * gossip score, and with it the group's traffic).
 */
import assert from 'node:assert/strict'
import { createDecipheriv } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { decodeMessage, topics } from '@swarm/protocol'
import { frame, publishRaw } from '../helpers/attacker.js'
import { FIXTURES, builtinSkill, byName, nextEvent, startNegotiationSwarm } from '../helpers/negotiation.js'
import { until } from '../helpers/wait.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { SwarmNode, SwarmNodeEvents, TaskHandle } from '@swarm/node'

const GROUP_FIXTURE = `${FIXTURES}group-handlers.mjs`
const SECRET = `s3cr3t-${Date.now()}`

/** Re-checks `check` on `events` of every node and every 20 ms. */
async function eventually (nodes: SwarmNode[], events: Array<keyof SwarmNodeEvents & string>, check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  await until(check, changed => {
    for (const n of nodes) for (const e of events) n.on(e, changed)
    const tick = setInterval(changed, 20)
    return () => {
      clearInterval(tick)
      for (const n of nodes) for (const e of events) n.off(e, changed)
    }
  }, timeoutMs, what)
}

/** A SEALED message the outsider recorded, as it travels. */
interface Recorded { data: Uint8Array, epoch: number, nonce: string, sealed: string }

/**
 * Opens a sealed payload as docs/protocol.md describes it (AES-256-GCM, 16-byte tag at the end,
 * associated data `topic \n epoch`); undefined when it does not open.
 */
function openSealed (key: Uint8Array, topic: string, epoch: number, nonce: string, data: string): string | undefined {
  const bytes = Buffer.from(data, 'base64url')
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'), { authTagLength: 16 })
    decipher.setAAD(Buffer.from(`${topic}\n${epoch}`))
    decipher.setAuthTag(bytes.subarray(bytes.byteLength - 16))
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.byteLength - 16)), decipher.final()]).toString('utf8')
  } catch {
    return undefined
  }
}

describe('an outsider on a group topic reads nothing, and cannot speak there', () => {
  let swarm: TestSwarm
  let boss: SwarmNode
  let m1: SwarmNode
  let m2: SwarmNode
  let spare: SwarmNode
  let outsider: SwarmNode
  let task: TaskHandle
  let topic: string
  let openGate: (name: string) => void
  const gate = `privacy-${Date.now()}`
  const recorded: Recorded[] = []
  const plain: string[] = []
  /** The keys m2 was given (it is stopped mid-task): epoch → key. */
  const m2Keys = new Map<number, Uint8Array>()

  beforeAll(async () => {
    ({ openGate } = await import(pathToFileURL(GROUP_FIXTURE).href) as { openGate: (name: string) => void })
    const research = (level: 'expert' | 'novice'): { name: string, level: 'expert' | 'novice', handler: { kind: 'module', path: string, export: string } } =>
      ({ name: 'research', level, handler: { kind: 'module', path: GROUP_FIXTURE, export: 'research' } })
    swarm = await startNegotiationSwarm([
      // The bidding runs its whole window, so that the spare's offer is there for a backup.
      { name: 'boss', skills: [builtinSkill('echo', 'novice', 'echo')], negotiation: { earlyCloseMinScore: 1 } },
      { name: 'm1', skills: [research('expert')] },
      { name: 'm2', skills: [research('expert')], negotiation: { drainTimeoutMs: 0 } },
      { name: 'spare', skills: [research('novice')] },
      { name: 'outsider', skills: [builtinSkill('echo', 'novice', 'echo')] }
    ])
    boss = byName(swarm, 'boss')
    m1 = byName(swarm, 'm1')
    m2 = byName(swarm, 'm2')
    spare = byName(swarm, 'spare')
    outsider = byName(swarm, 'outsider')
    // What an insider would know: the keys m2's node installs (to check what they open later).
    const install = m2.gossip.setGroupKey.bind(m2.gossip)
    m2.gossip.setGroupKey = (t, epoch, key) => { m2Keys.set(epoch, key); install(t, epoch, key) }

    const started = Promise.all([m1, m2].map(async m => await nextEvent(m, 'work:started', () => true, 30_000)))
    task = await boss.announce({
      description: 'research in private',
      skills: [{ name: 'research', minLevel: 'novice', count: 2 }],
      maxGroupSize: 2,
      input: { gate },
      bidWindowMs: 3_000,
      deadlineMs: 120_000,
      maxAttempts: 1
    })
    await started
    const groupId = boss.groups.groupOf(task.id)?.groupId
    assert.ok(groupId !== undefined)
    topic = topics.group(boss.config.network, groupId)

    // The outsider subscribes to the group topic with plain gossipsub and records everything.
    const pubsub = outsider.libp2p.services.pubsub
    pubsub.addEventListener('message', event => {
      const { topic: on, data } = event.detail as { topic: string, data: Uint8Array }
      if (on !== topic) return
      plain.push(Buffer.from(data).toString('utf8'))
      const outer = decodeMessage(data, { maxBytes: 1 << 20 })
      if (outer.type === 'SEALED') recorded.push({ data, epoch: outer.body.epoch, nonce: outer.body.nonce, sealed: outer.body.data })
    })
    pubsub.subscribe(topic)
    const everyone = [boss, m1, m2]
    await eventually(everyone, [], () => everyone.every(n => n.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(outsider.peerId))), 'the group to see the outsider subscribed')
  }, 90_000)

  afterAll(async () => {
    openGate(gate)
    await swarm.stop()
  })

  it('records only SEALED messages: no finding, proposal or vote can be read from them', async () => {
    const everyone = [boss, m1, m2]
    m1.group(task.id).blackboard.postFinding({ kind: 'observation', content: `finding ${SECRET}`, confidence: 0.9 })
    await eventually(everyone, ['blackboard:changed'], () => everyone.every(n => n.groups.blackboard(task.id)?.findings.some(f => f.content.includes(SECRET)) === true), 'the finding on every node')
    const opened = Promise.all([m1, m2].map(async m => await nextEvent(m, 'proposal:opened', p => p.action.includes(SECRET))))
    const proposal = await boss.group(task.id).propose({ action: `ship ${SECRET}`, quorum: 'majority', timeoutMs: 20_000 })
    await opened
    m1.groups.vote(proposal.proposalId, { choice: 'yes', confidence: 0.8, reason: `agree ${SECRET}` })
    m2.groups.vote(proposal.proposalId, { choice: 'yes', confidence: 0.7, reason: `also ${SECRET}` })
    await eventually(everyone, ['proposal:decided'], () => everyone.every(n => n.groups.proposal(proposal.proposalId)?.status === 'decided'), 'the decision on every node')
    assert.equal(boss.groups.proposal(proposal.proposalId)?.outcome, 'approved')
    // The finding, the proposal, two votes and the decision all went over the topic.
    await eventually([], [], () => recorded.length >= 5, 'the outsider to receive the group traffic')

    assert.equal(recorded.length, plain.length, 'every message on the topic is SEALED')
    for (const text of plain) {
      assert.ok(!text.includes(SECRET), 'no secret text in what the outsider received')
      for (const type of ['PROPOSAL', 'VOTE', 'BLACKBOARD_UPDATE', 'PROPOSAL_DECIDED']) assert.ok(!text.includes(type), `no ${type} visible`)
    }
    // m2's key opens them (the format is the documented one): only the outsider is left out.
    const opens = recorded.filter(r => [...m2Keys.values()].some(k => openSealed(k, topic, r.epoch, r.nonce, r.sealed) !== undefined))
    assert.equal(opens.length, recorded.length)
  })

  it('rotates the key when a member is replaced: the replaced member\'s key opens nothing said after', async () => {
    const oldEpochs = new Set(m2Keys.keys())
    const replaced = nextEvent(boss, 'task:member-replaced', e => e.from === m2.peerId.toString(), 30_000)
    const spareStarted = nextEvent(spare, 'work:started', e => e.taskId === task.id, 30_000)
    await m2.stop()
    const event = await replaced
    assert.equal(event.to, spare.peerId.toString())
    await spareStarted
    const now = [boss, m1, spare]
    await eventually(now, [], () => now.every(n => n.groups.groupOf(task.id)?.members.some(m => m.peerId === spare.peerId.toString()) === true), 'every node of the group to count the backup')

    const seen = recorded.length
    m1.group(task.id).blackboard.postFinding({ kind: 'conclusion', content: `after ${SECRET}`, confidence: 0.8 })
    await eventually(now, ['blackboard:changed'], () => now.every(n => n.groups.blackboard(task.id)?.findings.some(f => f.content === `after ${SECRET}`) === true), 'the new finding on the group as it is now')
    await eventually([], [], () => recorded.slice(seen).some(r => !oldEpochs.has(r.epoch)), 'the outsider to receive a message of the new epoch')

    const after = recorded.slice(seen).filter(r => !oldEpochs.has(r.epoch))
    assert.ok(after.length > 0)
    for (const r of after) {
      for (const [epoch, key] of m2Keys) {
        assert.equal(openSealed(key, topic, r.epoch, r.nonce, r.sealed), undefined, 'the old key does not open a message of the new epoch')
        assert.equal(openSealed(key, topic, epoch, r.nonce, r.sealed), undefined)
      }
    }
    assert.ok(plain.every(text => !text.includes(`after ${SECRET}`)))
  })
  it('refuses what the outsider publishes on the group topic: TASK_UPDATE, HEARTBEAT, a forged SEALED', async () => {
    const groupId = boss.groups.groupOf(task.id)?.groupId ?? ''
    // (After the rotation: the group is the announcer, m1 and the backup.)
    const members = [boss, m1, spare]
    const before = members.map(n => ({ unsealed: n.gossip.stats.rejected.UNSEALED ?? 0, broken: n.gossip.stats.rejected.SEAL_BROKEN ?? 0 }))
    const progress: string[] = []
    const onProgress = (e: SwarmNodeEvents['task:progress']): void => { progress.push(e.peerId) }
    boss.on('task:progress', onProgress)
    assert.ok(await publishRaw(outsider, topic, frame('TASK_UPDATE', { taskId: task.id, groupId, skill: 'research', progress: 0.99, message: 'forged progress' })) > 0)
    await publishRaw(outsider, topic, frame('HEARTBEAT', { cardSeq: 1, load: 0 }))
    const epoch = recorded.at(-1)?.epoch ?? 1
    await publishRaw(outsider, topic, frame('SEALED', { groupId, epoch, nonce: 'A'.repeat(16), data: 'B'.repeat(64) }))
    await eventually(members, [], () => members.every((n, i) => (n.gossip.stats.rejected.UNSEALED ?? 0) >= (before[i]?.unsealed ?? 0) + 2 && (n.gossip.stats.rejected.SEAL_BROKEN ?? 0) >= (before[i]?.broken ?? 0) + 1),
      'every member to refuse the two plain messages and the forged sealed one')
    boss.off('task:progress', onProgress)
    assert.ok(!progress.includes(outsider.peerId.toString()), "the announcer took no progress from the outsider")
  })

})
