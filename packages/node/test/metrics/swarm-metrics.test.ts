import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { Registry } from 'prom-client'
import { NodeMetrics } from '../../src/metrics/node-metrics.js'
import type { TaskOutcome } from '../../src/negotiation/task-handle.js'

const INFO = { peerId: '12D3KooWtest', name: 'test', network: 'net', version: '0.1.0' }

function metricsWith (extra: Partial<Parameters<NodeMetrics['attach']>[0]> = {}): NodeMetrics {
  const metrics = new NodeMetrics({ process: false }, new Registry())
  metrics.attach({
    agentsKnown: () => 5,
    peersConnected: () => 3,
    capacity: () => ({ total: 4, reserved: 1, committed: 2 }),
    tasksInFlight: () => 7,
    ...extra
  }, INFO)
  return metrics
}

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

function outcome (status: TaskOutcome['status'], totalMs: number): TaskOutcome {
  return { taskId: 't1', status, ok: status === 'COMPLETE', attempts: 1, timings: { createdAt: 1_000, totalMs } }
}

describe('SwarmMetrics: the swarm\'s Prometheus metrics from node events', () => {
  it('starts every task outcome at 0 and reads the gauges at scrape time', async () => {
    const s = await samples(metricsWith())
    for (const o of ['completed', 'failed', 'rejected', 'cancelled']) assert.equal(s.get(`swarm_tasks_finished_total{outcome="${o}"}`), 0)
    assert.equal(s.get('swarm_agents_known'), 5)
    assert.equal(s.get('swarm_peers_connected'), 3)
    assert.equal(s.get('swarm_tasks_in_flight'), 7)
    assert.equal(s.get('swarm_capacity_slots{state="total"}'), 4)
    assert.equal(s.get('swarm_capacity_slots{state="reserved"}'), 1)
    assert.equal(s.get('swarm_capacity_slots{state="committed"}'), 2)
    assert.equal(s.get('swarm_node_info{peer_id="12D3KooWtest",name="test",network="net",version="0.1.0"}'), 1)
  })

  it('counts announcements (first attempts), retries, offers, formations and outcomes with latencies', async () => {
    const m = metricsWith()
    m.observe('task:announced', { type: 'announced', taskId: 't1', at: 1, attempt: 1, topics: [] })
    m.observe('task:offer', { type: 'offer', taskId: 't1', at: 2, peerId: 'p', skills: ['a'], score: 0.5 })
    m.observe('task:offer', { type: 'offer', taskId: 't1', at: 2, peerId: 'q', skills: ['a'], score: 0.4 })
    m.observe('task:formed', { type: 'formed', taskId: 't1', at: 3, groupId: 'g', members: [], formationMs: 120 })
    m.observe('task:retry', { type: 'retry', taskId: 't1', at: 4, attempt: 2, delayMs: 10, reason: 'x' })
    m.observe('task:announced', { type: 'announced', taskId: 't1', at: 5, attempt: 2, topics: [] })
    m.observe('task:member-replaced', { type: 'member-replaced', taskId: 't1', at: 6, skill: 'a', from: 'p', to: 'q', reason: 'gone' })
    m.observe('task:completed', { type: 'completed', taskId: 't1', at: 7, outcome: outcome('COMPLETE', 2_500) })
    m.observe('task:failed', { type: 'failed', taskId: 't2', at: 7, outcome: outcome('FAILED', 40_000) })
    const s = await samples(m)
    assert.equal(s.get('swarm_tasks_announced_total'), 1)
    assert.equal(s.get('swarm_task_retries_total'), 1)
    assert.equal(s.get('swarm_offers_received_total'), 2)
    assert.equal(s.get('swarm_tasks_formed_total'), 1)
    assert.equal(s.get('swarm_member_replacements_total'), 1)
    assert.equal(s.get('swarm_task_formation_seconds_sum'), 0.12)
    assert.equal(s.get('swarm_task_formation_seconds_bucket{le="0.1"}'), 0)
    assert.equal(s.get('swarm_task_formation_seconds_bucket{le="0.25"}'), 1)
    assert.equal(s.get('swarm_tasks_finished_total{outcome="completed"}'), 1)
    assert.equal(s.get('swarm_tasks_finished_total{outcome="failed"}'), 1)
    assert.equal(s.get('swarm_task_completion_seconds_sum{outcome="completed"}'), 2.5)
    assert.equal(s.get('swarm_task_completion_seconds_bucket{le="30",outcome="failed"}'), 0)
    assert.equal(s.get('swarm_task_completion_seconds_bucket{le="60",outcome="failed"}'), 1)
  })

  it('counts the bidder side: offers sent, won, released, handler durations by skill and result', async () => {
    const m = metricsWith()
    m.observe('work:offered', { taskId: 't', announcer: 'a', skills: ['x'], score: 1 })
    m.observe('work:offered', { taskId: 'u', announcer: 'a', skills: ['x'], score: 1 })
    m.observe('work:accepted', { taskId: 't', groupId: 'g', skills: ['x'] })
    m.observe('work:released', { taskId: 'u', reason: 'not chosen' })
    m.observe('work:finished', { taskId: 't', groupId: 'g', skill: 'x', ok: true, durationMs: 300 })
    m.observe('work:finished', { taskId: 'v', groupId: 'h', skill: 'x', ok: false, durationMs: 50, error: { code: 'E', message: 'm' } })
    const s = await samples(m)
    assert.equal(s.get('swarm_offers_sent_total'), 2)
    assert.equal(s.get('swarm_offers_won_total'), 1)
    assert.equal(s.get('swarm_offers_released_total'), 1)
    assert.equal(s.get('swarm_handler_duration_seconds_count{skill="x",result="ok"}'), 1)
    assert.equal(s.get('swarm_handler_duration_seconds_sum{skill="x",result="ok"}'), 0.3)
    assert.equal(s.get('swarm_handler_duration_seconds_count{skill="x",result="error"}'), 1)
  })

  it('counts proposals by outcome, escalations by source and votes from the group layer; odd payloads become "unknown"', async () => {
    const votes = { accepted: 3, rejected: { NOT_ELIGIBLE: 1 } as Record<string, number> }
    const m = metricsWith({ votes: () => votes })
    m.observe('proposal:opened', { proposalId: 'p' })
    m.observe('proposal:decided', { proposalId: 'p', outcome: 'approved' })
    m.observe('proposal:decided', { proposalId: 'q', outcome: 'no-quorum' })
    m.observe('proposal:decided', { proposalId: 'r', outcome: 'Robert"); DROP' })
    m.observe('escalation:created', { id: 'e', source: 'retries-exhausted' })
    m.observe('something:else', { whatever: true })
    let s = await samples(m)
    assert.equal(s.get('swarm_proposals_opened_total'), 1)
    assert.equal(s.get('swarm_proposals_decided_total{outcome="approved"}'), 1)
    assert.equal(s.get('swarm_proposals_decided_total{outcome="no-quorum"}'), 1)
    assert.equal(s.get('swarm_proposals_decided_total{outcome="unknown"}'), 1)
    assert.equal(s.get('swarm_escalations_total{source="retries-exhausted"}'), 1)
    assert.equal(s.get('swarm_votes_accepted_total'), 3)
    assert.equal(s.get('swarm_votes_rejected_total{reason="NOT_ELIGIBLE"}'), 1)
    votes.accepted = 5
    votes.rejected.AFTER_DEADLINE = 2
    s = await samples(m)
    assert.equal(s.get('swarm_votes_accepted_total'), 5)
    assert.equal(s.get('swarm_votes_rejected_total{reason="NOT_ELIGIBLE"}'), 1)
    assert.equal(s.get('swarm_votes_rejected_total{reason="AFTER_DEADLINE"}'), 2)
  })

  it('adds the process metrics, collected once for all nodes of the process, unless told not to', async () => {
    const [a, b] = [new NodeMetrics(), new NodeMetrics()]
    for (const m of [a, b]) {
      const { text } = await m.exposition()
      assert.match(text, /^# TYPE process_cpu_user_seconds_total counter$/m)
      assert.match(text, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m)
    }
    assert.doesNotMatch((await metricsWith().exposition()).text, /process_cpu_user_seconds_total/)
  })

  it('keeps two nodes\' metrics apart (one registry each)', async () => {
    const a = metricsWith()
    const b = metricsWith()
    a.observe('work:offered', { taskId: 't', announcer: 'x', skills: [], score: 1 })
    assert.equal((await samples(a)).get('swarm_offers_sent_total'), 1)
    assert.equal((await samples(b)).get('swarm_offers_sent_total'), 0)
  })
})
