import { timingSafeEqual } from 'node:crypto'
import { formatIssues } from '@swarm/protocol'
import { SwarmError } from '../errors.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { z } from 'zod'

/** What a route handler sees of a request. */
export interface RouteContext {
  req: IncomingMessage
  res: ServerResponse
  params: Record<string, string>
  query: URLSearchParams
  /** Reads and validates the JSON body with `schema` (400 with the bad fields otherwise). */
  body<T extends z.ZodType>(schema: T): Promise<z.infer<T>>
}

/**
 * A JSON value to send back, a text body of a content type (the dashboard page, the metrics
 * exposition), or `undefined` when the handler answered itself (SSE).
 */
export type RouteResult =
  | { status?: number, json: unknown }
  | { status?: number, text: string, contentType: string, headers?: Record<string, string> }
  | undefined

export interface Route {
  method: 'GET' | 'POST' | 'DELETE'
  /** Path with `:name` parameters, e.g. `/v1/tasks/:id`. */
  path: string
  /**
   * Answered without the bearer token. Only for what holds no data of the node (the dashboard
   * page, which then calls the API with the token the user gave it).
   */
  public?: boolean
  handler: (ctx: RouteContext) => Promise<RouteResult> | RouteResult
}

interface CompiledRoute extends Route {
  regex: RegExp
  names: string[]
}

const MAX_BODY_BYTES = 20 * 1024 * 1024

const STATUS_OF: Partial<Record<SwarmError['code'], number>> = {
  API_UNAUTHORIZED: 401,
  API_BAD_REQUEST: 400,
  CONFIG_INVALID: 400,
  TASK_NOT_FOUND: 404,
  TASK_STATE: 409,
  GROUP_NOT_FOUND: 404,
  PROPOSAL_NOT_FOUND: 404,
  ESCALATION_NOT_FOUND: 404,
  VOTE_REJECTED: 409,
  ESCALATION_STATE: 409,
  NO_CAPABLE_PEERS: 422,
  WORKFLOW_INVALID: 400,
  WORKFLOW_NOT_FOUND: 404,
  WORKFLOW_STATE: 409,
  INBOX_PART_NOT_FOUND: 404,
  INBOX_CLAIM_STALE: 409,
  INBOX_NOT_CLAIMED: 409,
  TIMEOUT: 504
}

function compileRoutes (routes: Route[]): CompiledRoute[] {
  return routes.map(route => {
    const names: string[] = []
    const pattern = route.path.replace(/:([a-zA-Z]+)/g, (_m, name: string) => {
      names.push(name)
      return '([^/]+)'
    })
    return { ...route, regex: new RegExp(`^${pattern}$`), names }
  })
}

/** Whether an Authorization header carries `Bearer <token>` (constant-time comparison). */
export function tokenMatches (header: string | undefined, token: string): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false
  const given = Buffer.from(header.slice('Bearer '.length).trim())
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

function sendJson (res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
  res.end(body)
}

function sendText (res: ServerResponse, status: number, text: string, contentType: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

function sendError (res: ServerResponse, err: unknown): void {
  if (err instanceof SwarmError) {
    sendJson(res, STATUS_OF[err.code] ?? 500, { error: { code: err.code, message: err.message, details: err.details } })
    return
  }
  sendJson(res, 500, { error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } })
}

async function readBody (req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new SwarmError('API_BAD_REQUEST', `request body is larger than ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return {}
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new SwarmError('API_BAD_REQUEST', 'request body is not valid JSON')
  }
}

/** Builds the request listener of the control API: bearer auth, routing, JSON errors. */
export function createRequestListener (routes: Route[], token: string, onError: (err: unknown) => void): (req: IncomingMessage, res: ServerResponse) => void {
  const compiled = compileRoutes(routes)
  const unauthorized = (res: ServerResponse): void => {
    sendJson(res, 401, { error: { code: 'API_UNAUTHORIZED', message: 'missing or wrong bearer token: send "Authorization: Bearer <token>" with the token from <data-dir>/api-token' } })
  }
  return (req, res) => {
    // A malformed request target (e.g. `//[`) must not throw out of the listener: that would crash the node.
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
    } catch {
      if (!tokenMatches(req.headers.authorization, token)) unauthorized(res)
      else sendJson(res, 400, { error: { code: 'API_BAD_REQUEST', message: 'malformed request URL' } })
      return
    }
    // Without the token, only public routes answer (everything else is 401, unknown paths too).
    const isPublic = compiled.some(route => route.public === true && route.method === req.method && route.regex.test(url.pathname))
    if (!isPublic && !tokenMatches(req.headers.authorization, token)) {
      unauthorized(res)
      return
    }
    let methodMismatch = false
    for (const route of compiled) {
      const match = route.regex.exec(url.pathname)
      if (match === null) continue
      if (route.method !== req.method) {
        methodMismatch = true
        continue
      }
      const params: Record<string, string> = {}
      try {
        route.names.forEach((name, i) => { params[name] = decodeURIComponent(match[i + 1] ?? '') })
      } catch {
        sendJson(res, 400, { error: { code: 'API_BAD_REQUEST', message: `malformed percent-encoding in ${url.pathname}` } })
        return
      }
      const ctx: RouteContext = {
        req,
        res,
        params,
        query: url.searchParams,
        body: async (schema) => {
          const raw = await readBody(req)
          const parsed = schema.safeParse(raw)
          if (!parsed.success) {
            const issues = formatIssues(parsed.error)
            throw new SwarmError('API_BAD_REQUEST', `invalid request: ${issues.join('; ')}`, { issues })
          }
          return parsed.data
        }
      }
      Promise.resolve()
        .then(async () => await route.handler(ctx))
        .then(result => {
          if (result === undefined || res.headersSent) return
          if ('json' in result) sendJson(res, result.status ?? 200, result.json)
          else sendText(res, result.status ?? 200, result.text, result.contentType, result.headers)
        })
        .catch(err => {
          if (!(err instanceof SwarmError)) onError(err)
          if (!res.headersSent) sendError(res, err)
          else res.end()
        })
      return
    }
    if (methodMismatch) sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method ?? ''} is not allowed on ${url.pathname}` } })
    else sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no such endpoint ${url.pathname}` } })
  }
}

/** Parses a query parameter with a zod schema; 400 with the parameter name otherwise. */
export function queryParam<T extends z.ZodType> (query: URLSearchParams, name: string, schema: T): z.infer<T> {
  const raw = query.get(name) ?? undefined
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    throw new SwarmError('API_BAD_REQUEST', `invalid query parameter ${name}: ${formatIssues(parsed.error).join('; ')}`)
  }
  return parsed.data
}

/** Starts a server-sent events response; returns a function that sends one event. */
export function startEventStream (res: ServerResponse): { send: (event: string, data: unknown) => void, onClose: (fn: () => void) => void } {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' })
  res.write(': swarm event stream\n\n')
  const keepAlive = setInterval(() => { res.write(': keep-alive\n\n') }, 15_000)
  keepAlive.unref()
  const closers: Array<() => void> = [() => { clearInterval(keepAlive) }]
  res.on('close', () => { for (const fn of closers) fn() })
  return {
    send: (event, data) => {
      if (res.writableEnded) return
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    },
    onClose: fn => { closers.push(fn) }
  }
}
