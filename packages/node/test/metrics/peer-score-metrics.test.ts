import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { Registry } from 'prom-client'
import { NodeMetrics } from '../../src/metrics/node-metrics.js'

const INFO = { peerId: '12D3KooWtest', name: 'test', network: 'net', version: '0.1.0' }

/** `name{labels}` → value, from the text exposition. */
async function samples (metrics: NodeMetrics): Promise<Map<string, number>> {
  const { text } = await metrics.exposition()
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}

describe('peer score metrics', () => {
  it('show the 10 lowest gossipsub scores by peer and count the graylisted peers, at every scrape', async () => {
    let scores = Array.from({ length: 15 }, (_, i) => ({ peerId: `peer-${i}`, score: i === 3 ? -200 : i === 7 ? -90 : i }))
    const metrics = new NodeMetrics({ process: false }, new Registry())
    metrics.attach({
      agentsKnown: () => 0,
      peersConnected: () => scores.length,
      capacity: () => ({ total: 0, reserved: 0, committed: 0 }),
      tasksInFlight: () => 0,
      peerScores: () => ({ scores, graylistThreshold: -80 })
    }, INFO)
    let s = await samples(metrics)
    const shown = [...s.keys()].filter(k => k.startsWith('swarm_peer_score{'))
    assert.equal(shown.length, 10)
    assert.equal(s.get('swarm_peer_score{peer="peer-3"}'), -200)
    assert.equal(s.get('swarm_peer_score{peer="peer-7"}'), -90)
    assert.equal(s.get('swarm_peer_score{peer="peer-14"}'), undefined, 'the highest scores are left out')
    assert.equal(s.get('swarm_graylisted_peers'), 2)

    scores = [{ peerId: 'peer-1', score: 1 }]
    s = await samples(metrics)
    assert.deepEqual([...s.keys()].filter(k => k.startsWith('swarm_peer_score{')), ['swarm_peer_score{peer="peer-1"}'], 'peers gone are dropped')
    assert.equal(s.get('swarm_graylisted_peers'), 0)
  })
})
