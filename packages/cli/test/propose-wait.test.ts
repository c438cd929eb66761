/** `propose --wait` in text shows the vote as it happens: the id and the vote command, each vote and the tally, the decision. */
import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { EXIT } from '../src/exit-codes.js'
import { runCaptured } from './helpers.js'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

const A = '12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAaaaaa1'
const B = '12D3KooWBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBbbbbb2'

function proposal (votes: Array<{ voter: string, choice: string }>, decided: boolean): Record<string, unknown> {
  const yes = votes.filter(v => v.choice === 'yes').length
  return {
    proposalId: 'P1',
    taskId: 'T1',
    groupId: 'G1',
    action: 'use the weekly model',
    quorum: { kind: 'majority' },
    minParticipation: 0.5,
    voters: [A, B],
    deadline: Date.now() + 5_000,
    proposer: A,
    openedAt: Date.now(),
    status: decided ? 'decided' : 'open',
    votes: votes.map(v => ({ ...v, confidence: 1 })),
    tally: { outcome: decided ? 'approved' : 'pending', for: yes, against: votes.length - yes, abstentions: 0, eligible: 2, participation: votes.length / 2, weightedConfidence: 1 },
    ...(decided ? { outcome: 'approved' } : {})
  }
}

let server: Server
let api: string
let reads = 0

beforeAll(async () => {
  // Opened with no vote; the first read has A's vote, the second B's too and the decision.
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    if (req.method === 'POST') {
      res.statusCode = 201
      res.end(JSON.stringify({ proposal: proposal([], false) }))
      return
    }
    reads++
    const votes = reads === 1 ? [{ voter: A, choice: 'yes', reason: 'fresher data' }] : [{ voter: A, choice: 'yes', reason: 'fresher data' }, { voter: B, choice: 'yes' }]
    res.end(JSON.stringify({ proposal: proposal(votes, reads > 1) }))
  })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => { await new Promise(resolve => server.close(resolve)) })

describe('propose --wait', () => {
  it('prints the proposal id and the vote command at once, then each vote with the tally, then the decision', async () => {
    const { code, out } = await runCaptured(['propose', 'T1', 'use the weekly model', '--wait', '--api', api, '--token', 't'])
    assert.equal(code, EXIT.OK, out.errors.join('\n'))
    const lines = out.lines
    assert.match(lines[0] ?? '', /^proposal P1 open until \S+: 2 voters$/)
    assert.equal(lines[1], '  members vote with: swarm-node vote P1 yes|no|abstain [--reason "…"] (on their own node)')
    assert.equal(lines[2], '  vote      12D3KooW…aaaaa1 yes (1) — fresher data')
    assert.equal(lines[3], '  tally     1 yes, 0 no, 0 abstain of 2')
    assert.equal(lines[4], '  vote      12D3KooW…bbbbb2 yes (1)')
    assert.equal(lines[5], '  tally     2 yes, 0 no, 0 abstain of 2')
    assert.equal(lines[6], 'proposal P1  decided → approved')
    // Each vote once, though A's is in every read.
    assert.equal(lines.filter(l => l.includes('aaaaa1 yes')).length, 2, lines.join('\n'))
  })
})
