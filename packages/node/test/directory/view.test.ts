import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { agentView } from '../../src/directory/view.js'
import type { AgentRecord } from '../../src/directory/agent-directory.js'

function record (peerId: string, self: boolean): AgentRecord {
  return {
    peerId,
    self,
    verified: true,
    load: 1,
    lastSeen: 7,
    card: { seq: 1, name: peerId, software: { name: 'swarm', version: '0.1.0' }, skills: [], capacity: 2, load: 1, addrs: [], startedAt: 0 }
  }
}

describe('agentView', () => {
  it('shows the reputation this node holds for another agent', () => {
    const asked: string[] = []
    const view = agentView(record('peer-b', false), peerId => { asked.push(peerId); return 0.37 })
    assert.equal(view.reputation, 0.37)
    assert.deepEqual(asked, ['peer-b'])
    assert.equal(view.version, '0.1.0')
  })

  it('shows null for the node itself, without asking the reputation book', () => {
    const view = agentView(record('me', true), () => { throw new Error('asked about self') })
    assert.equal(view.reputation, null)
  })
})
