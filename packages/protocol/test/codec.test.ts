import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import {
  CHANNEL_MESSAGE_TYPES,
  ID_PATTERN,
  LIMITS,
  MESSAGE_TYPES,
  PROTOCOL_VERSION,
  ProtocolError,
  SUPPORTED_VERSIONS,
  createMessage,
  decodeMessage,
  encodeMessage,
  isMessageOf,
  newId
} from '../src/index.js'
import type { Channel, MessageType } from '../src/index.js'
import { MESSAGE_ID, NOW, PEER_A, VALID_BODIES, clone, envelope, rawJson } from './fixtures.js'

function expectProtocolError (fn: () => unknown, code: ProtocolError['code']): ProtocolError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof ProtocolError, `expected a ProtocolError, got ${String(caught)}`)
  assert.equal(caught.code, code, caught.message)
  return caught
}

const encoder = new TextEncoder()
const text = (s: string): Uint8Array => encoder.encode(s)

/** Nests `leaf` inside `levels` arrays. */
function nested (levels: number, leaf: unknown = 1): unknown {
  let value: unknown = leaf
  for (let i = 0; i < levels; i++) value = [value]
  return value
}

/** A BROADCAST whose data nests `levels` arrays, written by hand (JSON.stringify would overflow). */
function deepBroadcast (levels: number): Uint8Array {
  const head = JSON.stringify(envelope('BROADCAST', { text: 'deep', data: 0 })).replace(/0\}\}$/, '')
  assert.ok(head.endsWith('"data":'))
  return text(`${head}${'['.repeat(levels)}1${']'.repeat(levels)}}}`)
}

describe('ProtocolError', () => {
  it('is an Error with a name, a code and issues', () => {
    const err = new ProtocolError('MALFORMED', 'bad')
    assert.ok(err instanceof Error)
    assert.equal(err.name, 'ProtocolError')
    assert.equal(err.code, 'MALFORMED')
    assert.equal(err.message, 'bad')
    assert.deepEqual(err.issues, [])
  })
})

describe('createMessage', () => {
  it('stamps version, a fresh id and the current time', () => {
    const before = Date.now()
    const message = createMessage('ACK', { ref: MESSAGE_ID })
    const after = Date.now()
    assert.equal(message.v, PROTOCOL_VERSION)
    assert.match(message.id, ID_PATTERN)
    assert.ok(message.ts >= before && message.ts <= after)
    assert.deepEqual(Object.keys(message), ['v', 'id', 'ts', 'type', 'body'])
  })

  it('uses the id and ts it is given', () => {
    const message = createMessage('ACK', { ref: MESSAGE_ID }, { id: 'fixed-id-0001', ts: NOW })
    assert.equal(message.id, 'fixed-id-0001')
    assert.equal(message.ts, NOW)
  })

  it('refuses an id or ts that peers would reject', () => {
    const badId = expectProtocolError(() => createMessage('ACK', { ref: MESSAGE_ID }, { id: 'short' }), 'INVALID_MESSAGE')
    assert.ok(badId.issues.some(issue => issue.startsWith('id: ')), JSON.stringify(badId.issues))
    const badTs = expectProtocolError(() => createMessage('ACK', { ref: MESSAGE_ID }, { ts: -1 }), 'INVALID_MESSAGE')
    assert.ok(badTs.issues.some(issue => issue.startsWith('ts: ')), JSON.stringify(badTs.issues))
    expectProtocolError(() => createMessage('ACK', { ref: MESSAGE_ID }, { ts: 1.5 }), 'INVALID_MESSAGE')
  })

  it('reports a body that nests too deep as INVALID_MESSAGE, not a stack overflow', () => {
    const err = expectProtocolError(() => createMessage('BROADCAST', { text: 'x', data: nested(10_000) as never }), 'INVALID_MESSAGE')
    assert.ok(err.issues.some(issue => issue.startsWith('body: ')))
  })
})

describe('isMessageOf', () => {
  it('narrows by type', () => {
    const message = decodeMessage(encodeMessage(createMessage('VOTE', VALID_BODIES.VOTE)))
    assert.equal(isMessageOf(message, 'VOTE'), true)
    assert.equal(isMessageOf(message, 'PROPOSAL'), false)
    if (isMessageOf(message, 'VOTE')) assert.equal(message.body.choice, 'yes')
  })
})

