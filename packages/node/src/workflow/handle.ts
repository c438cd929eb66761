/** A workflow this node runs: its events as they happen (replayed for late readers) and its end. */
import type { WorkflowEvent, WorkflowView } from './types.js'

const FINAL: ReadonlySet<string> = new Set(['workflow:completed', 'workflow:failed', 'workflow:cancelled'])

export class WorkflowHandle {
  readonly id: string
  readonly #events: WorkflowEvent[] = []
  readonly #waiters = new Set<() => void>()
  readonly #view: () => WorkflowView
  readonly #cancel: (reason: string) => void
  #ended = false

  constructor (id: string, view: () => WorkflowView, cancel: (reason: string) => void) {
    this.id = id
    this.#view = view
    this.#cancel = cancel
  }

  /** Called by the service. */
  push (event: WorkflowEvent): void {
    this.#events.push(event)
    if (FINAL.has(event.type)) this.#ended = true
    for (const wake of [...this.#waiters]) wake()
  }

  get done (): boolean {
    return this.#ended
  }

  /** The workflow as it stands. */
  view (): WorkflowView {
    return this.#view()
  }

  /** Every event so far, then the live ones, ending after the workflow's last. */
  async * events (): AsyncGenerator<WorkflowEvent> {
    let i = 0
    while (true) {
      while (i < this.#events.length) {
        const event = this.#events[i++] as WorkflowEvent
        yield event
        if (FINAL.has(event.type)) return
      }
      if (this.#ended) return
      await new Promise<void>(resolve => {
        const wake = (): void => { this.#waiters.delete(wake); resolve() }
        this.#waiters.add(wake)
      })
    }
  }

  /** Resolves with the workflow's view once it completed, failed or was cancelled. */
  async result (): Promise<WorkflowView> {
    while (!this.#ended) {
      await new Promise<void>(resolve => {
        const wake = (): void => { this.#waiters.delete(wake); resolve() }
        this.#waiters.add(wake)
      })
    }
    return this.#view()
  }

  cancel (reason = 'cancelled by the user'): void {
    this.#cancel(reason)
  }
}
