/** The view of a workflow's state that the control API, the CLI and the dashboards show. Pure. */
import { depthsOf } from './spec.js'
import type { WorkflowState } from './scheduler.js'
import type { StepView, WorkflowView } from './types.js'
import type { Json } from '@swarm/protocol'

export function viewOf (wf: WorkflowState): WorkflowView {
  const depths = depthsOf(wf.spec.steps)
  const needed = new Set(wf.spec.steps.flatMap(s => s.needs))
  const steps: StepView[] = wf.spec.steps.map(spec => {
    const st = wf.steps[spec.id]
    if (st === undefined) throw new Error(`workflow ${wf.workflowId} has no state for step ${spec.id}`)
    return {
      id: spec.id,
      description: spec.description ?? spec.id,
      needs: spec.needs,
      depth: depths.get(spec.id) ?? 0,
      status: st.status,
      iteration: st.iteration,
      ...(st.readyAt !== undefined ? { readyAt: st.readyAt } : {}),
      ...(st.startedAt !== undefined ? { startedAt: st.startedAt } : {}),
      ...(st.finishedAt !== undefined ? { finishedAt: st.finishedAt } : {}),
      ...(st.output !== undefined ? { output: st.output } : {}),
      ...(st.error !== undefined ? { error: st.error } : {}),
      ...(st.escalationId !== undefined ? { escalationId: st.escalationId } : {}),
      tasks: st.tasks
    }
  })
  let output: Record<string, Json> | undefined
  if (wf.status === 'completed') {
    output = {}
    for (const s of steps) if (!needed.has(s.id)) output[s.id] = s.output ?? null
  }
  return {
    workflowId: wf.workflowId,
    name: wf.spec.name,
    status: wf.status,
    createdAt: wf.createdAt,
    updatedAt: wf.updatedAt,
    ...(wf.finishedAt !== undefined ? { finishedAt: wf.finishedAt } : {}),
    ...(wf.reason !== undefined ? { reason: wf.reason } : {}),
    ...(wf.code !== undefined ? { code: wf.code } : {}),
    ...(wf.input !== undefined ? { input: wf.input } : {}),
    ...(wf.spec.maxParallel !== undefined ? { maxParallel: wf.spec.maxParallel } : {}),
    steps,
    ...(output !== undefined ? { output } : {})
  }
}
