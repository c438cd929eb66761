/**
 * Group encryption, the pure parts: sealing and opening (AES-256-GCM, the topic and epoch bound
 * as associated data) and the key ring of group topics (current epoch, the grace of the one
 * before, held messages of an epoch not known yet).
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { GroupKeyRing } from '../../src/net/group-keys.js'
import { GROUP_KEY_BYTES, decodeGroupKey, encodeGroupKey, newGroupKey, open, seal } from '../../src/net/group-seal.js'

const TOPIC = '/swarm/unit/group/group-0001/1'
const OTHER_TOPIC = '/swarm/unit/group/group-0002/1'
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const read = (b: Uint8Array | undefined): string | undefined => b === undefined ? undefined : new TextDecoder().decode(b)

/** `s` with one base64url character changed at `at`. */
function flip (s: string, at: number): string {
  const c = s[at] === 'A' ? 'B' : 'A'
  return s.slice(0, at) + c + s.slice(at + 1)
}

describe('seal and open', () => {
  it('opens what it sealed with the same key, topic and epoch; the sealed text does not show the plaintext', () => {
    const key = newGroupKey()
    const sealed = seal(key, TOPIC, 7, text('vote yes on the secret plan'))
    assert.equal(read(open(key, TOPIC, 7, sealed)), 'vote yes on the secret plan')
    assert.ok(!Buffer.from(sealed.data, 'base64url').toString('latin1').includes('secret'))
    // A fresh nonce each time: the same message never seals to the same bytes.
    assert.notEqual(seal(key, TOPIC, 7, text('x')).data, seal(key, TOPIC, 7, text('x')).data)
  })

  it('does not open with another key, another epoch or on another topic (the associated data)', () => {
    const key = newGroupKey()
    const sealed = seal(key, TOPIC, 7, text('finding'))
    assert.equal(open(newGroupKey(), TOPIC, 7, sealed), undefined)
    assert.equal(open(key, TOPIC, 8, sealed), undefined)
    assert.equal(open(key, OTHER_TOPIC, 7, sealed), undefined)
  })

  it('does not open when any part was tampered with: data, tag or nonce', () => {
    const key = newGroupKey()
    const sealed = seal(key, TOPIC, 1, text('a proposal to ship'))
    assert.equal(open(key, TOPIC, 1, { ...sealed, data: flip(sealed.data, 0) }), undefined)
    assert.equal(open(key, TOPIC, 1, { ...sealed, data: flip(sealed.data, sealed.data.length - 3) }), undefined)
    assert.equal(open(key, TOPIC, 1, { ...sealed, nonce: flip(sealed.nonce, 2) }), undefined)
    assert.equal(open(key, TOPIC, 1, { ...sealed, data: sealed.data.slice(0, 10) }), undefined)
    assert.equal(open(key, TOPIC, 1, { ...sealed, nonce: 'AAAA' }), undefined)
  })

  it('encodes keys as 43 base64url characters and refuses a key of the wrong size', () => {
    const key = newGroupKey()
    assert.equal(key.byteLength, GROUP_KEY_BYTES)
    const encoded = encodeGroupKey(key)
    assert.match(encoded, /^[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(decodeGroupKey(encoded), key)
    assert.equal(decodeGroupKey('abc'), undefined)
  })
})

describe('GroupKeyRing', () => {
  const k1 = newGroupKey()
  const k2 = newGroupKey()

  it('keeps the newest epoch current and the one before for the grace period only', () => {
    const ring = new GroupKeyRing(5_000)
    assert.equal(ring.has(TOPIC), false)
    assert.equal(ring.install(TOPIC, 1, k1, 1_000), true)
    assert.deepEqual(ring.current(TOPIC), { epoch: 1, key: k1 })
    assert.equal(ring.install(TOPIC, 2, k2, 2_000), true)
    assert.deepEqual(ring.current(TOPIC), { epoch: 2, key: k2 })
    assert.deepEqual(ring.keyOf(TOPIC, 1, 6_999), k1)
    assert.equal(ring.keyOf(TOPIC, 1, 7_001), undefined)
    // Once dropped, not back.
    assert.equal(ring.keyOf(TOPIC, 1, 6_000), undefined)
    assert.deepEqual(ring.keyOf(TOPIC, 2, 1e9), k2)
    assert.equal(ring.keyOf(OTHER_TOPIC, 2, 2_000), undefined)
  })

  it('does not go back to an older epoch, and takes the same epoch again as a no-op', () => {
    const ring = new GroupKeyRing(5_000)
    ring.install(TOPIC, 5, k2, 0)
    assert.equal(ring.install(TOPIC, 4, k1, 0), false)
    assert.deepEqual(ring.current(TOPIC), { epoch: 5, key: k2 })
    assert.equal(ring.install(TOPIC, 5, k2, 0), true)
    assert.deepEqual(ring.current(TOPIC), { epoch: 5, key: k2 })
    assert.equal(ring.keyOf(TOPIC, 4, 0), undefined)
  })

  it('forgets a topic entirely on drop', () => {
    const ring = new GroupKeyRing(5_000)
    ring.install(TOPIC, 1, k1, 0)
    ring.drop(TOPIC)
    assert.equal(ring.has(TOPIC), false)
    assert.equal(ring.current(TOPIC), undefined)
    assert.equal(ring.keyOf(TOPIC, 1, 0), undefined)
  })

  it('holds messages of a newer epoch until its key comes, within the grace period and a bound', () => {
    const ring = new GroupKeyRing<string>(5_000)
    assert.equal(ring.hold(TOPIC, 2, 'no key yet at all', 0), false)
    ring.install(TOPIC, 1, k1, 0)
    assert.equal(ring.hold(TOPIC, 1, 'current epoch: not held', 0), false)
    assert.equal(ring.hold(TOPIC, 2, 'early', 0), true)
    assert.equal(ring.hold(TOPIC, 2, 'too late', 100), true)
    assert.equal(ring.hold(TOPIC, 3, 'other epoch', 100), true)
    ring.install(TOPIC, 2, k2, 5_050)
    // 'early' was held at 0 (until 5 000): gone; 'too late' is still in its time.
    assert.deepEqual(ring.release(TOPIC, 2, 5_050), ['too late'])
    assert.deepEqual(ring.release(TOPIC, 2, 5_050), [])
    for (let i = 0; i < 100; i++) ring.hold(TOPIC, 9, `m${i}`, 5_050)
    assert.equal(ring.release(TOPIC, 9, 5_050).length < 100, true)
  })
})
