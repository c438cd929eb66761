/**
 * Agents that go away: an invitee that stops before it answers is replaced by a backup, and a
 * member that stops while it runs has its part handed to a backup.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { auditActions, builtinSkill, byName, execSkill, idle, nextEvent, recordEvents, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { TaskLifecycleEvent } from '@swarm/node'

async function collect (events: AsyncIterable<TaskLifecycleEvent>): Promise<TaskLifecycleEvent[]> {
  const out: TaskLifecycleEvent[] = []
  for await (const event of events) out.push(event)
  return out
}

describe('agents leaving during negotiation and work, over TCP with 9 nodes', () => {
  let swarm: TestSwarm

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      // Bidding always runs the whole window (no score reaches 1), so that every offer is in;
      // a member away for 200 ms is replaced.
      { name: 'boss', negotiation: { earlyCloseMinScore: 1, memberGraceMs: 200 } },
      { name: 'alpha', skills: [builtinSkill('build', 'expert', 'echo')] },
      { name: 'beta', skills: [builtinSkill('build', 'intermediate', 'echo')] },
      { name: 'gamma', skills: [builtinSkill('build', 'intermediate', 'echo')] },
      // The members that "die" (stop) do not drain: their parts are not handed off first.
      { name: 'delta', skills: [builtinSkill('long', 'expert', 'sleep', 1_500)], negotiation: { drainTimeoutMs: 0 } },
      { name: 'epsilon', skills: [builtinSkill('long', 'advanced', 'sleep', 1_500)] },
      { name: 'zeta', skills: [builtinSkill('long', 'intermediate', 'sleep', 1_500)] },
      { name: 'eta', skills: [execSkill('resumable', 'expert', 'resume')], negotiation: { drainTimeoutMs: 0 } },
      { name: 'theta', skills: [execSkill('resumable', 'advanced', 'resume')] }
    ])
  })

  afterAll(async () => { await swarm.stop() })

  it('replaces an invitee that went away before accepting with a backup', async () => {
    const boss = byName(swarm, 'boss')
    const alpha = byName(swarm, 'alpha')
    const alphaId = alpha.peerId.toString()
    const alphaOffer = nextEvent(boss, 'task:offer', e => e.peerId === alphaId)
    const task = await boss.announce({ description: 'build it', skills: [{ name: 'build' }], input: { what: 'house' }, bidWindowMs: 1_500 })
    assert.equal((await alphaOffer).taskId, task.id)
    // alpha, the best offer, leaves before the bid window ends: its invite goes unanswered.
    await alpha.stop()
    const events = await collect(task.events())
    const outcome = await task.result()

    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.equal(outcome.attempts, 1)
    assert.deepEqual(outcome.output, { build: { what: 'house' } })
    const member = outcome.members?.[0]?.peerId
    assert.ok(member !== undefined && member !== alphaId)
    assert.ok([byName(swarm, 'beta'), byName(swarm, 'gamma')].some(n => n.peerId.toString() === member))
    assert.equal(events.filter(e => e.type === 'offer').length, 3)

    const audit = boss.task(task.id)?.audit ?? []
    const selected = audit.find(e => e.action === 'group-selected')?.detail as { members: Array<{ peerId: string }> } | undefined
    assert.equal(selected?.members[0]?.peerId, alphaId, 'alpha was chosen first')
    const unanswered = audit.find(e => e.action === 'invite-unanswered')?.detail as { peerId: string } | undefined
    assert.equal(unanswered?.peerId, alphaId)
    const backup = audit.find(e => e.action === 'backup-chosen')?.detail as { skill: string, backup: string } | undefined
    assert.deepEqual(backup, { skill: 'build', backup: member })
    const actions = audit.map(e => e.action)
    assert.ok(actions.indexOf('invite-unanswered') < actions.indexOf('backup-chosen'))
    assert.ok(actions.indexOf('backup-chosen') < actions.indexOf('group-formed'))
  })

  it('hands the part of a member that dies while running to a backup', async () => {
    const boss = byName(swarm, 'boss')
    const delta = byName(swarm, 'delta')
    const deltaId = delta.peerId.toString()
    const deltaStarted = nextEvent(delta, 'work:started')
    const replaced = recordEvents(boss, 'task:member-replaced')
    const task = await boss.announce({ description: 'a long job', skills: [{ name: 'long' }], input: { n: 7 }, bidWindowMs: 600, deadlineMs: 30_000 })
    assert.equal((await deltaStarted).taskId, task.id)
    await delta.stop()
    const events = await collect(task.events())
    const outcome = await task.result()
    replaced.stop()

    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.equal(outcome.attempts, 1, 'completed by replacement, not by a retry')
    assert.deepEqual(outcome.output, { long: { slept: 1_500, input: { n: 7 } } })
    const member = outcome.members?.[0]?.peerId
    const epsilon = byName(swarm, 'epsilon')
    assert.equal(member, epsilon.peerId.toString(), 'the best backup took over')
    const replacement = events.find(e => e.type === 'member-replaced')
    assert.ok(replacement?.type === 'member-replaced')
    assert.equal(replacement.from, deltaId)
    assert.equal(replacement.to, member)
    assert.equal(replacement.skill, 'long')
    assert.equal(replaced.events.length, 1)
    const actions = auditActions(boss, task.id)
    assert.ok(actions.includes('member-replaced'))
    assert.ok(!actions.includes('retry-scheduled'))
    await idle(epsilon)
  })

  it('a backup taking over resumes from the last checkpoint of the member that died', async () => {
    const boss = byName(swarm, 'boss')
    const eta = byName(swarm, 'eta')
    const theta = byName(swarm, 'theta')
    // eta saves a checkpoint, then reports progress: once the announcer heard the progress it
    // has the checkpoint too (both travel in order on the group topic).
    const progress = nextEvent(boss, 'task:progress', e => e.skill === 'resumable' && e.peerId === eta.peerId.toString())
    const task = await boss.announce({ description: 'resume me', skills: [{ name: 'resumable' }], input: { job: 'r' }, bidWindowMs: 600, deadlineMs: 30_000 })
    assert.equal((await progress).taskId, task.id)
    await eta.stop()
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.equal(outcome.attempts, 1)
    assert.deepEqual(outcome.members, [{ peerId: theta.peerId.toString(), skills: ['resumable'] }])
    assert.deepEqual(outcome.output, { resumable: { resumedFrom: { done: 3 }, input: { job: 'r' } } })
  })
})
