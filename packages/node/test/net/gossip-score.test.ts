import { afterEach, beforeEach, describe, it, vi } from 'vitest'
import assert from 'node:assert/strict'
import { PeerScore, createPeerScoreParams, validatePeerScoreParams, validatePeerScoreThresholds } from '@libp2p/gossipsub/score'
import { RejectReason } from '@libp2p/gossipsub/types'
import { topics } from '@swarm/protocol'
import { createLogger } from '../../src/logger.js'
import { SCORE_THRESHOLDS, gossipScoring, swarmTopicParams, topicScoreParams } from '../../src/net/gossip-score.js'
import { libp2pLogger } from '../../src/net/libp2p-logger.js'
import { PeerPenalties } from '../../src/net/penalties.js'
import { PENALTY } from '../../src/net/verdict.js'
import { systemClock } from '../../src/ports/clock.js'
import type { TopicScoreParams } from '@libp2p/gossipsub/score'

const NET = 'scoring'
const AGENTS = topics.agents(NET)
const SKILL = topics.skill(NET, 'viz')
const GROUP = topics.group(NET, 'group-0001')
const A = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const GRAYLIST = SCORE_THRESHOLDS.graylistThreshold

/**
 * The fewest invalid messages on one topic that take a peer below the graylist from P4 alone,
 * when it has `credit` of first-delivery reward (P2) to offset it: topicWeight × |P4 weight| × n²
 * must exceed |graylist| + credit. Computed from the parameters, not copied from the docs.
 */
function invalidToGraylist (params: TopicScoreParams, credit: number): number {
  const perSquare = params.topicWeight * -params.invalidMessageDeliveriesWeight
  let n = 0
  while (perSquare * n * n <= -GRAYLIST + credit) n++
  return n
}

/** The most first-delivery reward (P2) one topic can give. */
function maxCredit (params: TopicScoreParams): number {
  return params.topicWeight * params.firstMessageDeliveriesWeight * params.firstMessageDeliveriesCap
}

describe('gossip score parameters', () => {
  it('are valid by gossipsub\'s own validators, on every kind of topic, subscribed or not', () => {
    const { scoreParams, scoreThresholds } = gossipScoring({ ipColocationThreshold: 10, penaltyScore: () => 0 })
    for (const subscribed of [true, false]) {
      const params = createPeerScoreParams({ ...scoreParams, topics: { [AGENTS]: topicScoreParams('agents', subscribed), [SKILL]: topicScoreParams('skill', subscribed), [GROUP]: topicScoreParams('group', subscribed) } })
      assert.doesNotThrow(() => { validatePeerScoreParams(params) })
    }
    assert.doesNotThrow(() => { validatePeerScoreThresholds(scoreThresholds) })
    assert.deepEqual(scoreThresholds, { gossipThreshold: -10, publishThreshold: -40, graylistThreshold: -80, acceptPXThreshold: 100, opportunisticGraftThreshold: 0.5 })
  })

  it('weigh invalid messages on every topic, reward first deliveries on the agents and skill topics, leave mesh deliveries out', () => {
    for (const kind of ['agents', 'skill', 'group'] as const) {
      const p = topicScoreParams(kind, true)
      assert.ok(p.invalidMessageDeliveriesWeight <= -5, `${kind}: P4 weighs`)
      assert.equal(p.meshMessageDeliveriesWeight, 0, `${kind}: P3 off`)
      assert.equal(p.meshFailurePenaltyWeight, 0, `${kind}: P3b off`)
      assert.equal(p.timeInMeshWeight, 0, `${kind}: P1 off`)
      assert.equal(topicScoreParams(kind, false).firstMessageDeliveriesWeight, 0, `${kind}: no P2 on a topic the node is not in`)
    }
    assert.ok(topicScoreParams('agents', true).firstMessageDeliveriesWeight > 0)
    assert.ok(topicScoreParams('skill', true).firstMessageDeliveriesWeight > 0)
    assert.equal(topicScoreParams('group', true).firstMessageDeliveriesWeight, 0)
  })

  it('graylist a sender of invalid messages within the stated number of messages, computed from the parameters', () => {
    const agents = topicScoreParams('agents', true)
    const skill = topicScoreParams('skill', true)
    const group = topicScoreParams('group', true)
    // No credit, and the credit of the topic itself plus eight skill topics besides.
    assert.equal(invalidToGraylist(agents, 0), 3)
    assert.equal(invalidToGraylist(agents, maxCredit(agents) + 8 * maxCredit(skill)), 3)
    assert.equal(invalidToGraylist(skill, maxCredit(agents) + 98 * maxCredit(skill)), 3, 'three, with the credit of 99 skill topics')
    assert.equal(invalidToGraylist(group, 0), 5)
    // Two invalid messages are below the publish threshold already.
    assert.ok(-agents.invalidMessageDeliveriesWeight * 4 > -SCORE_THRESHOLDS.publishThreshold)
  })
})

describe('the topic view', () => {
  it('answers for every topic of the node\'s network, by kind, and for nothing else', () => {
    let subscribed = true
    const view = swarmTopicParams(NET, () => subscribed)
    assert.deepEqual(view[AGENTS], topicScoreParams('agents', true))
    assert.deepEqual(view[SKILL], topicScoreParams('skill', true))
    assert.deepEqual(view[topics.group(NET, 'another-group-id')], topicScoreParams('group', true))
    assert.ok(AGENTS in view)
    assert.equal(view[topics.agents('other-net')], undefined)
    assert.equal(view['/meshsub/whatever'], undefined)
    assert.ok(!('/meshsub/whatever' in view))
    subscribed = false
    assert.deepEqual(view[SKILL], topicScoreParams('skill', false))
  })
})

