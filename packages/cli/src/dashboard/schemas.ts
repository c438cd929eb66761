/**
 * What the dashboard reads from the control API, validated at the edge: the snapshots of
 * `GET /v1/status`, `/v1/agents`, `/v1/tasks`, `/v1/tasks/:id`, `/v1/workflows` and
 * `/v1/workflows/:id`, and the payloads of the events of `GET /v1/events` (stream-events.ts
 * turns those into dashboard actions). Unknown fields pass (newer nodes may add some); missing or
 * mistyped ones make a snapshot fail and an event be ignored. Schemas and their types only, so
 * that the state and the event parser both import them.
 */
import { STEP_STATUSES, WORKFLOW_STATUSES } from '@swarm/node'
import { JsonSchema } from '@swarm/protocol'
import { z } from 'zod'

export const SkillAdSchema = z.object({ name: z.string(), level: z.string() }).loose()
const MemberSchema = z.object({ peerId: z.string(), skills: z.array(z.string()) }).loose()

export const StatusSnapshotSchema = z.object({
  peerId: z.string(),
  name: z.string(),
  network: z.string(),
  software: z.object({ version: z.string() }).loose(),
  startedAt: z.number().optional(),
  uptimeMs: z.number(),
  connections: z.number(),
  peers: z.number(),
  agents: z.number(),
  capacity: z.number(),
  load: z.number()
}).loose()

export const AgentSnapshotSchema = z.object({
  peerId: z.string(),
  name: z.string(),
  self: z.boolean(),
  skills: z.array(SkillAdSchema),
  capacity: z.number(),
  load: z.number(),
  lastSeen: z.number()
}).loose()

export const AgentsSnapshotSchema = z.object({ agents: z.array(AgentSnapshotSchema) })

export const TaskSummarySchema = z.object({
  taskId: z.string(),
  status: z.string(),
  description: z.string(),
  skills: z.array(z.object({ name: z.string(), minLevel: z.string(), count: z.number() }).loose()),
  priority: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
  finishedAt: z.number().optional(),
  reason: z.string().optional(),
  attempts: z.number(),
  maxAttempts: z.number(),
  groupId: z.string().optional(),
  members: z.array(MemberSchema)
}).loose()

export const TasksSnapshotSchema = z.object({ tasks: z.array(TaskSummarySchema) })

/** `GET /v1/tasks/:id`: only the summary is used. */
export const TaskDetailSchema = z.object({ task: z.object({ summary: TaskSummarySchema }).loose() }).loose()

export type StatusSnapshot = z.infer<typeof StatusSnapshotSchema>
export type AgentSnapshot = z.infer<typeof AgentSnapshotSchema>
export type TaskSummary = z.infer<typeof TaskSummarySchema>

const ErrorSchema = z.object({ code: z.string(), message: z.string() }).loose()
/** What a model-served part returns besides its text (packages/node/src/llm): its token counts. */
const ModelUsageSchema = z.object({ usage: z.object({ totalTokens: z.number().nonnegative() }).loose() }).loose()

const OutcomeSchema = z.object({
  status: z.string(),
  ok: z.boolean(),
  reason: z.string().optional(),
  attempts: z.number().optional(),
  bySkill: z.record(z.string(), z.array(z.object({ output: z.unknown().optional() }).loose())).optional()
}).loose()

/** The tokens the parts of a task's outcome used (the llm skills'), or undefined when no part reports any. */
export function outcomeTokens (outcome: z.infer<typeof OutcomeSchema>): number | undefined {
  let total: number | undefined
  for (const parts of Object.values(outcome.bySkill ?? {})) {
    for (const part of parts) {
      const parsed = ModelUsageSchema.safeParse(part.output)
      if (parsed.success) total = (total ?? 0) + parsed.data.usage.totalTokens
    }
  }
  return total
}
const base = { taskId: z.string(), at: z.number() }

/** The task lifecycle events (`task:*`) of tasks this node announced. */
export const TaskEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('announced'), ...base, attempt: z.number() }).loose(),
  z.object({ type: z.literal('offer'), ...base, peerId: z.string(), skills: z.array(z.string()), score: z.number() }).loose(),
  z.object({ type: z.literal('bidding-closed'), ...base, offers: z.number(), early: z.boolean() }).loose(),
  z.object({ type: z.literal('formed'), ...base, groupId: z.string(), members: z.array(MemberSchema), formationMs: z.number() }).loose(),
  z.object({ type: z.literal('started'), ...base, groupId: z.string() }).loose(),
  z.object({ type: z.literal('progress'), ...base, peerId: z.string(), skill: z.string(), progress: z.number(), message: z.string().optional() }).loose(),
  z.object({ type: z.literal('member-result'), ...base, peerId: z.string(), skill: z.string(), ok: z.boolean(), durationMs: z.number(), error: ErrorSchema.optional() }).loose(),
  z.object({ type: z.literal('member-replaced'), ...base, skill: z.string(), from: z.string(), to: z.string(), reason: z.string() }).loose(),
  z.object({ type: z.literal('retry'), ...base, attempt: z.number(), delayMs: z.number(), reason: z.string() }).loose(),
  z.object({ type: z.literal('state'), ...base, from: z.string(), to: z.string(), reason: z.string().optional() }).loose(),
  z.object({ type: z.enum(['completed', 'failed', 'rejected', 'cancelled']), ...base, outcome: OutcomeSchema }).loose()
])

