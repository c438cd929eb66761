import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import {
  DEFAULT_NETWORK,
  ID_PATTERN,
  NETWORK_NAME_PATTERN,
  SKILL_NAME_PATTERN,
  STREAM_PROTOCOL_VERSION,
  newId,
  parseTopic,
  protocolIds,
  topics
} from '../src/index.js'
import { GROUP_ID } from './fixtures.js'

describe('topics', () => {
  it('builds the topic names of a network', () => {
    assert.equal(topics.agents('swarm'), '/swarm/swarm/agents/1')
    assert.equal(topics.skill('lab', 'analytics'), '/swarm/lab/skill/analytics/1')
    assert.equal(topics.group('lab', GROUP_ID), `/swarm/lab/group/${GROUP_ID}/1`)
  })

  it('accepts the whole name alphabet', () => {
    assert.equal(topics.skill('net-1.test_a', 'data.viz-2_b'), '/swarm/net-1.test_a/skill/data.viz-2_b/1')
    assert.equal(topics.agents('0'), '/swarm/0/agents/1')
    const longest = 'a'.repeat(64)
    assert.equal(topics.agents(longest), `/swarm/${longest}/agents/1`)
  })

  it('uses the default network name', () => {
    assert.equal(DEFAULT_NETWORK, 'swarm')
    assert.match(DEFAULT_NETWORK, NETWORK_NAME_PATTERN)
  })

  const badNetworks = ['', 'Swarm', 'my net', '-lead', '.lead', 'a/b', 'a'.repeat(65), 'é']
  for (const network of badNetworks) {
    it(`refuses network name ${JSON.stringify(network)} with a TypeError that says what is allowed`, () => {
      for (const build of [() => topics.agents(network), () => topics.skill(network, 'ok'), () => topics.group(network, GROUP_ID), () => protocolIds.direct(network), () => protocolIds.input(network)]) {
        assert.throws(build, (err: unknown) => {
          assert.ok(err instanceof TypeError)
          assert.ok(err.message.includes('network name'), err.message)
          assert.ok(err.message.includes(`"${network}"`), err.message)
          assert.ok(err.message.includes('lower-case'), err.message)
          return true
        })
      }
    })
  }

  for (const skill of ['', 'Analytics', 'data viz', '_x', 'a/b', 'a'.repeat(65)]) {
    it(`refuses skill name ${JSON.stringify(skill)} with a TypeError`, () => {
      assert.throws(() => topics.skill('swarm', skill), (err: unknown) => {
        assert.ok(err instanceof TypeError)
        assert.ok(err.message.includes('skill name'), err.message)
        assert.ok(err.message.includes(`"${skill}"`), err.message)
        assert.ok(err.message.includes('lower-case'), err.message)
        return true
      })
    })
  }

  for (const groupId of ['', 'short', 'has space!', 'x'.repeat(65), 'a/b/c/d/e']) {
    it(`refuses group id ${JSON.stringify(groupId)} with a TypeError`, () => {
      assert.throws(() => topics.group('swarm', groupId), (err: unknown) => {
        assert.ok(err instanceof TypeError)
        assert.ok(err.message.includes('group id'), err.message)
        assert.ok(err.message.includes(`"${groupId}"`), err.message)
        assert.ok(err.message.includes('8 to 64'), err.message)
        return true
      })
    })
  }
})

describe('protocolIds', () => {
  it('builds the stream protocol ids of a network', () => {
    assert.equal(STREAM_PROTOCOL_VERSION, '1.0.0')
    assert.equal(protocolIds.direct('swarm'), '/swarm/swarm/direct/1.0.0')
    assert.equal(protocolIds.input('lab'), '/swarm/lab/input/1.0.0')
  })

  it('keeps stream ids apart from topic names', () => {
    assert.equal(parseTopic(protocolIds.direct('swarm')), undefined)
    assert.equal(parseTopic(protocolIds.input('swarm')), undefined)
  })
})

describe('parseTopic', () => {
  it('round-trips every kind of topic', () => {
    assert.deepEqual(parseTopic(topics.agents('swarm')), { kind: 'agents', network: 'swarm' })
    assert.deepEqual(parseTopic(topics.skill('lab', 'data.viz')), { kind: 'skill', network: 'lab', skill: 'data.viz' })
    assert.deepEqual(parseTopic(topics.group('lab', GROUP_ID)), { kind: 'group', network: 'lab', groupId: GROUP_ID })
  })

  it('round-trips generated group ids', () => {
    for (let i = 0; i < 200; i++) {
      const groupId = newId()
      assert.deepEqual(parseTopic(topics.group('swarm', groupId)), { kind: 'group', network: 'swarm', groupId })
    }
  })

  const foreign = [
    '',
    '/',
    'swarm/swarm/agents/1',
    '/swarm',
    '/swarm/swarm',
    '/swarm/swarm/agents',
    '/swarm/swarm/agents/2',
    '/swarm/swarm/agents/1/',
    '/swarm/swarm/agents/1/extra',
    '/swarm/Swarm/agents/1',
    '/swarm//agents/1',
    '/other/swarm/agents/1',
    '/swarm/swarm/skill/1',
    '/swarm/swarm/skill/Analytics/1',
    '/swarm/swarm/skill/analytics/2',
    '/swarm/swarm/group/short/1',
    '/swarm/swarm/group/has space 1/1',
    '/swarm/swarm/unknown/thing/1',
    '/meshsub/1.1.0',
    '_peer-discovery._p2p._pubsub',
    '/swarm/swarm/direct/1.0.0'
  ]
  for (const topic of foreign) {
    it(`returns undefined for ${JSON.stringify(topic)}`, () => {
      assert.equal(parseTopic(topic), undefined)
    })
  }

  it('matches the patterns exported for names and ids', () => {
    assert.match('analytics', SKILL_NAME_PATTERN)
    assert.doesNotMatch('Analytics', SKILL_NAME_PATTERN)
    assert.match(GROUP_ID, ID_PATTERN)
    assert.doesNotMatch('1234567', ID_PATTERN)
    assert.match('12345678', ID_PATTERN)
  })
})
