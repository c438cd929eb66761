/**
 * Fakes for the workflow service: an announcer whose tasks the test ends by hand, escalations
 * kept in a map, an in-memory store and a manual clock.
 */
import { createEscalation, resolveEscalation } from '../../src/group/escalations.js'
import { silentLogger } from '../../src/logger.js'
import { TaskHandle } from '../../src/negotiation/task-handle.js'
import { SwarmStore } from '../../src/store/store.js'
import { SwarmError } from '../../src/errors.js'
import { WorkflowService } from '../../src/workflow/service.js'
import type { EscalationRecord } from '../../src/group/escalations.js'
import type { TaskOutcome } from '../../src/negotiation/task-handle.js'
import type { TaskSpecInput } from '../../src/negotiation/task-spec.js'
import type { Clock, TimerHandle } from '../../src/ports/clock.js'
import type { WorkflowEvents } from '../../src/workflow/types.js'
import type { Json } from '@swarm/protocol'

const SELF = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

export class ManualClock implements Clock {
  t = 1_000_000
  readonly timers: Array<{ at: number, fn: () => void }> = []
  now = (): number => this.t
  setTimeout = (fn: () => void, ms: number): TimerHandle => { this.timers.push({ at: this.t + ms, fn }); return this.timers.length as unknown as TimerHandle }
  clearTimeout = (): void => {}
  sleep = async (ms: number): Promise<void> => { await new Promise<void>(resolve => { this.setTimeout(resolve, ms) }) }
  advance (ms: number): void {
    this.t += ms
    for (const timer of this.timers.splice(0).sort((a, b) => a.at - b.at)) {
      if (timer.at <= this.t) timer.fn()
      else this.timers.push(timer)
    }
  }
}

export class FakeAnnouncer {
  readonly announced: Array<TaskSpecInput & { taskId: string }> = []
  readonly cancelled: string[] = []
  readonly handles = new Map<string, TaskHandle>()
  /** Announcements refused with NO_CAPABLE_PEERS while true. */
  nobody = false

  async announce (spec: TaskSpecInput): Promise<TaskHandle> {
    if (this.nobody) throw new SwarmError('NO_CAPABLE_PEERS', 'no agent has these skills')
    const taskId = spec.taskId ?? `t${this.announced.length}`
    const handle = new TaskHandle(taskId, async reason => { this.end(taskId, { ok: false, status: 'CANCELLED', reason }) })
    this.announced.push({ ...spec, taskId })
    this.handles.set(taskId, handle)
    return handle
  }

  get (taskId: string): TaskHandle | undefined {
    const h = this.handles.get(taskId)
    return h?.done === true ? undefined : h
  }

  async cancel (taskId: string, reason: string): Promise<unknown> {
    this.cancelled.push(taskId)
    this.end(taskId, { ok: false, status: 'CANCELLED', reason })
    return undefined
  }

  /** Ends a task: its output is `{ [its first skill]: output }`, as the announcer aggregates one part. */
  end (taskId: string, r: { ok: boolean, status?: string, output?: Json, reason?: string }): void {
    const handle = this.handles.get(taskId)
    if (handle === undefined || handle.done) return
    const spec = this.announced.find(a => a.taskId === taskId)
    const skill = spec?.skills[0]?.name ?? 'skill'
    const outcome: TaskOutcome = {
      taskId,
      status: (r.status ?? (r.ok ? 'COMPLETE' : 'FAILED')) as TaskOutcome['status'],
      ok: r.ok,
      ...(r.output !== undefined ? { output: { [skill]: r.output } } : {}),
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      attempts: 1,
      members: [{ peerId: SELF, skills: [skill] }],
      timings: { createdAt: 0 }
    }
    handle.push({ type: r.ok ? 'completed' : 'failed', taskId, at: 0, outcome })
  }

  /** The last task announced for a step. */
  last (stepId: string): TaskSpecInput & { taskId: string } {
    const found = this.announced.findLast(a => a.workflow?.stepId === stepId)
    if (found === undefined) throw new Error(`no task of step ${stepId} was announced (announced: ${this.announced.map(a => a.workflow?.stepId).join(', ')})`)
    return found
  }
}

export class FakeEscalations {
  readonly records = new Map<string, EscalationRecord>()
  #n = 0
  raise = (input: Parameters<typeof createEscalation>[0]): EscalationRecord => {
    const record = createEscalation(input, `escalation-${++this.#n}`.padEnd(8, '0'), 1)
    this.records.set(record.id, record)
    return record
  }

  escalation = (id: string): EscalationRecord | undefined => this.records.get(id)
  resolve (id: string, decision: string): EscalationRecord {
    const record = this.records.get(id)
    if (record === undefined) throw new Error(`no escalation ${id}`)
    const resolved = resolveEscalation(record, decision, 2)
    this.records.set(id, resolved)
    return resolved
  }
}

export interface Harness {
  service: WorkflowService
  announcer: FakeAnnouncer
  escalations: FakeEscalations
  store: SwarmStore
  clock: ManualClock
  events: Array<{ name: keyof WorkflowEvents, payload: unknown }>
  /** A new service over the same store and announcer (a restarted node). */
  restart: () => WorkflowService
}

/** Lets the promise callbacks of the fakes run. */
export async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>(resolve => { setImmediate(resolve) })
}

export function harness (opts: { store?: SwarmStore, announcer?: FakeAnnouncer } = {}): Harness {
  const announcer = opts.announcer ?? new FakeAnnouncer()
  const escalations = new FakeEscalations()
  const store = opts.store ?? SwarmStore.open(':memory:')
  const clock = new ManualClock()
  const events: Harness['events'] = []
  const make = (): WorkflowService => new WorkflowService({
    announcer,
    store,
    escalations,
    emit: (name, payload) => { events.push({ name, payload }) },
    clock,
    self: SELF,
    log: silentLogger()
  })
  const service = make()
  service.start()
  return {
    service,
    announcer,
    escalations,
    store,
    clock,
    events,
    restart: () => { service.stop(); const next = make(); next.start(); return next }
  }
}
