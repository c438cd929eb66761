import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { Registry } from 'prom-client'
import { NodeMetrics } from '../../src/metrics/node-metrics.js'

describe('swarm_limited_total', () => {
  it('shows what the limits dropped or refused, by kind, as read at scrape time', async () => {
    const limited: Record<string, number> = { 'new-identity': 0, escalation: 0 }
    const metrics = new NodeMetrics({ process: false }, new Registry())
    metrics.attach({
      agentsKnown: () => 1,
      peersConnected: () => 0,
      capacity: () => ({ total: 1, reserved: 0, committed: 0 }),
      tasksInFlight: () => 0,
      limited: () => limited
    }, { peerId: '12D3KooWtest', name: 'test', network: 'net', version: '0.1.0' })
    limited['new-identity'] = 1_980
    limited.escalation = 95
    const { text } = await metrics.exposition()
    assert.match(text, /^swarm_limited_total\{kind="new-identity"\} 1980$/m)
    assert.match(text, /^swarm_limited_total\{kind="escalation"\} 95$/m)
  })
})
