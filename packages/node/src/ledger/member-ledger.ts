import { guardedWrite } from './guarded.js'
import type { TaskHistoryEntry, TaskState, TaskStatus } from '../core/task-machine.js'
import type { Logger } from '../logger.js'
import type { MemberHistory, MemberOffered, MemberPartOutcome } from '../ports/member-history.js'
import type { StoredTask } from '../store/types.js'
import type { GroupMember, Json } from '@swarm/protocol'

/** What the member ledger needs of the store. */
export interface MemberLedgerStore {
  saveTask: (task: StoredTask) => void
}

export interface MemberLedgerComponents {
  store: MemberLedgerStore
  logger: Logger
}

export interface MemberLedgerInit {
  /** This node's peer id: the member in the rows' results. */
  self: string
  /** Offers remembered until an invite comes (older ones are dropped first). */
  maxOffers: number
}

/** One part this member ran, as kept in its row. */
export interface MemberPartRecord {
  skill: string
  ok: boolean
  durationMs: number
  finishedAt: number
  error?: { code: string, message: string }
  /** The part was handed to a backup (why, and to whom when known) instead of finished here. */
  handedOff?: { reason: string, to?: string }
}

/**
 * The `spec` of a member row: what this node was told of the task and what it did, with the
 * times of each step. `outcome` is set once every part ended (or the assignment was let go).
 */
export interface MemberRecord {
  description: string
  priority: string
  deadline: number
  announcer: string
  attempt: number
  skills: string[]
  groupId: string
  offeredAt?: number
  acceptedAt: number
  startedAt?: number
  finishedAt?: number
  /** Started → finished (or accepted → let go). */
  durationMs?: number
  /** `cancelled` too when a part was handed to a backup (the reason says so; the part has `handedOff`). */
  outcome?: 'ok' | 'error' | 'cancelled'
  reason?: string
  parts: MemberPartRecord[]
}

/** A task this member holds in this run, with the state its row shows. */
interface Active {
  record: MemberRecord
  state: TaskState
  /** Why the assignment was let go while its parts ran (they end aborted). */
  releasedFor?: string
}

/** A value as stored: plain JSON (drops undefined fields). */
function asJson (value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json
}

/**
 * The member side's history in the store (rows of role `member`): each task this node accepted
 * an invite for, from the offer to the outcome of its parts. The bidder reports the steps through
 * the {@link MemberHistory} port; every write goes through the store guard, so a failed write is
 * logged and never breaks the work.
 */
export class MemberLedger implements MemberHistory {
  readonly #c: MemberLedgerComponents
  readonly #init: MemberLedgerInit
  /** Offers sent and not (yet) turned into an assignment, oldest first. */
  readonly #offers = new Map<string, MemberOffered>()
  readonly #active = new Map<string, Active>()

  constructor (components: MemberLedgerComponents, init: MemberLedgerInit) {
    this.#c = components
    this.#init = init
  }

  offered (info: MemberOffered): void {
    this.#offers.delete(info.taskId)
    this.#offers.set(info.taskId, info)
    if (this.#offers.size > this.#init.maxOffers) {
      const oldest = this.#offers.keys().next().value
      if (oldest !== undefined) this.#offers.delete(oldest)
    }
  }

  accepted (info: { taskId: string, announcer: string, attempt: number, groupId: string, skills: string[], at: number }): void {
    const offer = this.#offers.get(info.taskId)
    this.#offers.delete(info.taskId)
    const record: MemberRecord = {
      description: offer?.description ?? '',
      priority: offer?.priority ?? 'normal',
      deadline: offer?.deadline ?? 0,
      announcer: info.announcer,
      attempt: info.attempt,
      skills: info.skills,
      groupId: info.groupId,
      ...(offer !== undefined ? { offeredAt: offer.at } : {}),
      acceptedAt: info.at,
      parts: []
    }
    const createdAt = offer?.at ?? info.at
    const state: TaskState = {
      taskId: info.taskId,
      status: 'ASSIGNED',
      attempt: info.attempt,
      maxAttempts: info.attempt,
      verify: false,
      groupId: info.groupId,
      members: [],
      results: {},
      history: [{ at: info.at, from: 'ANNOUNCED', to: 'ASSIGNED', event: 'group-formed' }],
      createdAt,
      updatedAt: info.at
    }
    const active: Active = { record, state }
    this.#active.set(info.taskId, active)
    this.#save(info.taskId, active)
  }

  started (info: { taskId: string, groupId: string, skills: string[], members: GroupMember[], at: number }): void {
    const active = this.#active.get(info.taskId)
    if (active === undefined) return
    active.record.startedAt = info.at
    active.record.skills = info.skills
    active.state.members = info.members
    this.#move(active, 'RUNNING', 'started', info.at)
    this.#save(info.taskId, active)
  }