/** Gossipsub's own score keeper with the node's parameters, as the node installs them. */
function scoreKeeper (penaltyScore?: (peerId: string) => number, subscribed: (topic: string) => boolean = () => true): PeerScore {
  const { scoreParams } = gossipScoring({ ipColocationThreshold: 10, ...(penaltyScore !== undefined ? { penaltyScore } : {}) })
  const logger = libp2pLogger(createLogger({ level: 'info', sinks: [] }))
  const score = new PeerScore(createPeerScoreParams(scoreParams), null, logger, { scoreCacheValidityMs: 0 })
  score.params.topics = swarmTopicParams(NET, subscribed)
  score.addPeer(A)
  return score
}

let ids = 0
function invalid (score: PeerScore, topic: string, n: number): void {
  for (let i = 0; i < n; i++) score.rejectMessage(A, `bad-${ids++}`, topic, RejectReason.Reject)
}
function firstDeliveries (score: PeerScore, topic: string, n: number): void {
  for (let i = 0; i < n; i++) score.deliverMessage(A, `good-${ids++}`, topic)
}

describe('gossipsub\'s score with these parameters', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(Date.parse('2026-01-05T10:00:00.000Z'))
  })
  afterEach(() => { vi.useRealTimers() })

  it('graylists after 3 invalid agents-topic messages (not 2), even with all the credit first deliveries can buy', () => {
    const score = scoreKeeper()
    firstDeliveries(score, AGENTS, 100)
    for (let i = 0; i < 8; i++) firstDeliveries(score, topics.skill(NET, `skill-${i}`), 100)
    assert.equal(score.score(A), 9, 'credit: 1 per topic')
    invalid(score, AGENTS, 2)
    assert.ok(score.score(A) >= GRAYLIST, `2 messages: ${score.score(A)}`)
    assert.ok(score.score(A) < SCORE_THRESHOLDS.publishThreshold)
    invalid(score, AGENTS, 1)
    assert.ok(score.score(A) < GRAYLIST, `3 messages: ${score.score(A)}`)
  })

  it('graylists a group-topic outsider after 5 unauthorized messages by P4 alone', () => {
    const score = scoreKeeper()
    invalid(score, GROUP, 4)
    assert.ok(score.score(A) >= GRAYLIST)
    invalid(score, GROUP, 1)
    assert.ok(score.score(A) < GRAYLIST)
  })

  it('never lowers an honest peer for ignored (stale, duplicate) messages', () => {
    const score = scoreKeeper()
    for (let i = 0; i < 200; i++) score.rejectMessage(A, `stale-${i}`, AGENTS, RejectReason.Ignore)
    for (let i = 0; i < 200; i++) score.duplicateMessage(A, `stale-${i}`, SKILL)
    assert.equal(score.score(A), 0)
  })

  it('gives no first-delivery credit on topics the node is not in', () => {
    const score = scoreKeeper(undefined, topic => topic !== SKILL)
    firstDeliveries(score, SKILL, 100)
    assert.equal(score.score(A), 0)
  })

  it('counts the penalty book: 5 malformed frames graylist (4 do not); 9 early messages keep a peer above the gossip threshold', () => {
    const penalties = new PeerPenalties({ clock: systemClock }, { halfLifeMs: 600_000, maxPeers: 100 })
    const score = scoreKeeper(peer => penalties.score(peer))
    for (let i = 0; i < 9; i++) penalties.record(A, { reason: 'FUTURE', penalty: PENALTY.minor })
    assert.ok(score.score(A) >= SCORE_THRESHOLDS.gossipThreshold)
    const malformed = { reason: 'MALFORMED' as const, penalty: PENALTY.severe }
    const fresh = new PeerPenalties({ clock: systemClock }, { halfLifeMs: 600_000, maxPeers: 100 })
    const direct = scoreKeeper(peer => fresh.score(peer))
    for (let i = 0; i < 4; i++) fresh.record(A, malformed)
    assert.ok(direct.score(A) >= GRAYLIST)
    fresh.record(A, malformed)
    assert.ok(direct.score(A) < GRAYLIST)
  })

  it('keeps a burst of 3 invalid messages (P4 and P5) graylisted for minutes, then lets the peer back', async () => {
    const penalties = new PeerPenalties({ clock: systemClock }, { halfLifeMs: 600_000, maxPeers: 100 })
    const score = scoreKeeper(peer => penalties.score(peer))
    invalid(score, AGENTS, 3)
    for (let i = 0; i < 3; i++) penalties.record(A, { reason: 'MALFORMED', penalty: PENALTY.severe })
    const seconds = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        await vi.advanceTimersByTimeAsync(1_000)
        score.refreshScores()
      }
    }
    await seconds(8 * 60)
    assert.ok(score.score(A) < GRAYLIST, `after 8 min: ${score.score(A)}`)
    await seconds(2 * 60)
    assert.ok(score.score(A) >= GRAYLIST, `after 10 min: ${score.score(A)}`)
  })
})
