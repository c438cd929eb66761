import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import {
  BODY_SCHEMAS,
  LEVELS,
  LIMITS,
  MAX_BLACKBOARD_BASE64_CHARS,
  MESSAGE_TYPES,
  ProtocolError,
  createMessage,
  decodeMessage,
  encodeMessage,
  levelRank
} from '../src/index.js'
import type { MessageType, QuorumPolicy, TaskInput } from '../src/index.js'
import { GROUP_ID, PEER_A, TASK_ID, VALID_BODIES, clone, envelope, rawJson } from './fixtures.js'

/** Asserts that `fn` throws a ProtocolError with the given code, and returns it. */
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

describe('every message type', () => {
  it('has a valid fixture for each type in BODY_SCHEMAS and nothing else', () => {
    assert.deepEqual(Object.keys(VALID_BODIES).sort(), Object.keys(BODY_SCHEMAS).sort())
    assert.deepEqual([...MESSAGE_TYPES].sort(), Object.keys(BODY_SCHEMAS).sort())
  })

  for (const type of MESSAGE_TYPES) {
    it(`${type} round-trips createMessage → encodeMessage → decodeMessage`, () => {
      const message = createMessage(type, VALID_BODIES[type])
      assert.equal(message.v, 1)
      assert.equal(message.type, type)
      const bytes = encodeMessage(message)
      assert.ok(bytes.byteLength <= LIMITS.maxGossipMessageBytes)
      const decoded = decodeMessage(bytes)
      assert.deepEqual(decoded, message)
      // The decoded message encodes to the same bytes: nothing was added or reordered.
      assert.deepEqual(encodeMessage(decoded), bytes)
    })
  }
})

interface InvalidCase {
  name: string
  type: MessageType
  /** Changes a copy of the valid body of `type`. */
  mutate: (body: Record<string, unknown>) => void
  /** The issue path that must be named (`body.…`). */
  path: string
}

function at (body: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = body[key]
  if (typeof value !== 'object' || value === null) throw new Error(`fixture has no object at ${key}`)
  return value as Record<string, unknown>
}

function itemOf (body: Record<string, unknown>, key: string, index: number): Record<string, unknown> {
  const list = body[key]
  if (!Array.isArray(list)) throw new Error(`fixture has no list at ${key}`)
  const item: unknown = list[index]
  if (typeof item !== 'object' || item === null) throw new Error(`fixture has no object at ${key}.${index}`)
  return item as Record<string, unknown>
}

const long = (n: number): string => 'x'.repeat(n)
const skillAd = (i: number): Record<string, unknown> => ({ id: `s${i}`, name: `skill-${i}`, level: 'novice', successRate: 0, avgCompletionMs: 0 })

