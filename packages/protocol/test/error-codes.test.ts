import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { DIRECT_ERROR_CODES, DirectErrorCodeSchema, ProtocolError, createMessage, decodeMessage, encodeMessage } from '../src/index.js'
import type { ProtocolErrorCode } from '../src/index.js'

/** Every code the codec throws: a responder answers an undecodable request with it. */
const CODEC_CODES: ProtocolErrorCode[] = ['OVERSIZED', 'MALFORMED', 'UNSUPPORTED_VERSION', 'INVALID_MESSAGE']

describe('DirectErrorCode', () => {
  it('holds every codec code, since an undecodable request is answered with its code', () => {
    for (const code of CODEC_CODES) assert.ok(DirectErrorCodeSchema.safeParse(code).success, code)
  })

  it('has each code once, in the wire spelling', () => {
    assert.equal(new Set(DIRECT_ERROR_CODES).size, DIRECT_ERROR_CODES.length)
    for (const code of DIRECT_ERROR_CODES) assert.match(code, /^[A-Z][A-Z_]+$/)
    assert.ok(DIRECT_ERROR_CODES.includes('INPUT_FETCH_FAILED'))
  })

  it('is what an ERROR body carries: a known code round-trips, an unknown one is refused', () => {
    const message = createMessage('ERROR', { code: 'INPUT_FETCH_FAILED', message: 'the announcer did not answer' })
    const decoded = decodeMessage(encodeMessage(message))
    assert.equal(decoded.type === 'ERROR' ? decoded.body.code : undefined, 'INPUT_FETCH_FAILED')

    const raw = JSON.parse(new TextDecoder().decode(encodeMessage(message))) as { body: { code: string } }
    raw.body.code = 'SOMETHING_ELSE'
    assert.throws(() => decodeMessage(new TextEncoder().encode(JSON.stringify(raw))), (err: unknown) => {
      assert.ok(err instanceof ProtocolError)
      assert.equal(err.code, 'INVALID_MESSAGE')
      assert.ok(err.issues.some(issue => issue.startsWith('body.code:')), err.issues.join('; '))
      return true
    })
  })
})
