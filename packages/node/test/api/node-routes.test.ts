import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { DASHBOARD_HTML } from '../../src/api/dashboard/page.js'
import { FakeNodeApi, PEER, TOKEN, call, serve } from './fake-node-api.js'
import type { AgentView, NodeStatus, PeerInfo } from '../../src/types.js'

const AGENT: AgentView = { peerId: PEER, name: 'ana', self: true, skills: [{ name: 'analytics', level: 'expert' }] as AgentView['skills'], capacity: 4, load: 1, addrs: [], version: '0.1.0', lastSeen: 5, reputation: null }
const OTHER: AgentView = { ...AGENT, peerId: 'other', name: 'bo', self: false, reputation: 0.42 }

describe('node routes: status, peers, agents, metrics, dashboard', () => {
  const node = new FakeNodeApi()
  node.agentList = [AGENT, OTHER]
  let url: string
  let stop: () => Promise<void>

  beforeAll(async () => { ({ url, stop } = await serve(node)) })
  afterAll(async () => { await stop() })

  it('GET /v1/status and /v1/peers answer the node\'s views', async () => {
    const status = await call<NodeStatus>(url, 'GET', '/v1/status')
    assert.equal(status.status, 200)
    assert.deepEqual(status.json, node.statusView)
    const peers = await call<{ peers: PeerInfo[] }>(url, 'GET', '/v1/peers')
    assert.deepEqual(peers.json.peers, node.peerList)
  })

  it('GET /v1/access, POST /v1/access/block and /unblock manage the blocked peers, validated', async () => {
    const empty = await call<{ allow: string[], deny: string[], blocked: unknown[] }>(url, 'GET', '/v1/access')
    assert.deepEqual(empty.json, { allow: [], deny: [], blocked: [] })
    const blocked = await call<{ blocked: Array<{ peerId: string, reason?: string }> }>(url, 'POST', '/v1/access/block', { peerId: PEER, reason: 'flooding' })
    assert.equal(blocked.status, 200)
    assert.deepEqual(blocked.json.blocked.map(b => [b.peerId, b.reason]), [[PEER, 'flooding']])
    const bad = await call(url, 'POST', '/v1/access/block', { peerId: 'not-a-peer' })
    assert.equal(bad.status, 400)
    assert.match(bad.json.error.message, /not a peer id/)
    const unknownField = await call(url, 'POST', '/v1/access/block', { peer: PEER })
    assert.equal(unknownField.status, 400)
    const lifted = await call<{ blocked: unknown[] }>(url, 'POST', '/v1/access/unblock', { peerId: PEER })
    assert.deepEqual(lifted.json.blocked, [])
  })

  it('GET /v1/agents passes the skill filter on, validated', async () => {
    const all = await call<{ agents: AgentView[] }>(url, 'GET', '/v1/agents')
    assert.deepEqual(all.json.agents, [AGENT, OTHER])
    assert.deepEqual(all.json.agents.map(a => a.reputation), [null, 0.42])
    await call(url, 'GET', '/v1/agents?skill=analytics&minLevel=advanced')
    await call(url, 'GET', '/v1/agents?skill=analytics')
    // A level without a skill filters nothing.
    await call(url, 'GET', '/v1/agents?minLevel=expert')
    assert.deepEqual(node.agentQueries, [undefined, { skill: 'analytics', minLevel: 'advanced' }, { skill: 'analytics', minLevel: undefined }, undefined])
    const bad = await call(url, 'GET', '/v1/agents?skill=analytics&minLevel=wizard')
    assert.equal(bad.status, 400)
    assert.match(bad.json.error.message, /minLevel/)
    assert.equal(node.agentQueries.length, 4)
  })

  it('GET /metrics is 404 METRICS_DISABLED without metrics, the exposition with them', async () => {
    const off = await call(url, 'GET', '/metrics')
    assert.equal(off.status, 404)
    assert.equal(off.json.error.code, 'METRICS_DISABLED')
    node.metrics = { exposition: async () => ({ text: 'swarm_tasks_total 3\n', contentType: 'text/plain; version=0.0.4; charset=utf-8' }) }
    try {
      const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
      assert.equal(await res.text(), 'swarm_tasks_total 3\n')
    } finally {
      delete node.metrics
    }
  })

  it('GET /dashboard is served without the token; the API behind it is not', async () => {
    const page = await fetch(`${url}/dashboard`)
    assert.equal(page.status, 200)
    assert.equal(await page.text(), DASHBOARD_HTML)
    assert.equal((await fetch(`${url}/v1/status`)).status, 401)
  })
})
