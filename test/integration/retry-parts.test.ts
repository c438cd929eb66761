/**
 * A retry keeps the parts that succeeded: of a two-skill task whose viz part fails on the first
 * attempt, only viz runs again, and the result holds both parts.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { byName, moduleSkill, recordEvents, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'

describe('a retry over TCP re-runs only the failed part', () => {
  let swarm: TestSwarm

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      { name: 'boss' },
      { name: 'counter', skills: [moduleSkill('count', 'expert', 'countWords')] },
      // Whichever of the two takes viz first fails it (the first run of each task fails); the
      // retry goes to the other one and succeeds.
      { name: 'viz-a', skills: [moduleSkill('viz', 'expert', 'failFirstRun')] },
      { name: 'viz-b', skills: [moduleSkill('viz', 'expert', 'failFirstRun')] }
    ])
  })

  afterAll(async () => { await swarm.stop() })

  it('keeps the count part of the failed attempt and announces only viz again', async () => {
    const boss = byName(swarm, 'boss')
    const counted = recordEvents(byName(swarm, 'counter'), 'work:started')
    const task = await boss.announce({
      description: 'count and plot',
      skills: [{ name: 'count' }, { name: 'viz' }],
      input: { text: 'three little words' },
      bidWindowMs: 800,
      maxAttempts: 3
    })
    const outcome = await task.result()
    counted.stop()
    assert.equal(outcome.status, 'COMPLETE')
    assert.equal(outcome.attempts, 2, 'viz failed on attempt 1 and succeeded on attempt 2')
    assert.equal(counted.events.filter(e => e.taskId === task.id).length, 1, 'the count part ran once')
    assert.deepEqual((outcome.output as { count?: { words?: number } }).count?.words, 3)
    assert.ok((outcome.output as { viz?: unknown }).viz !== null)
    const actions = boss.task(task.id)?.audit.map(e => e.action) ?? []
    assert.ok(actions.includes('parts-kept'))
  })
})