describe('newId', () => {
  it('matches ID_PATTERN and is 22 URL-safe characters', () => {
    for (let i = 0; i < 100; i++) {
      const id = newId()
      assert.match(id, ID_PATTERN)
      assert.equal(id.length, 22)
    }
  })

  it('is unique over many calls', () => {
    const ids = new Set<string>()
    const n = 20_000
    for (let i = 0; i < n; i++) ids.add(newId())
    assert.equal(ids.size, n)
  })

  it('never starts with "-" (it would read as an option on a command line)', () => {
    for (let i = 0; i < 5_000; i++) assert.ok(!newId().startsWith('-'))
  })
})

describe('OVERSIZED', () => {
  const big = createMessage('BROADCAST', { text: 'big', data: 'x'.repeat(LIMITS.maxGossipMessageBytes) })

  it('encodeMessage refuses a message over the given limit', () => {
    const err = expectProtocolError(() => encodeMessage(big, LIMITS.maxGossipMessageBytes), 'OVERSIZED')
    assert.match(err.message, /BROADCAST/)
    assert.match(err.message, new RegExp(String(LIMITS.maxGossipMessageBytes)))
    // The same message fits a stream.
    assert.ok(encodeMessage(big).byteLength > LIMITS.maxGossipMessageBytes)
  })

  it('encodeMessage defaults to the stream limit', () => {
    const huge = createMessage('BROADCAST', { text: 'huge', data: 'x'.repeat(LIMITS.maxStreamMessageBytes) })
    expectProtocolError(() => encodeMessage(huge), 'OVERSIZED')
  })

  it('counts UTF-8 bytes, not characters', () => {
    const message = createMessage('BROADCAST', { text: 'é'.repeat(100) }, { id: MESSAGE_ID, ts: NOW })
    const size = encodeMessage(message).byteLength
    assert.ok(size > 200)
    assert.equal(encodeMessage(message, size).byteLength, size)
    expectProtocolError(() => encodeMessage(message, size - 1), 'OVERSIZED')
  })

  it('decodeMessage refuses a message over maxBytes, at the exact boundary', () => {
    const bytes = encodeMessage(createMessage('ACK', { ref: MESSAGE_ID }))
    assert.equal(decodeMessage(bytes, { maxBytes: bytes.byteLength }).type, 'ACK')
    expectProtocolError(() => decodeMessage(bytes, { maxBytes: bytes.byteLength - 1 }), 'OVERSIZED')
  })

  it('decodeMessage defaults to the stream limit', () => {
    const bytes = encodeMessage(big)
    assert.equal(decodeMessage(bytes).type, 'BROADCAST')
    expectProtocolError(() => decodeMessage(bytes, { maxBytes: LIMITS.maxGossipMessageBytes }), 'OVERSIZED')
    expectProtocolError(() => decodeMessage(new Uint8Array(LIMITS.maxStreamMessageBytes + 1)), 'OVERSIZED')
  })

  it('decodeMessage checks the size before parsing', () => {
    // Neither UTF-8 nor JSON: a parser would say MALFORMED, the size check comes first.
    const garbage = new Uint8Array(LIMITS.maxGossipMessageBytes + 1).fill(0xff)
    expectProtocolError(() => decodeMessage(garbage, { maxBytes: LIMITS.maxGossipMessageBytes }), 'OVERSIZED')
    // A wrong version is also not looked at.
    const otherVersion = rawJson(envelope('ACK', { ref: MESSAGE_ID }, { v: 99, pad: 'x'.repeat(200) }))
    expectProtocolError(() => decodeMessage(otherVersion, { maxBytes: 100 }), 'OVERSIZED')
  })
})

