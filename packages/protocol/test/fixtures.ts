// Shared test data: one valid body of every message type, and helpers to encode raw JSON.
import type { BodyInput, MessageType } from '../src/index.js'

export const PEER_A = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const PEER_B = 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'
export const TASK_ID = 'task-0001-abcdef'
export const GROUP_ID = 'group_0001_ABCDEF'
const PROPOSAL_ID = 'proposal-0001'
/** A vote signature's shape (64 bytes, base64url): not a valid signature of anything. */
const SIG = 'A'.repeat(86)
export const MESSAGE_ID = 'msg-00000001'
export const NOW = 1_750_000_000_000

/** An award (see docs/protocol.md, "Signed offers and awards"): two offers, both chosen. */
const AWARD = {
  v: 1 as const,
  taskId: TASK_ID,
  attempt: 1,
  announcer: PEER_B,
  rule: { skills: [{ name: 'analytics' }, { name: 'viz' }], maxGroupSize: 2, weights: { level: 0.25, successRate: 0.3, availability: 0.2, speed: 0.1, reputation: 0.15 }, speedReferenceMs: 10_000, excluded: [] },
  offers: [
    { peerId: PEER_A, digest: 'B'.repeat(43), skills: [{ name: 'analytics', level: 'expert' as const, successRate: 0.97, avgCompletionMs: 1200 }], load: 0, capacity: 4, estimateMs: 1200, reputation: 0.5, observed: { successes: 0, total: 0 } },
    { peerId: PEER_B, digest: 'C'.repeat(43), skills: [{ name: 'viz', level: 'novice' as const, successRate: 1, avgCompletionMs: 100 }], load: 1, capacity: 2, estimateMs: 100, reputation: 0.5, observed: { successes: 0, total: 0 } }
  ],
  omitted: 0,
  selected: [{ peerId: PEER_A, skills: ['analytics'] }, { peerId: PEER_B, skills: ['viz'] }],
  replacements: [],
  members: [{ peerId: PEER_A, skills: ['analytics'] }, { peerId: PEER_B, skills: ['viz'] }]
}

