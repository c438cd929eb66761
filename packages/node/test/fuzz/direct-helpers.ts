/**
 * What the direct-handler fuzz suites share: a request played through the DirectRouter on the
 * fake clock (time moves only when a handler waits for it), and the check that an answer is a
 * message the requester could decode on its channel.
 */
import assert from 'node:assert/strict'
import { vi } from 'vitest'
import { decodeMessage, encodeMessage } from '@swarm/protocol'
import type { DirectRouter } from '../../src/net/direct-router.js'
import type { PeerId } from '@libp2p/interface'
import type { Channel, SwarmMessage } from '@swarm/protocol'

/** An answer, and whether the fake clock had to move for it (timers of the services may have run). */
export interface Answer {
  reply: SwarmMessage
  timeMoved: boolean
}

/** Lets queued microtasks and zero-delay timers run, without moving the clock. */
export async function settle (): Promise<void> {
  for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(0)
}

/**
 * Dispatches `message` from `from` and waits for the answer: a handler that throws or rejects
 * fails the property (in the node that would be an INTERNAL error and a log line, here it is a
 * bug); one that never answers within two minutes of fake time fails it too.
 */
export async function answer (router: DirectRouter, message: SwarmMessage, from: PeerId): Promise<Answer> {
  let outcome: { ok: true, reply: SwarmMessage } | { ok: false, err: unknown } | undefined
  router.dispatch(message, from).then(reply => { outcome = { ok: true, reply } }, (err: unknown) => { outcome = { ok: false, err } })
  await settle()
  let timeMoved = false
  for (let i = 0; i < 120 && outcome === undefined; i++) {
    timeMoved = true
    await vi.advanceTimersByTimeAsync(1_000)
  }
  if (outcome === undefined) assert.fail(`${message.type} got no answer within 120 s of fake time`)
  if (!outcome.ok) {
    const err = outcome.err
    assert.fail(`the ${message.type} handler threw ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err)}`)
  }
  return { reply: outcome.reply, timeMoved }
}

/** The channel a request of `type` travels on: its answer must decode there. */
function channelOf (type: SwarmMessage['type']): Channel {
  return type === 'INPUT_REQUEST' ? 'input' : 'direct'
}

/** Asserts that `reply` is a message the requester decodes on the request's channel. */
export function assertDecodable (reply: SwarmMessage, request: SwarmMessage): void {
  const channel = channelOf(request.type)
  let decoded: SwarmMessage
  try {
    decoded = decodeMessage(encodeMessage(reply), { channel })
  } catch (err) {
    assert.fail(`the answer to ${request.type} does not decode on the ${channel} channel: ${err instanceof Error ? err.message : String(err)}`)
  }
  assert.equal(decoded.type, reply.type)
}

/** Whether the service refused the request (nothing of it may persist then). */
export function refused (reply: SwarmMessage): boolean {
  return reply.type === 'ERROR' || (reply.type === 'CLAIM_ANSWER' && reply.body.status === 'refused')
}
