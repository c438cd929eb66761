/**
 * @swarm/protocol — the wire contract of the swarm, shared by every node and depending on
 * nothing of ours: the zod schemas of every message and of the envelope (messages/*), protocol
 * ids and topic names derived from a network name, size limits, the typed error codes of ERROR
 * bodies, and the length-prefixed JSON codec with its typed ProtocolError.
 */
export * from './version.js'
export * from './limits.js'
export * from './request-limits.js'
export * from './names.js'
export * from './errors.js'
export * from './error-codes.js'
export * from './schemas.js'
export * from './codec.js'
export * from './canonical.js'
