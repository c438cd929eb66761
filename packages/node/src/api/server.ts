import { createServer } from 'node:http'
import { SwarmError } from '../errors.js'
import { createRequestListener } from './http.js'
import type { Route } from './http.js'
import type { Logger } from '../logger.js'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ControlApiOptions {
  host: string
  port: number
  token: string
  routes: Route[]
  logger: Logger
}

/** The control API: HTTP + server-sent events, bearer-token protected, on a local address. */
export class ControlApiServer {
  readonly #opts: ControlApiOptions
  #server?: Server
  #url?: string

  constructor (options: ControlApiOptions) {
    this.#opts = options
  }

  /** Base URL, e.g. http://127.0.0.1:7400, once listening. */
  get url (): string | undefined {
    return this.#url
  }

  async start (): Promise<string> {
    const { host, port, token, routes, logger } = this.#opts
    const server = createServer(createRequestListener(routes, token, err => { logger.error('control API handler failed', { err }) }))
    server.keepAliveTimeout = 5_000
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        if (err.code === 'EADDRINUSE') {
          reject(new SwarmError('PORT_IN_USE', `control API port ${port} on ${host} is already in use (is another swarm-node running?). Pass another port with --api-port, or --api-port 0 for any free port`, { host, port }))
        } else {
          reject(new SwarmError('ADDRESS_INVALID', `control API cannot listen on ${host}:${port}: ${err.message}`, { host, port }))
        }
      }
      server.once('error', onError)
      server.listen(port, host, () => {
        server.off('error', onError)
        resolve()
      })
    })
    this.#server = server
    const address = server.address() as AddressInfo
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
    this.#url = `http://${shownHost}:${address.port}`
    logger.info('control API listening', { url: this.#url })
    return this.#url
  }

  async stop (): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }
}
