/**
 * Following one task to its end through `GET /v1/tasks/:id/events` (shared by `announce --wait`
 * and `task <id> --wait`). The node's stream replays a live task from its start and ends after
 * its final event; for a task it no longer follows it sends the stored final event only. So a
 * task that ends while the stream is being opened still ends the stream: nothing can hang.
 */
import { ApiError } from '../api-client.js'
import { CliError, EXIT } from '../exit-codes.js'
import { formatMs } from '../output.js'
import { ProposalList, voteLines } from './group.js'
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

/** How often the verification vote of a followed task is read. */
const VOTE_POLL_MS = 250

/**
 * Shows the group's vote on a task's result while `announce --verify --wait` follows it: the
 * proposal's id once, each vote with the tally, and the decision (the task's event stream has
 * only the state changes). Reads GET /v1/proposals?task=… until stopped.
 */
class VerificationWatch {
  readonly #client: ApiClient
  readonly #taskId: string
  readonly #out: Output
  readonly #seen = new Map<string, Set<string>>()
  readonly #shown = new Set<string>()
  #stopped = false
  #running: Promise<void> | undefined

  constructor (client: ApiClient, taskId: string, out: Output) {
    this.#client = client
    this.#taskId = taskId
    this.#out = out
  }

  start (): void {
    this.#running ??= this.#loop()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    await this.#running
  }

  async #loop (): Promise<void> {
    while (!this.#stopped) {
      await this.#read()
      await new Promise(resolve => setTimeout(resolve, VOTE_POLL_MS))
    }
    // Once more at the end: the decision may have come with the last event.
    await this.#read()
  }

  async #read (): Promise<void> {
    let proposals
    try {
      ({ proposals } = await this.#client.get(`/v1/proposals?task=${encodeURIComponent(this.#taskId)}`, ProposalList))
    } catch {
      return
    }
    for (const p of proposals.filter(p => p.action.startsWith('verify the result')).reverse()) {
      if (!this.#shown.has(p.proposalId)) {
        this.#shown.add(p.proposalId)
        this.#out.line(`${'verification'.padEnd(16)}proposal ${p.proposalId}: ${p.voters.length} voter${p.voters.length === 1 ? '' : 's'}, quorum ${p.quorum.kind}${p.quorum.fraction !== undefined ? `:${p.quorum.fraction}` : ''}`)
      }
      const seen = this.#seen.get(p.proposalId) ?? new Set<string>()
      this.#seen.set(p.proposalId, seen)
      for (const line of voteLines(seen, p)) this.#out.line(`  ${line}`)
      for (const v of p.votes) seen.add(v.voter)
      if (p.status !== 'open' && !this.#shown.has(`${p.proposalId}:decided`)) {
        this.#shown.add(`${p.proposalId}:decided`)
        this.#out.line(`${'vote decided'.padEnd(16)}${p.outcome ?? p.tally.outcome}`)
      }
    }
  }
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
  const votes = new VerificationWatch(client, taskId, out)
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
      const code = exitCodeOf(event)
      if (options.json) {
        out.json(next.value.data)
      } else {
        // The votes come before the final line they led to.
        if (code !== undefined) await votes.stop()
        for (const line of await describeEvent(event, names)) out.line(line)
        // COMPLETE is where a task with --verify waits for its group's vote.
        if (event.type === 'state' && event.to === 'COMPLETE') votes.start()
      }
      if (code !== undefined) {
        if (!options.json && event.type === 'completed' && event.outcome !== undefined) printOutput(event.outcome.output, out)
        return code
      }
    }
  } finally {
    clearTimeout(timer)
    interrupt.removeEventListener('abort', onInterrupt)
    await votes.stop()
  }
  if (interrupt.aborted) {
    throw new CliError(EXIT.INTERRUPTED, `stopped following task ${taskId}; the task goes on: follow it again with "swarm-node task ${taskId} --wait", or stop it with "swarm-node cancel ${taskId}"`)
  }
  if (timedOut) {
    throw new CliError(EXIT.TIMEOUT, `gave up waiting for task ${taskId} after ${formatMs(options.timeoutMs)}; it goes on: see "swarm-node task ${taskId}" (or wait longer with --timeout)`)
  }
  throw new CliError(EXIT.UNREACHABLE, `the node closed the event stream of task ${taskId} before the task ended (did it stop?): see "swarm-node task ${taskId}"`)
}
