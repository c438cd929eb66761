/**
 * The workflows this node runs. The scheduler (scheduler.ts) decides; this service keeps each
 * workflow's state in the store after every event, before it acts on the decision, and does
 * what the scheduler asks: it announces the steps' tasks (through the announcer, like any task),
 * cancels them, raises escalations for approvals and failures, and emits the events. On start it
 * takes up the workflows a stop or a crash interrupted: a task still out is followed again (the
 * announcer resumed it), a task that ended meanwhile gives its stored outcome, a task that was
 * never announced is sent now. Completed steps are never run again.
 */
import { newId } from '@swarm/protocol'
import { isTaskFinal, storedOutcome } from '../api/task-views.js'
import { SwarmError } from '../errors.js'
import { STOPPED_REASON } from '../negotiation/announcer/constants.js'
import { WorkflowHandle } from './handle.js'
import { newWorkflow, reduce, taskSpecOf } from './scheduler.js'
import { parseWorkflow, WorkflowSpecError } from './spec.js'
import { viewOf } from './view.js'
import type { EscalationInput, EscalationRecord } from '../group/escalations.js'
import type { Logger } from '../logger.js'
import type { TaskHandle, TaskOutcome } from '../negotiation/task-handle.js'
import type { TaskSpecInput } from '../negotiation/task-spec.js'
import type { Clock } from '../ports/clock.js'
import type { AuditEntry, StoredTask, TaskRole } from '../store/types.js'
import type { SchedulerAction, SchedulerEvent, WorkflowState } from './scheduler.js'
import type { WorkflowSpec } from './spec.js'
import type { WorkflowEvents, WorkflowView } from './types.js'
import type { Json } from '@swarm/protocol'

/** What the service needs of the node. */
export interface WorkflowComponents {
  announcer: {
    announce: (spec: TaskSpecInput) => Promise<TaskHandle>
    get: (taskId: string) => TaskHandle | undefined
    cancel: (taskId: string, reason: string) => Promise<unknown>
  }
  store: {
    saveWorkflow: (w: { workflowId: string, name: string, status: string, state: Json, createdAt: number, updatedAt: number }) => void
    getWorkflow: (workflowId: string) => Json | undefined
    listWorkflows: (filter?: { status?: string, limit?: number }) => Json[]
    getTask: (taskId: string, role?: TaskRole) => StoredTask | undefined
    appendAudit: (entry: AuditEntry) => number
    listAudit: (filter: { taskId: string }) => AuditEntry[]
  }
  escalations: {
    raise: (input: EscalationInput) => EscalationRecord
    escalation: (id: string) => EscalationRecord | undefined
  }
  emit: <K extends keyof WorkflowEvents>(name: K, payload: WorkflowEvents[K]) => void
  clock: Clock
  /** This node's peer id (the escalations' announcer). */
  self: string
  log: Logger
}

export interface WorkflowServiceInit {
  /**
   * How long a step's task is announced again while no agent with its skills is known (a node
   * that just started has not heard of its peers yet), before the step fails as unassignable.
   */
  unassignableAfterMs?: number
}

const RETRY_ANNOUNCE_MS = 500

/** The tokens an outcome's parts spent on their models (llm skills report `usage`). */
function tokensOf (outcome: TaskOutcome): number {
  let total = 0
  for (const parts of Object.values(outcome.bySkill ?? {})) {
    for (const p of parts) {
      const usage = typeof p.output === 'object' && p.output !== null && !Array.isArray(p.output) ? p.output.usage : undefined
      if (typeof usage === 'object' && usage !== null && !Array.isArray(usage) && typeof usage.totalTokens === 'number') total += usage.totalTokens
    }
  }
  return total
}

function endedEvent (outcome: TaskOutcome, at: number): Extract<SchedulerEvent, { type: 'task-ended' }> {
  return {
    type: 'task-ended',
    at,
    taskId: outcome.taskId,
    ok: outcome.ok,
    status: outcome.status,
    ...(outcome.output !== undefined ? { output: outcome.output } : {}),
    ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
    ...(outcome.members !== undefined ? { members: outcome.members.flatMap(m => m.skills.map(skill => ({ peerId: m.peerId, skill }))) } : {}),
    tokens: tokensOf(outcome)
  }
}

export class WorkflowService {
  readonly #c: WorkflowComponents
  readonly #unassignableAfterMs: number
  readonly #live = new Map<string, { state: WorkflowState, handle: WorkflowHandle }>()
  #running = false

  constructor (components: WorkflowComponents, init: WorkflowServiceInit = {}) {
    this.#c = components
    this.#unassignableAfterMs = init.unassignableAfterMs ?? 5_000
  }

