import { createHash } from 'node:crypto'
import { createMessage } from '@swarm/protocol'
import type { MessengerPort } from '../ports/messenger.js'
import type { PeerId } from '@libp2p/interface'
import type { Json, SwarmMessage, TaskInput } from '@swarm/protocol'

/** How long a member waits for a task input fetched by reference. */
export const INPUT_FETCH_TIMEOUT_MS = 60_000

/**
 * Fetches the input of a task as a member: inline inputs travel in the announcement; an input by
 * reference is asked of the announcer on the input protocol and checked against the size and
 * SHA-256 the announcement gave. Throws when the announcer refuses or the bytes do not match.
 */
export async function fetchTaskInput (messenger: MessengerPort, announcer: PeerId, taskId: string, input: TaskInput): Promise<Json> {
  if (input.kind === 'none') return null
  if (input.kind === 'inline') return input.value
  const reply = await messenger.request(announcer, createMessage('INPUT_REQUEST', { taskId }), { timeoutMs: INPUT_FETCH_TIMEOUT_MS })
  if (reply.type !== 'INPUT_RESPONSE') throw new Error(reply.type === 'ERROR' ? reply.body.message : `unexpected ${reply.type}`)
  const bytes = new TextEncoder().encode(JSON.stringify(reply.body.value))
  const digest = createHash('sha256').update(bytes).digest('hex')
  if (bytes.byteLength !== input.bytes || digest !== input.sha256) throw new Error('the fetched input does not match its announced size and hash')
  return reply.body.value
}

/**
 * Answers INPUT_REQUEST on the input protocol as an announcer: the input of a task goes only to
 * the members of its group (`inputFor` says who may have it).
 */
export function serveTaskInput (inputFor: (taskId: string, from: PeerId) => Json | undefined) {
  return (message: SwarmMessage, from: PeerId): SwarmMessage => {
    if (message.type !== 'INPUT_REQUEST') return createMessage('ERROR', { ref: message.id, code: 'UNEXPECTED', message: 'send INPUT_REQUEST' })
    const value = inputFor(message.body.taskId, from)
    if (value === undefined) return createMessage('ERROR', { ref: message.id, code: 'FORBIDDEN', message: 'only members of the task\'s group may fetch its input' })
    return createMessage('INPUT_RESPONSE', { taskId: message.body.taskId, value })
  }
}
