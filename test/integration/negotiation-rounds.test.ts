/**
 * Direct rounds before topics: when the few agents an announcer asks cannot make a group (here
 * they have no capacity), it asks the next ones its directory knows before it falls back to the
 * skill's gossip topic, so that the cost of an announcement stays with a few agents.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { auditActions, builtinSkill, byName, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { Json } from '@swarm/protocol'

const AGENTS = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']
/** Tasks announced at most: about half need a second round, so one of 30 does but for a chance of 1 in 10⁹. */
const MAX_TASKS = 30

describe(`an announcer whose first choices cannot take the task, over TCP with ${AGENTS.length + 2} nodes`, () => {
  let swarm: TestSwarm

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      { name: 'hub' },
      // Three agents asked per task (offer cap 3, one member).
      { name: 'boss', negotiation: { offerCap: 3 } },
      // Only a6 has room for work; the others advertise the skill with no capacity.
      ...AGENTS.map(name => ({ name, capacity: name === 'a6' ? 1 : 0, skills: [builtinSkill('work', 'expert', 'echo')] }))
    ])
  })

  afterAll(async () => { await swarm.stop() })

  it('asks the next agents it knows, never the whole topic, until one can do the task', async () => {
    const boss = byName(swarm, 'boss')
    const survivor = byName(swarm, 'a6').peerId.toString()

    let secondRounds = 0
    for (let i = 0; i < MAX_TASKS && secondRounds === 0; i++) {
      const handle = await boss.announce({ description: `task ${i}`, skills: [{ name: 'work' }], input: { i }, bidWindowMs: 2_000, maxAttempts: 1 })
      const outcome = await handle.result()
      const taskId = handle.id
      assert.equal(outcome.status, 'COMPLETE', `${taskId}: ${outcome.reason ?? ''}`)
      assert.deepEqual(outcome.members?.map(m => m.peerId), [survivor])
      const actions = auditActions(boss, taskId)
      assert.ok(!actions.includes('announce-widened'), `${taskId} went to the topic: ${actions.join(', ')}`)
      // A later round asks only agents that no earlier round asked.
      const trail = boss.task(taskId)?.audit ?? []
      const asked = new Set(directOf(trail.find(e => e.action === 'announce')?.detail))
      assert.equal(asked.size, 3)
      for (const more of trail.filter(e => e.action === 'announce-more')) {
        secondRounds++
        for (const peer of directOf(more.detail)) {
          assert.ok(!asked.has(peer), `${peer} asked twice`)
          asked.add(peer)
        }
      }
    }
    // a6 was not among the first three asked for about half the tasks.
    assert.ok(secondRounds > 0, 'some task needed a second direct round')
  })
})

function directOf (detail: Json | undefined): string[] {
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return []
  const direct = detail.direct
  return Array.isArray(direct) ? direct.filter((p): p is string => typeof p === 'string') : []
}
