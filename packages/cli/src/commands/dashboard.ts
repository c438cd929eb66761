/**
 * `swarm-node dashboard`: a live view of the swarm as one node sees it, in the terminal. It reads
 * snapshots of the control API (status, agents, tasks, workflows; polled slowly) and follows its event
 * stream; every change goes through the pure reducer (dashboard/state.ts) and the screen is
 * redrawn by the pure renderer (dashboard/render.ts), at most ten times a second. Plain ANSI
 * escapes only (alternate screen, cursor home, clear), so that it works over SSH.
 */
import { spawn } from 'node:child_process'
import { ApiClient, ApiError, resolveApiTarget } from '../api-client.js'
import { CliError, EXIT } from '../exit-codes.js'
import { parseDuration } from '../flags.js'
import { addApiOptions } from '../options.js'
import { renderDashboard } from '../dashboard/render.js'
import { AgentsSnapshotSchema, StatusSnapshotSchema, TaskDetailSchema, TasksSnapshotSchema, WorkflowDetailSchema, WorkflowsSnapshotSchema } from '../dashboard/schemas.js'
import { parseStreamEvent } from '../dashboard/stream-events.js'
import { DEFAULT_WINDOW_MS, initialState, reduce } from '../dashboard/state.js'
import { stateForJson, unknownTasks } from '../dashboard/views.js'
import type { ApiFlags } from '../api-client.js'
import type { Output } from '../output.js'
import type { CommandContext } from '../options.js'
import type { Command } from 'commander'
import type { DashboardAction, DashboardState } from '../dashboard/state.js'

export interface DashboardFlags extends ApiFlags {
  json?: boolean
  once?: boolean
  web?: boolean
  open?: boolean
  interval?: string
  window?: string
}

/** Tasks read per snapshot. */
const TASK_LIMIT = 200
/** At most one redraw per this many ms (10 fps). */
const FRAME_MS = 100
const RECONNECT_MS = 2000
/** A workflow is read again this long after an event of it. */
const WORKFLOW_READ_MS = 250

/** Escapes: alternate screen and hidden cursor on entry, the reverse on exit; cursor home, clear to end of line / of screen. */
const ESC = {
  enter: '\x1b[?1049h\x1b[?25l',
  leave: '\x1b[?25h\x1b[?1049l',
  home: '\x1b[H',
  clearLine: '\x1b[K',
  clearBelow: '\x1b[J'
} as const

/** The terminal the live dashboard draws on (process.stdout/stdin, or a fake in tests). */
export interface DashboardTerminal {
  write(text: string): void
  /** Columns and rows; 0 or undefined when unknown. */
  size(): { columns?: number, rows?: number }
  isTTY: boolean
  onResize(fn: () => void): () => void
  /** Key presses (raw mode where stdin is a terminal); returns a function that stops listening. */
  onKeys(fn: (keys: string) => void): () => void
}

function processTerminal (): DashboardTerminal {
  const stdin = process.stdin
  return {
    write: text => { process.stdout.write(text) },
    size: () => ({ columns: process.stdout.columns, rows: process.stdout.rows }),
    isTTY: process.stdout.isTTY,
    onResize: fn => {
      process.stdout.on('resize', fn)
      return () => { process.stdout.off('resize', fn) }
    },
    onKeys: fn => {
      const raw = stdin.isTTY
      if (raw) stdin.setRawMode(true)
      const listener = (chunk: Buffer | string): void => { fn(chunk.toString()) }
      stdin.on('data', listener)
      stdin.resume()
      return () => {
        stdin.off('data', listener)
        if (raw) stdin.setRawMode(false)
        stdin.pause()
      }
    }
  }
}

/** Width and height of a frame: the terminal's, else $COLUMNS / $LINES, else 100×40. */
export function frameSize (term: Pick<DashboardTerminal, 'size'>, env: NodeJS.ProcessEnv = process.env): { width: number, height: number } {
  const { columns, rows } = term.size()
  const fromEnv = (name: string): number | undefined => {
    const n = Number(env[name])
    return Number.isInteger(n) && n > 0 ? n : undefined
  }
  return {
    width: columns !== undefined && columns > 0 ? columns : fromEnv('COLUMNS') ?? 100,
    height: rows !== undefined && rows > 0 ? rows : fromEnv('LINES') ?? 40
  }
}

