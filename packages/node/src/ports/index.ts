/**
 * Typed ports: the interfaces services take instead of the libp2p node or each other. The
 * composition root (wiring.ts) hands each service the real implementations; unit tests hand them
 * fakes (test/fakes).
 */
export * from './clock.js'
export * from './gossip.js'
export * from './messenger.js'
export * from './events.js'
export * from './ledger.js'
export * from './connections.js'
