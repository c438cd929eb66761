/**
 * The coordinator's control of the worker threads that hold the frozen peers: it blocks their
 * event loop (Atomics.wait on a shared flag, what SIGSTOP does to a process: connections stay
 * open, nothing answers) and thaws them, and remembers when each peer froze and thawed.
 */
import type { WorkerLink } from './worker-link.js'

/** How long the coordinator waits for a freeze thread's answer before it gives up on it. */
export const FROZEN_CALL_TIMEOUT_MS = 30_000

/** When one peer froze and, if it did, thawed (epoch ms). */
export interface FreezeRecord {
  peerId: string
  at: number
  thawedAt?: number
}

export class Freezer {
  /** The shared flag of each frozen thread, by worker index: 0 frozen, 1 thawed. */
  readonly #flags = new Map<number, Int32Array>()
  /** The freezes of each thread's peers, by worker index. */
  readonly #records = new Map<number, FreezeRecord[]>()

  /** Whether worker thread `worker` is frozen now (calls to it would not be answered). */
  isFrozen (worker: number): boolean {
    return this.#flags.has(worker)
  }

  /** Whether worker thread `worker` was frozen at some time (it may be thawed now). */
  wasFrozen (worker: number): boolean {
    return this.#flags.has(worker) || this.#records.has(worker)
  }

  /** Every freeze so far, per peer. */
  get records (): FreezeRecord[] {
    return [...this.#records.values()].flat().map(r => ({ ...r }))
  }

  /**
   * Freezes a worker thread with every peer in it; resolves once the thread said it blocks.
   * From now on the thread counts as frozen (callers stop sending it calls that expect answers).
   */
  async freeze (worker: number, link: WorkerLink, peerIdOf: (index: number) => string): Promise<void> {
    if (this.#flags.has(worker)) return
    const signal = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)
    this.#flags.set(worker, new Int32Array(signal))
    this.#records.set(worker, this.#records.get(worker) ?? [])
    const answer = await link.call({ type: 'freeze', signal }, 'frozen', FROZEN_CALL_TIMEOUT_MS)
    const mine = this.#records.get(worker) ?? []
    for (const index of answer.peers) mine.push({ peerId: peerIdOf(index), at: answer.at })
  }

  /**
   * Thaws a frozen worker thread: its event loop runs again, with everything that waited. With
   * `planned` false (the end of the run), the peers' records keep no thaw time.
   */
  thaw (worker: number, planned = true): void {
    const flag = this.#flags.get(worker)
    if (flag === undefined) return
    this.#flags.delete(worker)
    Atomics.store(flag, 0, 1)
    Atomics.notify(flag, 0)
    if (!planned) return
    const now = Date.now()
    for (const r of this.#records.get(worker) ?? []) r.thawedAt ??= now
  }

  /** Thaws every thread still frozen (at the end of a run, so that its peers can stop). */
  thawAll (): void {
    for (const worker of [...this.#flags.keys()]) this.thaw(worker, false)
  }
}
