/**
 * The A2A server of a node: the agent card at /.well-known/agent-card.json (public), and the
 * JSON-RPC binding at / (bearer token unless auth is 'none'): v1.0 method names when the client
 * sends `A2A-Version: 1.0`, v0.3 ones (`message/send`, `tasks/get`…) when it sends 0.3 or no
 * version header (the SDK's compat layer). Streaming methods answer with server-sent events.
 * A Startable service of the node: `a2aService(init)(components)`.
 */
import { createServer } from 'node:http'
import { hostname } from 'node:os'
import { A2A_VERSION_HEADER, AGENT_CARD_PATH, formatSSEErrorEvent, formatSSEEvent } from '@a2a-js/sdk'
import { A2A_LEGACY_PROTOCOL_VERSION } from '@a2a-js/sdk/compat/v0_3'
import { LegacyJsonRpcTransportHandler } from '@a2a-js/sdk/compat/v0_3/server'
import { ContentTypeNotSupportedError } from '@a2a-js/sdk/errors'
import { JsonRpcTransportHandler, UnauthenticatedUser, defaultServerCallContextBuilder, validateVersion } from '@a2a-js/sdk/server'
import { z } from 'zod'
import { tokenMatches } from '../api/http.js'
import { SwarmError } from '../errors.js'
import { buildAgentCard } from './card.js'
import { SwarmAgentExecutor } from './executor.js'
import { parseA2aListen } from './listen.js'
import { SwarmRequestHandler } from './request-handler.js'
import { SwarmTaskStore } from './task-store.js'
import type { A2aNode } from './port.js'
import type { NodeConfig } from '../config.js'
import type { Logger } from '../logger.js'
import type { User } from '@a2a-js/sdk/server'
import type { Startable } from '@libp2p/interface'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Largest JSON-RPC request body taken. */
const MAX_BODY_BYTES = 1024 * 1024

const RpcBodySchema = z.record(z.string(), z.unknown())

export interface A2aServiceInit {
  config: NodeConfig['a2a']
  /** The token every JSON-RPC call must carry when auth is 'token' (from <data-dir>/a2a-token). */
  token: () => string
  name: string
  peerId: string
  version: string
}

export interface A2aServiceComponents {
  node: A2aNode
  logger: Logger
}

/** The caller of a request that carried the token. */
class TokenUser implements User {
  get isAuthenticated (): boolean { return true }
  get userName (): string { return 'a2a-token' }
}

function sendJson (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers })
  res.end(body)
}

function rpcError (code: number, message: string): { jsonrpc: '2.0', id: null, error: { code: number, message: string } } {
  return { jsonrpc: '2.0', id: null, error: { code, message } }
}

async function readBody (req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > MAX_BODY_BYTES) return undefined
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function isAsyncIterable (value: unknown): value is AsyncGenerator<unknown, void, undefined> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value
}

/** The A2A server as a part of the node's lifecycle. */
export class A2aService implements Startable {
  readonly #init: A2aServiceInit
  readonly #node: A2aNode
  readonly #log: Logger
  readonly #handler: SwarmRequestHandler
  readonly #rpc: JsonRpcTransportHandler
  readonly #legacy: LegacyJsonRpcTransportHandler
  #server?: Server
  #url?: string

