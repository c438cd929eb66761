import { guardedWrite } from './guarded.js'
import { closeInterruptedWork } from './member-ledger.js'
import { isFinal } from '../core/task-machine.js'
import type { TaskState } from '../core/task-machine.js'
import type { Logger } from '../logger.js'
import type { TaskOutcome } from '../negotiation/task-handle.js'
import type { TaskSpec } from '../negotiation/task-spec.js'
import type { AuditFn } from '../ports/ledger.js'
import type { Clock } from '../ports/clock.js'
import type { AuditEntry, StoredTask, TaskRole } from '../store/types.js'
import type { Json } from '@swarm/protocol'

/** What the ledger needs of the store. */
export interface LedgerStore {
  appendAudit: (entry: AuditEntry) => number
  saveTask: (task: StoredTask) => void
  saveCheckpoint: (taskId: string, role: TaskRole, checkpoint: Json) => boolean
  listTasks: (filter: { role?: TaskRole, status?: string[], limit?: number }) => StoredTask[]
}

export interface TaskLedgerComponents {
  store: LedgerStore
  logger: Logger
  clock: Clock
  /** The attempt a task is in on this node, by role, for the audit log line. */
  attemptOf: (role: TaskRole, taskId: string) => number | undefined
}

export interface TaskLedgerInit {
  /** This node's peer id: the actor of its audit entries. */
  self: string
}

/** Statuses of a task this node announced that are not final (COMPLETE awaits its verification). */
const UNFINISHED = ['PENDING', 'ANNOUNCED', 'QUEUED', 'ASSIGNED', 'RUNNING', 'COMPLETE', 'RETRY']

/** Most unfinished tasks a restarted announcer resumes (the newest ones). */
const MAX_RESUMED = 10_000

function attemptInDetail (detail: Json | undefined): number | undefined {
  return typeof detail === 'object' && detail !== null && !Array.isArray(detail) && typeof detail.attempt === 'number' ? detail.attempt : undefined
}

/** A value as stored: plain JSON (drops undefined fields, class instances become objects). */
function asJson (value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json
}

/**
 * What a node records of the tasks it takes part in: the audit trail of every coordination
 * decision (in the store, and as an `info` line of component `audit` in the node log), the
 * announced tasks with their state and result, and the closing of tasks a previous run left
 * unfinished. Every write goes through one guard: a failed write is logged, never thrown into the
 * negotiation.
 */
export class TaskLedger {
  readonly #c: TaskLedgerComponents
  readonly #self: string
  readonly #auditLog: Logger

  constructor (components: TaskLedgerComponents, init: TaskLedgerInit) {
    this.#c = components
    this.#self = init.self
    this.#auditLog = components.logger.child('audit')
  }

  /**
   * Records a coordination decision: appends it to the audit trail and writes it to the node log
   * at info level (component `audit`, `msg` the action) with the task id, the attempt, this
   * node's role in the task and the details.
   */
  audit (role: TaskRole, taskId: string, action: string, detail?: Json, attempt?: number): void {
    const entry: AuditEntry = { taskId, at: this.#c.clock.now(), actor: this.#self, action, ...(detail !== undefined ? { detail } : {}) }
    guardedWrite(this.#c.logger, 'audit entry', { taskId, action }, () => { this.#c.store.appendAudit(entry) }, 'error')
    if (!this.#auditLog.isEnabled('info')) return
    const n = attempt ?? this.#c.attemptOf(role, taskId) ?? attemptInDetail(detail)
    this.#auditLog.info(action, { taskId, ...(n !== undefined ? { attempt: n } : {}), role, ...(detail !== undefined ? { detail } : {}) })
  }

  /** The audit function of one role, as services take it. */
  auditor (role: TaskRole): AuditFn {
    return (taskId, action, detail) => { this.audit(role, taskId, action, detail) }
  }

  /** Persists a task this node announced: its spec, state, (when final) outcome and resume data. */
  saveAnnounced (task: { spec: TaskSpec, state: TaskState, outcome?: TaskOutcome, resume?: unknown }): void {
    const { spec, state, outcome, resume } = task
    guardedWrite(this.#c.logger, 'task', { taskId: state.taskId }, () => {
      this.#c.store.saveTask({
        taskId: state.taskId,
        role: 'announcer',
        spec: asJson(spec),
        state,
        status: state.status,
        createdAt: state.createdAt,
        updatedAt: state.updatedAt,
        ...(outcome !== undefined ? { result: asJson(outcome) } : {}),
        ...(resume !== undefined && outcome === undefined ? { resume: asJson(resume) } : {}),
        ...(state.groupId !== undefined ? { groupId: state.groupId } : {})
      })
    }, 'error')
  }

  /** Records the latest checkpoint of a task of one role (a failed write is logged). */
  saveCheckpoint (role: TaskRole, taskId: string, checkpoint: Json): void {
    guardedWrite(this.#c.logger, 'checkpoint', { taskId }, () => { this.#c.store.saveCheckpoint(taskId, role, checkpoint) }, 'error')
  }

  /**
   * The tasks an earlier run of this node announced and left unfinished (it was killed, or its
   * machine went down), oldest first, for the announcer to resume. A store that cannot be read
   * gives none (logged).
   */
  unfinished (): StoredTask[] {
    try {
      return this.#c.store.listTasks({ role: 'announcer', status: UNFINISHED, limit: MAX_RESUMED })
        .filter(t => !isFinal(t.state.status, t.state.verify)).reverse()
    } catch (err) {
      this.#c.logger.error('unfinished tasks not read: they are not resumed', { err })
      return []
    }
  }

  /** Closes the member rows an earlier run left open (member-ledger.ts closeInterruptedWork). */
  closeInterruptedWork (): void {
    const closed = closeInterruptedWork(this.#c.store, this.#c.logger, this.#c.clock.now())
    if (closed.length > 0) this.#c.logger.warn('parts left running by an earlier run of this node are closed as cancelled', { tasks: closed.length })
  }

  /**
   * Closes tasks an earlier run announced and left unfinished that cannot be resumed (their
   * stored spec is unreadable, say): they are CANCELLED with the reason in their history and
   * audit trail.
   */
  closeInterrupted (open: StoredTask[], reason: string): void {
    for (const task of open) {
      const now = this.#c.clock.now()
      const state: TaskState = {
        ...task.state,
        status: 'CANCELLED',
        reason,
        updatedAt: now,
        history: [...task.state.history, { at: now, from: task.state.status, to: 'CANCELLED', event: 'cancel', reason }]
      }
      guardedWrite(this.#c.logger, 'task', { taskId: task.taskId }, () => {
        this.#c.store.saveTask({ ...task, state, status: 'CANCELLED', updatedAt: now })
      }, 'error')
      this.audit('announcer', task.taskId, `state:${task.state.status}->CANCELLED`, { reason }, task.state.attempt)
    }
  }
}
