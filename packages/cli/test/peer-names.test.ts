import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { ApiClient } from '../src/api-client.js'
import { PeerNames } from '../src/commands/task-format.js'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

const A = '12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAaaaaa1'
const B = '12D3KooWBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBbbbbb2'
const C = '12D3KooWCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCccccc3'

let server: Server
let client: ApiClient

beforeAll(async () => {
  // Two machines with one hostname: their agents share the default name.
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ agents: [{ peerId: A, name: 'laptop-1' }, { peerId: B, name: 'laptop-1' }, { peerId: C, name: 'builder' }] }))
  })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  client = new ApiClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't' })
})
afterAll(async () => { await new Promise(resolve => server.close(resolve)) })

describe('PeerNames', () => {
  it('tells apart two agents that share a name by the end of their peer ids', async () => {
    const names = new PeerNames(client)
    await names.refresh()
    assert.equal(names.label(A), 'laptop-1 (…aaaaa1)')
    assert.equal(names.label(B), 'laptop-1 (…bbbbb2)')
    assert.equal(names.label(C), 'builder')
  })

  it('shows an unknown peer by its shortened id', async () => {
    const names = new PeerNames(client)
    await names.refresh()
    assert.equal(names.label('12D3KooWZZZZZZZZZZZZZZZZZZZZZZZZZZZZzzzzzz'), '12D3KooW…zzzzzz')
  })
})
