import type { NodeApi } from '../api/node-api.js'

/**
 * What the A2A server needs of its node, and nothing more: the executor announces and cancels,
 * the task store reads the node's tasks, the card reads the agent directory. `SwarmNode`
 * implements it; unit tests use a fake.
 */
export type A2aNode = Pick<NodeApi, 'agents' | 'announce' | 'cancel' | 'tasks' | 'task' | 'liveTask'>