function parseOptions (flags: DashboardFlags): { intervalMs: number, windowMs: number } {
  if (flags.json === true && flags.once !== true && flags.web !== true && flags.open !== true) throw new CliError(EXIT.USAGE, '--json prints one snapshot of the dashboard state: use it with --once (or --web for the address as JSON)')
  const intervalMs = flags.interval === undefined ? 5000 : parseDuration('--interval', flags.interval)
  if (intervalMs < 500 || intervalMs > 3_600_000) throw new CliError(EXIT.USAGE, `invalid --interval "${flags.interval ?? ''}": must be between 500ms and 1h`)
  const windowMs = flags.window === undefined ? DEFAULT_WINDOW_MS : parseDuration('--window', flags.window)
  if (windowMs < 10_000 || windowMs > 86_400_000) throw new CliError(EXIT.USAGE, `invalid --window "${flags.window ?? ''}": must be between 10s and 24h`)
  return { intervalMs, windowMs }
}

/**
 * The workflows this node runs, as an action; a node without workflows (404) gives none, and a
 * failed read is shown as an error rather than failing the other snapshots.
 */
async function workflowsSnapshot (client: ApiClient): Promise<DashboardAction | undefined> {
  try {
    const { workflows } = await client.get('/v1/workflows', WorkflowsSnapshotSchema)
    return { type: 'workflows', at: Date.now(), workflows }
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined
    return { type: 'error', at: Date.now(), message: `workflows: ${(err as Error).message}` }
  }
}

/** Reads the snapshots; the actions they make, in order (status first: it names this node). */
async function snapshots (client: ApiClient): Promise<DashboardAction[]> {
  const [status, agents, tasks, workflows] = await Promise.all([
    client.get('/v1/status', StatusSnapshotSchema),
    client.get('/v1/agents', AgentsSnapshotSchema),
    client.get(`/v1/tasks?limit=${TASK_LIMIT}`, TasksSnapshotSchema),
    workflowsSnapshot(client)
  ])
  const at = Date.now()
  return [{ type: 'status', at, status }, { type: 'agents', at, agents: agents.agents }, { type: 'tasks', at, tasks: tasks.tasks }, ...(workflows !== undefined ? [workflows] : [])]
}

/** `swarm-node dashboard`. */
async function dashboardCommand (flags: DashboardFlags, out: Output, term: DashboardTerminal = processTerminal()): Promise<number> {
  const options = parseOptions(flags)
  const client = new ApiClient(resolveApiTarget(flags))
  if (flags.web === true || flags.open === true) return await webDashboard(client, flags, out)
  let state = initialState(Date.now(), options.windowMs)
  // Unreachable node, bad token: the usual exit codes, before the screen is taken over.
  for (const action of await snapshots(client)) state = reduce(state, action)

  if (flags.once === true) {
    if (flags.json === true) {
      out.json(stateForJson(state))
    } else {
      const { width } = frameSize(term)
      for (const line of renderDashboard(state, { width, height: Infinity, color: term.isTTY, live: false })) out.line(line)
    }
    return EXIT.OK
  }
  return await runLive(client, state, options.intervalMs, term)
}

/** The live screen, until `q` or Ctrl-C (or SIGINT/SIGTERM). */
async function runLive (client: ApiClient, initial: DashboardState, intervalMs: number, term: DashboardTerminal): Promise<number> {
  return await new LiveScreen(client, initial, intervalMs, term).run()
}

/**
 * The live dashboard: it holds the state, feeds it the actions of the event stream, the
 * periodic snapshots and a clock tick, and redraws after them at most once per FRAME_MS. Once
 * aborted (quit) it neither changes the state nor draws again.
 */
