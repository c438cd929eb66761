/**
 * Fuzzing the wire codec and the body schemas: whatever a peer sends, decodeMessage either
 * returns a message that passes the schema again (and the channel's list of types) or throws a
 * ProtocolError, never another error; no input pollutes a built-in prototype.
 */
import { afterEach, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { BODY_SCHEMAS, CHANNEL_MESSAGE_TYPES, LIMITS, MESSAGE_TYPES, ProtocolError, SwarmMessageSchema, createMessage, decodeMessage, encodeMessage, nestsDeeperThan } from '../../src/index.js'
import type { BodyInput, Channel, DecodeOptions, MessageType } from '../../src/index.js'
import { VALID_BODIES } from '../fixtures.js'
import { FUZZED_TYPES, FUZZ_TIMEOUT_MS, VALID_MESSAGES, anyValidMessage, assertNoPollution, deepValue, fuzz, hostileBytes, hostileValue, jsonBytes, mutate, mutatedMessageBytes, mutation, protoKeyed, textMutatedBytes } from './arbitraries.js'

const CHANNELS = Object.keys(CHANNEL_MESSAGE_TYPES) as Channel[]
const decoder = new TextDecoder()

/** What the receiver would hold after its own JSON.parse: the reference a decoded message must equal. */
function parsed (bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes))
}

/** Every object in `value` is a plain object or array: no key replaced a prototype. */
function assertPlainPrototypes (value: unknown): void {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v !== 'object' || v === null) continue
    assert.ok([Object.prototype, Array.prototype].includes(Object.getPrototypeOf(v)), 'a decoded object has a foreign prototype')
    stack.push(...Object.values(v))
  }
}

/**
 * The property every decode must hold: a ProtocolError, or a message that passes the schema
 * again, encodes and decodes to itself, and belongs on the channel asked for.
 */
function decodesOrRefuses (bytes: Uint8Array, options: DecodeOptions = {}): 'decoded' | ProtocolError['code'] {
  let message
  try {
    message = decodeMessage(bytes, options)
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `decodeMessage threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}, not a ProtocolError`)
    return err.code
  }
  assert.ok(SwarmMessageSchema.safeParse(JSON.parse(JSON.stringify(message))).success, 'a decoded message fails the schema again')
  assert.deepEqual(decodeMessage(encodeMessage(message, Infinity), { maxBytes: Infinity }), JSON.parse(JSON.stringify(message)))
  assertPlainPrototypes(message)
  if (options.channel !== undefined) assert.ok((CHANNEL_MESSAGE_TYPES[options.channel] as readonly string[]).includes(message.type))
  return 'decoded'
}

const channelArb = fc.option(fc.constantFrom(...CHANNELS), { nil: undefined })
const optionsArb: fc.Arbitrary<DecodeOptions> = fc.record({ channel: channelArb, gossip: fc.boolean() })
  .map(({ channel, gossip }) => ({ ...(channel !== undefined ? { channel } : {}), ...(gossip ? { maxBytes: LIMITS.maxGossipMessageBytes } : {}) }))

afterEach(() => { assertNoPollution() })

