/**
 * Verifiable awards over real TCP: one announcer, three bidders for one slot. Only the chosen
 * member learns the group id (GROUP_FORMED); the others get OFFER_RELEASE, which names no group,
 * and release their leases. Every bidder's stored award verifies through the node API (its own
 * signed offer listed, the selection rule re-run gives the group), the announcer's too (every
 * signed offer re-checked); an award changed in the store fails.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { builtinSkill, byName, nextEvent, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { SwarmNode } from '@swarm/node'

/** Everything `node` holds of a task: its events since `events` started, its rows, audit and awards. */
function everything (node: SwarmNode, taskId: string, events: unknown[]): string {
  return JSON.stringify({ events, task: node.task(taskId, 'member') ?? null, audit: node.store.listAudit({ taskId }), awards: node.store.listAwards(taskId) })
}

describe('verifiable awards: 1 announcer, 3 bidders, one slot', () => {
  let swarm: TestSwarm
  const seen = new Map<string, unknown[]>()

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      // No early close on a good offer: every bidder's offer is in the award.
      { name: 'boss', skills: [builtinSkill('other', 'novice', 'echo')], negotiation: { earlyCloseMinScore: 1 } },
      { name: 'expert', skills: [builtinSkill('work', 'expert', 'echo')] },
      { name: 'advanced', skills: [builtinSkill('work', 'advanced', 'echo')] },
      { name: 'novice', skills: [builtinSkill('work', 'novice', 'echo')] }
    ])
    for (const node of swarm.nodes) {
      const events: unknown[] = []
      seen.set(node.name, events)
      node.onAny((event, payload) => { events.push({ event, payload }) })
    }
  })

  afterAll(async () => { await swarm.stop() })

  it('tells only the member the group id, releases the others with an award each can verify', async () => {
    const boss = byName(swarm, 'boss')
    const bidders = ['expert', 'advanced', 'novice'].map(name => byName(swarm, name))
    const [expert, advanced, novice] = bidders as [SwarmNode, SwarmNode, SwarmNode]
    const released = [advanced, novice].map(async node => await nextEvent(node, 'work:released', e => e.reason === 'group formed without us'))
    const task = await boss.announce({ description: 'one part of work', skills: [{ name: 'work', minLevel: 'novice' }], input: { n: 1 }, bidWindowMs: 3_000, deadlineMs: 30_000 })
    const formed = await nextEvent(boss, 'task:formed', e => e.taskId === task.id)
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE')
    await Promise.all(released)
    assert.deepEqual(formed.members.map(m => m.peerId), [expert.peerId.toString()], 'the expert is the best offer')

    // The non-chosen bidders never learn the group id: not in their events, rows, audit or awards.
    for (const node of [advanced, novice]) {
      const held = everything(node, task.id, seen.get(node.name) ?? [])
      assert.ok(held.includes(task.id), `${node.name} holds the task`)
      assert.ok(!held.includes(formed.groupId), `${node.name} must not learn the group id`)
      assert.equal(node.store.listAwards(task.id).length, 1, `${node.name} keeps the award it got with its release`)
    }
    assert.ok(everything(expert, task.id, seen.get('expert') ?? []).includes(formed.groupId), 'the member knows its group')

    // Every bidder's award verifies through the node API, and the announcer's (signatures re-checked).
    for (const node of [...bidders, boss]) {
      const report = await node.verify(task.id)
      assert.equal(report?.kind, 'task')
      assert.equal(report?.ok, true, `${node.name}: ${JSON.stringify(report)}`)
      const checks = report?.records.flatMap(r => r.checks) ?? []
      assert.ok(checks.some(c => c.includes('the selection rule re-run')), `${node.name} re-ran the rule`)
      if (node !== boss) assert.ok(checks.some(c => c.includes('own offer listed')), `${node.name} found its own offer`)
    }
    assert.ok((await boss.verify(task.id))?.records.some(r => r.checks.includes('3 of 3 signed offers verify')))

    // A tampered award (the passed-over advanced bidder's load raised in the stored record) fails.
    const [stored] = advanced.store.listAwards(task.id)
    if (stored === undefined) throw new Error('no award stored')
    const record = JSON.parse(JSON.stringify(stored.record)) as { award: { offers: Array<{ peerId: string, load: number }> } }
    const own = record.award.offers.find(o => o.peerId === advanced.peerId.toString())
    if (own === undefined) throw new Error('own offer not listed')
    own.load = 4
    advanced.store.saveAward({ ...stored, record: record })
    const tampered = await advanced.verify(task.id)
    assert.equal(tampered?.ok, false)
    assert.ok(tampered?.records.some(r => r.problems.some(p => p.includes('other inputs'))), JSON.stringify(tampered))

    // The announcer's signed offers: one changed in the store no longer verifies.
    const [announced] = boss.store.listAwards(task.id)
    if (announced === undefined) throw new Error('no announcer award')
    const signed = JSON.parse(JSON.stringify(announced.record)) as { offers: Array<{ offer: { load: number } }> }
    const first = signed.offers[0]
    if (first === undefined) throw new Error('no signed offer')
    first.offer.load += 1
    boss.store.saveAward({ ...announced, record: signed })
    const broken = await boss.verify(task.id)
    assert.equal(broken?.ok, false)
    assert.ok(broken?.records.some(r => r.problems.some(p => p.includes('does not verify'))), JSON.stringify(broken))

    assert.equal(await boss.verify('no-such-task-or-proposal'), undefined)
  })
})
