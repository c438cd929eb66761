/**
 * The network-free parts of working-group decisions: vote tallying, confidence aggregation,
 * conflict rules (resource claims, versioned data) and the Yjs blackboard. The group layer on top
 * of libp2p moves proposals, votes and blackboard updates; every decision is made here.
 */
export * from './tally.js'
export * from './confidence.js'
export * from './conflicts.js'
export * from './blackboard.js'
export * from './escalations.js'
export * from './group-session.js'
export * from './group-service.js'
export * from './group-handle.js'
