import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { A2aService } from '../../src/a2a/server.js'
import { tokenMatches } from '../../src/api/http.js'
import { parseConfig } from '../../src/config.js'
import { SwarmError } from '../../src/errors.js'
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
    const served = await card.json() as { skills: Array<{ id: string }>, securitySchemes: Record<string, { httpAuthSecurityScheme?: { scheme: string } }> }
    assert.deepEqual(served.skills.map(s => s.id), ['echo'])
    assert.equal(served.securitySchemes.bearer?.httpAuthSecurityScheme?.scheme, 'Bearer', 'the card says how to authenticate, in the v1.0 wire form')
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

  it('refuses a body over 100 kB with 413 and goes on serving', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'SendMessage', params: { message: { messageId: 'm3', role: 'ROLE_USER', parts: [{ text: 'x'.repeat(200_000) }] } } })
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'A2A-Version': '1.0', authorization: `Bearer ${TOKEN}` }, body: big })
    assert.equal(res.status, 413)
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /100 kB/)
    assert.equal((await fetch(new URL('/.well-known/agent-card.json', url))).status, 200)
  })

  it('answers 404 elsewhere and 405 to a GET of the JSON-RPC endpoint', async () => {
    assert.equal((await fetch(new URL('/nope', url))).status, 404)
    assert.equal((await fetch(url)).status, 405)
  })
})

describe('A2A server with auth none (loopback only)', () => {
  const service = new A2aService({ node, logger: memoryLog().logger }, { config: parseConfig({ a2a: { listen: '/ip4/127.0.0.1/tcp/0', auth: 'none' } }).a2a, token: () => { throw new Error('no token is read when auth is none') }, name: 'gw', peerId: '12D3', version: '0.1.0' })

  beforeAll(async () => { await service.start() })
  afterAll(async () => { await service.stop() })

  it('takes JSON-RPC calls without a token and declares no security scheme', async () => {
    assert.ok(service.url)
    const card = await (await fetch(new URL('/.well-known/agent-card.json', service.url))).json() as { securitySchemes?: Record<string, unknown> }
    assert.equal(card.securitySchemes, undefined)
    const res = await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json', 'A2A-Version': '1.0' }, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'GetTask', params: { id: 'nope-0001' } }) })
    assert.equal(res.status, 200)
    assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32001, 'task not found, not 401')
  })
})

describe('A2A server lifecycle', () => {
  it('is off without a2a.listen: start listens nowhere and there is no URL', async () => {
    const off = new A2aService({ node, logger: memoryLog().logger }, { config: parseConfig({}).a2a, token: () => TOKEN, name: 'gw', peerId: '12D3', version: '0.1.0' })
    await off.start()
    assert.equal(off.url, undefined)
    await off.stop()
  })

  it('advertises a2a.publicUrl, when set, instead of the address it listens on', async () => {
    const proxied = new A2aService({ node, logger: memoryLog().logger }, { config: parseConfig({ a2a: { listen: '/ip4/127.0.0.1/tcp/0', publicUrl: 'https://a2a.example.org/' } }).a2a, token: () => TOKEN, name: 'gw', peerId: '12D3', version: '0.1.0' })
    await proxied.start()
    try {
      assert.equal(proxied.url, 'https://a2a.example.org/')
      assert.deepEqual(proxied.card().supportedInterfaces.map(i => i.url), ['https://a2a.example.org/', 'https://a2a.example.org/'])
    } finally {
      await proxied.stop()
    }
  })

  it('names the port when it is taken', async () => {
    const first = new A2aService({ node, logger: memoryLog().logger }, { config: parseConfig({ a2a: { listen: '/ip4/127.0.0.1/tcp/0' } }).a2a, token: () => TOKEN, name: 'gw', peerId: '12D3', version: '0.1.0' })
    await first.start()
    try {
      const port = new URL(first.url ?? '').port
      const second = new A2aService({ node, logger: memoryLog().logger }, { config: parseConfig({ a2a: { listen: `/ip4/127.0.0.1/tcp/${port}` } }).a2a, token: () => TOKEN, name: 'gw', peerId: '12D3', version: '0.1.0' })
      await assert.rejects(second.start(), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'PORT_IN_USE')
        assert.match(err.message, new RegExp(`A2A port ${port} .*--a2a-listen`))
        return true
      })
    } finally {
      await first.stop()
    }
  })
})

describe('A2A server when the swarm has no capable agent', () => {
  const lonely: A2aNode = { ...node, announce: async () => { throw new SwarmError('NO_CAPABLE_PEERS', 'no agent bid for echo:novice') } }
  const service = new A2aService({ node: lonely, logger: memoryLog().logger }, { config: parseConfig({ a2a: { listen: '/ip4/127.0.0.1/tcp/0' } }).a2a, token: () => TOKEN, name: 'gw', peerId: '12D3', version: '0.1.0' })

  beforeAll(async () => { await service.start() })
  afterAll(async () => { await service.stop() })

  it('answers SendMessage with a rejected Task whose status message gives the swarm error', async () => {
    assert.ok(service.url)
    const res = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'A2A-Version': '1.0', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'SendMessage', params: { message: { messageId: 'm2', role: 'ROLE_USER', parts: [{ data: { x: 1 } }], metadata: { skills: ['echo:novice'] } } } })
    })
    const body = await res.json() as { result?: { task?: { status: { state: string, message?: { parts: Array<{ text?: string }> } } } }, error?: unknown }
    assert.equal(body.error, undefined, JSON.stringify(body.error))
    const status = body.result?.task?.status
    assert.equal(status?.state, 'TASK_STATE_REJECTED')
    assert.match(status?.message?.parts[0]?.text ?? '', /NO_CAPABLE_PEERS: no agent bid for echo:novice/)
  })
})
