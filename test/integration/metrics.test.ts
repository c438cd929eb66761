/**
 * GET /metrics of real nodes: a valid Prometheus text exposition with libp2p's metrics, process
 * metrics and the swarm's, each node with its own figures, and swarm counters that move when a
 * task is done or fails.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { builtinSkill } from '../helpers/negotiation.js'
import { allAgentsKnown, startSwarm } from '../helpers/nodes.js'
import type { SwarmNode } from '@swarm/node'
import type { TestSwarm } from '../helpers/nodes.js'

interface Exposition {
  /** `name{labels}` (labels as written) → value. */
  samples: Map<string, number>
  /** Metric family → type. */
  types: Map<string, string>
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)( \d+)?$/

/** A sample value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case). */
function sampleValue (text: string): number {
  if (/^nan$/i.test(text)) return Number.NaN
  if (/^[+-]?inf$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity
  assert.match(text, /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/, `not a number: ${text}`)
  return Number(text)
}

/** Parses the text exposition format strictly: every line is a comment, a TYPE/HELP line or a sample of a typed family. */
function parseExposition (text: string): Exposition {
  const samples = new Map<string, number>()
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (type !== null) {
      assert.equal(types.has(type[1]!), false, `one TYPE line per family: ${type[1]}`)
      types.set(type[1]!, type[2]!)
      continue
    }
    if (line.startsWith('# HELP ')) continue
    assert.equal(line.startsWith('#'), false, `unexpected comment: ${line}`)
    const m = SAMPLE.exec(line)
    assert.ok(m !== null, `not a sample line: ${line}`)
    const name = m[1]!
    const family = [name, name.replace(/_(bucket|sum|count|total)$/, '')].find(f => types.has(f))
    assert.ok(family !== undefined, `sample ${name} has a TYPE line before it`)
    samples.set(`${name}${m[2] ?? ''}`, sampleValue(m[3]!))
  }
  return { samples, types }
}