describe('MALFORMED', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['empty input', new Uint8Array(0)],
    ['text that is not JSON', text('hello')],
    ['truncated JSON', text('{"v":1,"id":"abcdefgh"')],
    ['invalid UTF-8', Uint8Array.from([0x7b, 0x22, 0x76, 0x22, 0x3a, 0xff, 0xfe, 0x7d])],
    ['a lone UTF-8 continuation byte inside a string', Uint8Array.from([...text('{"v":1,"x":"'), 0x80, ...text('"}')])],
    ['a JSON array', text('[1,2,3]')],
    ['an array holding an envelope', rawJson([envelope('ACK', { ref: MESSAGE_ID })])],
    ['a JSON number', text('42')],
    ['a JSON string', text('"TASK_ANNOUNCE"')],
    ['JSON null', text('null')],
    ['JSON true', text('true')]
  ]
  for (const [name, bytes] of cases) {
    it(`refuses ${name}`, () => {
      expectProtocolError(() => decodeMessage(bytes), 'MALFORMED')
    })
  }

  it('refuses arrays and objects nested deeper than LIMITS.maxJsonDepth without overflowing the stack', () => {
    for (const levels of [LIMITS.maxJsonDepth, 3_000, 100_000, 500_000]) {
      const bytes = deepBroadcast(levels)
      assert.ok(bytes.byteLength <= LIMITS.maxStreamMessageBytes)
      expectProtocolError(() => decodeMessage(bytes), 'MALFORMED')
    }
  })

  it('accepts nesting up to LIMITS.maxJsonDepth', () => {
    // envelope (1) → body (2) → data: the data may nest maxJsonDepth - 2 levels.
    const ok = decodeMessage(deepBroadcast(LIMITS.maxJsonDepth - 2))
    assert.ok(isMessageOf(ok, 'BROADCAST'))
    assert.deepEqual(ok.body.data, nested(LIMITS.maxJsonDepth - 2))
    expectProtocolError(() => decodeMessage(deepBroadcast(LIMITS.maxJsonDepth - 1)), 'MALFORMED')
    // createMessage draws the line at the same place.
    createMessage('BROADCAST', { text: 'deep', data: nested(LIMITS.maxJsonDepth - 2) as never })
    expectProtocolError(() => createMessage('BROADCAST', { text: 'deep', data: nested(LIMITS.maxJsonDepth - 1) as never }), 'INVALID_MESSAGE')
  })
})

describe('UNSUPPORTED_VERSION', () => {
  const ack = { ref: MESSAGE_ID }

  it('knows version 1 only', () => {
    assert.equal(PROTOCOL_VERSION, 1)
    assert.deepEqual(SUPPORTED_VERSIONS, [1])
  })

  const cases: Array<[string, Record<string, unknown>]> = [
    ['v: 2', envelope('ACK', ack, { v: 2 })],
    ['v: 0', envelope('ACK', ack, { v: 0 })],
    ['v as a string', envelope('ACK', ack, { v: '1' })],
    ['v: null', envelope('ACK', ack, { v: null })],
    ['v as an object', envelope('ACK', ack, { v: { major: 1 } })]
  ]
  for (const [name, value] of cases) {
    it(`refuses ${name}`, () => {
      const err = expectProtocolError(() => decodeMessage(rawJson(value)), 'UNSUPPORTED_VERSION')
      assert.match(err.message, /not supported/)
    })
  }

  it('refuses a message without v', () => {
    const value = envelope('ACK', ack)
    delete value.v
    expectProtocolError(() => decodeMessage(rawJson(value)), 'UNSUPPORTED_VERSION')
  })

  it('checks the version before the schema', () => {
    // A future version may change anything else; it is still reported as a version problem.
    const future = { v: 2, kind: 'something-new', payload: [1, 2, 3] }
    expectProtocolError(() => decodeMessage(rawJson(future)), 'UNSUPPORTED_VERSION')
  })
})

