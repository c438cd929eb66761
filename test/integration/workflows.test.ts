/**
 * Workflows over real TCP (issue: workflows): a node runs a DAG of steps, each step a task
 * negotiated with the swarm's agents like any other, served here by a scripted module handler
 * (test/fixtures/workflow-handlers.mjs) on three worker nodes. A diamond runs its two middle
 * steps at once and joins them; a review loop sends the work back with the reviewer's feedback;
 * a forEach fans out under the workflow's maxParallel and keeps its outputs in item order.
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { byName, startNegotiationSwarm } from '../helpers/negotiation.js'
import { scriptedSkill, stepOf, workflowFixture, workflowId } from '../helpers/workflows.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { WorkflowFixture } from '../helpers/workflows.js'
import type { SwarmNode, WorkflowEvent } from '@swarm/node'
import type { Json } from '@swarm/protocol'

async function collect (events: AsyncIterable<WorkflowEvent>): Promise<WorkflowEvent[]> {
  const out: WorkflowEvent[] = []
  for await (const event of events) out.push(event)
  return out
}

describe('workflows over TCP with 4 nodes', () => {
  let swarm: TestSwarm
  let lead: SwarmNode
  let fx: WorkflowFixture

  beforeAll(async () => {
    fx = await workflowFixture()
    swarm = await startNegotiationSwarm([
      { name: 'lead' },
      // 24 slots in all: more than the 20 items, so that only maxParallel holds them back.
      { name: 'worker-1', capacity: 8, skills: [scriptedSkill('work')] },
      { name: 'worker-2', capacity: 8, skills: [scriptedSkill('work')] },
      { name: 'worker-3', capacity: 8, skills: [scriptedSkill('work')] }
    ])
    lead = byName(swarm, 'lead')
  })

  afterAll(async () => { await swarm?.stop() })

  it('runs the two middle steps of a diamond at the same time and gives the last one both outputs', async () => {
    const id = workflowId('diamond')
    fx.script(id, {
      a: async () => ({ seed: 7 }),
      // b and c each wait at a latch until the other has started: they finish only if they overlap
      // (b and c have a deadline of 20 s: without the overlap the workflow fails).
      b: async (input, ctx) => { await fx.meet(`${id}/bc`, 'b', 2, ctx.signal); return { from: 'b', got: input } },
      c: async (input, ctx) => { await fx.meet(`${id}/bc`, 'c', 2, ctx.signal); return { from: 'c', got: input } }
    })
    const handle = lead.run({
      name: 'diamond',
      steps: [
        { id: 'a', skills: ['work'] },
        { id: 'b', skills: ['work'], needs: ['a'], deadlineMs: 20_000, maxAttempts: 1 },
        { id: 'c', skills: ['work'], needs: ['a'], deadlineMs: 20_000, maxAttempts: 1 },
        { id: 'd', skills: ['work'], needs: ['b', 'c'] }
      ]
    }, { workflowId: id })
    const events = collect(handle.events())
    const view = await handle.result()
    assert.equal(view.status, 'completed', view.reason)

    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(s => fx.callsOf(id, s))
    for (const [name, calls] of Object.entries({ a, b, c, d })) assert.equal(calls?.length, 1, `${name} ran once`)
    const [rb, rc, rd] = [b?.[0], c?.[0], d?.[0]]
    assert.ok(rb?.end !== undefined && rc?.end !== undefined)
    // Each started before the other ended: they overlapped.
    assert.ok(rb.start < rc.end && rc.start < rb.end, `b ran ${rb.start}..${rb.end}, c ran ${rc.start}..${rc.end}`)
    // d started after both ended.
    assert.ok((rd?.start ?? 0) > Math.max(rb.end, rc.end))

    const fromA = { a: { seed: 7 } }
    const joined = { b: { from: 'b', got: fromA }, c: { from: 'c', got: fromA } }
    assert.deepEqual(rd?.input, joined)
    assert.deepEqual(stepOf(view, 'd').output, { step: 'd', input: joined })
    assert.deepEqual(view.output, { d: { step: 'd', input: joined } })
    assert.deepEqual(view.steps.map(s => [s.id, s.status, s.depth]), [['a', 'completed', 0], ['b', 'completed', 1], ['c', 'completed', 1], ['d', 'completed', 2]])
    // Every step's task was negotiated in the swarm: a worker did it.
    const workers = new Set(swarm.nodes.filter(n => n !== lead).map(n => n.peerId.toString()))
    for (const s of view.steps) assert.ok(s.tasks.length === 1 && (s.tasks[0]?.members ?? []).every(m => workers.has(m.peerId)), `${s.id}: ${JSON.stringify(s.tasks)}`)

    const seen = await events
    assert.deepEqual(seen.filter(e => e.type === 'phase:completed').map(e => e.type === 'phase:completed' ? [e.depth, e.steps] : []), [[0, ['a']], [1, ['b', 'c']], [2, ['d']]])
    assert.equal(seen.at(-1)?.type, 'workflow:completed')
    // The node's own events say the same.
    assert.equal(lead.workflow(id)?.status, 'completed')
  })

  it('sends a review loop back with the reviewer\'s feedback and completes when the second review passes', async () => {
    const id = workflowId('loop')
    let reviews = 0
    fx.script(id, {
      write: async input => ({ code: 'parse()', asked: input }),
      review: async (): Promise<Json> => (++reviews === 1 ? { approved: false, reason: 'add tests' } : { approved: true, notes: 'good' })
    })
    const handle = lead.run({
      name: 'review-loop',
      input: { spec: 'a CSV parser' },
      steps: [
        { id: 'write', skills: ['work'], input: { spec: '${{ workflow.input.spec }}', feedback: '${{ feedback }}' } },
        // No input of its own: it gets { write: … } and, when sent back, the feedback.
        { id: 'check', skills: ['work'], needs: ['write'] },
        { id: 'review', skills: ['work'], needs: ['check'], loop: { back: 'write', max: 3 } }
      ]
    }, { workflowId: id })
    const view = await handle.result()
    assert.equal(view.status, 'completed', view.reason)

    const write = fx.callsOf(id, 'write')
    const check = fx.callsOf(id, 'check')
    const review = fx.callsOf(id, 'review')
    assert.deepEqual([write.length, check.length, review.length], [2, 2, 2])
    assert.deepEqual(write.map(c => c.iteration), [1, 2])
    assert.deepEqual(write[0]?.input, { spec: 'a CSV parser', feedback: null })
    assert.deepEqual(write[1]?.input, { spec: 'a CSV parser', feedback: 'add tests' })
    // The step between goes again too, with the feedback under its own key.
    assert.deepEqual(check[0]?.input, { write: { code: 'parse()', asked: { spec: 'a CSV parser', feedback: null } } })
    assert.deepEqual(check[1]?.input, { write: { code: 'parse()', asked: { spec: 'a CSV parser', feedback: 'add tests' } }, feedback: 'add tests' })
    // The second round started after the first review ended.
    assert.ok((write[1]?.start ?? 0) > (review[0]?.end ?? Infinity))

    const reviewStep = stepOf(view, 'review')
    assert.equal(reviewStep.iteration, 2)
    assert.deepEqual(reviewStep.output, { approved: true, notes: 'good' })
    assert.equal(stepOf(view, 'write').tasks.length, 2)
    assert.deepEqual(view.output, { review: { approved: true, notes: 'good' } })
  })

  it('fans a forEach of 20 items out under maxParallel 3 and keeps the outputs in item order', async () => {
    const id = workflowId('foreach')
    const items = Array.from({ length: 20 }, (_, i) => i + 1)
    let peak = 0
    fx.script(id, {
      fan: async (input, ctx) => {
        // Concurrency only rises when a run starts: the highest count seen at a start is the peak.
        peak = Math.max(peak, fx.running(id, 'fan'))
        // Hold each run until every item task the workflow has sent out so far has reached its
        // handler: then as many run at once as the workflow lets out (all 20 without a cap), and
        // the cap, not the speed of the handler or of the negotiation, is what limits them.
        const sent = (): number => lead.workflow(id)?.steps.find(s => s.id === 'fan')?.tasks.length ?? Infinity
        await fx.when(() => fx.callsOf(id, 'fan').length >= sent(), ctx.signal)
        const n = input as number
        return { n, square: n * n }
      }
    })
    const handle = lead.run({
      name: 'fan-out',
      input: { items },
      maxParallel: 3,
      steps: [
        { id: 'fan', skills: ['work'], forEach: '${{ workflow.input.items }}' },
        { id: 'total', skills: ['work'], needs: ['fan'] }
      ]
    }, { workflowId: id })
    const view = await handle.result()
    assert.equal(view.status, 'completed', view.reason)

    const calls = fx.callsOf(id, 'fan')
    assert.equal(calls.length, 20, 'one run per item')
    assert.deepEqual(calls.map(c => c.input as number).sort((x, y) => x - y), items)
    assert.ok(peak <= 3, `at most 3 items at once, saw ${peak}`)
    assert.ok(peak > 1, `the items ran in parallel (peak ${peak})`)

    const expected: Json[] = items.map(n => ({ n, square: n * n }))
    const fan = stepOf(view, 'fan')
    assert.deepEqual(fan.output, expected)
    assert.deepEqual(fan.tasks.map(t => t.item), items.map((_, i) => i))
    assert.deepEqual(fx.callsOf(id, 'total')[0]?.input, { fan: expected })
  })
})