  /** Takes up the workflows that were running when the node stopped. */
  start (): void {
    this.#running = true
    for (const raw of this.#c.store.listWorkflows({ status: 'running', limit: 10_000 })) {
      const state = raw as unknown as WorkflowState
      try {
        parseWorkflow(state.spec)
      } catch (err) {
        this.#c.log.error('a stored workflow cannot be read; it stays as it is', { workflowId: state.workflowId, error: (err as Error).message })
        continue
      }
      this.#resume(state)
    }
  }

  /** From now on, nothing that happens to the tasks changes the workflows: they stay running in the store, to be resumed. */
  stop (): void {
    this.#running = false
    this.#live.clear()
  }

  /** Checks a workflow and runs it. Throws WORKFLOW_INVALID naming every problem. */
  run (spec: unknown, opts: { input?: Json, workflowId?: string } = {}): WorkflowHandle {
    if (!this.#running) throw new SwarmError('NOT_STARTED', 'start the node before running workflows')
    let parsed: WorkflowSpec
    try {
      parsed = parseWorkflow(spec)
    } catch (err) {
      if (err instanceof WorkflowSpecError) throw new SwarmError('WORKFLOW_INVALID', err.message, { problems: err.problems })
      throw err
    }
    const workflowId = opts.workflowId ?? newId()
    if (this.#live.has(workflowId) || this.#c.store.getWorkflow(workflowId) !== undefined) throw new SwarmError('WORKFLOW_STATE', `workflow ${workflowId} exists already`, { workflowId })
    const state = newWorkflow(workflowId, parsed, opts.input, this.#c.clock.now())
    const handle = this.#track(state)
    this.#audit(workflowId, 'workflow-created', { name: parsed.name, steps: parsed.steps.map(s => s.id) })
    this.#dispatch(workflowId, { type: 'start', at: this.#c.clock.now() })
    return handle
  }

  /** The handle of a workflow this node runs now. */
  get (workflowId: string): WorkflowHandle | undefined {
    return this.#live.get(workflowId)?.handle
  }

  /** A workflow as it stands (running or from the store). */
  view (workflowId: string): WorkflowView | undefined {
    const live = this.#live.get(workflowId)
    if (live !== undefined) return viewOf(live.state)
    const stored = this.#c.store.getWorkflow(workflowId)
    return stored === undefined ? undefined : viewOf(stored as unknown as WorkflowState)
  }

  /** Workflows, newest first. */
  list (filter: { status?: string, limit?: number } = {}): WorkflowView[] {
    return this.#c.store.listWorkflows(filter).map(raw => {
      const state = raw as unknown as WorkflowState
      return viewOf(this.#live.get(state.workflowId)?.state ?? state)
    })
  }

  /** The audit trail of a workflow: every step's events and a person's decisions. */
  audit (workflowId: string): AuditEntry[] {
    return this.#c.store.listAudit({ taskId: workflowId })
  }

  /** Cancels a running workflow: its running tasks are cancelled, the steps not done end cancelled. */
  cancel (workflowId: string, reason = 'cancelled by the user'): WorkflowView {
    const live = this.#live.get(workflowId)
    if (live === undefined) {
      const view = this.view(workflowId)
      if (view === undefined) throw new SwarmError('WORKFLOW_NOT_FOUND', `no workflow ${workflowId} on this node: list them with "swarm-node workflows"`, { workflowId })
      throw new SwarmError('WORKFLOW_STATE', `workflow ${workflowId} is ${view.status} already`, { workflowId })
    }
    this.#dispatch(workflowId, { type: 'cancel', at: this.#c.clock.now(), reason })
    return viewOf(live.state)
  }

  /** A person decided on an escalation (the node passes every resolved one; the service takes its own). */
  onEscalationResolved (record: EscalationRecord): void {
    if (record.source !== 'workflow-approval' && record.source !== 'workflow-failure') return
    if (!this.#live.has(record.taskId) || record.decision === undefined) return
    this.#dispatch(record.taskId, { type: 'decided', at: this.#c.clock.now(), escalationId: record.id, decision: record.decision })
  }

  #track (state: WorkflowState): WorkflowHandle {
    const id = state.workflowId
    // The entry outlives the workflow's place in #live: its handle shows the last state.
    const entry = { state, handle: undefined as unknown as WorkflowHandle }
    entry.handle = new WorkflowHandle(id, () => viewOf(entry.state), reason => { if (this.#live.has(id)) this.cancel(id, reason) })
    this.#live.set(id, entry)
    return entry.handle
  }

  #resume (state: WorkflowState): void {
    const id = state.workflowId
    this.#track(state)
    this.#audit(id, 'workflow-resumed', {})
    this.#c.log.info('workflow resumed', { workflowId: id, name: state.spec.name })
    for (const [stepId, st] of Object.entries(state.steps)) {
      for (const t of st.tasks) {
        if (t.status !== 'running') continue
        const handle = this.#c.announcer.get(t.taskId)
        if (handle !== undefined) { this.#follow(id, handle); continue }
        const stored = this.#c.store.getTask(t.taskId, 'announcer')
        if (stored !== undefined && isTaskFinal(stored)) {
          const outcome = storedOutcome(stored)
          if (outcome.status === 'CANCELLED' && outcome.reason === STOPPED_REASON) {
            // This node's stop cancelled it (the workflow stayed running): it goes out again.
            this.#audit(id, 'step-task-interrupted', { stepId, taskId: t.taskId })
            this.#dispatch(id, { type: 'task-interrupted', at: this.#c.clock.now(), taskId: t.taskId, reason: outcome.reason })
          } else {
            this.#dispatch(id, endedEvent(outcome, this.#c.clock.now()))
          }
          continue
        }
        const spec = taskSpecOf(state, stepId, t.taskId)
        if (spec !== undefined) this.#announce(id, spec)
      }
      if (st.status === 'escalated') {
        const record = st.escalationId === undefined ? undefined : this.#c.escalations.escalation(st.escalationId)
        if (record === undefined) this.#escalate(id, stepId, st.escalationKind ?? 'failure', `workflow ${state.spec.name} (${id}): step "${stepId}" waits for a person's decision`, st.escalationKind === 'approval' ? ['approve', 'reject'] : ['retry', 'skip', 'fail'])
        else if (record.status === 'resolved') this.onEscalationResolved(record)
      }
    }
  }

  #dispatch (workflowId: string, event: SchedulerEvent): void {
    const live = this.#live.get(workflowId)
    if (live === undefined || !this.#running) return
    const { state, actions } = reduce(live.state, event)
    if (state === live.state) return
    live.state = state
    this.#c.store.saveWorkflow({ workflowId, name: state.spec.name, status: state.status, state: state as unknown as Json, createdAt: state.createdAt, updatedAt: state.updatedAt })
    for (const action of actions) this.#perform(workflowId, action, live.handle)
    if (state.status !== 'running') this.#live.delete(workflowId)
  }

  #perform (workflowId: string, action: SchedulerAction, handle: WorkflowHandle): void {
    switch (action.type) {
      case 'emit': {
        const { type, ...payload } = action.event
        this.#audit(workflowId, type, payload)
        this.#c.emit(type, payload)
        handle.push(action.event)
        break
      }
      case 'announce': this.#announce(workflowId, action.spec); break
      case 'cancel-task':
        void this.#c.announcer.cancel(action.taskId, action.reason).catch(() => { /* it ended already */ })
        break
      case 'escalate': this.#escalate(workflowId, action.stepId, action.kind, action.issue, action.choices); break
    }
  }

  #escalate (workflowId: string, stepId: string, kind: 'approval' | 'failure', issue: string, choices: string[]): void {
    const record = this.#c.escalations.raise({
      taskId: workflowId,
      announcer: this.#c.self,
      raisedBy: this.#c.self,
      source: kind === 'approval' ? 'workflow-approval' : 'workflow-failure',
      severity: kind === 'approval' ? 'medium' : 'high',
      issue,
      context: { workflowId, stepId, kind },
      choices
    })
    this.#dispatch(workflowId, { type: 'escalated', at: this.#c.clock.now(), stepId, escalationId: record.id })
  }

  /** Announces a step's task; while nobody with its skills is known it tries again, up to unassignableAfterMs. */
  #announce (workflowId: string, spec: TaskSpecInput & { taskId: string }, since = this.#c.clock.now()): void {
    const known = this.#c.announcer.get(spec.taskId)
    if (known !== undefined) { this.#follow(workflowId, known); return }
    this.#c.announcer.announce(spec).then(handle => { this.#follow(workflowId, handle) }, (err: unknown) => {
      if (!this.#live.has(workflowId)) return
      const code = err instanceof SwarmError ? err.code : undefined
      if (code === 'NO_CAPABLE_PEERS' && this.#c.clock.now() - since < this.#unassignableAfterMs) {
        this.#c.clock.setTimeout(() => { if (this.#live.has(workflowId)) this.#announce(workflowId, spec, since) }, RETRY_ANNOUNCE_MS)
        return
      }
      this.#dispatch(workflowId, { type: 'task-ended', at: this.#c.clock.now(), taskId: spec.taskId, ok: false, status: code === 'NO_CAPABLE_PEERS' ? 'REJECTED' : 'FAILED', reason: (err as Error).message })
    })
  }

  #follow (workflowId: string, handle: TaskHandle): void {
    void handle.result().then(outcome => { this.#dispatch(workflowId, endedEvent(outcome, this.#c.clock.now())) })
  }

  #audit (workflowId: string, action: string, detail: Json): void {
    this.#c.store.appendAudit({ taskId: workflowId, at: this.#c.clock.now(), actor: this.#c.self, action, detail })
  }
}
