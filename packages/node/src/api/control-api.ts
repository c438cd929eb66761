import { rmSync, writeFileSync } from 'node:fs'
import { ControlApiServer } from './server.js'
import { nodeRoutes } from './routes/index.js'
import type { NodeApi } from './node-api.js'
import type { NodeConfig } from '../config.js'
import type { Logger } from '../logger.js'
import type { Startable } from '@libp2p/interface'

export interface ControlApiInit {
  api: NodeConfig['api']
  token: string
  /** Where the CLI finds the API of the node of a data directory (`api.json`). */
  infoFile: string
}

/**
 * The control API as a part of the node's lifecycle: serves the routes over the node's API on
 * start and writes `api.json` (URL, peer id, pid) for the CLI; closes and removes it on stop.
 */
export class ControlApi implements Startable {
  readonly #node: NodeApi
  readonly #init: ControlApiInit
  readonly #log: Logger
  #server?: ControlApiServer

  constructor (node: NodeApi, init: ControlApiInit, logger: Logger) {
    this.#node = node
    this.#init = init
    this.#log = logger
  }

  get url (): string | undefined {
    return this.#server?.url
  }

  async start (): Promise<void> {
    const { api, token, infoFile } = this.#init
    if (!api.enabled) return
    this.#server = new ControlApiServer({ host: api.host, port: api.port, token, routes: nodeRoutes(this.#node), logger: this.#log })
    const url = await this.#server.start()
    writeFileSync(infoFile, JSON.stringify({ url, peerId: this.#node.peerId.toString(), pid: process.pid }) + '\n', { mode: 0o600 })
  }

  async stop (): Promise<void> {
    if (this.#server === undefined) return
    await this.#server.stop()
    rmSync(this.#init.infoFile, { force: true })
  }
}
