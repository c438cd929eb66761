import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { FakeNodeApi, call, serve } from './fake-node-api.js'
import type { VerifyReport } from '../../src/ledger/verify-report.js'

describe('GET /v1/verify/:id', () => {
  const node = new FakeNodeApi()
  const report: VerifyReport = { id: 'task-verify-0001', kind: 'task', ok: false, records: [{ what: 'award of attempt 1 (as member)', ok: false, checks: ['3 offer digests listed'], problems: ['own offer is missing from the award'] }] }
  node.reports.set(report.id, report)
  let url: string
  let stop: () => Promise<void>

  beforeAll(async () => { ({ url, stop } = await serve(node)) })
  afterAll(async () => { await stop() })

  it('answers the node\'s report, and 404 TASK_NOT_FOUND when nothing is stored under the id', async () => {
    const found = await call<{ report: VerifyReport }>(url, 'GET', `/v1/verify/${report.id}`)
    assert.equal(found.status, 200)
    assert.deepEqual(found.json.report, report)
    const missing = await call<{ error: { code: string } }>(url, 'GET', '/v1/verify/nothing-here')
    assert.equal(missing.status, 404)
    assert.equal(missing.json.error.code, 'TASK_NOT_FOUND')
  })
})
