import type { Libp2p, PeerId, Startable } from '@libp2p/interface'

/** What the node does when libp2p reports something. */
export interface Libp2pEventHandlers {
  connected: (peer: PeerId) => void
  disconnected: (peer: PeerId) => void
  /** A peer found by discovery (mDNS, bootstrap list, DHT). */
  discovered: (peer: PeerId) => void
  /** This node's own addresses changed (e.g. a relay reservation). */
  selfChanged: () => void
  /** A peer subscribed to or left topics. */
  subscriptionChanged: (peer: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }>) => void
}

/** The part of the libp2p node the bridge listens to. */
export interface Libp2pEventSource {
  libp2p: Pick<Libp2p, 'addEventListener' | 'removeEventListener'>
  pubsub: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>
}

interface SubscriptionChange { peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }

/**
 * Turns libp2p's events into calls on the node's services while the node runs: one place that
 * adds the listeners on start and removes every one of them on stop.
 */
export class Libp2pEvents implements Startable {
  readonly #source: Libp2pEventSource
  readonly #on: Libp2pEventHandlers

  constructor (source: Libp2pEventSource, handlers: Libp2pEventHandlers) {
    this.#source = source
    this.#on = handlers
  }

  start (): void {
    const { libp2p, pubsub } = this.#source
    libp2p.addEventListener('peer:connect', this.#connect)
    libp2p.addEventListener('peer:disconnect', this.#disconnect)
    libp2p.addEventListener('peer:discovery', this.#discovery)
    libp2p.addEventListener('self:peer:update', this.#self)
    pubsub.addEventListener('subscription-change', this.#subscription)
  }

  stop (): void {
    const { libp2p, pubsub } = this.#source
    libp2p.removeEventListener('peer:connect', this.#connect)
    libp2p.removeEventListener('peer:disconnect', this.#disconnect)
    libp2p.removeEventListener('peer:discovery', this.#discovery)
    libp2p.removeEventListener('self:peer:update', this.#self)
    pubsub.removeEventListener('subscription-change', this.#subscription)
  }

  readonly #connect = (event: CustomEvent<PeerId>): void => { this.#on.connected(event.detail) }
  readonly #disconnect = (event: CustomEvent<PeerId>): void => { this.#on.disconnected(event.detail) }
  readonly #discovery = (event: CustomEvent<{ id: PeerId }>): void => { this.#on.discovered(event.detail.id) }
  readonly #self = (): void => { this.#on.selfChanged() }
  readonly #subscription = (event: Event): void => {
    const { peerId, subscriptions } = (event as CustomEvent<SubscriptionChange>).detail
    this.#on.subscriptionChanged(peerId, subscriptions)
  }
}
