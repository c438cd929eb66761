/**
 * `swarm-node dashboard`: a live view of the swarm as one node sees it, in the terminal. It reads
 * snapshots of the control API (status, agents, tasks; polled slowly) and follows its event
 * stream; every change goes through the pure reducer (dashboard/state.ts) and the screen is
 * redrawn by the pure renderer (dashboard/render.ts), at most ten times a second. Plain ANSI
 * escapes only (alternate screen, cursor home, clear), so that it works over SSH.
 */
import { ApiClient, resolveApiTarget } from '../api-client.js'
import { CliError, EXIT } from '../exit-codes.js'
import { parseDuration } from '../flags.js'
import { renderDashboard } from '../dashboard/render.js'
import { AgentsSnapshotSchema, StatusSnapshotSchema, TaskDetailSchema, TasksSnapshotSchema, parseStreamEvent } from '../dashboard/schemas.js'
import { DEFAULT_WINDOW_MS, initialState, reduce, stateForJson, unknownTasks } from '../dashboard/state.js'
import type { ApiFlags } from '../api-client.js'
import type { Output } from '../output.js'
import type { DashboardAction, DashboardState } from '../dashboard/state.js'

export interface DashboardFlags extends ApiFlags {
  json?: boolean
  once?: boolean
  interval?: string
  window?: string
}

/** Tasks read per snapshot. */
const TASK_LIMIT = 200
/** At most one redraw per this many ms (10 fps). */
const FRAME_MS = 100
const RECONNECT_MS = 2000

/** Escapes: alternate screen and hidden cursor on entry, the reverse on exit; cursor home, clear to end of line / of screen. */
export const ESC = {
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
  if (flags.json === true && flags.once !== true) throw new CliError(EXIT.USAGE, '--json prints one snapshot of the dashboard state: use it with --once')
  const intervalMs = flags.interval === undefined ? 5000 : parseDuration('--interval', flags.interval)
  if (intervalMs < 500 || intervalMs > 3_600_000) throw new CliError(EXIT.USAGE, `invalid --interval "${flags.interval ?? ''}": must be between 500ms and 1h`)
  const windowMs = flags.window === undefined ? DEFAULT_WINDOW_MS : parseDuration('--window', flags.window)
  if (windowMs < 10_000 || windowMs > 86_400_000) throw new CliError(EXIT.USAGE, `invalid --window "${flags.window ?? ''}": must be between 10s and 24h`)
  return { intervalMs, windowMs }
}

/** Reads the three snapshots; the actions they make, in order (status first: it names this node). */
async function snapshots (client: ApiClient): Promise<DashboardAction[]> {
  const [status, agents, tasks] = await Promise.all([
    client.get('/v1/status', StatusSnapshotSchema),
    client.get('/v1/agents', AgentsSnapshotSchema),
    client.get(`/v1/tasks?limit=${TASK_LIMIT}`, TasksSnapshotSchema)
  ])
  const at = Date.now()
  return [{ type: 'status', at, status }, { type: 'agents', at, agents: agents.agents }, { type: 'tasks', at, tasks: tasks.tasks }]
}

/** `swarm-node dashboard`. */
export async function dashboardCommand (flags: DashboardFlags, out: Output, term: DashboardTerminal = processTerminal()): Promise<number> {
  const options = parseOptions(flags)
  const client = new ApiClient(resolveApiTarget(flags))
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
  let state = initial
  const abort = new AbortController()
  const { signal } = abort
  const footer = `q or Ctrl-C: quit · redrawn on events, polled every ${intervalMs / 1000}s`
  let lastDraw = 0
  let drawTimer: NodeJS.Timeout | undefined
  const requested = new Set<string>()

  const draw = (): void => {
    if (signal.aborted) return
    lastDraw = Date.now()
    const { width, height } = frameSize(term)
    const lines = renderDashboard(state, { width, height, color: true, footer })
    term.write(ESC.home + lines.map(l => l + ESC.clearLine).join('\r\n') + ESC.clearBelow)
  }
  const scheduleDraw = (): void => {
    if (drawTimer !== undefined || signal.aborted) return
    drawTimer = setTimeout(() => { drawTimer = undefined; draw() }, Math.max(0, lastDraw + FRAME_MS - Date.now()))
  }
  const readTask = (taskId: string): void => {
    requested.add(taskId)
    client.get(`/v1/tasks/${encodeURIComponent(taskId)}`, TaskDetailSchema)
      .then(d => { dispatch({ type: 'tasks', at: Date.now(), tasks: [d.task.summary] }) }, () => { /* shown without its description */ })
  }
  const dispatch = (action: DashboardAction): void => {
    if (signal.aborted) return
    state = reduce(state, action)
    if (action.type === 'task') for (const id of unknownTasks(state)) if (!requested.has(id)) readTask(id)
    scheduleDraw()
  }
  const poll = async (): Promise<void> => {
    try {
      for (const action of await snapshots(client)) dispatch(action)
    } catch (err) {
      dispatch({ type: 'stream', at: Date.now(), state: 'down', message: (err as Error).message })
    }
  }
  const follow = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        for await (const ev of client.events('/v1/events', signal)) {
          const action = parseStreamEvent(ev.event, ev.data, Date.now())
          if (action !== undefined) dispatch(action)
        }
        if (!signal.aborted) dispatch({ type: 'stream', at: Date.now(), state: 'down', message: 'the node closed the event stream' })
      } catch (err) {
        dispatch({ type: 'stream', at: Date.now(), state: 'down', message: (err as Error).message })
      }
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, RECONNECT_MS)
        signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
      })
      // Catch up on what happened while the stream was down.
      if (!signal.aborted) await poll()
    }
  }

  term.write(ESC.enter)
  draw()
  const pollTimer = setInterval(() => { void poll() }, intervalMs)
  const tickTimer = setInterval(() => { dispatch({ type: 'tick', at: Date.now() }) }, 1000)
  const offResize = term.onResize(draw)
  const restoreOnExit = (): void => { term.write(ESC.leave) }
  process.once('exit', restoreOnExit)

  return await new Promise<number>(resolve => {
    const quit = (): void => {
      if (signal.aborted) return
      abort.abort()
      clearInterval(pollTimer)
      clearInterval(tickTimer)
      clearTimeout(drawTimer)
      offResize()
      offKeys()
      process.off('SIGINT', quit)
      process.off('SIGTERM', quit)
      process.off('exit', restoreOnExit)
      term.write(ESC.leave)
      resolve(EXIT.OK)
    }
    const offKeys = term.onKeys(keys => { if (/[qQ\x03]/.test(keys)) quit() })
    process.on('SIGINT', quit)
    process.on('SIGTERM', quit)
    void follow()
  })
}
