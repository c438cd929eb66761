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

const TOKEN = 'cli-verify-test-token-0123456789'
const SELF = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const GOOD = { id: 'task-good', kind: 'task', ok: true, records: [{ what: 'award of attempt 1 (as member)', ok: true, checks: ['own offer listed, with the digest and inputs it signed'], problems: [] }] }
const BAD = { id: 'task-bad', kind: 'task', ok: false, records: [{ what: 'award of attempt 1 (as member)', ok: false, checks: [], problems: ['own offer is missing from the award'] }] }

describe('swarm-node verify', () => {
  let dir: string
  let server: Server

  beforeAll(async () => {
    server = createServer((req, res) => {
      const report = req.url === '/v1/verify/task-good' ? GOOD : req.url === '/v1/verify/task-bad' ? BAD : undefined
      res.writeHead(report === undefined ? 404 : 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(report === undefined ? { error: { code: 'TASK_NOT_FOUND', message: 'no award of a task and no proposal nope is stored on this node' } } : { report }))
    })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', () => { resolve() }) })
    dir = mkdtempSync(join(tmpdir(), 'swarm-cli-verify-'))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    writeFileSync(join(dir, 'api.json'), JSON.stringify({ url, peerId: SELF, pid: process.pid }))
    writeFileSync(join(dir, 'api-token'), TOKEN + '\n')
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints what was checked and exits 0 when verified', async () => {
    const { code, out } = await runCaptured(['verify', 'task-good', '--data-dir', dir])
    assert.equal(code, EXIT.OK, out.errors.join('\n'))
    assert.match(out.lines.join('\n'), /award of attempt 1 \(as member\): OK/)
    assert.match(out.lines.join('\n'), /checked {2}own offer listed/)
  })

  it('exits 1 with the reasons when a check fails, and when nothing is stored', async () => {
    const bad = await runCaptured(['verify', 'task-bad', '--data-dir', dir])
    assert.equal(bad.code, EXIT.FAILURE)
    assert.match(bad.out.lines.join('\n'), /FAILED {3}own offer is missing/)
    const missing = await runCaptured(['verify', 'nope', '--data-dir', dir])
    assert.equal(missing.code, EXIT.FAILURE)
    assert.match(missing.out.errors.join('\n'), /no award of a task/)
  })
})
