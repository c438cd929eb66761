import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { z } from 'zod'
import { queryParam, startEventStream } from '../src/api/http.js'
import { ControlApiServer } from '../src/api/server.js'
import { SwarmError } from '../src/errors.js'
import { createLogger, silentLogger } from '../src/logger.js'
import type { Route } from '../src/api/http.js'

const TOKEN = 'test-token-0123456789abcdef'

interface ErrorBody {
  error: { code: string, message: string, details?: Record<string, unknown> }
}

/** A promise with its resolve function, to await an event from a route handler. */
function deferred<T = void> (): { promise: Promise<T>, resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>(r => { resolve = r })
  return { promise, resolve }
}

const ItemSchema = z.object({ name: z.string().min(1), count: z.number().int() }).strict()

let sseClosed = deferred()
const logged: string[] = []

const routes: Route[] = [
  { method: 'GET', path: '/v1/hello', handler: () => ({ json: { hello: 'world' } }) },
  { method: 'GET', path: '/v1/items/:id', handler: ({ params }) => ({ json: { id: params.id } }) },
  {
    method: 'POST',
    path: '/v1/items',
    handler: async ({ body }) => {
      const item = await body(ItemSchema)
      return { status: 201, json: { created: item } }
    }
  },
  { method: 'DELETE', path: '/v1/items/:id', handler: ({ params }) => ({ json: { deleted: params.id } }) },
  {
    method: 'GET',
    path: '/v1/search',
    handler: ({ query }) => ({ json: { limit: queryParam(query, 'limit', z.coerce.number().int().positive().default(10)) } })
  },
  {
    method: 'GET',
    path: '/v1/tasks/:id',
    handler: ({ params }) => { throw new SwarmError('TASK_NOT_FOUND', `no task ${params.id ?? ''}`, { taskId: params.id }) }
  },
  { method: 'POST', path: '/v1/tasks/:id/cancel', handler: async () => { throw new SwarmError('TASK_STATE', 'the task is already complete') } },
  { method: 'GET', path: '/v1/rejected', handler: () => { throw new SwarmError('NO_CAPABLE_PEERS', 'nobody can do it') } },
  { method: 'GET', path: '/v1/handler-error', handler: () => { throw new SwarmError('HANDLER', 'handler failed') } },
  { method: 'GET', path: '/v1/boom', handler: () => { throw new Error('kaboom') } },
  {
    method: 'GET',
    path: '/v1/events',
    handler: ({ res }) => {
      const stream = startEventStream(res)
      stream.onClose(() => { sseClosed.resolve() })
      stream.send('task:progress', { taskId: 't1', progress: 0.5 })
      stream.send('task:completed', { taskId: 't1', ok: true })
      return undefined
    }
  }
]

let server: ControlApiServer
let url: string

beforeAll(async () => {
  const logger = createLogger({ level: 'debug', sinks: [{ write: line => { logged.push(line) } }] })
  server = new ControlApiServer({ host: '127.0.0.1', port: 0, token: TOKEN, routes, logger })
  url = await server.start()
})

afterAll(async () => {
  await server.stop()
})

async function call (method: string, path: string, options: { token?: string | null, body?: string } = {}): Promise<{ status: number, json: unknown, headers: Headers }> {
  const token = options.token === undefined ? TOKEN : options.token
  const headers: Record<string, string> = {}
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(url + path, { method, headers, body: options.body })
  const text = await res.text()
  return { status: res.status, json: JSON.parse(text), headers: res.headers }
}

/** Sends a GET with a raw request target (fetch would normalise it). */
async function rawGet (path: string, token: string | null = TOKEN): Promise<{ status: number, json: unknown }> {
  const { hostname, port } = new URL(url)
  return await new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, headers: token === null ? {} : { authorization: `Bearer ${token}` } }, res => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

function errorOf (json: unknown): ErrorBody['error'] {
  assert.ok(typeof json === 'object' && json !== null && 'error' in json)
  return (json as ErrorBody).error
}

