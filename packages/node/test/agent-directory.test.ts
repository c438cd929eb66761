import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { AgentDirectory } from '../src/directory/agent-directory.js'
import type { AgentCardBody, Level, SkillAd } from '@swarm/protocol'

const T0 = 1_750_000_000_000

function skill (name: string, level: Level, successRate = 1): SkillAd {
  return {
    id: name,
    name,
    level,
    successRate,
    avgCompletionMs: 1000,
    description: '',
    tags: [],
    examples: [],
    inputModes: ['application/json'],
    outputModes: ['application/json'],
    hasHandler: true
  }
}

function card (overrides: Partial<AgentCardBody> = {}): AgentCardBody {
  return {
    name: 'agent',
    software: { name: 'swarm-node', version: '0.1.0' },
    skills: [],
    capacity: 4,
    load: 0,
    addrs: ['/ip4/127.0.0.1/tcp/4001'],
    seq: 1,
    startedAt: T0,
    ...overrides
  }
}

describe('AgentDirectory.upsert', () => {
  it('adds an unknown agent', () => {
    const dir = new AgentDirectory()
    const c = card({ name: 'a', load: 2 })
    assert.equal(dir.upsert('peer-a', c, T0 + 10), 'added')
    assert.equal(dir.size, 1)
    const record = dir.get('peer-a')
    assert.ok(record !== undefined)
    assert.equal(record.peerId, 'peer-a')
    assert.deepEqual(record.card, c)
    assert.equal(record.lastSeen, T0 + 10)
    assert.equal(record.load, 2)
    assert.equal(record.self, false)
  })

  it('records its own card as self', () => {
    const dir = new AgentDirectory()
    assert.equal(dir.upsert('me', card(), T0, true), 'added')
    assert.equal(dir.get('me')?.self, true)
  })

  it('replaces the card when the sequence number grows', () => {
    const dir = new AgentDirectory()
    dir.upsert('peer-a', card({ seq: 1 }), T0)
    const newer = card({ seq: 2, skills: [skill('viz', 'expert')], load: 3 })
    assert.equal(dir.upsert('peer-a', newer, T0 + 100), 'updated')
    const record = dir.get('peer-a')
    assert.deepEqual(record?.card, newer)
    assert.equal(record?.lastSeen, T0 + 100)
    assert.equal(record?.load, 3)
    assert.equal(dir.size, 1)
  })

  it('reports the same card as unchanged but refreshes liveness and load', () => {
    const dir = new AgentDirectory()
    const c = card({ seq: 5, load: 0 })
    dir.upsert('peer-a', c, T0)
    assert.equal(dir.upsert('peer-a', { ...c, load: 2 }, T0 + 500), 'unchanged')
    const record = dir.get('peer-a')
    assert.equal(record?.lastSeen, T0 + 500)
    assert.equal(record?.load, 2)
    assert.equal(record?.card.seq, 5)
  })

  it('ignores a lower sequence number of the same start as stale', () => {
    const dir = new AgentDirectory()
    const current = card({ seq: 5, name: 'current' })
    dir.upsert('peer-a', current, T0)
    assert.equal(dir.upsert('peer-a', card({ seq: 4, name: 'old', load: 3 }), T0 + 100), 'stale')
    const record = dir.get('peer-a')
    assert.deepEqual(record?.card, current)
    assert.equal(record?.lastSeen, T0)
    assert.equal(record?.load, 0)
  })

  it('ignores a card of an earlier start as stale, whatever its sequence number', () => {
    const dir = new AgentDirectory()
    dir.upsert('peer-a', card({ startedAt: T0, seq: 1 }), T0)
    assert.equal(dir.upsert('peer-a', card({ startedAt: T0 - 1, seq: 99 }), T0 + 100), 'stale')
    assert.equal(dir.get('peer-a')?.card.seq, 1)
  })

  it('takes the card of a restarted agent: newer start, seq back at 1', () => {
    const dir = new AgentDirectory()
    dir.upsert('peer-a', card({ startedAt: T0, seq: 42, name: 'before' }), T0)
    const restarted = card({ startedAt: T0 + 60_000, seq: 1, name: 'after' })
    assert.equal(dir.upsert('peer-a', restarted, T0 + 60_001), 'updated')
    assert.deepEqual(dir.get('peer-a')?.card, restarted)
    // The card from before the restart is now stale.
    assert.equal(dir.upsert('peer-a', card({ startedAt: T0, seq: 43 }), T0 + 60_002), 'stale')
    assert.equal(dir.get('peer-a')?.card.name, 'after')
  })

  it('never moves lastSeen backwards', () => {
    const dir = new AgentDirectory()
    dir.upsert('peer-a', card({ seq: 1 }), T0 + 1000)
    assert.equal(dir.upsert('peer-a', card({ seq: 2 }), T0), 'updated')
    assert.equal(dir.get('peer-a')?.lastSeen, T0 + 1000)
  })
})