  constructor (components: A2aServiceComponents, init: A2aServiceInit) {
    this.#init = init
    this.#node = components.node
    this.#log = components.logger
    this.#handler = new SwarmRequestHandler({
      node: components.node,
      card: () => this.card(),
      store: new SwarmTaskStore(components.node),
      executor: new SwarmAgentExecutor(components.node, components.logger)
    })
    this.#rpc = new JsonRpcTransportHandler(this.#handler)
    this.#legacy = new LegacyJsonRpcTransportHandler(this.#handler)
  }

  /** The URL the A2A server listens on (or a2a.publicUrl), once started; undefined when off. */
  get url (): string | undefined {
    return this.#url
  }

  /** The agent card as served now. */
  card (): ReturnType<typeof buildAgentCard> {
    const { config, name, peerId, version } = this.#init
    return buildAgentCard({ name, peerId, version, url: this.#url ?? config.publicUrl ?? 'http://127.0.0.1/', auth: config.auth, agents: this.#node.agents() })
  }

  async start (): Promise<void> {
    const { listen, auth, publicUrl } = this.#init.config
    if (listen === undefined) return
    const address = parseA2aListen(listen)
    if (address === undefined) throw new SwarmError('CONFIG_INVALID', `a2a.listen ${listen} is not a multiaddr of a host and a TCP port, e.g. /ip4/127.0.0.1/tcp/7600`)
    const token = auth === 'token' ? this.#init.token() : undefined
    const server = createServer((req, res) => {
      this.#serve(req, res, token).catch(err => {
        this.#log.error('A2A request failed', { err })
        if (!res.headersSent) sendJson(res, 500, rpcError(-32603, 'internal error'))
        else res.end()
      })
    })
    server.keepAliveTimeout = 5_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'EADDRINUSE'
          ? new SwarmError('PORT_IN_USE', `A2A port ${address.port} on ${address.host} is already in use: pass another with --a2a-listen /ip4/${address.host}/tcp/<port> (port 0: any free port)`, { ...address })
          : new SwarmError('ADDRESS_INVALID', `the A2A server cannot listen on ${address.host}:${address.port}: ${err.message}`, { ...address }))
      })
      server.listen(address.port, address.host, () => { resolve() })
    })
    this.#server = server
    const bound = server.address() as AddressInfo
    const wildcard = bound.address === '0.0.0.0' || bound.address === '::'
    const host = wildcard ? hostname() : bound.family === 'IPv6' ? `[${bound.address}]` : bound.address
    this.#url = publicUrl ?? `http://${host}:${bound.port}/`
    if (wildcard && publicUrl === undefined) this.#log.warn('the A2A server listens on every interface and advertises this host name; set a2a.publicUrl if clients reach it by another address', { url: this.#url })
    if (auth === 'none') this.#log.warn('the A2A server takes requests without a token (a2a.auth none)', { url: this.#url })
    this.#log.info('A2A server listening', { url: this.#url, auth })
  }

  async stop (): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    this.#url = undefined
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }

  async #serve (req: IncomingMessage, res: ServerResponse, token: string | undefined): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (path === `/${AGENT_CARD_PATH}`) {
      if (req.method !== 'GET' && req.method !== 'HEAD') { sendJson(res, 405, { error: 'the agent card is read with GET' }, { allow: 'GET' }); return }
      sendJson(res, 200, this.card(), { 'cache-control': 'no-cache' })
      return
    }
    if (path !== '/') { sendJson(res, 404, { error: `no such path: the agent card is at /${AGENT_CARD_PATH}, JSON-RPC at /` }); return }
    if (req.method !== 'POST') { sendJson(res, 405, { error: 'JSON-RPC requests are POSTed to /' }, { allow: 'POST' }); return }
    if (token !== undefined && !tokenMatches(req.headers.authorization, token)) {
      sendJson(res, 401, rpcError(-32600, 'missing or wrong bearer token: send "Authorization: Bearer <token>" with the token in <data-dir>/a2a-token of the node'), { 'www-authenticate': 'Bearer' })
      return
    }
    await this.#rpcCall(req, res, token !== undefined ? new TokenUser() : new UnauthenticatedUser())
  }

  async #rpcCall (req: IncomingMessage, res: ServerResponse, user: User): Promise<void> {
    const contentType = req.headers['content-type']
    if (contentType !== undefined && contentType.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
      sendJson(res, 200, { jsonrpc: '2.0', id: null, error: JsonRpcTransportHandler.mapToJSONRPCError(new ContentTypeNotSupportedError(`unsupported Content-Type "${contentType}": send application/json`)) })
      return
    }
    const text = await readBody(req)
    if (text === undefined) { sendJson(res, 413, rpcError(-32600, `the request is larger than ${MAX_BODY_BYTES} bytes`)); return }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      sendJson(res, 200, rpcError(-32700, 'invalid JSON payload'))
      return
    }
    const body = RpcBodySchema.safeParse(parsed)
    if (!body.success) { sendJson(res, 200, rpcError(-32600, 'a JSON-RPC request is a JSON object')); return }
    const version = req.headers[A2A_VERSION_HEADER.toLowerCase()]
    const requestedVersion = typeof version === 'string' && version.trim() !== '' ? version.trim() : undefined
    const legacy = (requestedVersion ?? A2A_LEGACY_PROTOCOL_VERSION) === A2A_LEGACY_PROTOCOL_VERSION
    const mapError = legacy ? LegacyJsonRpcTransportHandler.mapToLegacyJSONRPCError : JsonRpcTransportHandler.mapToJSONRPCError
    const id = typeof body.data.id === 'string' || typeof body.data.id === 'number' ? body.data.id : null
    const context = defaultServerCallContextBuilder({ extensions: undefined, user, headers: req.headers, ...(requestedVersion !== undefined ? { requestedVersion } : {}) })
    let result: unknown
    try {
      validateVersion(context.requestedVersion, await this.#handler.getAgentCard(), 'JSONRPC')
      result = await (legacy ? this.#legacy : this.#rpc).handle(body.data, context)
    } catch (err) {
      sendJson(res, 200, { jsonrpc: '2.0', id, error: mapError(err) })
      return
    }
    if (!isAsyncIterable(result)) { sendJson(res, 200, result); return }
    await this.#stream(res, result, id, mapError)
  }

  /** Sends a streaming method's responses as server-sent events; an error before the first is a plain JSON-RPC error. */
  async #stream (res: ServerResponse, stream: AsyncGenerator<unknown, void, undefined>, id: string | number | null, mapError: (err: unknown) => unknown): Promise<void> {
    let first: IteratorResult<unknown, void>
    try {
      first = await stream.next()
    } catch (err) {
      sendJson(res, 200, { jsonrpc: '2.0', id, error: mapError(err) })
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' })
    res.on('close', () => { void stream.return(undefined) })
    try {
      if (first.done !== true) res.write(formatSSEEvent(first.value))
      for await (const event of { [Symbol.asyncIterator]: () => stream }) {
        if (res.writableEnded) break
        res.write(formatSSEEvent(event))
      }
    } catch (err) {
      this.#log.warn('A2A stream failed', { err })
      if (!res.writableEnded) res.write(formatSSEErrorEvent({ jsonrpc: '2.0', id, error: mapError(err) }))
    } finally {
      if (!res.writableEnded) res.end()
    }
  }
}

/** The A2A server as a service of the node: `a2aService(init)({ node, logger })`. */
export function a2aService (init: A2aServiceInit): (components: A2aServiceComponents) => A2aService {
  return components => new A2aService(components, init)
}
