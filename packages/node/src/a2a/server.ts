/**
 * The A2A server of a node, on express and the SDK's JSON-RPC handler: the agent card at
 * /.well-known/agent-card.json (public), and the JSON-RPC binding at / (bearer token unless auth
 * is 'none'): v1.0 method names when the client sends `A2A-Version: 1.0`, v0.3 ones
 * (`message/send`, `tasks/get`…) when it sends 0.3 or no version header (the SDK's compat layer).
 * Streaming methods answer with server-sent events.
 * A Startable service of the node: `a2aService(init)(components)`.
 */
import { createServer } from 'node:http'
import { hostname } from 'node:os'
import { AGENT_CARD_PATH, AgentCard } from '@a2a-js/sdk'
import { UnauthenticatedUser } from '@a2a-js/sdk/server'
import { jsonRpcHandler } from '@a2a-js/sdk/server/express'
import express from 'express'
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
import type { ErrorRequestHandler, Express, RequestHandler } from 'express'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

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

const UNAUTHORIZED = 'missing or wrong bearer token: send "Authorization: Bearer <token>" with the token in <data-dir>/a2a-token of the node'

/** 401 unless the request carries `Authorization: Bearer <token>`. */
function bearerGuard (token: string): RequestHandler {
  return (req, res, next) => {
    if (tokenMatches(req.headers.authorization, token)) { next(); return }
    res.status(401).set('www-authenticate', 'Bearer').json({ jsonrpc: '2.0', id: null, error: { code: -32600, message: UNAUTHORIZED } })
  }
}

/** The A2A server as a part of the node's lifecycle. */
export class A2aService implements Startable {
  readonly #init: A2aServiceInit
  readonly #node: A2aNode
  readonly #log: Logger
  readonly #handler: SwarmRequestHandler
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
  }

  /** The URL the A2A server listens on (or a2a.publicUrl), once started; undefined when off. */
  get url (): string | undefined {
    return this.#url
  }

  /** The agent card as served now. */
  card (): AgentCard {
    const { config, name, peerId, version } = this.#init
    return buildAgentCard({ name, peerId, version, url: this.#url ?? config.publicUrl ?? 'http://127.0.0.1/', auth: config.auth, agents: this.#node.agents() })
  }

  /** The express app: the card, then the token check, then the SDK's JSON-RPC handler (v1.0 and v0.3). */
  #app (token: string | undefined): Express {
    const app = express()
    app.disable('x-powered-by')
    // The card in the v1.0 wire form (ProtoJSON), built on every read: the directory's skills change.
    app.get(`/${AGENT_CARD_PATH}`, (_req, res) => {
      res.set('cache-control', 'no-cache').json(AgentCard.toJSON(this.card()))
    })
    if (token !== undefined) app.post('/', bearerGuard(token))
    const user = token !== undefined ? new TokenUser() : new UnauthenticatedUser()
    app.use('/', jsonRpcHandler({ requestHandler: this.#handler, userBuilder: async () => user, legacyCompat: { enabled: true } }))
    app.use((req, res) => {
      const message = req.path === '/' ? 'JSON-RPC requests are POSTed to /' : `no such path: the agent card is at /${AGENT_CARD_PATH}, JSON-RPC at /`
      res.status(req.path === '/' ? 405 : 404).json({ error: message })
    })
    const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
      const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : 500
      if (status >= 500) this.#log.error('A2A request failed', { err })
      if (res.headersSent) { res.end(); return }
      const message = status === 413 ? 'the request is larger than 100 kB, the limit of the A2A server (the SDK\'s JSON body limit)' : status >= 500 ? 'internal error' : 'bad request'
      res.status(status).json({ jsonrpc: '2.0', id: null, error: { code: status === 413 ? -32600 : -32603, message } })
    }
    app.use(onError)
    return app
  }

  async start (): Promise<void> {
    const { listen, auth, publicUrl } = this.#init.config
    if (listen === undefined) return
    const address = parseA2aListen(listen)
    if (address === undefined) throw new SwarmError('CONFIG_INVALID', `a2a.listen ${listen} is not a multiaddr of a host and a TCP port, e.g. /ip4/127.0.0.1/tcp/7600`)
    const token = auth === 'token' ? this.#init.token() : undefined
    const server = createServer(this.#app(token))
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
}

/** The A2A server as a service of the node: `a2aService(init)({ node, logger })`. */
export function a2aService (init: A2aServiceInit): (components: A2aServiceComponents) => A2aService {
  return components => new A2aService(components, init)
}
