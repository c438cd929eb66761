import { describe, expect, it } from 'vitest'
import { newWorkflow, reduce } from '../../src/workflow/scheduler.js'
import { parseWorkflow } from '../../src/workflow/spec.js'
import type { SchedulerAction, WorkflowState } from '../../src/workflow/scheduler.js'
import type { Json } from '@swarm/protocol'

function start (raw: unknown): { state: WorkflowState, actions: SchedulerAction[] } {
  return reduce(newWorkflow('wf-test-0001', parseWorkflow(raw), undefined, 0), { type: 'start', at: 0 })
}
const announced = (actions: SchedulerAction[]): string[] => actions.flatMap(a => a.type === 'announce' ? [a.stepId] : [])
const taskOf = (state: WorkflowState, step: string): string => state.steps[step]?.tasks.at(-1)?.taskId ?? ''
function end (state: WorkflowState, step: string, ok: boolean, output?: Json, at = 10): { state: WorkflowState, actions: SchedulerAction[] } {
  return reduce(state, { type: 'task-ended', at, taskId: taskOf(state, step), ok, status: ok ? 'COMPLETE' : 'FAILED', output: { x: output ?? null }, reason: ok ? undefined : 'boom' } as never)
}

describe('the workflow scheduler (pure)', () => {
  it('starts the roots only, and holds steps under maxParallel until a place frees', () => {
    const { state, actions } = start({ name: 'w', maxParallel: 2, steps: [{ id: 'a', skills: ['x'] }, { id: 'b', skills: ['x'] }, { id: 'c', skills: ['x'] }] })
    expect(announced(actions)).toEqual(['a', 'b'])
    expect(state.steps.c?.status).toBe('ready')
    const next = end(state, 'a', true, 1)
    expect(announced(next.actions)).toEqual(['c'])
  })

  it('lets dependents of a step that continues past its failure see null, and completes', () => {
    let r = start({ name: 'w', steps: [{ id: 'a', skills: ['x'], onFailure: 'continue' }, { id: 'b', skills: ['x'], needs: ['a'] }] })
    r = end(r.state, 'a', false)
    expect(r.actions.find(a => a.type === 'emit' && a.event.type === 'step:failed')).toBeDefined()
    const spec = r.actions.find(a => a.type === 'announce')
    expect(spec?.type === 'announce' ? spec.spec.input : undefined).toEqual({ a: null })
    r = end(r.state, 'b', true, 2)
    expect(r.state.status).toBe('completed')
  })

  it('fails the workflow on a step that fails, skips what never ran, and cancels what is out', () => {
    let r = start({ name: 'w', steps: [{ id: 'a', skills: ['x'] }, { id: 'b', skills: ['x'] }, { id: 'c', skills: ['x'], needs: ['a'] }] })
    r = end(r.state, 'a', false)
    expect(r.state.status).toBe('failed')
    expect(r.state.reason).toBe('step a failed: boom')
    expect(r.state.code).toBe('STEP_FAILED')
    expect(r.state.steps.c?.status).toBe('skipped')
    expect(r.actions.filter(a => a.type === 'cancel-task').length).toBe(1)
    // Nothing moves a finished workflow.
    expect(end(r.state, 'b', true).state).toBe(r.state)
  })

  it('fails a loop step that is still rejected after max iterations', () => {
    let r = start({ name: 'w', steps: [{ id: 'a', skills: ['x'] }, { id: 'r', skills: ['x'], needs: ['a'], loop: { back: 'a', max: 2 } }] })
    for (let i = 0; i < 2; i++) {
      r = end(r.state, 'a', true, i)
      r = reduce(r.state, { type: 'task-ended', at: 10, taskId: taskOf(r.state, 'r'), ok: true, status: 'COMPLETE', output: { x: { verdict: 'reject', feedback: `no ${i}` } } })
    }
    expect(r.state.status).toBe('failed')
    expect(r.state.reason).toMatch(/rejected in each of its 2 iterations; last feedback: no 1/)
  })

  it('emits phase:completed once per depth, in order', () => {
    let r = start({ name: 'w', steps: [{ id: 'a', skills: ['x'] }, { id: 'b', skills: ['x'], needs: ['a'] }] })
    const phases: number[] = []
    const collect = (actions: SchedulerAction[]): void => { for (const a of actions) if (a.type === 'emit' && a.event.type === 'phase:completed') phases.push(a.event.depth) }
    r = end(r.state, 'a', true); collect(r.actions)
    r = end(r.state, 'b', true); collect(r.actions)
    expect(phases).toEqual([0, 1])
  })

  it('sends a task the stop interrupted again under a new id, and does not count it failed', () => {
    let r = start({ name: 'w', steps: [{ id: 'a', skills: ['x'] }] })
    const first = taskOf(r.state, 'a')
    r = reduce(r.state, { type: 'task-interrupted', at: 5, taskId: first, reason: 'the announcer stopped' })
    const again = r.actions.find(a => a.type === 'announce')
    expect(again?.type === 'announce' ? again.stepId : undefined).toBe('a')
    const second = again?.type === 'announce' ? again.spec.taskId : ''
    expect(second).not.toBe(first)
    expect(r.state.steps.a?.status).toBe('running')
    r = reduce(r.state, { type: 'task-ended', at: 10, taskId: second, ok: true, status: 'COMPLETE', output: { x: 1 } })
    expect(r.state.status).toBe('completed')
  })
})
