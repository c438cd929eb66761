import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EXIT } from '../src/exit-codes.js'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { runCaptured } from './helpers.js'

const TOKEN = 'cli-agents-test-token-0123456789'
const SELF = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const OTHER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const base = { skills: [{ name: 'analytics', level: 'expert', successRate: 1, avgCompletionMs: 1000 }], capacity: 4, load: 1, addrs: [], version: '0.1.0', lastSeen: Date.now() }
const AGENTS = [
  { ...base, peerId: SELF, name: 'ana', self: true, reputation: null },
  { ...base, peerId: OTHER, name: 'bo', self: false, reputation: 0.6 }
]

describe('swarm-node agents: the reputation column', () => {
  let dir: string
  let server: Server

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(req.url?.startsWith('/v1/agents') === true ? { agents: AGENTS } : {}))
    })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', () => { resolve() }) })
    dir = mkdtempSync(join(tmpdir(), 'swarm-cli-agents-'))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    writeFileSync(join(dir, 'api.json'), JSON.stringify({ url, peerId: SELF, pid: process.pid }))
    writeFileSync(join(dir, 'api-token'), TOKEN + '\n')
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    rmSync(dir, { recursive: true, force: true })
  })

  it('shows the reputation the node holds for each agent, - for the node itself', async () => {
    const { code, out } = await runCaptured(['agents', '--data-dir', dir])
    assert.equal(code, EXIT.OK, out.errors.join('\n'))
    const text = out.lines.join('\n')
    assert.match(text, /REP/)
    const row = (name: string): string => text.split('\n').find(l => l.startsWith(name)) ?? ''
    assert.match(row('bo'), /\s0\.60\s/)
    assert.match(row('ana (self)'), /\s-\s/)
  })

  it('keeps the reputation in --json', async () => {
    const { code, out } = await runCaptured(['agents', '--data-dir', dir, '--json'])
    assert.equal(code, EXIT.OK)
    assert.deepEqual((out.jsons[0] as Array<{ reputation: number | null }>).map(a => a.reputation), [null, 0.6])
  })
})
