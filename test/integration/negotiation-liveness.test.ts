/**
 * Liveness of members over TCP: a member that accepts, acknowledges its start and then goes
 * silent without closing its connection (its handler never ends and it sends no heartbeats) is
 * replaced by a backup once it missed its heartbeats, and the task completes.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { auditActions, builtinSkill, byName, idle, moduleSkill, nextEvent, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'

describe('a member that goes silent, over TCP with 3 nodes', () => {
  let swarm: TestSwarm

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      // The announcer runs the default liveness settings (a beat every 2 s, 2 may be missed).
      { name: 'boss', negotiation: { earlyCloseMinScore: 1 } },
      // The best offer: its handler never ends and its heartbeats never come (an hour apart),
      // like a process stopped with SIGSTOP whose connection stays open.
      { name: 'frozen', skills: [moduleSkill('hold', 'expert', 'waitForAbort')], negotiation: { memberHeartbeatMs: 3_600_000 } },
      { name: 'spare', skills: [builtinSkill('hold', 'intermediate', 'echo')] }
    ])
  })

  afterAll(async () => { await swarm.stop() })

  it('replaces the silent member with the backup and completes the task', async () => {
    const boss = byName(swarm, 'boss')
    const frozen = byName(swarm, 'frozen')
    const spare = byName(swarm, 'spare')
    const frozenId = frozen.peerId.toString()
    const frozenStarted = nextEvent(frozen, 'work:started')
    const task = await boss.announce({ description: 'hold on', skills: [{ name: 'hold' }], input: { n: 1 }, bidWindowMs: 600, deadlineMs: 30_000 })
    assert.equal((await frozenStarted).taskId, task.id)
    const outcome = await task.result()

    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.equal(outcome.attempts, 1, 'completed by replacement, not by a retry')
    assert.deepEqual(outcome.members, [{ peerId: spare.peerId.toString(), skills: ['hold'] }])
    assert.deepEqual(outcome.output, { hold: { n: 1 } })
    // It was silence, not a lost connection, that counted.
    assert.ok(boss.libp2p.getConnections(frozen.peerId).length > 0, 'the silent member is still connected')
    const audit = boss.task(task.id)?.audit ?? []
    const silent = audit.find(e => e.action === 'member-silent')?.detail as { peerId: string } | undefined
    assert.equal(silent?.peerId, frozenId)
    const replaced = audit.find(e => e.action === 'member-replaced')?.detail as { from: string, to: string, reason: string } | undefined
    assert.equal(replaced?.from, frozenId)
    assert.equal(replaced?.to, spare.peerId.toString())
    assert.match(replaced?.reason ?? '', /missed 3 heartbeats/)
    const actions = auditActions(boss, task.id)
    assert.ok(actions.indexOf('member-silent') < actions.indexOf('member-replaced'))
    assert.ok(!actions.includes('retry-scheduled'))
    // The silent member was told to stop: its handler is aborted and its capacity freed.
    await idle(frozen)
  })
})
