/**
 * The cap on requests one node sends to one model endpoint at once (llm.maxConcurrent): a GPU
 * with one model loaded is not sent four requests because the agent's capacity is 4. Requests
 * over the cap wait in order of arrival; a waiting request whose part is aborted leaves the queue.
 */

interface Waiter {
  resolve: (release: () => void) => void
  reject: (reason: unknown) => void
  signal: AbortSignal
  onAbort: () => void
}

interface Endpoint {
  running: number
  queue: Waiter[]
}

/** What {@link EndpointSlots.stats} reports per endpoint. */
export interface EndpointLoad {
  running: number
  waiting: number
}

export class EndpointSlots {
  readonly #endpoints = new Map<string, Endpoint>()

  /**
   * Waits for one of the `max` slots of endpoint `key`; resolves with the function that gives it
   * back (call it once). Rejects with the signal's reason when aborted while waiting.
   */
  async acquire (key: string, max: number, signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) throw signal.reason
    const endpoint = this.#endpoints.get(key) ?? { running: 0, queue: [] }
    this.#endpoints.set(key, endpoint)
    if (endpoint.running < max) {
      endpoint.running++
      return this.#releaser(key, endpoint, max)
    }
    return await new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          endpoint.queue = endpoint.queue.filter(w => w !== waiter)
          reject(signal.reason)
        }
      }
      signal.addEventListener('abort', waiter.onAbort, { once: true })
      endpoint.queue.push(waiter)
    })
  }

  /** Requests running and waiting, per endpoint. */
  stats (): Record<string, EndpointLoad> {
    const out: Record<string, EndpointLoad> = {}
    for (const [key, e] of this.#endpoints) out[key] = { running: e.running, waiting: e.queue.length }
    return out
  }

  #releaser (key: string, endpoint: Endpoint, max: number): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = endpoint.queue.shift()
      if (next !== undefined) {
        next.signal.removeEventListener('abort', next.onAbort)
        next.resolve(this.#releaser(key, endpoint, max))
        return
      }
      endpoint.running--
      if (endpoint.running === 0) this.#endpoints.delete(key)
    }
  }
}
