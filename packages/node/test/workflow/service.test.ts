import { describe, expect, it } from 'vitest'
import { SwarmStore } from '../../src/store/store.js'
import { FakeAnnouncer, harness, settle } from './fakes.js'

const diamond = {
  name: 'diamond',
  steps: [
    { id: 'a', skills: ['x'], input: '${{ workflow.input }}' },
    { id: 'b', skills: ['x'], needs: ['a'] },
    { id: 'c', skills: ['y'], needs: ['a'], priority: 'high' },
    { id: 'd', skills: ['x'], needs: ['b', 'c'] }
  ]
}

describe('the workflow service over a fake announcer', () => {
  it('runs a diamond: b and c out together once a is done, d gets both outputs, phases and the end are emitted', async () => {
    const h = harness()
    const handle = h.service.run(diamond, { input: { n: 1 } })
    await settle()
    expect(h.announcer.announced.map(a => a.workflow?.stepId)).toEqual(['a'])
    expect(h.announcer.last('a').input).toEqual({ n: 1 })
    // a's task boosts its place: b, c and d wait for it.
    expect(h.announcer.last('a').dependents).toBe(3)
    h.announcer.end(h.announcer.last('a').taskId, { ok: true, output: { rows: 3 } })
    await settle()
    expect(h.announcer.announced.map(a => a.workflow?.stepId)).toEqual(['a', 'b', 'c'])
    expect(h.announcer.last('b').input).toEqual({ a: { rows: 3 } })
    expect(h.announcer.last('b').workflow).toEqual({ workflowId: handle.id, stepId: 'b', iteration: 1, buildsOn: ['a'] })
    expect(h.announcer.last('c').priority).toBe('high')
    h.announcer.end(h.announcer.last('c').taskId, { ok: true, output: 'C' })
    h.announcer.end(h.announcer.last('b').taskId, { ok: true, output: 'B' })
    await settle()
    expect(h.announcer.last('d').input).toEqual({ b: 'B', c: 'C' })
    h.announcer.end(h.announcer.last('d').taskId, { ok: true, output: 'D' })
    const view = await handle.result()
    expect(view.status).toBe('completed')
    expect(view.output).toEqual({ d: 'D' })
    expect(h.events.filter(e => e.name === 'phase:completed').map(e => (e.payload as { depth: number }).depth)).toEqual([0, 1, 2])
    expect(h.events.at(-1)?.name).toBe('workflow:completed')
    expect(h.service.audit(handle.id).map(a => a.action)).toContain('step:completed')
  })

  it('fans a forEach out under maxParallel, counting each item, and joins the outputs in item order', async () => {
    const h = harness()
    const handle = h.service.run({
      name: 'batch',
      maxParallel: 3,
      steps: [
        { id: 'plan', skills: ['x'] },
        { id: 'each', skills: ['x'], needs: ['plan'], forEach: '${{ steps.plan.output.items }}', input: { doc: '${{ item }}', i: '${{ index }}' } }
      ]
    })
    await settle()
    h.announcer.end(h.announcer.last('plan').taskId, { ok: true, output: { items: ['d0', 'd1', 'd2', 'd3', 'd4'] } })
    await settle()
    const each = (): typeof h.announcer.announced => h.announcer.announced.filter(a => a.workflow?.stepId === 'each')
    expect(each().map(a => a.input)).toEqual([{ doc: 'd0', i: 0 }, { doc: 'd1', i: 1 }, { doc: 'd2', i: 2 }])
    // Items end out of order; a place frees as each ends.
    h.announcer.end(each()[1]?.taskId ?? '', { ok: true, output: 'o1' })
    await settle()
    expect(each()).toHaveLength(4)
    for (const t of each().slice()) h.announcer.end(t.taskId, { ok: true, output: `o${String((t.input as { i: number }).i)}` })
    await settle()
    for (const t of each().slice()) h.announcer.end(t.taskId, { ok: true, output: `o${String((t.input as { i: number }).i)}` })
    const view = await handle.result()
    expect(view.steps.find(s => s.id === 'each')?.output).toEqual(['o0', 'o1', 'o2', 'o3', 'o4'])
  })

  it('sends a review loop back with the feedback, and completes when the second review approves', async () => {
    const h = harness()
    const handle = h.service.run({
      name: 'loop',
      steps: [
        { id: 'code', skills: ['coder'] },
        { id: 'review', skills: ['reviewer'], needs: ['code'], loop: { back: 'code', max: 3 } }
      ]
    })
    await settle()
    h.announcer.end(h.announcer.last('code').taskId, { ok: true, output: 'v1' })
    await settle()
    h.announcer.end(h.announcer.last('review').taskId, { ok: true, output: { approved: false, reason: 'add tests' } })
    await settle()
    const second = h.announcer.last('code')
    expect(second.workflow?.iteration).toBe(2)
    expect(second.input).toEqual({ feedback: 'add tests', input: null })
    h.announcer.end(second.taskId, { ok: true, output: 'v2' })
    await settle()
    expect(h.announcer.last('review').input).toEqual({ code: 'v2', feedback: 'add tests' })
    h.announcer.end(h.announcer.last('review').taskId, { ok: true, output: { approved: true } })
    const view = await handle.result()
    expect(view.status).toBe('completed')
    expect(view.steps.find(s => s.id === 'code')?.iteration).toBe(2)
  })

  it('asks a person before an approval step and fails the workflow when they reject it', async () => {
    const h = harness()
    const handle = h.service.run({ name: 'gate', steps: [{ id: 'deploy', skills: ['x'], approval: true }] })
    await settle()
    expect(h.announcer.announced).toHaveLength(0)
    const [record] = [...h.escalations.records.values()]
    expect(record?.choices).toEqual(['approve', 'reject'])
    expect(handle.view().steps[0]?.escalationId).toBe(record?.id)
    expect(() => h.escalations.resolve(record?.id ?? '', 'maybe')).toThrow(/approve, reject/)
    h.service.onEscalationResolved(h.escalations.resolve(record?.id ?? '', 'reject: not today'))
    const view = await handle.result()
    expect(view.status).toBe('failed')
    expect(view.reason).toMatch(/approval was refused: reject: not today/)
    expect(h.announcer.announced).toHaveLength(0)
  })

  it('lets a person retry a failed step that escalates', async () => {
    const h = harness()
    const handle = h.service.run({ name: 'esc', steps: [{ id: 's', skills: ['x'], onFailure: 'escalate' }] })
    await settle()
    h.announcer.end(h.announcer.last('s').taskId, { ok: false, reason: 'disk full' })
    await settle()
    const [record] = [...h.escalations.records.values()]
    expect(record?.issue).toMatch(/"s" failed: disk full/)
    h.service.onEscalationResolved(h.escalations.resolve(record?.id ?? '', 'retry'))
    await settle()
    expect(h.announcer.announced).toHaveLength(2)
    expect(h.announcer.announced[1]?.taskId).not.toBe(h.announcer.announced[0]?.taskId)
    h.announcer.end(h.announcer.last('s').taskId, { ok: true, output: 1 })
    expect((await handle.result()).status).toBe('completed')
  })

  it('fails with STEP_UNASSIGNABLE when nobody can take a step, after trying again for a while', async () => {
    const h = harness()
    h.announcer.nobody = true
    const handle = h.service.run({ name: 'none', steps: [{ id: 's', skills: ['x'] }] })
    await settle()
    expect(handle.done).toBe(false)
    for (let i = 0; i < 12; i++) { h.clock.advance(500); await settle() }
    const view = await handle.result()
    expect(view.status).toBe('failed')
    expect(view.code).toBe('STEP_UNASSIGNABLE')
  })

  it('resumes after a restart: a completed step is not run again, a task still out is followed, one never sent is sent', async () => {
    const store = SwarmStore.open(':memory:')
    const announcer = new FakeAnnouncer()
    const h = harness({ store, announcer })
    const handle = h.service.run({ name: 'r', steps: [{ id: 'a', skills: ['x'] }, { id: 'b', skills: ['x'], needs: ['a'] }, { id: 'c', skills: ['x'], needs: ['a'] }] })
    await settle()
    announcer.end(announcer.last('a').taskId, { ok: true, output: 'A' })
    await settle()
    // The node stops with b and c out; b's task is lost (never reached the announcer), c's is resumed by the announcer.
    const lost = announcer.last('b').taskId
    announcer.handles.delete(lost)
    const next = h.restart()
    await settle()
    const b = announcer.announced.filter(x => x.workflow?.stepId === 'b')
    expect(b.map(x => x.taskId)).toEqual([lost, lost])
    expect(announcer.announced.filter(x => x.workflow?.stepId === 'a')).toHaveLength(1)
    announcer.end(lost, { ok: true, output: 'B' })
    announcer.end(announcer.last('c').taskId, { ok: true, output: 'C' })
    await settle()
    const view = next.view(handle.id)
    expect(view?.status).toBe('completed')
    expect(view?.output).toEqual({ b: 'B', c: 'C' })
  })

  it('cancels a workflow: its tasks out are cancelled, the steps not done end cancelled', async () => {
    const h = harness()
    const handle = h.service.run(diamond)
    await settle()
    h.service.cancel(handle.id, 'changed my mind')
    const view = await handle.result()
    expect(view.status).toBe('cancelled')
    expect(h.announcer.cancelled).toEqual([h.announcer.last('a').taskId])
    expect(view.steps.map(s => s.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled'])
    expect(() => h.service.cancel(handle.id)).toThrow(/cancelled already/)
  })
})
