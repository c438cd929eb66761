/**
 * Time as a port. Every service reads the time and arms its timers through a {@link Clock}, so
 * that unit tests can run it on fake time (vitest's `vi.useFakeTimers()` drives the system clock,
 * which reads the globals at each call) without a network or real sleeps.
 */

/** An armed timer; only the clock that armed it can clear it. */
export type TimerHandle = { readonly __timer: unique symbol } | NodeJS.Timeout

export interface Clock {
  /** Milliseconds since the epoch. */
  now: () => number
  /**
   * Runs `fn` once after `ms`. Timers never keep the process alive on their own (the node's
   * sockets do).
   */
  setTimeout: (fn: () => void, ms: number) => TimerHandle
  clearTimeout: (handle: TimerHandle | undefined) => void
  /** Resolves after `ms` (same timers as setTimeout). */
  sleep: (ms: number) => Promise<void>
}

/** The process's clock. It looks up `Date.now` and `setTimeout` at each call, so fake timers apply. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = globalThis.setTimeout(fn, Math.max(0, Math.min(ms, MAX_TIMER_MS)))
    timer.unref?.()
    return timer
  },
  clearTimeout: handle => { if (handle !== undefined) globalThis.clearTimeout(handle as NodeJS.Timeout) },
  sleep: async ms => { await new Promise<void>(resolve => { systemClock.setTimeout(resolve, ms) }) }
}

/**
 * The longest delay a timer takes: Node runs a timer of more than 2^31-1 ms after 1 ms, so
 * longer ones are clamped (a deadline further out is re-armed when it comes).
 */
export const MAX_TIMER_MS = 2_147_483_647