export type TaskEvent = z.infer<typeof TaskEventSchema>

/** This node's own work as a group member (`work:*`). */
export const WorkEventSchemas = {
  'work:offered': z.object({ taskId: z.string(), announcer: z.string(), skills: z.array(z.string()), score: z.number() }).loose(),
  'work:accepted': z.object({ taskId: z.string(), groupId: z.string(), skills: z.array(z.string()) }).loose(),
  'work:started': z.object({ taskId: z.string(), groupId: z.string(), skills: z.array(z.string()) }).loose(),
  'work:progress': z.object({ taskId: z.string(), skill: z.string(), progress: z.number(), message: z.string().optional() }).loose(),
  'work:finished': z.object({ taskId: z.string(), groupId: z.string(), skill: z.string(), ok: z.boolean(), durationMs: z.number(), error: ErrorSchema.optional() }).loose(),
  'work:released': z.object({ taskId: z.string(), reason: z.string() }).loose()
} as const

const StepTaskSchema = z.object({
  taskId: z.string(),
  item: z.number().optional(),
  iteration: z.number(),
  run: z.number(),
  status: z.enum(['running', 'completed', 'failed']),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
  output: JsonSchema.optional(),
  error: z.string().optional(),
  members: z.array(z.object({ peerId: z.string(), skill: z.string() }).loose()).optional(),
  tokens: z.number().optional()
}).loose()

const StepViewSchema = z.object({
  id: z.string(),
  description: z.string(),
  needs: z.array(z.string()),
  depth: z.number(),
  status: z.enum(STEP_STATUSES),
  iteration: z.number(),
  readyAt: z.number().optional(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  output: JsonSchema.optional(),
  error: z.string().optional(),
  escalationId: z.string().optional(),
  tasks: z.array(StepTaskSchema)
}).loose()

/** A workflow as `GET /v1/workflows` and `/v1/workflows/:id` give it (the node's WorkflowView). */
const WorkflowViewSchema = z.object({
  workflowId: z.string(),
  name: z.string(),
  status: z.enum(WORKFLOW_STATUSES),
  createdAt: z.number(),
  updatedAt: z.number(),
  finishedAt: z.number().optional(),
  reason: z.string().optional(),
  code: z.enum(['STEP_FAILED', 'STEP_UNASSIGNABLE']).optional(),
  input: JsonSchema.optional(),
  maxParallel: z.number().optional(),
  steps: z.array(StepViewSchema),
  output: z.record(z.string(), JsonSchema).optional()
}).loose()

export const WorkflowsSnapshotSchema = z.object({ workflows: z.array(WorkflowViewSchema) }).loose()
export const WorkflowDetailSchema = z.object({ workflow: WorkflowViewSchema }).loose()

const wfBase = { workflowId: z.string(), at: z.number() }

/**
 * The workflow events of `GET /v1/events`, each checked under the name it came with (the stream
 * sends the name as the SSE event and the fields as its data: stream-events.ts adds `type`).
 */
export const WorkflowEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('workflow:started'), ...wfBase, name: z.string(), steps: z.number() }).loose(),
  z.object({ type: z.literal('step:ready'), ...wfBase, stepId: z.string(), iteration: z.number() }).loose(),
  z.object({ type: z.literal('step:started'), ...wfBase, stepId: z.string(), iteration: z.number(), taskIds: z.array(z.string()) }).loose(),
  z.object({ type: z.literal('step:completed'), ...wfBase, stepId: z.string(), iteration: z.number(), durationMs: z.number() }).loose(),
  z.object({ type: z.literal('step:failed'), ...wfBase, stepId: z.string(), iteration: z.number(), error: z.string() }).loose(),
  z.object({ type: z.literal('step:escalated'), ...wfBase, stepId: z.string(), escalationId: z.string(), kind: z.enum(['approval', 'failure']) }).loose(),
  z.object({ type: z.literal('phase:completed'), ...wfBase, depth: z.number(), steps: z.array(z.string()) }).loose(),
  z.object({ type: z.literal('workflow:completed'), ...wfBase, durationMs: z.number() }).loose(),
  z.object({ type: z.literal('workflow:failed'), ...wfBase, reason: z.string() }).loose(),
  z.object({ type: z.literal('workflow:cancelled'), ...wfBase, reason: z.string() }).loose()
])