describe('ControlApiServer', () => {
  it('listens on the given host with a free port', () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.notEqual(url, 'http://127.0.0.1:0')
    assert.equal(server.url, url)
    assert.ok(logged.some(line => line.includes('control API listening') && line.includes(url)))
  })

  it('answers 401 without a token, and says how to send one', async () => {
    const { status, json } = await call('GET', '/v1/hello', { token: null })
    assert.equal(status, 401)
    const error = errorOf(json)
    assert.equal(error.code, 'API_UNAUTHORIZED')
    assert.match(error.message, /Authorization: Bearer <token>/)
    assert.match(error.message, /api-token/)
  })

  it('answers 401 with a wrong token', async () => {
    for (const token of ['wrong', TOKEN.slice(0, -1) + 'X', TOKEN + 'x', '']) {
      const { status, json } = await call('GET', '/v1/hello', { token })
      assert.equal(status, 401, `token ${JSON.stringify(token)}`)
      assert.equal(errorOf(json).code, 'API_UNAUTHORIZED')
    }
  })

  it('answers 401 for another authorization scheme', async () => {
    const res = await fetch(url + '/v1/hello', { headers: { authorization: `Basic ${TOKEN}` } })
    assert.equal(res.status, 401)
    await res.text()
  })

  it('checks the token before routing', async () => {
    assert.equal((await call('GET', '/no/such/path', { token: null })).status, 401)
  })

  it('answers 200 with JSON with the right token', async () => {
    const { status, json, headers } = await call('GET', '/v1/hello')
    assert.equal(status, 200)
    assert.deepEqual(json, { hello: 'world' })
    assert.match(headers.get('content-type') ?? '', /^application\/json/)
    assert.equal(headers.get('cache-control'), 'no-store')
  })

  it('passes decoded path parameters', async () => {
    assert.deepEqual((await call('GET', '/v1/items/abc%20def')).json, { id: 'abc def' })
    assert.deepEqual((await call('DELETE', '/v1/items/42')).json, { deleted: '42' })
  })

  it('parses query parameters, naming a bad one', async () => {
    assert.deepEqual((await call('GET', '/v1/search')).json, { limit: 10 })
    assert.deepEqual((await call('GET', '/v1/search?limit=3')).json, { limit: 3 })
    const { status, json } = await call('GET', '/v1/search?limit=-1')
    assert.equal(status, 400)
    assert.equal(errorOf(json).code, 'API_BAD_REQUEST')
    assert.match(errorOf(json).message, /query parameter limit/)
  })

  it('answers 400 for a malformed request target, and keeps serving', async () => {
    const badHost = await rawGet('//[')
    assert.equal(badHost.status, 400)
    assert.equal(errorOf(badHost.json).code, 'API_BAD_REQUEST')
    assert.equal((await rawGet('//[', null)).status, 401)
    const badEscape = await rawGet('/v1/items/%E0%A4%A')
    assert.equal(badEscape.status, 400)
    assert.match(errorOf(badEscape.json).message, /percent-encoding/)
    assert.deepEqual((await call('GET', '/v1/hello')).json, { hello: 'world' })
  })

  it('answers 404 for an unknown path', async () => {
    const { status, json } = await call('GET', '/v1/nothing')
    assert.equal(status, 404)
    assert.equal(errorOf(json).code, 'NOT_FOUND')
    assert.match(errorOf(json).message, /\/v1\/nothing/)
    assert.equal((await call('GET', '/v1/items/a/b')).status, 404)
  })

  it('answers 405 for a known path with another method', async () => {
    const { status, json } = await call('POST', '/v1/hello', { body: '{}' })
    assert.equal(status, 405)
    assert.equal(errorOf(json).code, 'METHOD_NOT_ALLOWED')
    assert.match(errorOf(json).message, /POST/)
    assert.equal((await call('DELETE', '/v1/items')).status, 405)
  })

  it('validates a JSON body and answers with the created value', async () => {
    const { status, json } = await call('POST', '/v1/items', { body: JSON.stringify({ name: 'x', count: 2 }) })
    assert.equal(status, 201)
    assert.deepEqual(json, { created: { name: 'x', count: 2 } })
  })

  it('answers 400 naming the bad fields of a body', async () => {
    const { status, json } = await call('POST', '/v1/items', { body: JSON.stringify({ name: '', count: 'two' }) })
    assert.equal(status, 400)
    const error = errorOf(json)
    assert.equal(error.code, 'API_BAD_REQUEST')
    assert.match(error.message, /name:/)
    assert.match(error.message, /count:/)
    assert.ok(Array.isArray(error.details?.issues))
  })

  it('answers 400 for an empty or unknown-field body', async () => {
    const empty = await call('POST', '/v1/items')
    assert.equal(empty.status, 400)
    assert.match(errorOf(empty.json).message, /name:/)
    const extra = await call('POST', '/v1/items', { body: JSON.stringify({ name: 'x', count: 1, admin: true }) })
    assert.equal(extra.status, 400)
    assert.match(errorOf(extra.json).message, /admin/)
  })

  it('answers 400 for a body that is not JSON', async () => {
    const { status, json } = await call('POST', '/v1/items', { body: '{not json' })
    assert.equal(status, 400)
    assert.equal(errorOf(json).code, 'API_BAD_REQUEST')
    assert.match(errorOf(json).message, /not valid JSON/)
  })

  it('maps a SwarmError of a handler to its status, with code, message and details', async () => {
    const notFound = await call('GET', '/v1/tasks/t-42')
    assert.equal(notFound.status, 404)
    assert.deepEqual(notFound.json, { error: { code: 'TASK_NOT_FOUND', message: 'no task t-42', details: { taskId: 't-42' } } })
    const conflict = await call('POST', '/v1/tasks/t-42/cancel')
    assert.equal(conflict.status, 409)
    assert.equal(errorOf(conflict.json).code, 'TASK_STATE')
    const rejected = await call('GET', '/v1/rejected')
    assert.equal(rejected.status, 422)
    assert.equal(errorOf(rejected.json).code, 'NO_CAPABLE_PEERS')
    const other = await call('GET', '/v1/handler-error')
    assert.equal(other.status, 500)
    assert.equal(errorOf(other.json).code, 'HANDLER')
  })

  it('answers 500 INTERNAL for an unexpected error and logs it', async () => {
    const { status, json } = await call('GET', '/v1/boom')
    assert.equal(status, 500)
    assert.deepEqual(json, { error: { code: 'INTERNAL', message: 'kaboom' } })
    const line = logged.find(l => l.includes('control API handler failed'))
    assert.ok(line !== undefined)
    assert.match(line, /kaboom/)
    assert.match(line, /"level":"error"/)
  })

  it('streams server-sent events until the client leaves', async () => {
    sseClosed = deferred()
    const controller = new AbortController()
    const res = await fetch(url + '/v1/events', { headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
    assert.ok(res.body !== null)
    const reader = res.body.getReader()
    const decoder = new TextDecoder()
    let text = ''
    while (!/event: task:completed\ndata: [^\n]*\n\n/.test(text)) {
      const { value, done } = await reader.read()
      assert.equal(done, false, `stream ended early: ${text}`)
      text += decoder.decode(value, { stream: true })
    }
    const frames = text.split('\n\n').filter(frame => frame.startsWith('event: '))
    assert.deepEqual(frames, [
      'event: task:progress\ndata: {"taskId":"t1","progress":0.5}',
      'event: task:completed\ndata: {"taskId":"t1","ok":true}'
    ])
    assert.ok(text.startsWith(': '), 'the stream opens with a comment line')
    controller.abort()
    await reader.cancel().catch(() => {})
    // onClose listeners run when the client goes away.
    await sseClosed.promise
  })

  it('gives PORT_IN_USE when the port is taken', async () => {
    const port = Number(new URL(url).port)
    const second = new ControlApiServer({ host: '127.0.0.1', port, token: TOKEN, routes, logger: silentLogger() })
    await assert.rejects(second.start(), (err: unknown) => {
      assert.ok(err instanceof SwarmError)
      assert.equal(err.code, 'PORT_IN_USE')
      assert.ok(err.message.includes(String(port)), err.message)
      assert.match(err.message, /--api-port/)
      assert.deepEqual(err.details, { host: '127.0.0.1', port })
      return true
    })
    assert.equal(second.url, undefined)
    await second.stop()
  })

  it('stops, and a stopped server refuses connections', async () => {
    const extra = new ControlApiServer({ host: '127.0.0.1', port: 0, token: TOKEN, routes, logger: silentLogger() })
    const extraUrl = await extra.start()
    const res = await fetch(extraUrl + '/v1/hello', { headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(res.status, 200)
    await res.text()
    await extra.stop()
    await extra.stop()
    await assert.rejects(fetch(extraUrl + '/v1/hello', { headers: { authorization: `Bearer ${TOKEN}` } }))
  })
})
