/**
 * Trust from outcomes over TCP: a "fake expert" whose card and offers claim the best of
 * everything (expert, success rate 1, 1 ms per task, capacity 1024) accepts work and never
 * delivers. It wins the first task on its claims, is replaced by an honest backup when its share
 * of the deadline is up, and from then on the announcer's own observation outweighs its claims:
 * the honest agents do the work, and the reputation the announcer holds for the liar is the lowest.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { builtinSkill, byName, moduleSkill, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { SwarmNode } from '@swarm/node'

const TASKS = 5
/** How long the honest agents' work takes (they claim more before they have worked). */
const WORK_MS = 1500

interface Selected {
  members: Array<{ peerId: string, skills: string[] }>
}

/** The members the announcer chose for a task (its `group-selected` audit entry): before any replacement. */
function selectedMembers (node: SwarmNode, taskId: string): string[] {
  const entry = node.task(taskId)?.audit.find(e => e.action === 'group-selected')
  return ((entry?.detail as Selected | undefined)?.members ?? []).map(m => m.peerId)
}

describe('a fake expert that never delivers, over TCP with 4 nodes', () => {
  let swarm: TestSwarm

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      // Every offer within the bid window is weighed (no early close); a member has half of the
      // time to the deadline to deliver, then a backup takes its part (and has half of the rest:
      // with 14 s deadlines, over 3 s for 1.5 s of work, so that a busy machine does not make an
      // honest backup overdue too).
      { name: 'boss', negotiation: { earlyCloseMinScore: 1, memberResultShare: 0.5 } },
      // The liar: the best claims a card can carry, and a handler that hangs until it is aborted.
      { name: 'liar', capacity: 1024, skills: [{ ...moduleSkill('work', 'expert', 'waitForAbort'), successRate: 1, avgCompletionMs: 1 }] },
      // Honest agents with modest claims (the lowest level) whose work takes its time: their
      // claims alone lose to the liar's, even after its first no-show, unless what the announcer
      // saw counts for more than what the liar says.
      { name: 'honest-a', skills: [{ ...builtinSkill('work', 'novice', 'sleep', WORK_MS), avgCompletionMs: 5000 }] },
      { name: 'honest-b', skills: [{ ...builtinSkill('work', 'novice', 'sleep', WORK_MS), avgCompletionMs: 5000 }] }
    ])
    // An attacker does not let its failures show: its card and offers keep claiming success
    // rate 1 and 1 ms, whatever happens to its work.
    byName(swarm, 'liar').skills.record = () => undefined
  })

  afterAll(async () => { await swarm.stop() })

  it('is chosen on its claims once, replaced by a backup, and then no longer chosen; every task completes', async () => {
    const boss = byName(swarm, 'boss')
    const liarId = byName(swarm, 'liar').peerId.toString()
    const honestIds = [byName(swarm, 'honest-a'), byName(swarm, 'honest-b')].map(n => n.peerId.toString())
    const liarChosen: number[] = []
    for (let i = 0; i < TASKS; i++) {
      const task = await boss.announce({ description: `task ${i}`, skills: [{ name: 'work' }], input: { n: i }, bidWindowMs: 500, deadlineMs: 14_000, maxAttempts: 1 })
      const outcome = await task.result()
      assert.equal(outcome.status, 'COMPLETE', `task ${i}: ${outcome.reason ?? ''}`)
      assert.deepEqual(outcome.output, { work: { slept: WORK_MS, input: { n: i } } }, `task ${i} has the honest result`)
      const members = (outcome.members ?? []).map(m => m.peerId)
      assert.equal(members.length, 1)
      assert.ok(honestIds.includes(members[0] ?? ''), `task ${i} was done by an honest agent`)

      const actions = boss.task(task.id)?.audit.map(e => e.action) ?? []
      assert.ok(actions.includes('offer-received'))
      if (selectedMembers(boss, task.id).includes(liarId)) {
        liarChosen.push(i)
        const replaced = boss.task(task.id)?.audit.find(e => e.action === 'member-replaced')?.detail as { from: string, to: string } | undefined
        assert.equal(replaced?.from, liarId, `task ${i}: the liar was replaced`)
        assert.ok(honestIds.includes(replaced.to), `task ${i}: by an honest backup`)
      }
    }
    // Unknown, its claims win (the fake-expert case is real); one no-show is enough to rank it
    // below the honest agents.
    assert.deepEqual(liarChosen, [0], `tasks the liar was chosen for: ${liarChosen.join(', ')}`)

    const reputation = new Map(boss.agents().map(a => [a.peerId, a.reputation]))
    const liarReputation = reputation.get(liarId) ?? Number.NaN
    for (const id of honestIds) {
      const honest = reputation.get(id) ?? Number.NaN
      assert.ok(liarReputation < honest, `the liar's reputation ${liarReputation} is below the honest agent's ${honest}`)
    }
  })
})
