/**
 * Following one task to its end through `GET /v1/tasks/:id/events` (shared by `announce --wait`
 * and `task <id> --wait`). The node's stream replays a live task from its start and ends after
 * its final event; for a task it no longer follows it sends the stored final event only. So a
 * task that ends while the stream is being opened still ends the stream: nothing can hang.
 */
import { ApiError } from '../api-client.js'
import { CliError, EXIT } from '../exit-codes.js'
import { formatMs } from '../output.js'
import { PeerNames, TaskEventSchema, describeEvent, exitCodeOf, printOutput } from './task-format.js'
import type { ApiClient } from '../api-client.js'
import type { Output } from '../output.js'
import type { TaskEvent } from './task-format.js'

/** How much longer than the deadline `--wait` waits by default. */
export const WAIT_MARGIN_MS = 10_000

/** How `--wait` follows a task. */
export interface FollowOptions {
  /** One JSON object per event instead of text lines. */
  json: boolean
  /** Give up (exit 5) after this long; the task goes on. */
  timeoutMs: number
  /**
   * Stops following (exit 130, saying the task goes on and how to follow it again) when it
   * aborts. Default: Ctrl-C (SIGINT) while the task is followed.
   */
  interrupt?: AbortSignal
}

/** An abort signal of Ctrl-C for as long as `run` runs (the default handler, which exits at once, is replaced meanwhile). */
async function onCtrlC<T> (run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const stop = (): void => { controller.abort() }
  process.once('SIGINT', stop)
  try {
    return await run(controller.signal)
  } finally {
    process.off('SIGINT', stop)
  }
}

/**
 * Follows `/v1/tasks/:id/events` until the final event, printing every event; returns the exit
 * code the final event means (0 completed, 4 rejected, 1 failed or cancelled). Throws EXIT.TIMEOUT
 * after `timeoutMs` and EXIT.UNREACHABLE when the node goes away first.
 */
export async function followTask (client: ApiClient, taskId: string, options: FollowOptions, out: Output): Promise<number> {
  if (options.interrupt === undefined) return await onCtrlC(async interrupt => await followTask(client, taskId, { ...options, interrupt }, out))
  const interrupt = options.interrupt
  const names = new PeerNames(client)
  if (!options.json) {
    await names.refresh()
    out.line(`task ${taskId}`)
  }
  const abort = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    abort.abort()
  }, options.timeoutMs)
  const onInterrupt = (): void => { abort.abort() }
  interrupt.addEventListener('abort', onInterrupt, { once: true })
  try {
    if (interrupt.aborted) abort.abort()
    const stream = client.events(`/v1/tasks/${encodeURIComponent(taskId)}/events`, abort.signal)
    while (true) {
      let next: IteratorResult<{ event: string, data: unknown }>
      try {
        next = await stream.next()
      } catch (err) {
        if (err instanceof CliError || err instanceof ApiError) throw err
        throw new CliError(EXIT.UNREACHABLE, `lost the connection to the node while following task ${taskId} (${(err as Error).message}): see "swarm-node task ${taskId}" once it is back`)
      }
      if (next.done === true) break
      const parsed = TaskEventSchema.safeParse(next.value.data)
      if (!parsed.success) continue
      const event: TaskEvent = parsed.data
      if (options.json) {
        out.json(next.value.data)
      } else {
        for (const line of await describeEvent(event, names)) out.line(line)
      }
      const code = exitCodeOf(event)
      if (code !== undefined) {
        if (!options.json && event.type === 'completed' && event.outcome !== undefined) printOutput(event.outcome.output, out)
        return code
      }
    }
  } finally {
    clearTimeout(timer)
    interrupt.removeEventListener('abort', onInterrupt)
  }
  if (interrupt.aborted) {
    throw new CliError(EXIT.INTERRUPTED, `stopped following task ${taskId}; the task goes on: follow it again with "swarm-node task ${taskId} --wait", or stop it with "swarm-node cancel ${taskId}"`)
  }
  if (timedOut) {
    throw new CliError(EXIT.TIMEOUT, `gave up waiting for task ${taskId} after ${formatMs(options.timeoutMs)}; it goes on: see "swarm-node task ${taskId}" (or wait longer with --timeout)`)
  }
  throw new CliError(EXIT.UNREACHABLE, `the node closed the event stream of task ${taskId} before the task ended (did it stop?): see "swarm-node task ${taskId}"`)
}