describe('AgentDirectory.touch', () => {
  it('refreshes a known agent', () => {
    const dir = new AgentDirectory()
    dir.upsert('peer-a', card({ load: 0 }), T0)
    assert.equal(dir.touch('peer-a', 3, T0 + 200), true)
    const record = dir.get('peer-a')
    assert.equal(record?.lastSeen, T0 + 200)
    assert.equal(record?.load, 3)
    assert.equal(record?.card.load, 0)
  })

  it('ignores an unknown agent', () => {
    const dir = new AgentDirectory()
    assert.equal(dir.touch('ghost', 1, T0), false)
    assert.equal(dir.size, 0)
    assert.equal(dir.get('ghost'), undefined)
  })

  it('never moves lastSeen backwards', () => {
    const dir = new AgentDirectory()
    dir.upsert('peer-a', card(), T0 + 1000)
    dir.touch('peer-a', 1, T0)
    assert.equal(dir.get('peer-a')?.lastSeen, T0 + 1000)
    assert.equal(dir.get('peer-a')?.load, 1)
  })
})

describe('AgentDirectory.expire', () => {
  const TTL = 1000

  it('removes agents silent for longer than the ttl', () => {
    const dir = new AgentDirectory()
    dir.upsert('peer-a', card(), T0)
    dir.upsert('peer-b', card(), T0 + 500)
    assert.deepEqual(dir.expire(T0 + TTL, TTL), [])
    assert.deepEqual(dir.expire(T0 + TTL + 1, TTL), ['peer-a'])
    assert.equal(dir.get('peer-a'), undefined)
    assert.ok(dir.get('peer-b') !== undefined)
    assert.deepEqual(dir.expire(T0 + 500 + TTL + 1, TTL), ['peer-b'])
    assert.equal(dir.size, 0)
  })

  it('keeps agents that a heartbeat or a card refreshed', () => {
    const dir = new AgentDirectory()
    dir.upsert('peer-a', card({ seq: 1 }), T0)
    dir.upsert('peer-b', card({ seq: 1 }), T0)
    dir.touch('peer-a', 0, T0 + 900)
    dir.upsert('peer-b', card({ seq: 1 }), T0 + 900)
    assert.deepEqual(dir.expire(T0 + 1500, TTL), [])
    assert.deepEqual(dir.expire(T0 + 1901, TTL).sort(), ['peer-a', 'peer-b'])
  })

  it('never expires the own record', () => {
    const dir = new AgentDirectory()
    dir.upsert('me', card(), T0, true)
    dir.upsert('peer-a', card(), T0)
    assert.deepEqual(dir.expire(T0 + 10 * 365 * 24 * 3600 * 1000, TTL), ['peer-a'])
    assert.equal(dir.get('me')?.self, true)
    assert.equal(dir.size, 1)
  })
})

describe('AgentDirectory.remove', () => {
  it('removes a known agent and reports unknown ones', () => {
    const dir = new AgentDirectory()
    dir.upsert('peer-a', card(), T0)
    assert.equal(dir.remove('peer-a'), true)
    assert.equal(dir.remove('peer-a'), false)
    assert.equal(dir.size, 0)
  })
})

