/**
 * The fast gossip message id: the same raw message always has the same id in a process, any
 * change of topic, sender, sequence number or data changes it, moving bytes from one field to
 * another changes it, and another key (another process) gives other ids, so that nobody can
 * forge a collision with a message they expect.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { fastMessageId } from '../../src/net/message-id.js'

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)

describe('fastMessageId', () => {
  const msg = { topic: 'swarm/t/skill/sum', from: bytes(1, 2, 3), seqno: bytes(0, 0, 7), data: bytes(9, 9, 9, 9) }

  it('is stable for one message, and changes with every field', () => {
    assert.equal(fastMessageId(msg), fastMessageId({ ...msg }))
    const ids = new Set([
      fastMessageId(msg),
      fastMessageId({ ...msg, topic: 'swarm/t/skill/mean' }),
      fastMessageId({ ...msg, from: bytes(1, 2, 4) }),
      fastMessageId({ ...msg, seqno: bytes(0, 0, 8) }),
      fastMessageId({ ...msg, data: bytes(9, 9, 9, 8) }),
      // The same bytes split differently between fields.
      fastMessageId({ ...msg, from: bytes(1, 2), seqno: bytes(3, 0, 0, 7) }),
      fastMessageId({ topic: msg.topic, data: msg.data })
    ])
    assert.equal(ids.size, 7)
  })

  it('depends on a key no other process has', () => {
    const a = new Uint8Array(32).fill(1)
    const b = new Uint8Array(32).fill(2)
    assert.notEqual(fastMessageId(msg, a), fastMessageId(msg, b))
    assert.equal(fastMessageId(msg, a), fastMessageId(msg, a))
    assert.notEqual(fastMessageId(msg), fastMessageId(msg, a))
  })
})
