/**
 * The bootstrap registry over real TCP: agents that only know the registry's address find each
 * other through it and negotiate; an agent behind no listen address of its own is reached through
 * the registry's circuit relay; the swarm keeps negotiating after the registry stops; and a late
 * agent joins through an ordinary agent's address instead.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { createRegistry, createSwarmNode } from '@swarm/node'
import { allAgentsKnown, tempDir, testConfig } from '../helpers/nodes.js'
import { builtinSkill } from '../helpers/negotiation.js'
import { until } from '../helpers/wait.js'
import type { NodeConfigInput, SwarmNode } from '@swarm/node'

describe('bootstrap registry with 3 agents', () => {
  const dir = tempDir('swarm-registry-')
  let registry: SwarmNode
  const agents: SwarmNode[] = []
  let n = 0

  const agent = async (name: string, bootstrap: string, extra: Partial<NodeConfigInput> = {}): Promise<SwarmNode> => {
    const node = await createSwarmNode(testConfig(join(dir.path, `${n++}-${name}`), { name, storage: 'memory', bootstrap: [bootstrap], ...extra }))
    agents.push(node)
    return node
  }
  const byName = (name: string): SwarmNode => {
    const node = agents.find(a => a.name === name)
    assert.ok(node, `agent ${name}`)
    return node
  }
  const registryAddr = (): string => {
    const addr = registry.addrs[0]
    assert.ok(addr)
    return addr
  }

  beforeAll(async () => {
    registry = await createRegistry(testConfig(join(dir.path, 'registry'), { storage: 'memory' }))
    await agent('alpha', registryAddr(), { skills: [builtinSkill('analytics', 'expert', 'echo')] })
    await agent('beta', registryAddr(), { skills: [builtinSkill('viz', 'advanced', 'echo')] })
    await agent('gamma', registryAddr(), { skills: [builtinSkill('summarize', 'intermediate', 'echo')] })
  })

  afterAll(async () => {
    await Promise.allSettled([registry, ...agents].map(async node => { await node.stop() }))
    dir.cleanup()
  })

  it('runs as a registry: no skills, no capacity, DHT server and relay server', async () => {
    assert.equal(registry.status().role, 'registry')
    assert.deepEqual(registry.status().skills, [])
    assert.equal(registry.status().capacity, 0)
    assert.equal(registry.libp2p.services.dht?.getMode(), 'server')
    assert.ok(registry.libp2p.services.relay, 'circuit relay server')
    assert.equal(byName('alpha').libp2p.services.relay, undefined, 'agents relay for no one')
    assert.equal(byName('alpha').libp2p.services.dht, undefined, 'agents run no DHT unless asked')
  })

  it('agents that only know the registry find each other, with their addresses', async () => {
    await allAgentsKnown([registry, ...agents])
    const gamma = byName('gamma')
    const alpha = gamma.agents({ skill: 'analytics' })
    assert.deepEqual(alpha.map(a => a.name), ['alpha'])
    assert.ok(alpha[0]?.addrs.some(a => a.startsWith('/ip4/127.0.0.1/tcp/')), 'the card carries the listen address')
    // Agents keep direct neighbours of their own, not only the registry.
    await until(
      () => agents.every(a => a.peers().some(p => p.peerId !== registry.peerId.toString())),
      changed => {
        for (const a of agents) a.on('peer:connect', changed)
        return () => { for (const a of agents) a.off('peer:connect', changed) }
      },
      15_000,
      'every agent to connect to another agent'
    )
  })

  it('answers "who has skill X" on its control API', async () => {
    await allAgentsKnown([registry, ...agents])
    assert.ok(registry.apiUrl)
    const res = await fetch(`${registry.apiUrl}/v1/agents?skill=viz&minLevel=intermediate`, { headers: { authorization: `Bearer ${registry.apiToken}` } })
    assert.equal(res.status, 200)
    const body = await res.json() as { agents: Array<{ name: string, addrs: string[] }> }
    assert.deepEqual(body.agents.map(a => a.name), ['beta'])
    assert.ok((body.agents[0]?.addrs.length ?? 0) > 0)
  })

  it('a newcomer learns the whole directory from the registry at once', async () => {
    // A slow heartbeat: what it knows right away comes from the registry's DIRECTORY_RESPONSE.
    const delta = await agent('delta', registryAddr(), { directory: { heartbeatMs: 60_000, ttlMs: 180_000 }, skills: [builtinSkill('viz', 'novice', 'echo')] })
    await allAgentsKnown([delta, ...agents.filter(a => a !== delta)], 10_000)
    assert.deepEqual(delta.agents().map(a => a.name).sort(), ['alpha', 'beta', 'delta', 'gamma', 'registry'])
  })

  it('a task forms across agents that met through the registry', async () => {
    const beta = byName('beta')
    const task = await beta.announce({ description: 'chart the statistics', skills: [{ name: 'analytics' }, { name: 'summarize' }], input: { values: [1, 2] } })
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.deepEqual(outcome.members?.map(m => m.peerId).sort(), [byName('alpha').peerId.toString(), byName('gamma').peerId.toString()].sort())
    assert.ok(!outcome.members?.some(m => m.peerId === registry.peerId.toString()), 'the registry never joins a group')
  })

  it('reaches an agent without a listen address of its own through the relay', async () => {
    const hidden = await agent('hidden', registryAddr(), { listen: ['/p2p-circuit'], skills: [builtinSkill('translate', 'expert', 'echo')] })
    await until(
      () => hidden.addrs.some(a => a.includes('/p2p-circuit/')),
      changed => {
        const onUpdate = (): void => { changed() }
        hidden.libp2p.addEventListener('self:peer:update', onUpdate)
        return () => { hidden.libp2p.removeEventListener('self:peer:update', onUpdate) }
      },
      15_000,
      'a relay reservation on the registry'
    )
    assert.ok(hidden.addrs.every(a => a.includes(`/p2p/${registry.peerId.toString()}/p2p-circuit/`)), `only relayed addresses: ${hidden.addrs.join(' ')}`)
    const gamma = byName('gamma')
    await until(
      () => gamma.agents({ skill: 'translate' }).some(a => a.addrs.some(addr => addr.includes('/p2p-circuit/'))),
      changed => {
        gamma.on('agent:joined', changed)
        gamma.on('agent:updated', changed)
        return () => { gamma.off('agent:joined', changed); gamma.off('agent:updated', changed) }
      },
      15_000,
      'gamma to learn the relayed address of the hidden agent'
    )
    const task = await gamma.announce({ description: 'translate', skills: [{ name: 'translate' }], input: 'hola' })
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.deepEqual(outcome.members?.map(m => m.peerId), [hidden.peerId.toString()])
    assert.deepEqual(outcome.output, { translate: 'hola' })
    await hidden.stop()
    agents.splice(agents.indexOf(hidden), 1)
  })

  it('keeps negotiating after the registry stops', async () => {
    await registry.stop()
    const beta = byName('beta')
    const task = await beta.announce({ description: 'after the registry', skills: [{ name: 'analytics' }, { name: 'summarize' }], input: { values: [3] } })
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.deepEqual(outcome.members?.map(m => m.peerId).sort(), [byName('alpha').peerId.toString(), byName('gamma').peerId.toString()].sort())
  })

  it('a late agent bootstraps from an agent\'s address instead', async () => {
    assert.equal(registry.isRunning, false)
    const alphaAddr = byName('alpha').addrs[0]
    assert.ok(alphaAddr)
    const late = await agent('late', alphaAddr, { skills: [builtinSkill('review', 'advanced', 'echo')] })
    await allAgentsKnown(agents, 15_000)
    const task = await late.announce({ description: 'from the late agent', skills: [{ name: 'viz' }, { name: 'summarize' }], input: null })
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    const beta = byName('beta')
    const reviewTask = await beta.announce({ description: 'ask the late agent', skills: [{ name: 'review' }], input: null })
    const review = await reviewTask.result()
    assert.equal(review.status, 'COMPLETE', review.reason)
    assert.deepEqual(review.members?.map(m => m.peerId), [late.peerId.toString()])
  })
})
