import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { DASHBOARD_HEADERS, DASHBOARD_HTML, dashboardPage } from '../src/api/dashboard/page.js'
import { ControlApiServer } from '../src/api/server.js'
import { silentLogger } from '../src/logger.js'
import type { Route } from '../src/api/http.js'

const TOKEN = 'dashboard-test-token-0123456789'

const routes: Route[] = [
  { method: 'GET', path: '/dashboard', public: true, handler: () => dashboardPage() },
  { method: 'GET', path: '/metrics', handler: () => ({ text: 'swarm_up 1\n', contentType: 'text/plain; version=0.0.4; charset=utf-8' }) },
  { method: 'GET', path: '/v1/status', handler: () => ({ json: { ok: true } }) }
]

describe('control API: public dashboard page, text answers', () => {
  let api: ControlApiServer
  let base: string

  beforeAll(async () => {
    api = new ControlApiServer({ host: '127.0.0.1', port: 0, token: TOKEN, routes, logger: silentLogger() })
    base = await api.start()
  })
  afterAll(async () => { await api.stop() })

  it('serves the dashboard page without the token, with a strict content security policy', async () => {
    const res = await fetch(`${base}/dashboard`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8')
    const csp = res.headers.get('content-security-policy') ?? ''
    assert.match(csp, /default-src 'none'/)
    assert.match(csp, /connect-src 'self'/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
    assert.equal(res.headers.get('x-frame-options'), 'DENY')
    assert.equal(await res.text(), DASHBOARD_HTML)
  })

  it('lets the page run exactly its own inline script and style (hashes in the policy)', () => {
    const inline = (tag: string): string[] => [...DASHBOARD_HTML.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map(m => m[1] ?? '')
    const csp = DASHBOARD_HEADERS['content-security-policy'] ?? ''
    for (const [tag, directive] of [['script', 'script-src'], ['style', 'style-src']] as const) {
      const blocks = inline(tag)
      assert.equal(blocks.length, 1, `one <${tag}> block`)
      const hash = createHash('sha256').update(blocks[0] ?? '', 'utf8').digest('base64')
      assert.ok(csp.includes(`${directive} 'sha256-${hash}'`), `${directive} allows the page's ${tag}`)
    }
    // Nothing is loaded from elsewhere: no src or href to another origin.
    assert.doesNotMatch(DASHBOARD_HTML, /(src|href)="(https?:)?\/\//)
  })

  it('still asks the token for everything else, unknown paths and other methods on the page included', async () => {
    for (const path of ['/metrics', '/v1/status', '/no-such-path', '/dashboard/x']) {
      assert.equal((await fetch(`${base}${path}`)).status, 401, path)
    }
    assert.equal((await fetch(`${base}/dashboard`, { method: 'POST' })).status, 401)
  })

  it('sends text answers with their content type', async () => {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    assert.equal(await res.text(), 'swarm_up 1\n')
  })
})