const INVALID_CASES: InvalidCase[] = [
  // AGENT_CARD
  { name: 'missing name', type: 'AGENT_CARD', mutate: b => { delete b.name }, path: 'body.name' },
  { name: 'empty name', type: 'AGENT_CARD', mutate: b => { b.name = '' }, path: 'body.name' },
  { name: 'name longer than maxShortTextChars', type: 'AGENT_CARD', mutate: b => { b.name = long(LIMITS.maxShortTextChars + 1) }, path: 'body.name' },
  { name: 'unknown skill level', type: 'AGENT_CARD', mutate: b => { itemOf(b, 'skills', 0).level = 'guru' }, path: 'body.skills.0.level' },
  { name: 'upper-case skill name', type: 'AGENT_CARD', mutate: b => { itemOf(b, 'skills', 0).name = 'Analytics' }, path: 'body.skills.0.name' },
  { name: 'success rate above 1', type: 'AGENT_CARD', mutate: b => { itemOf(b, 'skills', 1).successRate = 1.01 }, path: 'body.skills.1.successRate' },
  { name: 'negative avgCompletionMs', type: 'AGENT_CARD', mutate: b => { itemOf(b, 'skills', 0).avgCompletionMs = -1 }, path: 'body.skills.0.avgCompletionMs' },
  { name: 'unknown field in a skill ad', type: 'AGENT_CARD', mutate: b => { itemOf(b, 'skills', 0).price = 3 }, path: 'body.skills.0' },
  { name: 'too many skills', type: 'AGENT_CARD', mutate: b => { b.skills = Array.from({ length: LIMITS.maxSkillsPerAgent + 1 }, (_, i) => skillAd(i)) }, path: 'body.skills' },
  { name: 'capacity above 1024', type: 'AGENT_CARD', mutate: b => { b.capacity = 1025 }, path: 'body.capacity' },
  { name: 'fractional capacity', type: 'AGENT_CARD', mutate: b => { b.capacity = 1.5 }, path: 'body.capacity' },
  { name: 'negative load', type: 'AGENT_CARD', mutate: b => { b.load = -1 }, path: 'body.load' },
  { name: 'address that is not a multiaddr', type: 'AGENT_CARD', mutate: b => { b.addrs = ['ip4/10.0.0.5/tcp/4001'] }, path: 'body.addrs.0' },
  { name: 'too many addresses', type: 'AGENT_CARD', mutate: b => { b.addrs = Array.from({ length: LIMITS.maxAddrs + 1 }, (_, i) => `/ip4/10.0.0.${i}/tcp/4001`) }, path: 'body.addrs' },
  { name: 'unknown field in software', type: 'AGENT_CARD', mutate: b => { at(b, 'software').os = 'linux' }, path: 'body.software' },
  { name: 'unknown top-level field', type: 'AGENT_CARD', mutate: b => { b.owner = 'me' }, path: 'body' },
  // HEARTBEAT
  { name: 'group id too short', type: 'HEARTBEAT', mutate: b => { b.groupId = 'short' }, path: 'body.groupId' },
  { name: 'cardSeq as string', type: 'HEARTBEAT', mutate: b => { b.cardSeq = '3' }, path: 'body.cardSeq' },
  // TASK_ANNOUNCE
  { name: 'task id with a space', type: 'TASK_ANNOUNCE', mutate: b => { b.taskId = 'task id 0001' }, path: 'body.taskId' },
  { name: 'task id longer than 64', type: 'TASK_ANNOUNCE', mutate: b => { b.taskId = long(65) }, path: 'body.taskId' },
  { name: 'empty description', type: 'TASK_ANNOUNCE', mutate: b => { b.description = '' }, path: 'body.description' },
  { name: 'description longer than maxDescriptionChars', type: 'TASK_ANNOUNCE', mutate: b => { b.description = long(LIMITS.maxDescriptionChars + 1) }, path: 'body.description' },
  { name: 'no required skills', type: 'TASK_ANNOUNCE', mutate: b => { b.skills = [] }, path: 'body.skills' },
  { name: 'too many required skills', type: 'TASK_ANNOUNCE', mutate: b => { b.skills = Array.from({ length: LIMITS.maxSkillsPerTask + 1 }, (_, i) => ({ name: `skill-${i}` })) }, path: 'body.skills' },
  { name: 'unknown minLevel', type: 'TASK_ANNOUNCE', mutate: b => { itemOf(b, 'skills', 0).minLevel = 'master' }, path: 'body.skills.0.minLevel' },
  { name: 'count of 0', type: 'TASK_ANNOUNCE', mutate: b => { itemOf(b, 'skills', 1).count = 0 }, path: 'body.skills.1.count' },
  { name: 'count above maxGroupSize', type: 'TASK_ANNOUNCE', mutate: b => { itemOf(b, 'skills', 1).count = LIMITS.maxGroupSize + 1 }, path: 'body.skills.1.count' },
  { name: 'unknown priority', type: 'TASK_ANNOUNCE', mutate: b => { b.priority = 'urgent' }, path: 'body.priority' },
  { name: 'maxGroupSize of 0', type: 'TASK_ANNOUNCE', mutate: b => { b.maxGroupSize = 0 }, path: 'body.maxGroupSize' },
  { name: 'bid window above 60 s', type: 'TASK_ANNOUNCE', mutate: b => { b.bidWindowMs = 60_001 }, path: 'body.bidWindowMs' },
  { name: 'missing deadline', type: 'TASK_ANNOUNCE', mutate: b => { delete b.deadline }, path: 'body.deadline' },
  { name: 'negative deadline', type: 'TASK_ANNOUNCE', mutate: b => { b.deadline = -1 }, path: 'body.deadline' },
  { name: 'attempt 0', type: 'TASK_ANNOUNCE', mutate: b => { b.attempt = 0 }, path: 'body.attempt' },
  { name: 'unknown input kind', type: 'TASK_ANNOUNCE', mutate: b => { b.input = { kind: 'file', path: '/etc/passwd' } }, path: 'body.input.kind' },
  { name: 'inline input without value', type: 'TASK_ANNOUNCE', mutate: b => { b.input = { kind: 'inline' } }, path: 'body.input.value' },
  { name: 'ref input with an upper-case digest', type: 'TASK_ANNOUNCE', mutate: b => { b.input = { kind: 'ref', bytes: 10, sha256: 'A'.repeat(64) } }, path: 'body.input.sha256' },
  { name: 'ref input above maxFetchedInputBytes', type: 'TASK_ANNOUNCE', mutate: b => { b.input = { kind: 'ref', bytes: LIMITS.maxFetchedInputBytes + 1, sha256: 'a'.repeat(64) } }, path: 'body.input.bytes' },
  { name: 'unknown verify policy', type: 'TASK_ANNOUNCE', mutate: b => { b.verify = 'some' }, path: 'body.verify' },
  { name: 'unknown field', type: 'TASK_ANNOUNCE', mutate: b => { b.announcer = PEER_A }, path: 'body' },
  // SKILL_OFFER
  { name: 'score above 1', type: 'SKILL_OFFER', mutate: b => { b.score = 1.1 }, path: 'body.score' },
  { name: 'no skills offered', type: 'SKILL_OFFER', mutate: b => { b.skills = [] }, path: 'body.skills' },
  { name: 'offered skill with unknown level', type: 'SKILL_OFFER', mutate: b => { itemOf(b, 'skills', 0).level = 'god' }, path: 'body.skills.0.level' },
  { name: 'negative lease expiry', type: 'SKILL_OFFER', mutate: b => { b.leaseExpiresAt = -5 }, path: 'body.leaseExpiresAt' },
  { name: 'sender peer id as a field', type: 'SKILL_OFFER', mutate: b => { b.from = PEER_A }, path: 'body' },
  // GROUP_INVITE
  { name: 'no skills asked', type: 'GROUP_INVITE', mutate: b => { b.skills = [] }, path: 'body.skills' },
  { name: 'group id longer than 64', type: 'GROUP_INVITE', mutate: b => { b.groupId = long(65) }, path: 'body.groupId' },
  // GROUP_ACCEPT
  { name: 'missing group id', type: 'GROUP_ACCEPT', mutate: b => { delete b.groupId }, path: 'body.groupId' },
  // GROUP_REJECT
  { name: 'reason longer than maxShortTextChars', type: 'GROUP_REJECT', mutate: b => { b.reason = long(LIMITS.maxShortTextChars + 1) }, path: 'body.reason' },
  // GROUP_FORMED
  { name: 'no members', type: 'GROUP_FORMED', mutate: b => { b.members = [] }, path: 'body.members' },
  { name: 'member peer id that is not a peer id', type: 'GROUP_FORMED', mutate: b => { itemOf(b, 'members', 0).peerId = 'not-a-peer-id' }, path: 'body.members.0.peerId' },
  { name: 'member peer id with a character outside base58', type: 'GROUP_FORMED', mutate: b => { itemOf(b, 'members', 1).peerId = `${PEER_A.slice(0, -1)}0` }, path: 'body.members.1.peerId' },
  { name: 'more members than maxGroupSize', type: 'GROUP_FORMED', mutate: b => { b.members = Array.from({ length: LIMITS.maxGroupSize + 1 }, () => ({ peerId: PEER_A, skills: ['analytics'] })) }, path: 'body.members' },
  { name: 'formed without an award', type: 'GROUP_FORMED', mutate: b => { delete b.award }, path: 'body.award' },
  // OFFER_RELEASE
  { name: 'release naming a group id', type: 'OFFER_RELEASE', mutate: b => { b.groupId = GROUP_ID }, path: 'body' },
  { name: 'award with an offer digest that is not a sha256', type: 'OFFER_RELEASE', mutate: b => { itemOf(b.award as Record<string, unknown>, 'offers', 0).digest = 'short' }, path: 'body.award.offers.0.digest' },
  // TASK_START
  { name: 'missing input', type: 'TASK_START', mutate: b => { delete b.input }, path: 'body.input' },
  { name: 'member without skills', type: 'TASK_START', mutate: b => { itemOf(b, 'members', 0).skills = [] }, path: 'body.members.0.skills' },
  // TASK_UPDATE
  { name: 'progress above 1', type: 'TASK_UPDATE', mutate: b => { b.progress = 1.5 }, path: 'body.progress' },
  { name: 'negative progress', type: 'TASK_UPDATE', mutate: b => { b.progress = -0.1 }, path: 'body.progress' },
  { name: 'invalid skill name', type: 'TASK_UPDATE', mutate: b => { b.skill = 'a/b' }, path: 'body.skill' },
  // TASK_COMPLETE
  { name: 'ok as string', type: 'TASK_COMPLETE', mutate: b => { b.ok = 'yes' }, path: 'body.ok' },
  { name: 'negative duration', type: 'TASK_COMPLETE', mutate: b => { b.durationMs = -1 }, path: 'body.durationMs' },
  { name: 'unknown field in error', type: 'TASK_COMPLETE', mutate: b => { b.error = { code: 'E', message: 'm', stack: 'at x' } }, path: 'body.error' },
  // TASK_CANCEL
  { name: 'missing reason', type: 'TASK_CANCEL', mutate: b => { delete b.reason }, path: 'body.reason' },
  // HANDOFF
  { name: 'bad from peer id', type: 'HANDOFF', mutate: b => { b.from = 'peer-a' }, path: 'body.from' },
  { name: 'bad to peer id', type: 'HANDOFF', mutate: b => { b.to = 'peer-b' }, path: 'body.to' },
  { name: 'missing reason', type: 'HANDOFF', mutate: b => { delete b.reason }, path: 'body.reason' },
  // DISSOLVE
  { name: 'unknown reason', type: 'DISSOLVE', mutate: b => { b.reason = 'bored' }, path: 'body.reason' },
  // INPUT_REQUEST / INPUT_RESPONSE
  { name: 'unknown field', type: 'INPUT_REQUEST', mutate: b => { b.offset = 0 }, path: 'body' },
  { name: 'missing value', type: 'INPUT_RESPONSE', mutate: b => { delete b.value }, path: 'body.value' },
  // DIRECTORY_REQUEST / DIRECTORY_RESPONSE
  { name: 'limit above 2000', type: 'DIRECTORY_REQUEST', mutate: b => { b.limit = 2001 }, path: 'body.limit' },
  { name: 'a known-agent tag longer than 16', type: 'DIRECTORY_REQUEST', mutate: b => { b.have = ['x'.repeat(17)] }, path: 'body.have.0' },
  { name: 'more than 4000 known-agent tags', type: 'DIRECTORY_REQUEST', mutate: b => { b.have = Array.from({ length: 4001 }, (_, i) => String(i)) }, path: 'body.have' },
  { name: 'an agent without a card', type: 'DIRECTORY_RESPONSE', mutate: b => { b.agents = [{ peerId: PEER_A, ageMs: 0 }] }, path: 'body.agents.0.card' },
  // PROPOSAL
  { name: 'threshold of 0', type: 'PROPOSAL', mutate: b => { b.quorum = { kind: 'threshold', fraction: 0 } }, path: 'body.quorum.fraction' },
  { name: 'unknown quorum kind', type: 'PROPOSAL', mutate: b => { b.quorum = { kind: 'plurality' } }, path: 'body.quorum.kind' },
  { name: 'no voters', type: 'PROPOSAL', mutate: b => { b.voters = [] }, path: 'body.voters' },
  { name: 'voter that is not a peer id', type: 'PROPOSAL', mutate: b => { b.voters = [PEER_A, 'bob'] }, path: 'body.voters.1' },
  { name: 'participation above 1', type: 'PROPOSAL', mutate: b => { b.minParticipation = 2 }, path: 'body.minParticipation' },
  // VOTE
  { name: 'unknown choice', type: 'VOTE', mutate: b => { b.choice = 'maybe' }, path: 'body.choice' },
  { name: 'negative confidence', type: 'VOTE', mutate: b => { b.confidence = -0.1 }, path: 'body.confidence' },
  { name: 'an unsigned vote', type: 'VOTE', mutate: b => { delete b.sig }, path: 'body.sig' },
  { name: 'a signature that is not base64url', type: 'VOTE', mutate: b => { b.sig = 'not/base64+' }, path: 'body.sig' },
  // PROPOSAL_DECIDED
  { name: 'unknown outcome', type: 'PROPOSAL_DECIDED', mutate: b => { b.outcome = 'maybe' }, path: 'body.outcome' },
  { name: 'a counted vote naming no peer id', type: 'PROPOSAL_DECIDED', mutate: b => { itemOf(b, 'votes', 0).voter = 'bob' }, path: 'body.votes.0.voter' },
  { name: 'a counted vote without its signature', type: 'PROPOSAL_DECIDED', mutate: b => { delete itemOf(b, 'votes', 1).sig }, path: 'body.votes.1.sig' },
  // BLACKBOARD_UPDATE
  { name: 'update that is not base64', type: 'BLACKBOARD_UPDATE', mutate: b => { b.update = 'not base64!' }, path: 'body.update' },
  { name: 'empty update', type: 'BLACKBOARD_UPDATE', mutate: b => { b.update = '' }, path: 'body.update' },
  // GROUP_SYNC_REQUEST / GROUP_SYNC_RESPONSE
  { name: 'missing state vector', type: 'GROUP_SYNC_REQUEST', mutate: b => { delete b.stateVector }, path: 'body.stateVector' },
  { name: 'open proposal without proposer', type: 'GROUP_SYNC_RESPONSE', mutate: b => { delete itemOf(b, 'proposals', 0).proposer }, path: 'body.proposals.0.proposer' },
  // ESCALATE / ESCALATION
  { name: 'unknown severity', type: 'ESCALATE', mutate: b => { b.severity = 'urgent' }, path: 'body.severity' },
  { name: 'empty issue', type: 'ESCALATE', mutate: b => { b.issue = '' }, path: 'body.issue' },
  { name: 'unknown status', type: 'ESCALATION', mutate: b => { b.status = 'pending' }, path: 'body.status' },
  // CLAIM_REQUEST / CLAIM_RELEASE / CLAIM_ANSWER / DATA_WRITE
  { name: 'zero lease (a release is CLAIM_RELEASE)', type: 'CLAIM_REQUEST', mutate: b => { b.leaseMs = 0 }, path: 'body.leaseMs' },
  { name: 'claimant as a field', type: 'CLAIM_REQUEST', mutate: b => { b.holder = PEER_A }, path: 'body' },
  { name: 'empty resource', type: 'CLAIM_RELEASE', mutate: b => { b.resourceId = '' }, path: 'body.resourceId' },
  { name: 'unknown status', type: 'CLAIM_ANSWER', mutate: b => { b.status = 'maybe' }, path: 'body.status' },
  { name: 'queue position 0', type: 'CLAIM_ANSWER', mutate: b => { b.position = 0 }, path: 'body.position' },
  { name: 'fractional version', type: 'DATA_WRITE', mutate: b => { b.version = 1.5 }, path: 'body.version' },
  // SEALED / GROUP_KEY (group encryption)
  { name: 'nonce not 12 bytes', type: 'SEALED', mutate: b => { b.nonce = 'A'.repeat(15) }, path: 'body.nonce' },
  { name: 'data not base64url', type: 'SEALED', mutate: b => { b.data = '+/='.repeat(10) }, path: 'body.data' },
  { name: 'negative epoch', type: 'SEALED', mutate: b => { b.epoch = -1 }, path: 'body.epoch' },
  { name: 'key not 32 bytes', type: 'GROUP_KEY', mutate: b => { b.key = 'K'.repeat(44) }, path: 'body.key' },
  { name: 'no members', type: 'GROUP_KEY', mutate: b => { b.members = [] }, path: 'body.members' },
  // ACK / ERROR / BROADCAST
  { name: 'ref that is not an id', type: 'ACK', mutate: b => { b.ref = 'x' }, path: 'body.ref' },
  { name: 'code that is not a DirectErrorCode', type: 'ERROR', mutate: b => { b.code = 'CAPACITY' }, path: 'body.code' },
  { name: 'missing message', type: 'ERROR', mutate: b => { delete b.message }, path: 'body.message' },
  { name: 'text longer than maxDescriptionChars', type: 'BROADCAST', mutate: b => { b.text = long(LIMITS.maxDescriptionChars + 1) }, path: 'body.text' }
]

