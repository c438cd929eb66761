import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { DIRECT_ERROR_CODES, ProtocolError } from '@swarm/protocol'
import { PENALTY, channelFailure, decodeFailure, directPenalty, gossipVerdict, timestampFailure } from '../../src/net/verdict.js'
import type { GossipFailure } from '../../src/net/verdict.js'
import type { DirectErrorCode } from '@swarm/protocol'

const { Ignore, Reject } = TopicValidatorResult

describe('gossipVerdict', () => {
  it('maps every validation failure to its verdict and penalty', () => {
    const table: Array<[GossipFailure, TopicValidatorResult, number]> = [
      ['UNSIGNED', Reject, PENALTY.severe],
      ['OVERSIZED', Reject, PENALTY.severe],
      ['MALFORMED', Reject, PENALTY.severe],
      ['INVALID_MESSAGE', Reject, PENALTY.severe],
      ['WRONG_CHANNEL', Reject, PENALTY.severe],
      ['UNSUPPORTED_VERSION', Ignore, PENALTY.none],
      ['UNAUTHORIZED', Reject, PENALTY.moderate],
      // What an honest peer can send is ignored, not rejected: gossipsub does not punish it.
      ['STALE', Ignore, PENALTY.none],
      ['FUTURE', Ignore, PENALTY.minor],
      ['DUPLICATE', Ignore, PENALTY.none]
    ]
    for (const [reason, result, penalty] of table) {
      assert.deepEqual(gossipVerdict(reason), { reason, result, penalty }, reason)
    }
  })

  it('never accepts a failure, and penalises every rejection', () => {
    const failures: GossipFailure[] = ['UNSIGNED', 'OVERSIZED', 'MALFORMED', 'UNSUPPORTED_VERSION', 'INVALID_MESSAGE', 'WRONG_CHANNEL', 'UNAUTHORIZED', 'STALE', 'FUTURE', 'DUPLICATE']
    for (const reason of failures) {
      const verdict = gossipVerdict(reason)
      assert.notEqual(verdict.result, TopicValidatorResult.Accept)
      if (verdict.result === Reject) assert.ok(verdict.penalty > 0, reason)
    }
  })
})

describe('directPenalty', () => {
  it('charges what is the requester\'s fault and nothing for ordinary refusals', () => {
    const charged: Partial<Record<DirectErrorCode, number>> = {
      OVERSIZED: PENALTY.severe,
      MALFORMED: PENALTY.severe,
      INVALID_MESSAGE: PENALTY.severe,
      UNSUPPORTED_VERSION: PENALTY.minor,
      UNEXPECTED: PENALTY.moderate,
      INVALID_STATE_VECTOR: PENALTY.moderate,
      NOT_A_MEMBER: PENALTY.minor,
      FORBIDDEN: PENALTY.minor,
      NOT_ASSIGNED: PENALTY.minor,
      RATE_LIMITED: PENALTY.minor,
      BAD_SIGNATURE: PENALTY.severe
    }
    for (const code of DIRECT_ERROR_CODES) {
      const expected = charged[code]
      assert.deepEqual(directPenalty(code), expected === undefined ? undefined : { reason: code, penalty: expected }, code)
    }
    // Races and our own state are answers, not faults.
    for (const code of ['BIDDING_CLOSED', 'NO_CAPACITY', 'STOPPING', 'INTERNAL', 'INPUT_FETCH_FAILED'] as const) {
      assert.equal(directPenalty(code), undefined, code)
    }
  })
})

describe('the checks behind the verdicts', () => {
  it('decodeFailure: the codec code, else MALFORMED', () => {
    assert.equal(decodeFailure(new ProtocolError('OVERSIZED', 'too big')), 'OVERSIZED')
    assert.equal(decodeFailure(new ProtocolError('UNSUPPORTED_VERSION', 'v9')), 'UNSUPPORTED_VERSION')
    assert.equal(decodeFailure(new SyntaxError('bad')), 'MALFORMED')
  })

  it('timestampFailure: STALE before the skew, FUTURE after it, nothing within (bounds included)', () => {
    const now = 1_000_000
    assert.equal(timestampFailure(now - 120_001, now, 120_000), 'STALE')
    assert.equal(timestampFailure(now - 120_000, now, 120_000), undefined)
    assert.equal(timestampFailure(now, now, 120_000), undefined)
    assert.equal(timestampFailure(now + 120_000, now, 120_000), undefined)
    assert.equal(timestampFailure(now + 120_001, now, 120_000), 'FUTURE')
  })

  it('channelFailure: a type outside the channel\'s list', () => {
    assert.equal(channelFailure('group', 'VOTE'), undefined)
    assert.equal(channelFailure('group', 'AGENT_CARD'), 'WRONG_CHANNEL')
    assert.equal(channelFailure('agents', 'AGENT_CARD'), undefined)
    assert.equal(channelFailure('skill', 'ACK'), 'WRONG_CHANNEL')
  })
})
