/**
 * Handoff over TCP with 3 real nodes (an announcer and two capable agents):
 * - a member's handler calls ctx.handoff('needs a specialist', { step: 3 }): the announcer moves
 *   the part to the other agent, which resumes from that state, and the task completes;
 * - a member busy on a long part is stopped (node.stop(), as `swarm-node stop` or SIGTERM do):
 *   it hands the part off before exiting (graceful drain) and the other agent completes it.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { FIXTURES, auditActions, byName, nextEvent, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { NodeConfigInput, SwarmNode } from '@swarm/node'

const HANDLERS = `${FIXTURES}handoff-handlers.mjs`

type SkillInput = NonNullable<NodeConfigInput['skills']>[number]

function skill (name: string, exportName: 'handOffOnce' | 'longUnlessResumed'): SkillInput {
  return { name, level: 'expert', handler: { kind: 'module', path: HANDLERS, export: exportName } }
}

const WORKER_SKILLS = [skill('special', 'handOffOnce'), skill('long', 'longUnlessResumed')]

interface MoveDetail { skill: string, from: string, to: string, reason: string }

/** The `member-handoff` entries of a task's audit trail on the announcer. */
function handoffs (boss: SwarmNode, taskId: string): MoveDetail[] {
  return (boss.task(taskId)?.audit ?? []).filter(e => e.action === 'member-handoff').map(e => e.detail as unknown as MoveDetail)
}

describe('handoff between members, over TCP with 3 nodes', () => {
  let swarm: TestSwarm

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      // Bidding runs its whole window, so that both agents offer and one is left as the backup.
      { name: 'boss', negotiation: { earlyCloseMinScore: 1 } },
      { name: 'ann', skills: WORKER_SKILLS },
      { name: 'bob', skills: WORKER_SKILLS }
    ])
  })

  afterAll(async () => { await swarm.stop() })

  it('a handler hands its part off and the backup resumes from the passed state', async () => {
    const boss = byName(swarm, 'boss')
    const ids = new Set([byName(swarm, 'ann'), byName(swarm, 'bob')].map(n => n.peerId.toString()))
    const task = await boss.announce({ description: 'needs a specialist', skills: [{ name: 'special' }], input: { n: 1 }, bidWindowMs: 600, deadlineMs: 30_000 })
    const outcome = await task.result()

    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.equal(outcome.attempts, 1, 'completed by the handoff, not by a retry')
    const [moved, ...more] = handoffs(boss, task.id)
    assert.equal(more.length, 0)
    assert.ok(moved !== undefined, `no member-handoff in ${auditActions(boss, task.id).join(', ')}`)
    assert.equal(moved.skill, 'special')
    assert.match(moved.reason, /needs a specialist/)
    assert.ok(ids.has(moved.from) && ids.has(moved.to) && moved.from !== moved.to)
    // The backup resumed from the state the first member passed, and its result is the task's.
    assert.deepEqual(outcome.members, [{ peerId: moved.to, skills: ['special'] }])
    assert.deepEqual(outcome.output, { special: { resumedFrom: { step: 3 }, input: { n: 1 } } })
    assert.ok(!auditActions(boss, task.id).includes('member-silent'))
  })

  it('a busy member that is stopped hands its running part off before exiting, and the task completes', async () => {
    const boss = byName(swarm, 'boss')
    const workers = [byName(swarm, 'ann'), byName(swarm, 'bob')]
    const busy = Promise.race(workers.map(async node => {
      await nextEvent(node, 'work:progress', e => e.skill === 'long')
      return node
    }))
    const task = await boss.announce({ description: 'a long part', skills: [{ name: 'long' }], input: { n: 2 }, bidWindowMs: 600, deadlineMs: 30_000 })
    const member = await busy
    const other = workers.find(n => n !== member)
    assert.ok(other !== undefined)
    const handedOff = nextEvent(member, 'work:handed-off', e => e.taskId === task.id)

    await member.stop()
    assert.equal((await handedOff).reason, 'shutting down')
    const outcome = await task.result()

    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.equal(outcome.attempts, 1, 'completed by the handoff, not by a retry')
    assert.deepEqual(outcome.members, [{ peerId: other.peerId.toString(), skills: ['long'] }])
    assert.deepEqual(outcome.output, { long: { resumedFrom: { step: 1 } } })
    const [moved] = handoffs(boss, task.id)
    assert.equal(moved?.from, member.peerId.toString())
    assert.equal(moved?.to, other.peerId.toString())
    assert.match(moved?.reason ?? '', /shutting down/)
    // Moved by the drain, not after the member went away.
    assert.ok(!auditActions(boss, task.id).includes('member-replaced'))
  })
})