describe('invalid bodies', () => {
  it('cover every message type', () => {
    const covered = new Set(INVALID_CASES.map(c => c.type))
    assert.deepEqual(MESSAGE_TYPES.filter(type => !covered.has(type)), [])
  })

  for (const c of INVALID_CASES) {
    it(`${c.type}: ${c.name} is rejected naming ${c.path}`, () => {
      const body = clone(VALID_BODIES[c.type]) as Record<string, unknown>
      c.mutate(body)

      const decodeErr = expectProtocolError(() => decodeMessage(rawJson(envelope(c.type, body))), 'INVALID_MESSAGE')
      assert.ok(decodeErr.issues.length > 0)
      assert.ok(
        decodeErr.issues.some(issue => issue.startsWith(`${c.path}: `)),
        `decode issues ${JSON.stringify(decodeErr.issues)} do not name ${c.path}`
      )
      assert.ok(decodeErr.message.includes(c.path))

      // A sender cannot build it either, and is told the same path.
      const createErr = expectProtocolError(() => createMessage(c.type, body as never), 'INVALID_MESSAGE')
      assert.ok(
        createErr.issues.some(issue => issue.startsWith(`${c.path}: `)),
        `create issues ${JSON.stringify(createErr.issues)} do not name ${c.path}`
      )
    })
  }

  it('names every offending field, not only the first', () => {
    const body = clone(VALID_BODIES.TASK_UPDATE) as Record<string, unknown>
    body.progress = 2
    body.skill = 'Not A Skill'
    const err = expectProtocolError(() => decodeMessage(rawJson(envelope('TASK_UPDATE', body))), 'INVALID_MESSAGE')
    assert.ok(err.issues.some(issue => issue.startsWith('body.progress: ')))
    assert.ok(err.issues.some(issue => issue.startsWith('body.skill: ')))
  })

  it('names the unknown key rejected by a strict object', () => {
    const body = { ...clone(VALID_BODIES.GROUP_ACCEPT), sender: PEER_A }
    const err = expectProtocolError(() => decodeMessage(rawJson(envelope('GROUP_ACCEPT', body))), 'INVALID_MESSAGE')
    assert.ok(err.issues.some(issue => issue.startsWith('body: ') && issue.includes('sender')), JSON.stringify(err.issues))
  })

  it('refuses values that are not JSON in createMessage', () => {
    expectProtocolError(() => createMessage('BROADCAST', { text: 'x', data: Number.NaN }), 'INVALID_MESSAGE')
    expectProtocolError(() => createMessage('BROADCAST', { text: 'x', data: Number.POSITIVE_INFINITY }), 'INVALID_MESSAGE')
    expectProtocolError(() => createMessage('BROADCAST', { text: 'x', data: { when: new Date(0) } as never }), 'INVALID_MESSAGE')
  })
})

