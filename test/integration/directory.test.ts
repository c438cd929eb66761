import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { allAgentsKnown, startSwarm } from '../helpers/nodes.js'
import type { TestSwarm } from '../helpers/nodes.js'

describe('agent directory over TCP with 3 nodes', () => {
  let swarm: TestSwarm

  beforeAll(async () => {
    swarm = await startSwarm([
      { name: 'alpha', skills: [{ name: 'analytics', level: 'expert', tags: ['data'], description: 'statistics' }] },
      { name: 'beta', skills: [{ name: 'viz', level: 'intermediate' }, { name: 'analytics', level: 'novice' }] },
      { name: 'gamma', skills: [{ name: 'summarize', level: 'advanced' }], capacity: 2 }
    ])
  })

  afterAll(async () => { await swarm.stop() })

  it('each node learns the other agents and their skills', async () => {
    await allAgentsKnown(swarm.nodes)
    for (const node of swarm.nodes) {
      const agents = node.agents()
      assert.deepEqual(agents.map(a => a.name).sort(), ['alpha', 'beta', 'gamma'])
      const gamma = agents.find(a => a.name === 'gamma')
      assert.ok(gamma)
      assert.equal(gamma.capacity, 2)
      assert.deepEqual(gamma.skills.map(s => [s.name, s.level]), [['summarize', 'advanced']])
      const alpha = agents.find(a => a.name === 'alpha')
      assert.ok(alpha)
      assert.deepEqual(alpha.skills[0]?.tags, ['data'])
      assert.equal(alpha.skills[0]?.description, 'statistics')
      assert.ok(alpha.addrs.some(addr => addr.startsWith('/ip4/127.0.0.1/tcp/')), 'cards carry listen addresses')
    }
  })

  it('answers "who has skill X at level >= Y"', async () => {
    await allAgentsKnown(swarm.nodes)
    const gamma = swarm.nodes[2]
    assert.ok(gamma)
    assert.deepEqual(gamma.agents({ skill: 'analytics' }).map(a => a.name), ['alpha', 'beta'])
    assert.deepEqual(gamma.agents({ skill: 'analytics', minLevel: 'advanced' }).map(a => a.name), ['alpha'])
    assert.deepEqual(gamma.agents({ skill: 'viz', minLevel: 'expert' }), [])
    assert.deepEqual(gamma.agents({ skill: 'cooking' }), [])
  })

  it('serves agents through the control API with the bearer token only', async () => {
    await allAgentsKnown(swarm.nodes)
    const alpha = swarm.nodes[0]
    assert.ok(alpha?.apiUrl)
    const denied = await fetch(`${alpha.apiUrl}/v1/agents`)
    assert.equal(denied.status, 401)
    const res = await fetch(`${alpha.apiUrl}/v1/agents?skill=viz`, { headers: { authorization: `Bearer ${alpha.apiToken}` } })
    assert.equal(res.status, 200)
    const body = await res.json() as { agents: Array<{ name: string }> }
    assert.deepEqual(body.agents.map(a => a.name), ['beta'])
    const bad = await fetch(`${alpha.apiUrl}/v1/agents?skill=viz&minLevel=guru`, { headers: { authorization: `Bearer ${alpha.apiToken}` } })
    assert.equal(bad.status, 400)
  })

  it('a late joiner learns everyone and everyone learns it', async () => {
    const delta = await swarm.add({ name: 'delta', skills: [{ name: 'viz', level: 'expert' }] })
    await allAgentsKnown(swarm.nodes)
    assert.equal(delta.agents().length, 4)
    for (const node of swarm.nodes) {
      assert.equal(node.agents({ skill: 'viz', minLevel: 'expert' })[0]?.name, 'delta')
    }
  })

  it('drops an agent that stopped once its card expires', async () => {
    const stopped = await swarm.add({ name: 'epsilon', directory: { heartbeatMs: 500, ttlMs: 1500 } })
    await allAgentsKnown(swarm.nodes)
    const observer = swarm.nodes[0]
    assert.ok(observer)
    const id = stopped.peerId.toString()
    const left = new Promise<void>(resolve => {
      const onLeft = ({ peerId }: { peerId: string }): void => {
        if (peerId === id) {
          observer.off('agent:left', onLeft)
          resolve()
        }
      }
      observer.on('agent:left', onLeft)
    })
    await stopped.stop()
    swarm.nodes.splice(swarm.nodes.indexOf(stopped), 1)
    await left
    assert.equal(observer.directory.agents.get(id), undefined)
  })
})
