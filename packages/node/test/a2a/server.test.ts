import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { A2aService } from '../../src/a2a/server.js'
import { tokenMatches } from '../../src/api/http.js'
import { parseConfig } from '../../src/config.js'
import { memoryLog } from '../fakes/memory-log.js'
import { ad, agent } from './fixtures.js'
import type { A2aNode } from '../../src/a2a/port.js'

const TOKEN = 'a2a-unit-test-token-0123456789'

/** A node that knows one agent with `echo` and has announced nothing. */
const node: A2aNode = {
  agents: () => [agent('worker', [ad('echo', 'expert')])],
  announce: async () => { throw new Error('not in this test') },
  cancel: async () => { throw new Error('not in this test') },
  tasks: () => [],
  task: () => undefined,
  liveTask: () => undefined
}

describe('A2A auth: the bearer token check', () => {
  it('takes exactly "Bearer <token>"', () => {
    assert.equal(tokenMatches(`Bearer ${TOKEN}`, TOKEN), true)
    assert.equal(tokenMatches(undefined, TOKEN), false)
    assert.equal(tokenMatches(TOKEN, TOKEN), false)
    assert.equal(tokenMatches(`Bearer ${TOKEN}x`, TOKEN), false)
    assert.equal(tokenMatches('Basic abc', TOKEN), false)
  })
})

describe('A2A server over a fake node', () => {
  const service = new A2aService({ node, logger: memoryLog().logger }, { config: parseConfig({ a2a: { listen: '/ip4/127.0.0.1/tcp/0' } }).a2a, token: () => TOKEN, name: 'gw', peerId: '12D3', version: '0.1.0' })
  let url: string

  beforeAll(async () => {
    await service.start()
    assert.ok(service.url)
    url = service.url
  })
  afterAll(async () => { await service.stop() })

  it('serves the card without a token and refuses JSON-RPC calls without the right one', async () => {
    const card = await fetch(new URL('/.well-known/agent-card.json', url))
    assert.equal(card.status, 200)
    assert.deepEqual(((await card.json()) as { skills: Array<{ id: string }> }).skills.map(s => s.id), ['echo'])
    const call = { method: 'POST', headers: { 'content-type': 'application/json', 'A2A-Version': '1.0' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'nope-0001' } }) }
    const none = await fetch(url, call)
    assert.equal(none.status, 401)
    assert.equal(none.headers.get('www-authenticate'), 'Bearer')
    assert.match(((await none.json()) as { error: { message: string } }).error.message, /a2a-token/)
    const wrong = await fetch(url, { ...call, headers: { ...call.headers, authorization: 'Bearer wrong' } })
    assert.equal(wrong.status, 401)
    const right = await fetch(url, { ...call, headers: { ...call.headers, authorization: `Bearer ${TOKEN}` } })
    assert.equal(right.status, 200)
    const body = await right.json() as { id: number, error: { code: number } }
    assert.equal(body.id, 1)
    assert.equal(body.error.code, -32001, 'task not found')
  })

  it('answers a message without skills with InvalidParams naming the known skills', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'A2A-Version': '1.0', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'SendMessage', params: { message: { messageId: 'm1', role: 'ROLE_USER', parts: [{ text: 'hi' }] } } })
    })
    const body = await res.json() as { error: { code: number, message: string } }
    assert.equal(body.error.code, -32602)
    assert.match(body.error.message, /echo \(best level expert\)/)
  })

  it('answers 404 elsewhere and 405 to a GET of the JSON-RPC endpoint', async () => {
    assert.equal((await fetch(new URL('/nope', url))).status, 404)
    assert.equal((await fetch(url)).status, 405)
  })
})
