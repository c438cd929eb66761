import type { Logger } from './logger.js'
import type { Startable } from '@libp2p/interface'

/** A named part of the node that starts and stops with it. */
export interface LifecyclePart {
  name: string
  part: Partial<Startable>
}

/**
 * The start and stop order of the node's parts, in one place. Parts start in `startOrder`;
 * they stop in `stopOrder`, which is not simply the reverse: the announcer stops first so that
 * its cancel notices still find the messenger, the control API and the event stream up, and the
 * group service stops last so that it can store the blackboards of live groups before the store
 * closes. A part that fails to stop is logged and the others still stop.
 */
export class Lifecycle {
  readonly #start: LifecyclePart[]
  readonly #stop: LifecyclePart[]
  readonly #log: Logger
  #started: Set<string> = new Set()

  constructor (startOrder: LifecyclePart[], stopOrder: LifecyclePart[], logger: Logger) {
    const names = (parts: LifecyclePart[]): string => parts.map(p => p.name).sort().join(',')
    if (names(startOrder) !== names(stopOrder)) throw new Error(`the start order (${names(startOrder)}) and the stop order (${names(stopOrder)}) must name the same parts`)
    this.#start = startOrder
    this.#stop = stopOrder
    this.#log = logger
  }

  /** Starts every part in order; a part that throws stops those already started, then the error goes on. */
  async start (): Promise<void> {
    for (const { name, part } of this.#start) {
      try {
        await part.beforeStart?.()
        await part.start?.()
        this.#started.add(name)
      } catch (err) {
        this.#log.error('start failed', { part: name, err })
        await this.stop()
        throw err
      }
    }
    for (const { part } of this.#start) await part.afterStart?.()
  }

  /** Stops the parts that started, in the stop order. */
  async stop (): Promise<void> {
    const started = this.#started
    this.#started = new Set()
    for (const { name, part } of this.#stop) {
      if (!started.has(name)) continue
      try {
        await part.beforeStop?.()
        await part.stop?.()
        await part.afterStop?.()
      } catch (err) {
        this.#log.warn('stop failed', { part: name, err })
      }
    }
  }
}