describe('AgentDirectory.find', () => {
  function populated (): AgentDirectory {
    const dir = new AgentDirectory()
    dir.upsert('peer-novice', card({ name: 'n', skills: [skill('analytics', 'novice')] }), T0)
    dir.upsert('peer-inter', card({ name: 'i', skills: [skill('viz', 'expert'), skill('analytics', 'intermediate')] }), T0)
    dir.upsert('peer-expert-low', card({ name: 'el', skills: [skill('analytics', 'expert', 0.5)] }), T0)
    dir.upsert('peer-expert-high', card({ name: 'eh', skills: [skill('analytics', 'expert', 0.9)] }), T0)
    dir.upsert('peer-advanced', card({ name: 'a', skills: [skill('analytics', 'advanced')] }), T0)
    dir.upsert('peer-none', card({ name: 'x', skills: [skill('docs', 'expert')] }), T0)
    return dir
  }

  it('finds every agent with the skill, best level first, then success rate', () => {
    const found = populated().find({ skill: 'analytics' })
    assert.deepEqual(found.map(r => r.peerId), ['peer-expert-high', 'peer-expert-low', 'peer-advanced', 'peer-inter', 'peer-novice'])
  })

  it('returns the matching skill of each agent', () => {
    const found = populated().find({ skill: 'analytics' })
    const inter = found.find(r => r.peerId === 'peer-inter')
    assert.deepEqual(inter?.skill, skill('analytics', 'intermediate'))
    assert.equal(inter?.card.name, 'i')
  })

  it('filters by minimum level', () => {
    const dir = populated()
    assert.deepEqual(dir.find({ skill: 'analytics', minLevel: 'advanced' }).map(r => r.peerId), ['peer-expert-high', 'peer-expert-low', 'peer-advanced'])
    assert.deepEqual(dir.find({ skill: 'analytics', minLevel: 'expert' }).map(r => r.peerId), ['peer-expert-high', 'peer-expert-low'])
    assert.equal(dir.find({ skill: 'analytics', minLevel: 'novice' }).length, 5)
    assert.deepEqual(dir.find({ skill: 'viz', minLevel: 'expert' }).map(r => r.peerId), ['peer-inter'])
  })

  it('finds nobody for an unknown skill', () => {
    assert.deepEqual(populated().find({ skill: 'cooking' }), [])
    assert.deepEqual(new AgentDirectory().find({ skill: 'analytics' }), [])
  })

  it('prefers free capacity at equal level and success rate, then the peer id', () => {
    const dir = new AgentDirectory()
    dir.upsert('peer-c', card({ capacity: 4, load: 3, skills: [skill('a', 'expert')] }), T0)
    dir.upsert('peer-b', card({ capacity: 4, load: 0, skills: [skill('a', 'expert')] }), T0)
    dir.upsert('peer-a', card({ capacity: 4, load: 3, skills: [skill('a', 'expert')] }), T0)
    assert.deepEqual(dir.find({ skill: 'a' }).map(r => r.peerId), ['peer-b', 'peer-a', 'peer-c'])
    // The load of a heartbeat counts, not only the load of the card.
    dir.touch('peer-b', 4, T0 + 1)
    assert.deepEqual(dir.find({ skill: 'a' }).map(r => r.peerId), ['peer-a', 'peer-c', 'peer-b'])
  })

  it('includes the own record', () => {
    const dir = new AgentDirectory()
    dir.upsert('me', card({ skills: [skill('a', 'novice')] }), T0, true)
    const found = dir.find({ skill: 'a' })
    assert.equal(found.length, 1)
    assert.equal(found[0]?.self, true)
  })
})

describe('AgentDirectory.peersWith', () => {
  it('gives the peers find gives with a handler, as a set: this node only when asked', () => {
    const dir = new AgentDirectory()
    dir.upsert('me', card({ skills: [skill('a', 'expert')] }), T0, true)
    dir.upsert('peer-x', card({ skills: [skill('a', 'advanced')] }), T0)
    dir.upsert('peer-y', card({ skills: [skill('a', 'novice')] }), T0)
    dir.upsert('peer-card-only', card({ skills: [{ ...skill('a', 'expert'), hasHandler: false }] }), T0)
    dir.upsert('peer-other', card({ skills: [skill('b', 'expert')] }), T0)
    const sorted = (peers: string[]): string[] => [...peers].sort()
    assert.deepEqual(sorted(dir.peersWith({ skill: 'a' })), ['me', 'peer-x', 'peer-y'])
    assert.deepEqual(sorted(dir.peersWith({ skill: 'a', minLevel: 'advanced' }, false)), ['peer-x'])
    assert.deepEqual(sorted(dir.peersWith({ skill: 'a', minLevel: 'intermediate' })), sorted(dir.find({ skill: 'a', minLevel: 'intermediate' }).filter(r => r.skill.hasHandler).map(r => r.peerId)))
    assert.deepEqual(dir.peersWith({ skill: 'c' }), [])
  })
})

describe('AgentDirectory.list', () => {
  it('orders by name, then peer id', () => {
    const dir = new AgentDirectory()
    dir.upsert('peer-3', card({ name: 'bravo' }), T0)
    dir.upsert('peer-2', card({ name: 'alpha' }), T0)
    dir.upsert('peer-1', card({ name: 'bravo' }), T0)
    dir.upsert('peer-0', card({ name: 'charlie' }), T0, true)
    assert.deepEqual(dir.list().map(r => [r.card.name, r.peerId]), [['alpha', 'peer-2'], ['bravo', 'peer-1'], ['bravo', 'peer-3'], ['charlie', 'peer-0']])
  })

  it('is empty for an empty directory', () => {
    assert.deepEqual(new AgentDirectory().list(), [])
  })
})
