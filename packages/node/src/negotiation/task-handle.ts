import type { TaskStatus } from '../core/task-machine.js'
import type { GroupMember, Json } from '@swarm/protocol'

/** Something that happened to an announced task, as its announcer saw it. */
export type TaskLifecycleEvent =
  | { type: 'announced', taskId: string, at: number, attempt: number, topics: string[] }
  | { type: 'offer', taskId: string, at: number, peerId: string, skills: string[], score: number }
  | { type: 'bidding-closed', taskId: string, at: number, offers: number, early: boolean }
  | { type: 'formed', taskId: string, at: number, groupId: string, members: GroupMember[], formationMs: number }
  | { type: 'started', taskId: string, at: number, groupId: string }
  | { type: 'progress', taskId: string, at: number, peerId: string, skill: string, progress: number, message?: string }
  | { type: 'member-result', taskId: string, at: number, peerId: string, skill: string, ok: boolean, durationMs: number, error?: { code: string, message: string } }
  | { type: 'member-replaced', taskId: string, at: number, skill: string, from: string, to: string, reason: string }
  | { type: 'retry', taskId: string, at: number, attempt: number, delayMs: number, reason: string }
  | { type: 'state', taskId: string, at: number, from: TaskStatus, to: TaskStatus, reason?: string }
  | { type: 'completed', taskId: string, at: number, outcome: TaskOutcome }
  | { type: 'failed', taskId: string, at: number, outcome: TaskOutcome }
  | { type: 'rejected', taskId: string, at: number, outcome: TaskOutcome }
  | { type: 'cancelled', taskId: string, at: number, outcome: TaskOutcome }

/** How a task ended. */
export interface TaskOutcome {
  taskId: string
  status: TaskStatus
  /** True when the task completed (and, if asked, was verified). */
  ok: boolean
  /** The aggregated output: `{ [skill]: output }` (an array per skill when it had several members). */
  output?: Json
  /** Each member's part. */
  bySkill?: Record<string, Array<{ peerId: string, ok: boolean, output?: Json, error?: { code: string, message: string } }>>
  errors?: Array<{ skill: string, peerId: string, code: string, message: string }>
  reason?: string
  attempts: number
  groupId?: string
  members?: GroupMember[]
  timings: TaskTimings
}

export interface TaskTimings {
  createdAt: number
  /** When the attempt that formed the group was announced. */
  announcedAt?: number
  formedAt?: number
  startedAt?: number
  finishedAt?: number
  /** Announcement → group formed, of the attempt that formed the group. */
  formationMs?: number
  /** Creation → final state. */
  totalMs?: number
}

/** The final events of a task. */
export const FINAL_EVENT_TYPES = ['completed', 'failed', 'rejected', 'cancelled'] as const

/**
 * A task this node announced: its events as they happen (replayed from the start for late
 * readers) and its outcome.
 */
export class TaskHandle {
  readonly id: string
  readonly #events: TaskLifecycleEvent[] = []
  readonly #waiters = new Set<() => void>()
  #outcome?: TaskOutcome
  readonly #outcomeWaiters: Array<(outcome: TaskOutcome) => void> = []
  readonly #cancel: (reason: string) => Promise<void>

  constructor (id: string, cancel: (reason: string) => Promise<void>) {
    this.id = id
    this.#cancel = cancel
  }

  /** Called by the announcer. */
  push (event: TaskLifecycleEvent): void {
    this.#events.push(event)
    if (event.type === 'completed' || event.type === 'failed' || event.type === 'rejected' || event.type === 'cancelled') {
      this.#outcome = event.outcome
      for (const resolve of this.#outcomeWaiters.splice(0)) resolve(event.outcome)
    }
    for (const wake of this.#waiters) wake()
  }

  get done (): boolean {
    return this.#outcome !== undefined
  }

  get outcome (): TaskOutcome | undefined {
    return this.#outcome
  }

  /** Every event so far, then the live ones, ending after the final event. */
  async * events (): AsyncGenerator<TaskLifecycleEvent> {
    let i = 0
    while (true) {
      while (i < this.#events.length) {
        const event = this.#events[i++] as TaskLifecycleEvent
        yield event
        if (event.type === 'completed' || event.type === 'failed' || event.type === 'rejected' || event.type === 'cancelled') return
      }
      await new Promise<void>(resolve => {
        const wake = (): void => {
          this.#waiters.delete(wake)
          resolve()
        }
        this.#waiters.add(wake)
      })
    }
  }

  /** Resolves with the outcome once the task reaches a final state (completed or not). */
  async result (): Promise<TaskOutcome> {
    if (this.#outcome !== undefined) return this.#outcome
    return await new Promise(resolve => { this.#outcomeWaiters.push(resolve) })
  }

  async cancel (reason = 'cancelled by the user'): Promise<void> {
    await this.#cancel(reason)
  }
}
