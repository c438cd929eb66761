/**
 * An announcer whose directory knows nobody for a required skill (it joined moments ago, or its
 * catch-ups failed on a busy swarm) asks its neighbours before it refuses the task.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { builtinSkill, byName, negotiationDefaults, startNegotiationSwarm } from '../helpers/negotiation.js'
import { until } from '../helpers/wait.js'
import type { TestSwarm } from '../helpers/nodes.js'

describe('an announcement for a skill that the announcer\'s directory does not know, over TCP with 3 nodes', () => {
  let swarm: TestSwarm

  beforeAll(async () => {
    swarm = await startNegotiationSwarm([
      { name: 'hub' },
      { name: 'boss' }
    ])
    // The only agent with the skill joins through the hub alone: it does not publish its card
    // on joining, beats rarely, and keeps to one neighbour, so only the hub learns of it (from
    // the agent's own catch-up request).
    await swarm.add(negotiationDefaults({
      name: 'rare-agent',
      skills: [builtinSkill('rare', 'expert', 'echo')],
      directory: { joinFloodsPerSecond: 0, heartbeatMs: 600_000, ttlMs: 1_800_000 },
      gossip: { ipColocationThreshold: 1000, D: 1, Dlo: 1, Dhi: 2 }
    }))
  })

  afterAll(async () => { await swarm.stop() })

  it('learns the agent from a neighbour and the task completes, instead of NO_CAPABLE_PEERS', async () => {
    const hub = byName(swarm, 'hub')
    const boss = byName(swarm, 'boss')
    const agent = byName(swarm, 'rare-agent').peerId.toString()
    await until(() => hub.directory.agents.get(agent) !== undefined, changed => {
      hub.on('agent:joined', changed)
      return () => { hub.off('agent:joined', changed) }
    }, 15_000, 'the hub to learn the agent')
    // Whatever boss's own catch-ups did so far, its directory now misses the agent.
    boss.directory.agents.remove(agent)
    await boss.libp2p.hangUp(byName(swarm, 'rare-agent').peerId)
    const asked = boss.messenger.stats.sentByType.DIRECTORY_REQUEST?.requests ?? 0

    const handle = await boss.announce({ description: 'needs the rare skill', skills: [{ name: 'rare' }], input: { text: 'hello' }, maxAttempts: 1 })
    const outcome = await handle.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.deepEqual(outcome.members?.map(m => m.peerId), [agent])
    assert.ok((boss.messenger.stats.sentByType.DIRECTORY_REQUEST?.requests ?? 0) > asked, 'boss asked a neighbour for its directory')
  })
})