describe('fuzz: decodeMessage', () => {
  it('refuses random bytes, random JSON and broken messages with a ProtocolError, with and without a channel', () => {
    fc.assert(fc.property(hostileBytes, optionsArb, (bytes, options) => {
      decodesOrRefuses(bytes, options)
    }), fuzz('decode hostile bytes', 400))
  }, FUZZ_TIMEOUT_MS)

  it('decodes a valid message of every type to itself, on the channels of its type and only there', () => {
    for (const type of FUZZED_TYPES) {
      fc.assert(fc.property(VALID_MESSAGES[type], channelArb, (message, channel) => {
        const bytes = encodeMessage(message)
        const outcome = decodesOrRefuses(bytes, channel === undefined ? {} : { channel })
        const allowed = channel === undefined || (CHANNEL_MESSAGE_TYPES[channel] as readonly string[]).includes(type)
        assert.equal(outcome, allowed ? 'decoded' : 'INVALID_MESSAGE', `${type} on ${channel ?? 'any'} channel`)
        if (outcome === 'decoded') assert.deepEqual(decodeMessage(bytes), parsed(bytes))
      }), fuzz(`decode valid ${type}`, 15))
    }
  }, FUZZ_TIMEOUT_MS)

  it('takes a mutated message only when it still passes the schema (wrong types, huge numbers, long strings, deep nesting, prototype keys)', () => {
    let decoded = 0
    fc.assert(fc.property(mutatedMessageBytes, optionsArb, (bytes, options) => {
      if (decodesOrRefuses(bytes, options) === 'decoded') decoded++
    }), fuzz('decode mutated messages', 300))
    // Some mutations keep a message valid (an optional field removed): the property saw both sides.
    assert.ok(decoded > 0, 'no mutated message decoded: the generator only makes garbage')
  }, FUZZ_TIMEOUT_MS)

  it('refuses text-level damage: cuts, replaced characters, 1e999, -0, 20-digit numbers, prototype keys', () => {
    fc.assert(fc.property(textMutatedBytes, optionsArb, (bytes, options) => {
      decodesOrRefuses(bytes, options)
    }), fuzz('decode text mutations', 400))
  }, FUZZ_TIMEOUT_MS)

  it('refuses nesting past LIMITS.maxJsonDepth with MALFORMED (no stack overflow), in any field', () => {
    fc.assert(fc.property(anyValidMessage, deepValue, fc.nat(), fc.nat(), (message, deep, where, which) => {
      const value = mutate(message, [{ op: 'replace', where, which, key: 'deep', value: deep }])
      const outcome = decodesOrRefuses(jsonBytes(value))
      if (nestsDeeperThan(value, LIMITS.maxJsonDepth)) assert.equal(outcome, 'MALFORMED')
    }), fuzz('decode deep nesting', 150))
    // Far deeper than JSON.stringify can write: the text is built by hand.
    const ack = JSON.stringify(createMessage('ACK', VALID_BODIES.ACK))
    const tooDeep = new TextEncoder().encode(ack.replace('"body":{', `"body":{"data":${'['.repeat(100_000)}${']'.repeat(100_000)},`))
    assert.equal(decodesOrRefuses(tooDeep), 'MALFORMED')
  }, FUZZ_TIMEOUT_MS)

  it('keeps prototype keys from polluting: refused at the envelope and in strict bodies, dropped in free JSON', () => {
    fc.assert(fc.property(anyValidMessage, protoKeyed, fc.constantFrom('top', 'body', 'json'), (message, keyed, where) => {
      const keyedText = JSON.stringify(keyed)
      const members = keyedText.slice(1, -1)
      const text = JSON.stringify(message)
      const hostile = where === 'top'
        ? text.replace(/^\{/, `{${members},`)
        : where === 'body' ? text.replace('"body":{', `"body":{${members},`) : text.replace('"body":{', `"body":{"checkpoint":${keyedText},`)
      const outcome = decodesOrRefuses(new TextEncoder().encode(hostile))
      if (where !== 'json') assert.notEqual(outcome, 'decoded', `a ${where}-level prototype key was accepted`)
    }), fuzz('decode prototype keys', 300))
  }, FUZZ_TIMEOUT_MS)
})

describe('fuzz: body schemas', () => {
  it('never throw on a hostile body; a parsed body parses again to itself', () => {
    const bodies = fc.oneof(
      hostileValue.filter(v => JSON.stringify(v).length < 10_000 || typeof v !== 'object'),
      fc.tuple(fc.constantFrom(...FUZZED_TYPES), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([type, ms]) => mutate(VALID_BODIES[type], ms))
    )
    fc.assert(fc.property(fc.constantFrom(...MESSAGE_TYPES), bodies, (type, body) => {
      const schema = BODY_SCHEMAS[type]
      const first = schema.safeParse(body)
      if (!first.success) return
      const again = schema.safeParse(JSON.parse(JSON.stringify(first.data)))
      assert.ok(again.success, `${type}: a parsed body fails its schema again`)
      assert.deepEqual(again.data, JSON.parse(JSON.stringify(first.data)))
    }), fuzz('body schemas', 500))
  }, FUZZ_TIMEOUT_MS)

  it('createMessage throws nothing but ProtocolError for a hostile body', () => {
    fc.assert(fc.property(fc.constantFrom(...FUZZED_TYPES), fc.array(mutation, { minLength: 1, maxLength: 3 }), (type: MessageType, ms) => {
      try {
        const message = createMessage(type, mutate(VALID_BODIES[type], ms) as BodyInput<typeof type>)
        decodesOrRefuses(encodeMessage(message, Infinity), { maxBytes: Infinity })
      } catch (err) {
        assert.ok(err instanceof ProtocolError, `createMessage threw ${String(err)}`)
      }
    }), fuzz('createMessage hostile bodies', 300))
  }, FUZZ_TIMEOUT_MS)
})
