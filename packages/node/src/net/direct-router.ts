import { createMessage } from '@swarm/protocol'
import type { DirectHandler, DirectRegistry } from '../ports/messenger.js'
import type { PeerId } from '@libp2p/interface'
import type { SwarmMessage } from '@swarm/protocol'

/**
 * Routes each direct request to the service that registered its message type (negotiation,
 * groups, directory, input server). One handler per type: a second registration is a wiring
 * mistake and throws at start-up. A type nobody registered is answered with an ERROR.
 */
export class DirectRouter implements DirectRegistry {
  readonly #handlers = new Map<SwarmMessage['type'], DirectHandler>()

  handle<T extends SwarmMessage['type']>(type: T, handler: DirectHandler<Extract<SwarmMessage, { type: T }>>): void {
    if (this.#handlers.has(type)) throw new Error(`a handler for direct ${type} messages is registered already`)
    this.#handlers.set(type, handler as DirectHandler)
  }

  /** The types with a handler, for logs and tests. */
  types (): Array<SwarmMessage['type']> {
    return [...this.#handlers.keys()]
  }

  async dispatch (message: SwarmMessage, from: PeerId): Promise<SwarmMessage> {
    const handler = this.#handlers.get(message.type)
    if (handler === undefined) {
      return createMessage('ERROR', { ref: message.id, code: 'UNEXPECTED', message: `${message.type} is not expected on this stream` })
    }
    return await handler(message, from)
  }
}
