import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { LIMITS, PROTOCOL_VERSION, ProtocolError, REQUEST_BYTE_LIMITS, createMessage, decodeMessage, encodeMessage, maxRequestBytes } from '../src/index.js'

const STREAM = LIMITS.maxStreamMessageBytes

/** `json` padded with whitespace to `bytes` (still the same message to a JSON parser). */
function padded (json: string, bytes: number): Uint8Array {
  return new TextEncoder().encode(json.slice(0, -1) + ' '.repeat(Math.max(0, bytes - json.length)) + '}')
}

describe('frame limits per request type', () => {
  it('gives small requests a small limit, results room for a result, and others the stream\'s', () => {
    assert.equal(maxRequestBytes('SKILL_OFFER', STREAM), 16 * 1024)
    assert.equal(maxRequestBytes('TASK_COMPLETE', STREAM), LIMITS.maxResultBytes + 64 * 1024)
    assert.equal(maxRequestBytes('TASK_START', STREAM), STREAM)
    // Never above the stream's own limit, and nothing for made-up or prototype keys.
    assert.equal(maxRequestBytes('TASK_COMPLETE', 100_000), 100_000)
    for (const type of ['NOPE', '__proto__', 'constructor', 'toString']) assert.equal(maxRequestBytes(type, STREAM), STREAM, type)
    for (const limit of Object.values(REQUEST_BYTE_LIMITS)) assert.ok(limit !== undefined && limit < STREAM)
  })

  it('lets decodeMessage refuse a message over its type\'s limit before checking its schema', () => {
    const maxBytesOf = (type: string): number => maxRequestBytes(type, STREAM)
    const accept = JSON.stringify(createMessage('GROUP_ACCEPT', { taskId: 'task-0001', groupId: 'group-0001' }))
    assert.equal(decodeMessage(padded(accept, 16 * 1024 - 10), { maxBytesOf }).type, 'GROUP_ACCEPT')
    assert.throws(() => decodeMessage(padded(accept, 16 * 1024 + 10), { maxBytesOf }), (err: unknown) => err instanceof ProtocolError && err.code === 'OVERSIZED' && /GROUP_ACCEPT/.test(err.message))
    // Off-schema and padded: OVERSIZED, the schema is not even read.
    const offSchema = JSON.stringify({ v: PROTOCOL_VERSION, id: 'x', ts: -1, type: 'SKILL_OFFER', body: { nonsense: true } })
    assert.throws(() => decodeMessage(padded(offSchema, 100_000), { maxBytesOf }), (err: unknown) => err instanceof ProtocolError && err.code === 'OVERSIZED')
    // Without the option, as before.
    assert.equal(decodeMessage(padded(accept, 100_000)).type, 'GROUP_ACCEPT')
    assert.equal(decodeMessage(encodeMessage(createMessage('GROUP_ACCEPT', { taskId: 'task-0001', groupId: 'group-0001' })), { maxBytesOf }).type, 'GROUP_ACCEPT')
  })
})
