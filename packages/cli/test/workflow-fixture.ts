/** A workflow view for the tests of the CLI's workflow output and the dashboard's workflows. */
import type { StepTask, StepView, WorkflowView } from '@swarm/node'

export const T0 = 1_700_000_000_000

function task (taskId: string, status: StepTask['status'], startedAt: number, finishedAt?: number): StepTask {
  return { taskId, iteration: 1, run: 1, status, startedAt, ...(finishedAt !== undefined ? { finishedAt } : {}) }
}

export function step (id: string, needs: string[], status: StepView['status'], extra: Partial<StepView> = {}): StepView {
  return { id, description: `do ${id}`, needs, depth: needs.length === 0 ? 0 : 1, status, iteration: 1, tasks: [], ...extra }
}

/** fetch → parse → report, fetch → lint → approve → report. */
export function sampleWorkflow (): WorkflowView {
  return {
    workflowId: 'wf-7f3a',
    name: 'Build a CSV parser',
    status: 'running',
    createdAt: T0,
    updatedAt: T0 + 4000,
    steps: [
      step('fetch', [], 'completed', { startedAt: T0 + 100, finishedAt: T0 + 1100, tasks: [task('t-fetch-0001', 'completed', T0 + 100, T0 + 1100)] }),
      step('parse', ['fetch'], 'running', { iteration: 2, startedAt: T0 + 1200, tasks: [task('t-parse-0001', 'running', T0 + 1200), task('t-parse-0002', 'running', T0 + 1200)] }),
      step('lint', ['fetch'], 'failed', { startedAt: T0 + 1200, finishedAt: T0 + 1700, error: 'exit 1:\n  at line 3', tasks: [task('t-lint-0001', 'failed', T0 + 1200, T0 + 1700)] }),
      step('approve', ['lint'], 'escalated', { depth: 2, escalationId: 'esc-9' }),
      step('report', ['parse', 'lint', 'approve'], 'waiting', { depth: 3 })
    ]
  }
}