async function scrape (node: SwarmNode, token = node.apiToken): Promise<{ status: number, contentType: string | null, text: string }> {
  const res = await fetch(`${node.apiUrl!}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() }
}

async function metricsOf (node: SwarmNode): Promise<Exposition> {
  const { status, contentType, text } = await scrape(node)
  assert.equal(status, 200, text)
  assert.match(contentType ?? '', /^text\/plain; version=0\.0\.4/)
  return parseExposition(text)
}

/** A sample's value (0 when absent). */
const value = (e: Exposition, series: string): number => e.samples.get(series) ?? 0
const sumOf = (e: Exposition, prefix: string): number => [...e.samples].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0)

describe('GET /metrics: Prometheus metrics of libp2p and of the swarm', () => {
  let swarm: TestSwarm
  let boss: SwarmNode
  let worker: SwarmNode

  beforeAll(async () => {
    swarm = await startSwarm([
      { name: 'boss', storage: 'memory' },
      { name: 'worker', storage: 'memory', skills: [builtinSkill('echo', 'expert', 'echo'), builtinSkill('broken', 'expert', 'fail')] }
    ])
    ;[boss, worker] = swarm.nodes as [SwarmNode, SwarmNode]
    await allAgentsKnown(swarm.nodes)
  })

  afterAll(async () => { await swarm?.stop() })

  it('is a valid exposition with libp2p, process and swarm metrics of this node only', async () => {
    const [b, w] = [await metricsOf(boss), await metricsOf(worker)]
    for (const e of [b, w]) {
      assert.equal(e.types.get('libp2p_data_transfer_bytes_total'), 'counter')
      assert.equal(e.types.get('libp2p_connection_manager_connections'), 'gauge')
      assert.equal(e.types.get('process_cpu_user_seconds_total'), 'counter')
      assert.equal(e.types.get('swarm_tasks_finished_total'), 'counter')
      assert.equal(e.types.get('swarm_task_formation_seconds'), 'histogram')
      assert.equal(e.types.get('swarm_task_completion_seconds'), 'histogram')
      assert.equal(e.types.get('swarm_handler_duration_seconds'), 'histogram')
      assert.equal(value(e, 'swarm_agents_known'), 2)
      assert.equal(value(e, 'swarm_peers_connected'), 1)
      assert.equal(value(e, 'swarm_capacity_slots{state="total"}'), 4)
    }
    // Each node has its own registry: the worker dialled the boss, not the other way round.
    assert.equal(value(b, 'libp2p_connection_manager_connections{libp2p_connection_manager_connections="inbound"}'), 1)
    assert.equal(value(b, 'libp2p_connection_manager_connections{libp2p_connection_manager_connections="outbound"}'), 0)
    assert.equal(value(w, 'libp2p_connection_manager_connections{libp2p_connection_manager_connections="outbound"}'), 1)
    assert.ok([...b.samples.keys()].some(k => k.startsWith(`swarm_node_info{peer_id="${boss.peerId.toString()}",name="boss"`)))
    assert.ok([...w.samples.keys()].some(k => k.startsWith(`swarm_node_info{peer_id="${worker.peerId.toString()}",name="worker"`)))
  })

  it('counts a task done: announced, offers, formed, completed, latencies, handler run', async () => {
    const [b0, w0] = [await metricsOf(boss), await metricsOf(worker)]
    const task = await boss.announce({ description: 'echo it', skills: [{ name: 'echo' }], input: { n: 1 }, bidWindowMs: 200 })
    assert.equal((await task.result()).status, 'COMPLETE')
    const [b1, w1] = [await metricsOf(boss), await metricsOf(worker)]
    const moved = (before: Exposition, after: Exposition, series: string): number => value(after, series) - value(before, series)

    assert.equal(moved(b0, b1, 'swarm_tasks_announced_total'), 1)
    assert.equal(moved(b0, b1, 'swarm_tasks_formed_total'), 1)
    assert.equal(moved(b0, b1, 'swarm_tasks_finished_total{outcome="completed"}'), 1)
    assert.equal(moved(b0, b1, 'swarm_tasks_finished_total{outcome="failed"}'), 0)
    assert.equal(moved(b0, b1, 'swarm_task_formation_seconds_count'), 1)
    assert.equal(moved(b0, b1, 'swarm_task_completion_seconds_count{outcome="completed"}'), 1)
    assert.ok(moved(b0, b1, 'swarm_task_completion_seconds_sum{outcome="completed"}') > 0)
    assert.ok(moved(b0, b1, 'swarm_offers_received_total') >= 1)
    assert.equal(value(b1, 'swarm_tasks_in_flight'), 0)

    assert.ok(moved(w0, w1, 'swarm_offers_sent_total') >= 1)
    assert.equal(moved(w0, w1, 'swarm_offers_won_total'), 1)
    assert.equal(moved(w0, w1, 'swarm_handler_duration_seconds_count{skill="echo",result="ok"}'), 1)
    assert.equal(value(w1, 'swarm_capacity_slots{state="committed"}'), 0)
    // libp2p's counters moved too: the task went over the wire.
    assert.ok(sumOf(b1, 'libp2p_data_transfer_bytes_total') > 0)
  })

  it('counts a failed task under outcome="failed" and the handler error by skill', async () => {
    const [b0, w0] = [await metricsOf(boss), await metricsOf(worker)]
    const task = await boss.announce({ description: 'break it', skills: [{ name: 'broken' }], maxAttempts: 1, bidWindowMs: 200 })
    assert.equal((await task.result()).status, 'FAILED')
    const [b1, w1] = [await metricsOf(boss), await metricsOf(worker)]
    assert.equal(value(b1, 'swarm_tasks_finished_total{outcome="failed"}') - value(b0, 'swarm_tasks_finished_total{outcome="failed"}'), 1)
    assert.equal(value(b1, 'swarm_tasks_finished_total{outcome="completed"}'), value(b0, 'swarm_tasks_finished_total{outcome="completed"}'))
    assert.equal(value(w1, 'swarm_handler_duration_seconds_count{skill="broken",result="error"}') - value(w0, 'swarm_handler_duration_seconds_count{skill="broken",result="error"}'), 1)
  })

  it('needs the bearer token like the rest of the control API', async () => {
    const res = await fetch(`${boss.apiUrl!}/metrics`)
    assert.equal(res.status, 401)
    assert.equal((await scrape(boss, 'wrong')).status, 401)
  })

  it('answers 404 with what to do on a node whose metrics are off', async () => {
    const quiet = await swarm.add({ name: 'quiet', storage: 'memory', metrics: { enabled: false } })
    assert.equal(quiet.metrics, undefined)
    const { status, text } = await scrape(quiet)
    assert.equal(status, 404)
    assert.match(text, /METRICS_DISABLED[\s\S]*metrics\.enabled/)
  })
})
