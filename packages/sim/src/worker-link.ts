/**
 * The coordinator's end of one worker thread: commands go out, events come back, and a command
 * that expects an answer waits for the worker's event of that type (one such call at a time).
 */
import { Worker } from 'node:worker_threads'
import { SwarmError } from '@swarm/node'
import type { WorkerCommand, WorkerEvent } from './messages.js'

/**
 * Young generation of each worker thread's heap. Hundreds of peers in one thread allocate fast:
 * with V8's default (16 MiB semi-spaces) the short-lived objects of a negotiation (a second or
 * two) are promoted before they die, the old generation grows by ~1.5 MiB a second, and its
 * collections pause the thread for 0.3 s and more, longer than a bid window (measured on 500
 * peers). A larger young generation lets them die young.
 */
const WORKER_YOUNG_GENERATION_MIB = 192

export class WorkerLink {
  readonly worker: Worker
  readonly #waiters = new Map<string, Array<(event: WorkerEvent) => void>>()
  #chain: Promise<unknown> = Promise.resolve()

  constructor (index: number, onEvent: (event: WorkerEvent) => void) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { name: `sim-worker-${index}`, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MIB } })
    this.worker.on('message', (event: WorkerEvent) => {
      const waiters = this.#waiters.get(event.type)
      const waiter = waiters?.shift()
      if (waiter !== undefined) waiter(event)
      onEvent(event)
    })
  }

  send (command: WorkerCommand): void {
    this.worker.postMessage(command)
  }

  /**
   * Sends a command and resolves with the worker's answer of type `reply`; one at a time. With
   * `timeoutMs`, rejects with SwarmError TIMEOUT when no answer came in time (a frozen thread);
   * a late answer is then swallowed, so that it does not answer the next call.
   */
  async call<T extends WorkerEvent['type']>(command: WorkerCommand, reply: T, timeoutMs?: number): Promise<Extract<WorkerEvent, { type: T }>> {
    const run = async (): Promise<Extract<WorkerEvent, { type: T }>> => await new Promise((resolve, reject) => {
      const list = this.#waiters.get(reply) ?? []
      let timer: NodeJS.Timeout | undefined
      let answer = (event: WorkerEvent): void => { resolve(event as Extract<WorkerEvent, { type: T }>) }
      list.push(event => { clearTimeout(timer); answer(event) })
      this.#waiters.set(reply, list)
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          answer = () => {}
          reject(new SwarmError('TIMEOUT', `simulator worker ${this.worker.threadId} sent no "${reply}" answer to "${command.type}" within ${timeoutMs} ms`))
        }, timeoutMs)
      }
      this.send(command)
    })
    const result = this.#chain.then(run, run)
    this.#chain = result.catch(() => {})
    return await result
  }
}

/** Items grouped by the index of the worker thread that holds them, in their first order. */
export function groupByWorker<T> (items: Array<{ worker: number, item: T }>): Map<number, T[]> {
  const out = new Map<number, T[]>()
  for (const { worker, item } of items) out.set(worker, [...(out.get(worker) ?? []), item])
  return out
}