describe('INVALID_MESSAGE on the envelope', () => {
  const ack = { ref: MESSAGE_ID }

  it('names an unknown type', () => {
    const err = expectProtocolError(() => decodeMessage(rawJson(envelope('TASK_EXPLODE', ack))), 'INVALID_MESSAGE')
    assert.ok(err.issues.some(issue => issue.startsWith('type: ')), JSON.stringify(err.issues))
  })

  it('names a bad id', () => {
    for (const id of ['short', 'has space 123', 'x'.repeat(65), 12345678, null]) {
      const err = expectProtocolError(() => decodeMessage(rawJson(envelope('ACK', ack, { id }))), 'INVALID_MESSAGE')
      assert.ok(err.issues.some(issue => issue.startsWith('id: ')), JSON.stringify(err.issues))
    }
  })

  it('names a bad ts', () => {
    for (const ts of [-1, 1.5, '2025-01-01', null]) {
      const err = expectProtocolError(() => decodeMessage(rawJson(envelope('ACK', ack, { ts }))), 'INVALID_MESSAGE')
      assert.ok(err.issues.some(issue => issue.startsWith('ts: ')), JSON.stringify(err.issues))
    }
  })

  it('names a missing body', () => {
    const value = envelope('ACK', ack)
    delete value.body
    const err = expectProtocolError(() => decodeMessage(rawJson(value)), 'INVALID_MESSAGE')
    assert.ok(err.issues.some(issue => issue.startsWith('body: ')), JSON.stringify(err.issues))
  })

  it('refuses a sender field: the sender is the authenticated peer, never a field', () => {
    const err = expectProtocolError(() => decodeMessage(rawJson(envelope('ACK', ack, { from: PEER_A }))), 'INVALID_MESSAGE')
    assert.ok(err.issues.some(issue => issue.startsWith('(root): ') && issue.includes('from')), JSON.stringify(err.issues))
  })

  it('names a nested path inside the body', () => {
    const card = clone(VALID_BODIES.AGENT_CARD) as { skills: Array<Record<string, unknown>> }
    const first = card.skills[0]
    assert.ok(first !== undefined)
    first.level = 'wizard'
    const err = expectProtocolError(() => decodeMessage(rawJson(envelope('AGENT_CARD', card))), 'INVALID_MESSAGE')
    assert.equal(err.issues.length, 1)
    assert.match(err.issues[0] ?? '', /^body\.skills\.0\.level: /)
    assert.match(err.message, /body\.skills\.0\.level/)
  })
})

describe('channel filtering', () => {
  const channels = Object.keys(CHANNEL_MESSAGE_TYPES) as Channel[]
  const bytesOf = (type: MessageType): Uint8Array => encodeMessage(createMessage(type, VALID_BODIES[type]))

  it('has the five channels', () => {
    assert.deepEqual(channels.sort(), ['agents', 'direct', 'group', 'input', 'skill'])
  })

  it('lets every message type travel on at least one channel', () => {
    const allowed = new Set<MessageType>(channels.flatMap(channel => [...CHANNEL_MESSAGE_TYPES[channel]]))
    assert.deepEqual(MESSAGE_TYPES.filter(type => !allowed.has(type)), [])
  })

  it('rejects a TASK_ANNOUNCE decoded on the agents channel', () => {
    const err = expectProtocolError(() => decodeMessage(bytesOf('TASK_ANNOUNCE'), { channel: 'agents' }), 'INVALID_MESSAGE')
    assert.match(err.message, /TASK_ANNOUNCE is not allowed on a agents channel/)
    assert.ok(err.issues.some(issue => issue.startsWith('type: ')))
    // Without a channel, or on its own channel, it is fine.
    assert.equal(decodeMessage(bytesOf('TASK_ANNOUNCE')).type, 'TASK_ANNOUNCE')
    assert.equal(decodeMessage(bytesOf('TASK_ANNOUNCE'), { channel: 'skill' }).type, 'TASK_ANNOUNCE')
  })

  for (const channel of channels) {
    const allowed: readonly MessageType[] = CHANNEL_MESSAGE_TYPES[channel]
    it(`${channel} accepts its own types: ${allowed.join(', ')}`, () => {
      for (const type of allowed) {
        assert.equal(decodeMessage(bytesOf(type), { channel }).type, type)
      }
    })
    it(`${channel} rejects every other type`, () => {
      for (const type of MESSAGE_TYPES.filter(t => !allowed.includes(t))) {
        expectProtocolError(() => decodeMessage(bytesOf(type), { channel }), 'INVALID_MESSAGE')
      }
    })
  }

  it('keeps offers and invites off gossip, and agent cards off direct streams', () => {
    const gossip: readonly MessageType[] = [...CHANNEL_MESSAGE_TYPES.agents, ...CHANNEL_MESSAGE_TYPES.skill, ...CHANNEL_MESSAGE_TYPES.group]
    for (const type of ['SKILL_OFFER', 'GROUP_INVITE', 'GROUP_ACCEPT', 'GROUP_REJECT', 'TASK_COMPLETE', 'ACK'] as const) {
      assert.equal(gossip.includes(type), false, `${type} must not be allowed on gossip`)
    }
    const direct: readonly MessageType[] = CHANNEL_MESSAGE_TYPES.direct
    // Announcements go to a few agents directly (answered by their offer) or on a skill topic.
    assert.equal(direct.includes('TASK_ANNOUNCE'), true)
    assert.equal(direct.includes('AGENT_CARD'), false)
  })
})
