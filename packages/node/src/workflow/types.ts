/**
 * The shapes of a workflow as it runs and as it is shown: the state the scheduler reduces over,
 * the events a node emits, and the view the control API, the CLI, the dashboards and the
 * report read. Pure types; the schemas of the workflow file are in spec.ts.
 */
import type { Json } from '@swarm/protocol'

/** Where a workflow is. */
export const WORKFLOW_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number]

/**
 * Where a step is:
 * - `waiting`: some of its needs have not completed;
 * - `ready`: its needs are done, it waits for a place under `maxParallel`;
 * - `running`: its task (or, with `forEach`, its tasks) are out in the swarm;
 * - `escalated`: a person decides (an `approval` step before it runs, or an `onFailure: escalate` step that failed);
 * - `completed`, `failed`, `skipped` (a person skipped it, or the workflow ended before it ran), `cancelled`.
 */
export const STEP_STATUSES = ['waiting', 'ready', 'running', 'escalated', 'completed', 'failed', 'skipped', 'cancelled'] as const
export type StepStatus = (typeof STEP_STATUSES)[number]

/** One task a step sent out: one per run, one per item with `forEach`. */
export interface StepTask {
  taskId: string
  /** The item's index with `forEach`; absent otherwise. */
  item?: number
  /** The loop iteration it belongs to (1 for the first run). */
  iteration: number
  /** The step's run it belongs to (a loop iteration or a retry a person asked for starts a new run). */
  run: number
  status: 'running' | 'completed' | 'failed'
  startedAt: number
  finishedAt?: number
  /** The task's aggregated output, once completed. */
  output?: Json
  error?: string
  /** Who did it: the group's members (peer id and skill). */
  members?: Array<{ peerId: string, skill: string }>
  /** Model tokens spent on it, when an `llm` handler served it. */
  tokens?: number
}

/** A step as it stands. */
export interface StepView {
  id: string
  description: string
  needs: string[]
  /** The length of the longest chain of needs that leads to it (0: needs nothing). Phases are depths. */
  depth: number
  status: StepStatus
  /** 1 for the first run; a loop that sends the workflow back raises it. */
  iteration: number
  readyAt?: number
  startedAt?: number
  finishedAt?: number
  /** Its output once completed: the task's output, an array of the items' outputs with `forEach`, `null` for a failed step that continued. */
  output?: Json
  error?: string
  /** The open escalation a person answers with `swarm-node resolve` (approval, or a failure to decide on). */
  escalationId?: string
  /** Every task it sent out, in order. */
  tasks: StepTask[]
}

/** A workflow as the control API, the CLI and the dashboards show it. */
export interface WorkflowView {
  workflowId: string
  name: string
  status: WorkflowStatus
  createdAt: number
  updatedAt: number
  finishedAt?: number
  /** Why it failed or was cancelled. */
  reason?: string
  /** What made it fail: a step failed, or a step can never be assigned (nobody can do it). */
  code?: 'STEP_FAILED' | 'STEP_UNASSIGNABLE'
  input?: Json
  maxParallel?: number
  steps: StepView[]
  /** The outputs of the steps nothing else needs (the workflow's result), by step id. */
  output?: Record<string, Json>
}

/** What a workflow's events carry besides their own fields. */
interface WorkflowEventBase { workflowId: string, at: number }

/** Events a node emits (and its SSE stream carries) as its workflows run. */
export interface WorkflowEvents {
  'workflow:started': WorkflowEventBase & { name: string, steps: number }
  'step:ready': WorkflowEventBase & { stepId: string, iteration: number }
  'step:started': WorkflowEventBase & { stepId: string, iteration: number, taskIds: string[] }
  'step:completed': WorkflowEventBase & { stepId: string, iteration: number, durationMs: number }
  'step:failed': WorkflowEventBase & { stepId: string, iteration: number, error: string }
  'step:escalated': WorkflowEventBase & { stepId: string, escalationId: string, kind: 'approval' | 'failure' }
  'phase:completed': WorkflowEventBase & { depth: number, steps: string[] }
  'workflow:completed': WorkflowEventBase & { durationMs: number }
  'workflow:failed': WorkflowEventBase & { reason: string }
  'workflow:cancelled': WorkflowEventBase & { reason: string }
}

export type WorkflowEventName = keyof WorkflowEvents
/** One workflow event with its name, as `events()` of a handle and `run --json` give them. */
export type WorkflowEvent = { [K in WorkflowEventName]: { type: K } & WorkflowEvents[K] }[WorkflowEventName]
