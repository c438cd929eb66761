import { EventEmitter } from 'node:events'

/**
 * A typed event emitter: `Events` maps event names to their payload type. Listeners that
 * throw are isolated: one faulty listener never breaks the node.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  readonly #emitter = new EventEmitter()
  readonly #anyListeners = new Set<(event: keyof Events & string, payload: unknown) => void>()

  constructor () {
    this.#emitter.setMaxListeners(0)
  }

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.#emitter.on(event, listener)
    return this
  }

  once<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.#emitter.once(event, listener)
    return this
  }

  off<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.#emitter.off(event, listener)
    return this
  }

  /** Listens to every event with its name (the control API's event stream); returns an unsubscribe function. */
  onAny (listener: (event: keyof Events & string, payload: unknown) => void): () => void {
    this.#anyListeners.add(listener)
    return () => { this.#anyListeners.delete(listener) }
  }

  emit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    for (const listener of this.#anyListeners) {
      try { listener(event, payload) } catch { /* isolated */ }
    }
    for (const listener of this.#emitter.rawListeners(event)) {
      try { (listener as (payload: Events[K]) => void)(payload) } catch { /* isolated */ }
    }
  }
}
