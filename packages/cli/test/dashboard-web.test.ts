import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { EXIT } from '../src/exit-codes.js'
import { runCaptured } from './helpers.js'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

const STATUS = { peerId: '12D3KooWX', name: 'a', network: 'swarm', software: { version: '0.1.0' }, uptimeMs: 1, connections: 0, peers: 0, agents: 1, capacity: 4, load: 0 }

let server: Server
let api: string
const seen: string[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers.authorization ?? ''}`)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(STATUS))
  })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => { await new Promise(resolve => server.close(resolve)) })

describe('dashboard --web', () => {
  it('prints the web dashboard address with the token in its fragment, after asking the node', async () => {
    const { code, out } = await runCaptured(['dashboard', '--web', '--api', api, '--token', 's3cret/+'])
    assert.equal(code, EXIT.OK)
    assert.deepEqual(out.lines, [`${api}/dashboard#token=s3cret%2F%2B`])
    assert.ok(seen.includes('GET /v1/status Bearer s3cret/+'), seen.join('\n'))
  })

  it('prints it as JSON with --json', async () => {
    const { code, out } = await runCaptured(['dashboard', '--web', '--json', '--api', api, '--token', 't'])
    assert.equal(code, EXIT.OK)
    assert.deepEqual(out.jsons, [{ url: `${api}/dashboard#token=t` }])
  })

  it('says the node is unreachable (exit 3) rather than printing an address that does not work', async () => {
    const { code, out } = await runCaptured(['dashboard', '--web', '--api', 'http://127.0.0.1:9', '--token', 't'])
    assert.equal(code, EXIT.UNREACHABLE)
    assert.match(out.errors.join('\n'), /cannot reach the node/)
  })
})