  partFinished (info: MemberPartOutcome): void {
    const active = this.#active.get(info.taskId)
    if (active === undefined) return
    const part: MemberPartRecord = { skill: info.skill, ok: info.ok, durationMs: info.durationMs, finishedAt: info.at, ...(info.error !== undefined ? { error: info.error } : {}), ...(info.handedOff !== undefined ? { handedOff: info.handedOff } : {}) }
    active.record.parts.push(part)
    active.state.results[info.skill] = { [this.#init.self]: { ok: info.ok, durationMs: info.durationMs, ...(info.error !== undefined ? { error: info.error } : {}) } }
    active.state.updatedAt = info.at
    this.#save(info.taskId, active)
  }

  finished (info: { taskId: string, at: number }): void {
    const active = this.#active.get(info.taskId)
    if (active === undefined) return
    const failed = active.record.parts.find(p => !p.ok && p.handedOff === undefined)
    const handedOff = active.record.parts.find(p => p.handedOff !== undefined)
    if (active.releasedFor !== undefined && handedOff === undefined) {
      this.#end(info.taskId, active, 'cancelled', active.releasedFor, info.at)
    } else if (failed !== undefined) {
      this.#end(info.taskId, active, 'error', `${failed.skill}: ${failed.error?.code ?? 'FAILED'} ${failed.error?.message ?? ''}`.trim(), info.at)
    } else if (handedOff?.handedOff !== undefined) {
      const { reason, to } = handedOff.handedOff
      this.#end(info.taskId, active, 'cancelled', `${handedOff.skill}: handed off${to !== undefined ? ` to ${to}` : ''} (${reason})`, info.at)
    } else {
      this.#end(info.taskId, active, 'ok', undefined, info.at)
    }
  }

  released (info: { taskId: string, reason: string, at: number }): void {
    this.#offers.delete(info.taskId)
    const active = this.#active.get(info.taskId)
    if (active === undefined) return
    // Running parts end aborted: the outcome is written when the last one ended.
    if (active.record.startedAt !== undefined) active.releasedFor = info.reason
    else this.#end(info.taskId, active, 'cancelled', info.reason, info.at)
  }

  /** Tasks this member holds in this run (accepted, not ended). */
  get active (): number {
    return this.#active.size
  }

  #end (taskId: string, active: Active, outcome: 'ok' | 'error' | 'cancelled', reason: string | undefined, at: number): void {
    const { record } = active
    record.finishedAt = at
    record.durationMs = Math.max(0, at - (record.startedAt ?? record.acceptedAt))
    record.outcome = outcome
    if (reason !== undefined) {
      record.reason = reason
      active.state.reason = reason
    }
    const to: TaskStatus = outcome === 'ok' ? 'COMPLETE' : outcome === 'error' ? 'FAILED' : 'CANCELLED'
    this.#move(active, to, outcome === 'cancelled' ? 'cancel' : outcome === 'error' ? 'fail' : 'member-result', at, reason)
    this.#active.delete(taskId)
    this.#save(taskId, active)
  }

  #move (active: Active, to: TaskStatus, event: TaskHistoryEntry['event'], at: number, reason?: string): void {
    const { state } = active
    state.history.push({ at, from: state.status, to, event, ...(reason !== undefined ? { reason } : {}) })
    state.status = to
    state.updatedAt = at
  }

  #save (taskId: string, active: Active): void {
    const { record, state } = active
    guardedWrite(this.#c.logger, 'member task', { taskId }, () => {
      this.#c.store.saveTask({
        taskId,
        role: 'member',
        spec: asJson(record),
        state: asJson(state) as unknown as TaskState,
        status: state.status,
        createdAt: state.createdAt,
        updatedAt: state.updatedAt,
        groupId: record.groupId,
        announcer: record.announcer,
        skills: record.skills,
        ...(record.outcome !== undefined ? { result: asJson({ outcome: record.outcome, parts: record.parts, ...(record.reason !== undefined ? { reason: record.reason } : {}) }) } : {})
      })
    })
  }
}

/** Statuses of a member row whose work was still going on. */
const MEMBER_UNFINISHED = ['ASSIGNED', 'RUNNING']

/**
 * Closes the member rows an earlier run of this node left open (it was killed or crashed while
 * it held the parts): their handlers died with it, so they end CANCELLED with the reason, and
 * `swarm-node tasks --role member` does not show them running forever. Returns their task ids.
 */
export function closeInterruptedWork (store: { listTasks: (filter: { role?: 'member', status?: string[], limit?: number }) => StoredTask[], saveTask: (task: StoredTask) => void }, logger: Logger, now: number): string[] {
  const reason = 'this node stopped before its parts finished (it was killed or crashed)'
  let open: StoredTask[]
  try {
    open = store.listTasks({ role: 'member', status: MEMBER_UNFINISHED, limit: 10_000 })
  } catch (err) {
    logger.error('member rows left open by an earlier run not read', { err })
    return []
  }
  for (const task of open) {
    const spec = typeof task.spec === 'object' && task.spec !== null && !Array.isArray(task.spec) ? task.spec : {}
    const state: TaskState = {
      ...task.state,
      status: 'CANCELLED',
      reason,
      updatedAt: now,
      history: [...task.state.history, { at: now, from: task.state.status, to: 'CANCELLED', event: 'cancel', reason }]
    }
    guardedWrite(logger, 'member task', { taskId: task.taskId }, () => {
      store.saveTask({ ...task, spec: { ...spec, outcome: 'cancelled', reason, finishedAt: now }, state, status: 'CANCELLED', updatedAt: now })
    })
  }
  return open.map(t => t.taskId)
}
