/**
 * What each simulated peer is started with: a private swarm's key when the scenario names one
 * (every peer the same), nothing of the kind otherwise.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { peerConfig } from '../src/peer-config.js'
import { planSimulation } from '../src/plan.js'
import { parseScenario } from '../src/scenario.js'

describe('peerConfig', () => {
  it('starts every peer with the scenario\'s swarm key, and none without one', () => {
    const keyed = parseScenario({ peers: 3, tasks: { count: 1 }, node: { swarmKey: '/keys/swarm.key' } })
    const plan = planSimulation(keyed, 1)
    for (const peer of plan.peers) assert.equal(peerConfig(keyed, peer, '/tmp/sim', []).swarmKey, '/keys/swarm.key')
    const open = parseScenario({ peers: 3, tasks: { count: 1 } })
    const first = planSimulation(open, 1).peers[0]
    assert.ok(first !== undefined)
    assert.equal(peerConfig(open, first, '/tmp/sim', []).swarmKey, undefined)
  })
})