describe('valid edge values', () => {
  it('accepts limits exactly at their maximum', () => {
    const card = clone(VALID_BODIES.AGENT_CARD) as Record<string, unknown>
    card.name = long(LIMITS.maxShortTextChars)
    card.skills = Array.from({ length: LIMITS.maxSkillsPerAgent }, (_, i) => skillAd(i))
    card.addrs = Array.from({ length: LIMITS.maxAddrs }, (_, i) => `/ip4/10.0.0.${i}/tcp/4001`)
    card.capacity = 1024
    card.load = 1024
    assert.equal(decodeMessage(rawJson(envelope('AGENT_CARD', card))).type, 'AGENT_CARD')

    const task = clone(VALID_BODIES.TASK_ANNOUNCE) as Record<string, unknown>
    task.taskId = long(64)
    task.description = long(LIMITS.maxDescriptionChars)
    task.skills = Array.from({ length: LIMITS.maxSkillsPerTask }, (_, i) => ({ name: `skill-${i}`, count: LIMITS.maxGroupSize }))
    task.bidWindowMs = 60_000
    task.maxGroupSize = LIMITS.maxGroupSize
    task.attempt = 100
    assert.equal(decodeMessage(rawJson(envelope('TASK_ANNOUNCE', task))).type, 'TASK_ANNOUNCE')
  })

  it('accepts every input kind and every quorum kind', () => {
    const inputs: TaskInput[] = [{ kind: 'none' }, { kind: 'inline', value: null }, { kind: 'inline', value: [1, 'a', { b: false }] }, { kind: 'ref', bytes: 1, sha256: '0'.repeat(64) }]
    for (const input of inputs) {
      const body = { ...clone(VALID_BODIES.TASK_ANNOUNCE), input }
      assert.deepEqual(createMessage('TASK_ANNOUNCE', body).body.input, input)
    }
    const quorums: QuorumPolicy[] = [{ kind: 'majority' }, { kind: 'unanimous' }, { kind: 'threshold', fraction: 1 }]
    for (const quorum of quorums) {
      const body = { ...clone(VALID_BODIES.PROPOSAL), quorum }
      assert.deepEqual(createMessage('PROPOSAL', body).body.quorum, quorum)
    }
  })

  it('accepts a CIDv1 (base32) peer id and a legacy Qm peer id', () => {
    const cid = 'bafzaajaiaejcb6jpwqmzm3mjjpx5qoulxnjxlmhwmq7bx3aw7oqxiqrmmjjvhb4'
    const formed = createMessage('GROUP_FORMED', { ...clone(VALID_BODIES.GROUP_FORMED), taskId: TASK_ID, attempt: 1, groupId: GROUP_ID, members: [{ peerId: cid, skills: ['a'] }, { peerId: 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', skills: ['b'] }] })
    assert.equal(formed.body.members.length, 2)
  })

  it('accepts a HANDOFF without `to` (a member asking its announcer to pick the backup)', () => {
    const handoff = createMessage('HANDOFF', { taskId: TASK_ID, groupId: GROUP_ID, skill: 'analytics', from: PEER_A, reason: 'shutting down' })
    assert.equal(handoff.body.to, undefined)
  })

  it('accepts every level, priority, dissolve reason and vote choice', () => {
    for (const level of LEVELS) {
      const body = clone(VALID_BODIES.SKILL_OFFER)
      body.skills = [{ name: 'analytics', level, successRate: 1, avgCompletionMs: 0 }]
      assert.equal(createMessage('SKILL_OFFER', body).body.skills[0]?.level, level)
    }
    for (const priority of ['low', 'normal', 'high', 'critical'] as const) {
      assert.equal(createMessage('TASK_ANNOUNCE', { ...clone(VALID_BODIES.TASK_ANNOUNCE), priority }).body.priority, priority)
    }
    for (const reason of ['completed', 'verified', 'failed', 'cancelled', 'deadline'] as const) {
      assert.equal(createMessage('DISSOLVE', { taskId: TASK_ID, groupId: GROUP_ID, reason }).body.reason, reason)
    }
    for (const choice of ['yes', 'no', 'abstain'] as const) {
      assert.equal(createMessage('VOTE', { ...clone(VALID_BODIES.VOTE), choice }).body.choice, choice)
    }
  })
})

describe('defaults', () => {
  it('createMessage fills the optional fields of a skill ad', () => {
    const card = createMessage('AGENT_CARD', VALID_BODIES.AGENT_CARD)
    assert.deepEqual(card.body.skills[0], {
      id: 'analytics',
      name: 'analytics',
      level: 'expert',
      successRate: 0.97,
      avgCompletionMs: 1200,
      description: '',
      tags: [],
      examples: [],
      inputModes: ['application/json'],
      outputModes: ['application/json'],
      hasHandler: false
    })
    // Values given by the sender are kept.
    const viz = card.body.skills[1]
    assert.ok(viz !== undefined)
    assert.equal(viz.description, 'Charts')
    assert.deepEqual(viz.inputModes, ['text/csv'])
    assert.deepEqual(viz.outputModes, ['image/png'])
    assert.equal(viz.hasHandler, true)
  })

  it('createMessage fills RequiredSkill minLevel and count, and the verify policy', () => {
    const task = createMessage('TASK_ANNOUNCE', VALID_BODIES.TASK_ANNOUNCE)
    assert.deepEqual(task.body.skills, [
      { name: 'analytics', minLevel: 'advanced', count: 1 },
      { name: 'viz', minLevel: 'novice', count: 1 }
    ])
    assert.equal(task.body.verify, 'none')
  })

  it('createMessage does not write the defaults into the caller\'s object', () => {
    const body = clone(VALID_BODIES.TASK_ANNOUNCE)
    createMessage('TASK_ANNOUNCE', body)
    assert.deepEqual(body, VALID_BODIES.TASK_ANNOUNCE)
  })

  it('decodeMessage fills the same defaults for a peer that left them out', () => {
    const decoded = decodeMessage(rawJson(envelope('TASK_ANNOUNCE', VALID_BODIES.TASK_ANNOUNCE)))
    assert.ok(decoded.type === 'TASK_ANNOUNCE')
    assert.deepEqual(decoded.body.skills[1], { name: 'viz', minLevel: 'novice', count: 1 })
    assert.equal(decoded.body.verify, 'none')
  })
})

describe('levelRank', () => {
  it('orders novice < intermediate < advanced < expert', () => {
    assert.equal(levelRank('novice'), 0)
    assert.equal(levelRank('intermediate'), 1)
    assert.equal(levelRank('advanced'), 2)
    assert.equal(levelRank('expert'), 3)
    assert.ok(levelRank('novice') < levelRank('intermediate'))
    assert.ok(levelRank('intermediate') < levelRank('advanced'))
    assert.ok(levelRank('advanced') < levelRank('expert'))
  })

  it('agrees with the order of LEVELS', () => {
    assert.deepEqual(LEVELS.map(levelRank), [0, 1, 2, 3])
    const shuffled = ['expert', 'novice', 'advanced', 'intermediate'] as const
    assert.deepEqual([...shuffled].sort((a, b) => levelRank(a) - levelRank(b)), [...LEVELS])
  })
})

describe('group decision messages', () => {
  it('accepts verify policies none, majority, unanimous and threshold:<fraction>', () => {
    for (const verify of ['none', 'majority', 'unanimous', 'threshold:0.6', 'threshold:.5', 'threshold:1', 'threshold:1.0', 'threshold:0.05']) {
      const m = createMessage('TASK_ANNOUNCE', { ...clone(VALID_BODIES.TASK_ANNOUNCE), verify })
      assert.equal(m.body.verify, verify)
    }
  })

  it('refuses threshold policies of 0, above 1 or without a fraction', () => {
    for (const verify of ['threshold:0', 'threshold:0.0', 'threshold:1.5', 'threshold:', 'threshold:abc', 'threshold', 'majority ']) {
      expectProtocolError(() => createMessage('TASK_ANNOUNCE', { ...clone(VALID_BODIES.TASK_ANNOUNCE), verify }), 'INVALID_MESSAGE')
    }
  })

  it('carries group messages only on the channels they belong to', () => {
    for (const type of ['PROPOSAL_DECIDED', 'BLACKBOARD_UPDATE', 'ESCALATION', 'DATA_WRITE'] as const) {
      const bytes = encodeMessage(createMessage(type, clone(VALID_BODIES[type]) as never))
      assert.equal(decodeMessage(bytes, { channel: 'group' }).type, type)
      expectProtocolError(() => decodeMessage(bytes, { channel: 'skill' }), 'INVALID_MESSAGE')
    }
    for (const type of ['GROUP_SYNC_REQUEST', 'GROUP_SYNC_RESPONSE', 'ESCALATE', 'CLAIM_REQUEST', 'CLAIM_RELEASE', 'CLAIM_ANSWER'] as const) {
      const bytes = encodeMessage(createMessage(type, clone(VALID_BODIES[type]) as never))
      assert.equal(decodeMessage(bytes, { channel: 'direct' }).type, type)
      expectProtocolError(() => decodeMessage(bytes, { channel: 'group' }), 'INVALID_MESSAGE')
    }
  })

  it('refuses a blackboard update longer than MAX_BLACKBOARD_BASE64_CHARS', () => {
    const update = 'A'.repeat(MAX_BLACKBOARD_BASE64_CHARS + 4)
    expectProtocolError(() => createMessage('BLACKBOARD_UPDATE', { ...clone(VALID_BODIES.BLACKBOARD_UPDATE), update }), 'INVALID_MESSAGE')
  })
})