class LiveScreen {
  readonly #client: ApiClient
  readonly #intervalMs: number
  readonly #term: DashboardTerminal
  readonly #footer: string
  readonly #abort = new AbortController()
  /** Tasks whose summary was asked for already (each is read once). */
  readonly #requested = new Set<string>()
  /** Workflows to read again after their events (one read at a time per workflow). */
  readonly #workflowReads = new Map<string, NodeJS.Timeout>()
  #state: DashboardState
  #lastDraw = 0
  #drawTimer: NodeJS.Timeout | undefined

  constructor (client: ApiClient, initial: DashboardState, intervalMs: number, term: DashboardTerminal) {
    this.#client = client
    this.#state = initial
    this.#intervalMs = intervalMs
    this.#term = term
    this.#footer = `q or Ctrl-C: quit · redrawn on events, polled every ${intervalMs / 1000}s`
  }

  /** Takes over the screen until the user quits, then gives it back; the exit code. */
  async run (): Promise<number> {
    this.#term.write(ESC.enter)
    this.#draw()
    const stopUpdates = this.#startUpdates()
    const restoreOnExit = (): void => { this.#term.write(ESC.leave) }
    process.once('exit', restoreOnExit)

    return await new Promise<number>(resolve => {
      const quit = (): void => {
        if (this.#abort.signal.aborted) return
        this.#abort.abort()
        stopUpdates()
        offKeys()
        process.off('SIGINT', quit)
        process.off('SIGTERM', quit)
        process.off('exit', restoreOnExit)
        this.#term.write(ESC.leave)
        resolve(EXIT.OK)
      }
      const offKeys = this.#term.onKeys(keys => { if (/[qQ\x03]/.test(keys)) quit() })
      process.on('SIGINT', quit)
      process.on('SIGTERM', quit)
      void this.#follow()
    })
  }

  /** Polling, the clock tick and redraws on resize; returns the function that stops them (and a pending redraw). */
  #startUpdates (): () => void {
    const pollTimer = setInterval(() => { void this.#poll() }, this.#intervalMs)
    const tickTimer = setInterval(() => { this.#dispatch({ type: 'tick', at: Date.now() }) }, 1000)
    const offResize = this.#term.onResize(() => { this.#draw() })
    return () => {
      clearInterval(pollTimer)
      clearInterval(tickTimer)
      clearTimeout(this.#drawTimer)
      for (const timer of this.#workflowReads.values()) clearTimeout(timer)
      offResize()
    }
  }

  #draw (): void {
    if (this.#abort.signal.aborted) return
    this.#lastDraw = Date.now()
    const { width, height } = frameSize(this.#term)
    const lines = renderDashboard(this.#state, { width, height, color: true, footer: this.#footer })
    this.#term.write(ESC.home + lines.map(l => l + ESC.clearLine).join('\r\n') + ESC.clearBelow)
  }

  /** A redraw FRAME_MS after the last one (at once if that is past), unless one is pending. */
  #scheduleDraw (): void {
    if (this.#drawTimer !== undefined || this.#abort.signal.aborted) return
    this.#drawTimer = setTimeout(() => { this.#drawTimer = undefined; this.#draw() }, Math.max(0, this.#lastDraw + FRAME_MS - Date.now()))
  }

  #dispatch (action: DashboardAction): void {
    if (this.#abort.signal.aborted) return
    this.#state = reduce(this.#state, action)
    if (action.type === 'task') for (const id of unknownTasks(this.#state)) if (!this.#requested.has(id)) this.#readTask(id)
    if (action.type === 'workflow') this.#readWorkflowSoon(action.event.workflowId)
    this.#scheduleDraw()
  }

  /**
   * Reads a workflow again shortly after its events (a burst of them gives one read): the events
   * patch its steps at once, the read brings what they do not carry (members, tokens, outputs).
   */
  #readWorkflowSoon (workflowId: string): void {
    if (this.#workflowReads.has(workflowId) || this.#abort.signal.aborted) return
    this.#workflowReads.set(workflowId, setTimeout(() => {
      this.#client.get(`/v1/workflows/${encodeURIComponent(workflowId)}`, WorkflowDetailSchema)
        .then(d => { this.#dispatch({ type: 'workflows', at: Date.now(), workflows: [d.workflow] }) }, () => { /* shown as the events left it */ })
        .finally(() => { this.#workflowReads.delete(workflowId) })
    }, WORKFLOW_READ_MS))
  }

  /** Reads the summary of a task first seen through an event (its description, skills, priority). */
  #readTask (taskId: string): void {
    this.#requested.add(taskId)
    this.#client.get(`/v1/tasks/${encodeURIComponent(taskId)}`, TaskDetailSchema)
      .then(d => { this.#dispatch({ type: 'tasks', at: Date.now(), tasks: [d.task.summary] }) }, () => { /* shown without its description */ })
  }

  async #poll (): Promise<void> {
    try {
      for (const action of await snapshots(this.#client)) this.#dispatch(action)
    } catch (err) {
      this.#streamDown((err as Error).message)
    }
  }

  #streamDown (message: string): void {
    this.#dispatch({ type: 'stream', at: Date.now(), state: 'down', message })
  }

  /** Follows the event stream until quit; reconnects RECONNECT_MS after it ends or fails, then catches up with a poll. */
  async #follow (): Promise<void> {
    const { signal } = this.#abort
    while (!signal.aborted) {
      try {
        for await (const ev of this.#client.events('/v1/events', signal)) {
          const action = parseStreamEvent(ev.event, ev.data, Date.now())
          if (action !== undefined) this.#dispatch(action)
        }
        if (!signal.aborted) this.#streamDown('the node closed the event stream')
      } catch (err) {
        this.#streamDown((err as Error).message)
      }
      await this.#reconnectDelay()
      // Catch up on what happened while the stream was down.
      if (!signal.aborted) await this.#poll()
    }
  }

  /** RECONNECT_MS, or less when the user quits meanwhile. */
  async #reconnectDelay (): Promise<void> {
    const { signal } = this.#abort
    await new Promise<void>(resolve => {
      const t = setTimeout(resolve, RECONNECT_MS)
      signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
    })
  }
}

/**
 * `dashboard --web [--open]`: the address of the node's web dashboard with the token in its
 * fragment (which the page takes out of the address bar at once, and which no request carries),
 * opened in the browser with --open. The node is asked first, so that a stopped one says so.
 */
async function webDashboard (client: ApiClient, flags: DashboardFlags, out: Output): Promise<number> {
  await client.get('/v1/status', StatusSnapshotSchema)
  const url = `${client.target.url}/dashboard#token=${encodeURIComponent(client.target.token)}`
  if (flags.json === true) out.json({ url })
  else out.line(url)
  if (flags.open === true) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' })
    const failed = await new Promise<string | undefined>(resolve => {
      child.once('error', err => { resolve(err.message) })
      child.once('spawn', () => { resolve(undefined) })
    })
    child.unref()
    if (failed !== undefined) out.error(`swarm-node: could not open a browser (${opener}: ${failed}): open the address above yourself`)
  }
  return EXIT.OK
}

/** Registers `swarm-node dashboard`. */
export function registerDashboard (program: Command, ctx: CommandContext): void {
  addApiOptions(program.command('dashboard')
    .description('a live view of the swarm as a running node sees it: agents, task queue, groups, metrics (q quits)'))
    .option('--once', 'print one frame (plain text when not on a terminal) and exit')
    .option('--web', 'print the address of the node\'s web dashboard (with the token) instead')
    .option('--open', 'open the web dashboard in the browser (implies --web)')
    .option('--interval <duration>', 'how often agents, tasks and status are re-read besides the live events (default: 5s)')
    .option('--window <duration>', 'window of the throughput figure (default: 5m)')
    .addHelpText('after', `
The screen follows the node's event stream and redraws at most ten times a second; it adapts to
the terminal's size ($COLUMNS and $LINES when the size is unknown) and uses plain ANSI escapes,
so it works over SSH. --json (with --once) prints the dashboard state as one JSON object.

Examples:
  swarm-node dashboard
  swarm-node dashboard --data-dir ~/.swarm/b
  swarm-node dashboard --once --json | jq .metrics
  swarm-node dashboard --web --open       # the web dashboard, in the browser`)
    .action(async (flags: DashboardFlags) => { await ctx.run(async () => await dashboardCommand(flags, ctx.out)) })
}
