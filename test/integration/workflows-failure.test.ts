/**
 * Workflows over real TCP when a step fails or waits for a person: each `onFailure` (fail,
 * continue, escalate and its three decisions), approval steps approved and refused, a decision
 * outside an escalation's choices refused with the choices named, and a step nobody can do.
 * The steps are served by the scripted module handler (test/fixtures/workflow-handlers.mjs).
 */
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { isSwarmError } from '@swarm/node'
import { byName, startNegotiationSwarm } from '../helpers/negotiation.js'
import { escalated, scriptedSkill, stepOf, workflowFixture, workflowId } from '../helpers/workflows.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { WorkflowFixture } from '../helpers/workflows.js'
import type { SwarmNode } from '@swarm/node'
import type { Json } from '@swarm/protocol'

const boom = async (): Promise<Json> => { throw new Error('boom: the step breaks on purpose') }

describe('workflow failures and approvals over TCP with 3 nodes', () => {
  let swarm: TestSwarm
  let lead: SwarmNode
  let fx: WorkflowFixture

  beforeAll(async () => {
    fx = await workflowFixture()
    swarm = await startNegotiationSwarm([
      { name: 'lead' },
      { name: 'worker-1', capacity: 4, skills: [scriptedSkill('work')] },
      { name: 'worker-2', capacity: 4, skills: [scriptedSkill('work')] }
    ])
    lead = byName(swarm, 'lead')
  })

  afterAll(async () => { await swarm?.stop() })

  /** A step that may fail (maxAttempts 1: one handler run per run of the step) and a step that needs it. */
  function failing (name: string, onFailure: 'fail' | 'continue' | 'escalate'): Json {
    return {
      name,
      steps: [
        { id: 'start', skills: ['work'] },
        { id: 'broken', skills: ['work'], needs: ['start'], onFailure, maxAttempts: 1 },
        { id: 'after', skills: ['work'], needs: ['broken'] }
      ]
    }
  }

  it('onFailure fail: the workflow fails naming the step, and its dependents are skipped without running', async () => {
    const id = workflowId('fail')
    fx.script(id, { broken: boom })
    const view = await lead.run(failing('fails', 'fail'), { workflowId: id }).result()
    assert.equal(view.status, 'failed')
    assert.equal(view.code, 'STEP_FAILED')
    assert.match(view.reason ?? '', /^step broken failed: .*boom/)
    assert.deepEqual(view.steps.map(s => [s.id, s.status]), [['start', 'completed'], ['broken', 'failed'], ['after', 'skipped']])
    assert.match(stepOf(view, 'broken').error ?? '', /boom/)
    assert.equal(fx.callsOf(id, 'broken').length, 1)
    assert.equal(fx.callsOf(id, 'after').length, 0, 'a dependent of a failed step does not run')
  })

  it('onFailure continue: the dependent sees null for the failed step and the workflow completes', async () => {
    const id = workflowId('continue')
    fx.script(id, { broken: boom })
    const view = await lead.run(failing('continues', 'continue'), { workflowId: id }).result()
    assert.equal(view.status, 'completed', view.reason)
    const broken = stepOf(view, 'broken')
    assert.equal(broken.status, 'failed')
    assert.equal(broken.output, null)
    assert.deepEqual(fx.callsOf(id, 'after').map(c => c.input), [{ broken: null }])
    assert.deepEqual(view.output, { after: { step: 'after', input: { broken: null } } })
  })

  it('onFailure escalate, then retry: the step runs again, succeeds, and the workflow goes on', async () => {
    const id = workflowId('retry')
    let runs = 0
    fx.script(id, { broken: async () => { if (++runs === 1) throw new Error('boom: first run only'); return { fixed: true } } })
    const raised = escalated(lead, id, 'broken')
    const handle = lead.run(failing('retries', 'escalate'), { workflowId: id })
    const { escalationId, kind } = await raised
    assert.equal(kind, 'failure')
    const open = lead.groups.escalations({ status: 'open', taskId: id })
    assert.deepEqual(open.map(e => [e.id, e.source, e.choices]), [[escalationId, 'workflow-failure', ['retry', 'skip', 'fail']]])
    assert.match(open[0]?.issue ?? '', /step "broken" failed: .*boom/)
    assert.equal(stepOf(handle.view(), 'broken').status, 'escalated')
    assert.equal(stepOf(handle.view(), 'broken').escalationId, escalationId)
    assert.equal(fx.callsOf(id, 'after').length, 0, 'nothing after it runs while a person decides')

    lead.groups.resolveEscalation(escalationId, 'retry: the disk is back')
    const view = await handle.result()
    assert.equal(view.status, 'completed', view.reason)
    assert.deepEqual(fx.callsOf(id, 'broken').map(c => c.outcome), ['failed', 'done'])
    assert.deepEqual(fx.callsOf(id, 'after').map(c => c.input), [{ broken: { fixed: true } }])
    // A new run of the step: a task of its own.
    const tasks = stepOf(view, 'broken').tasks
    assert.deepEqual(tasks.map(t => [t.run, t.status]), [[1, 'failed'], [2, 'completed']])
    assert.notEqual(tasks[0]?.taskId, tasks[1]?.taskId)
    assert.equal(lead.groups.escalation(escalationId)?.status, 'resolved')
  })

  it('onFailure escalate, then skip: the dependents get null and the workflow completes', async () => {
    const id = workflowId('skip')
    fx.script(id, { broken: boom })
    const raised = escalated(lead, id, 'broken')
    const handle = lead.run(failing('skips', 'escalate'), { workflowId: id })
    lead.groups.resolveEscalation((await raised).escalationId, 'skip')
    const view = await handle.result()
    assert.equal(view.status, 'completed', view.reason)
    assert.equal(stepOf(view, 'broken').status, 'skipped')
    assert.equal(fx.callsOf(id, 'broken').length, 1)
    assert.deepEqual(fx.callsOf(id, 'after').map(c => c.input), [{ broken: null }])
  })

  it('onFailure escalate, then fail: the workflow fails and a decision outside the choices is refused', async () => {
    const id = workflowId('escalate-fail')
    fx.script(id, { broken: boom })
    const raised = escalated(lead, id, 'broken')
    const handle = lead.run(failing('gives-up', 'escalate'), { workflowId: id })
    const { escalationId } = await raised
    assert.throws(() => lead.groups.resolveEscalation(escalationId, 'approve'), (err: Error) => {
      assert.ok(isSwarmError(err), String(err))
      assert.equal(err.code, 'ESCALATION_STATE')
      assert.match(err.message, /retry, skip, fail/)
      return true
    })
    assert.equal(lead.groups.escalation(escalationId)?.status, 'open', 'a refused decision changes nothing')
    assert.equal(stepOf(handle.view(), 'broken').status, 'escalated')

    lead.groups.resolveEscalation(escalationId, 'fail: not worth it')
    const view = await handle.result()
    assert.equal(view.status, 'failed')
    assert.equal(view.code, 'STEP_FAILED')
    assert.match(view.reason ?? '', /^step broken failed: .*boom.*not worth it/)
    assert.equal(stepOf(view, 'after').status, 'skipped')
    assert.equal(fx.callsOf(id, 'after').length, 0)
  })

  /** A step that waits for a person's approval, between two others. */
  const approval: Json = {
    name: 'release',
    steps: [
      { id: 'build', skills: ['work'] },
      { id: 'ship', skills: ['work'], needs: ['build'], approval: true },
      { id: 'announce', skills: ['work'], needs: ['ship'] }
    ]
  }

  it('runs an approval step once it is approved, after refusing a decision that is not one of its choices', async () => {
    const id = workflowId('approve')
    const raised = escalated(lead, id, 'ship')
    const handle = lead.run(approval, { workflowId: id })
    const { escalationId, kind } = await raised
    assert.equal(kind, 'approval')
    const record = lead.groups.escalation(escalationId)
    assert.equal(record?.source, 'workflow-approval')
    assert.deepEqual(record?.choices, ['approve', 'reject'])
    assert.equal(fx.callsOf(id, 'build').length, 1, 'the approval is asked once its needs are done')
    assert.equal(fx.callsOf(id, 'ship').length, 0, 'it does not run before it is approved')

    assert.throws(() => lead.groups.resolveEscalation(escalationId, 'maybe later'), (err: Error) => {
      assert.ok(isSwarmError(err), String(err))
      assert.equal(err.code, 'ESCALATION_STATE')
      assert.match(err.message, /approve, reject/)
      return true
    })
    assert.equal(lead.groups.escalation(escalationId)?.status, 'open')

    const approvedAt = fx.calls.length
    lead.groups.resolveEscalation(escalationId, 'approve: looks good')
    const view = await handle.result()
    assert.equal(view.status, 'completed', view.reason)
    const ship = fx.callsOf(id, 'ship')
    assert.equal(ship.length, 1)
    assert.ok(fx.calls.indexOf(ship[0] as never) >= approvedAt, 'it ran after the approval')
    assert.deepEqual(ship[0]?.input, { build: { step: 'build', input: null } })
    assert.equal(fx.callsOf(id, 'announce').length, 1)
  })

  it('does not run an approval step that is refused: the workflow fails with the reason', async () => {
    const id = workflowId('reject')
    const raised = escalated(lead, id, 'ship')
    const handle = lead.run(approval, { workflowId: id })
    lead.groups.resolveEscalation((await raised).escalationId, 'reject: not before the audit')
    const view = await handle.result()
    assert.equal(view.status, 'failed')
    assert.match(view.reason ?? '', /^step ship failed: .*not before the audit/)
    assert.deepEqual(view.steps.map(s => [s.id, s.status]), [['build', 'completed'], ['ship', 'failed'], ['announce', 'skipped']])
    assert.equal(fx.callsOf(id, 'ship').length, 0)
    assert.equal(fx.callsOf(id, 'announce').length, 0)
    assert.equal(stepOf(view, 'ship').tasks.length, 0, 'no task was announced for it')
  })

  it('fails a step whose skill nobody has with STEP_UNASSIGNABLE', async () => {
    const id = workflowId('unassignable')
    const view = await lead.run({
      name: 'nobody',
      steps: [{ id: 'first', skills: ['work'] }, { id: 'odd', skills: ['juggling'], needs: ['first'] }]
    }, { workflowId: id }).result()
    assert.equal(view.status, 'failed')
    assert.equal(view.code, 'STEP_UNASSIGNABLE')
    assert.match(view.reason ?? '', /^step odd failed/)
    assert.equal(stepOf(view, 'first').status, 'completed')
  })
})