/** A valid body of every message type, as a sender writes it (defaults left out where allowed). */
export const VALID_BODIES: { [T in MessageType]: BodyInput<T> } = {
  AGENT_CARD: {
    name: 'analytics-1',
    software: { name: 'swarm-node', version: '0.1.0' },
    skills: [
      { id: 'analytics', name: 'analytics', level: 'expert', successRate: 0.97, avgCompletionMs: 1200 },
      {
        id: 'viz',
        name: 'viz',
        level: 'intermediate',
        successRate: 0.5,
        avgCompletionMs: 0,
        description: 'Charts',
        tags: ['charts'],
        examples: ['plot sales by month'],
        inputModes: ['text/csv'],
        outputModes: ['image/png'],
        hasHandler: true
      }
    ],
    capacity: 4,
    load: 1,
    addrs: ['/ip4/10.0.0.5/tcp/4001'],
    seq: 3,
    startedAt: NOW - 60_000
  },
  HEARTBEAT: { cardSeq: 3, load: 1 },
  TASK_ANNOUNCE: {
    taskId: TASK_ID,
    description: 'Analyze customer data',
    skills: [{ name: 'analytics', minLevel: 'advanced' }, { name: 'viz' }],
    maxGroupSize: 3,
    priority: 'normal',
    deadline: NOW + 60_000,
    bidWindowMs: 50,
    input: { kind: 'inline', value: { rows: [1, 2, 3], source: 'data.json' } },
    announcerAddrs: ['/ip4/10.0.0.5/tcp/4001'],
    attempt: 1,
    createdAt: NOW
  },
  SKILL_OFFER: {
    taskId: TASK_ID,
    attempt: 1,
    skills: [{ name: 'analytics', level: 'expert', successRate: 0.97, avgCompletionMs: 1200 }],
    score: 0.8,
    estimateMs: 1500,
    load: 1,
    capacity: 4,
    leaseExpiresAt: NOW + 5000,
    signature: SIG
  },
  GROUP_INVITE: { taskId: TASK_ID, attempt: 1, groupId: GROUP_ID, skills: ['analytics'], answerBy: NOW + 1000 },
  GROUP_ACCEPT: { taskId: TASK_ID, groupId: GROUP_ID },
  GROUP_REJECT: { taskId: TASK_ID, groupId: GROUP_ID, reason: 'lease expired' },
  GROUP_FORMED: {
    taskId: TASK_ID,
    attempt: 1,
    groupId: GROUP_ID,
    members: [{ peerId: PEER_A, skills: ['analytics'] }, { peerId: PEER_B, skills: ['viz'] }],
    award: AWARD
  },
  OFFER_RELEASE: { taskId: TASK_ID, attempt: 1, award: AWARD },
  TASK_START: {
    taskId: TASK_ID,
    groupId: GROUP_ID,
    description: 'Analyze customer data',
    skills: ['analytics'],
    input: { kind: 'ref', bytes: 1_000_000, sha256: 'a'.repeat(64) },
    deadline: NOW + 60_000,
    members: [{ peerId: PEER_A, skills: ['analytics'] }]
  },
  TASK_UPDATE: {
    taskId: TASK_ID,
    groupId: GROUP_ID,
    skill: 'analytics',
    progress: 0.5,
    message: 'half way',
    checkpoint: { row: 5000 }
  },
  TASK_COMPLETE: {
    taskId: TASK_ID,
    groupId: GROUP_ID,
    skill: 'analytics',
    ok: true,
    output: { mean: 4.2, labels: ['a', 'b'], nested: null },
    durationMs: 1234
  },
  TASK_CANCEL: { taskId: TASK_ID, reason: 'user cancelled' },
  HANDOFF: {
    taskId: TASK_ID,
    groupId: GROUP_ID,
    skill: 'analytics',
    from: PEER_A,
    to: PEER_B,
    reason: 'member left',
    checkpoint: [1, 2, 3]
  },
  DISSOLVE: { taskId: TASK_ID, groupId: GROUP_ID, reason: 'completed' },
  INPUT_REQUEST: { taskId: TASK_ID },
  INPUT_RESPONSE: { taskId: TASK_ID, value: { rows: [] } },
  DIRECTORY_REQUEST: { limit: 100, skill: 'analytics', have: ['Q3x9bZtY1k'] },
  DIRECTORY_RESPONSE: { agents: [] },
  PROPOSAL: {
    proposalId: PROPOSAL_ID,
    taskId: TASK_ID,
    groupId: GROUP_ID,
    action: 'accept result',
    params: { version: 2 },
    quorum: { kind: 'threshold', fraction: 0.66 },
    minParticipation: 0.5,
    voters: [PEER_A, PEER_B],
    deadline: NOW + 10_000
  },
  VOTE: { proposalId: PROPOSAL_ID, groupId: GROUP_ID, choice: 'yes', confidence: 0.9, reason: 'looks right', sig: SIG },
  PROPOSAL_DECIDED: {
    proposalId: PROPOSAL_ID,
    taskId: TASK_ID,
    groupId: GROUP_ID,
    outcome: 'approved',
    for: 2,
    against: 0,
    abstentions: 0,
    eligible: 2,
    participation: 1,
    weightedConfidence: 0.85,
    decidedAt: NOW + 500,
    votes: [{ voter: PEER_A, choice: 'yes', confidence: 0.9, at: NOW + 400, sig: SIG }, { voter: PEER_B, choice: 'yes', confidence: 0.8, at: NOW + 500, sig: SIG }]
  },
  BLACKBOARD_UPDATE: { taskId: TASK_ID, groupId: GROUP_ID, update: 'AQKr9tOjBQAnAQhmaW5kaW5ncw==' },
  GROUP_SYNC_REQUEST: { taskId: TASK_ID, groupId: GROUP_ID, stateVector: 'AA==' },
  GROUP_SYNC_RESPONSE: {
    taskId: TASK_ID,
    groupId: GROUP_ID,
    update: 'AAA=',
    proposals: [{
      proposal: { proposalId: PROPOSAL_ID, taskId: TASK_ID, groupId: GROUP_ID, action: 'accept result', quorum: { kind: 'majority' }, minParticipation: 0.5, voters: [PEER_A], deadline: NOW + 10_000 },
      proposer: PEER_B,
      openedAt: NOW
    }]
  },
  ESCALATE: { taskId: TASK_ID, groupId: GROUP_ID, severity: 'high', issue: 'the data source is unreachable', context: { url: 'https://example.com' }, attemptedResolutions: ['retried 3 times'] },
  ESCALATION: { escalationId: 'escalation-0001', taskId: TASK_ID, groupId: GROUP_ID, status: 'resolved', source: 'no-quorum', raisedBy: PEER_A, severity: 'medium', issue: 'no quorum', proposalId: PROPOSAL_ID, createdAt: NOW, decision: 'ship it', resolvedAt: NOW + 1000 },
  CLAIM_REQUEST: { taskId: TASK_ID, groupId: GROUP_ID, resourceId: 'gpu-0', priority: 1, leaseMs: 5_000 },
  CLAIM_RELEASE: { taskId: TASK_ID, groupId: GROUP_ID, resourceId: 'gpu-0' },
  CLAIM_ANSWER: { taskId: TASK_ID, groupId: GROUP_ID, resourceId: 'gpu-0', status: 'queued', holder: PEER_A, leaseEndsAt: NOW + 5_000, position: 1, revision: 3 },
  DATA_WRITE: { taskId: TASK_ID, groupId: GROUP_ID, key: 'plan', version: 3, value: { steps: 2 } },
  SEALED: { groupId: GROUP_ID, epoch: 1, nonce: 'A'.repeat(16), data: 'B'.repeat(40) },
  GROUP_KEY: { taskId: TASK_ID, groupId: GROUP_ID, epoch: 2, key: 'K'.repeat(43), members: [{ peerId: PEER_A, skills: ['analytics'] }] },
  ACK: { ref: MESSAGE_ID },
  ERROR: { ref: MESSAGE_ID, code: 'NO_CAPACITY', message: 'no free capacity' },
  BROADCAST: { text: 'hello swarm', data: { n: 1 } }
}

const encoder = new TextEncoder()

/** Encodes any value as UTF-8 JSON, bypassing the codec's own checks. */
export function rawJson (value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}

/** A well-formed envelope around `body`, as plain JSON (so tests can break any part of it). */
export function envelope (type: string, body: unknown, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: 1, id: MESSAGE_ID, ts: NOW, type, body, ...overrides }
}

/** A copy of a JSON-compatible value. */
export function clone<T> (value: T): T {
  return structuredClone(value)
}
