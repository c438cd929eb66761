/**
 * The `exec` handler: runs a program without a shell, the task input as JSON on its stdin, its
 * result as JSON on its stdout, progress and diagnostics on its stderr.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import { LIMITS } from '@swarm/protocol'
import type { Json } from '@swarm/protocol'
import { ExecHandlerSchema } from '../config.js'
import { abortError } from './abort.js'
import { parseHandlerConfig } from './handler-config.js'
import type { ExecHandlerConfig } from './handler-config.js'
import { parseJsonOutput } from './output.js'
import { HandlerError } from './types.js'
import type { HandlerContext, SkillHandler } from './types.js'

/** Delay between SIGTERM and SIGKILL when a program is stopped. */
export const KILL_GRACE_MS = 2_000

/** Characters of the end of stderr kept for the error message of a failed run. */
export const STDERR_TAIL_CHARS = 3_584

/** Largest checkpoint passed to the program in SWARM_CHECKPOINT (characters of JSON). */
export const MAX_ENV_CHECKPOINT_CHARS = 64 * 1024

/** Longest stderr line; longer runs without a newline are cut into lines of this size. */
const MAX_STDERR_LINE_CHARS = 16 * 1024

/** How long to wait for stdout and stderr to close once the program has exited. */
const CLOSE_WAIT_MS = 1_000

const PROGRESS_LINE = /^progress\s+(\S+)(?:\s+(.*))?$/
const CHECKPOINT_LINE = /^checkpoint\s+(.+)$/

/** Tuning of {@link execHandler}. */
export interface ExecHandlerOptions {
  /** Delay between SIGTERM and SIGKILL; default {@link KILL_GRACE_MS}. */
  killGraceMs?: number
}

// Programs run in a process group of their own, so that stopping one also stops whatever it
// started. Groups still alive when this process exits are killed on the way out.
const useGroups = process.platform !== 'win32'
const liveGroups = new Set<number>()
let exitHookInstalled = false

function installExitHook (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const pid of liveGroups) {
      try { process.kill(-pid, 'SIGKILL') } catch { /* already gone */ }
    }
  })
}

/** Sends `sig` to the program and everything in its process group. */
function signalTree (child: ChildProcess, sig: NodeJS.Signals): void {
  const pid = child.pid
  if (pid === undefined) return
  if (useGroups) {
    try {
      process.kill(-pid, sig)
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return
    }
  }
  child.kill(sig)
}

function quote (command: string): string {
  return JSON.stringify(command)
}

function spawnError (err: unknown, command: string, cwd: string | undefined): HandlerError {
  const code = (err as NodeJS.ErrnoException).code
  const message = err instanceof Error ? err.message : String(err)
  if (code === 'ENOENT') {
    if (cwd !== undefined && !existsSync(cwd)) {
      return new HandlerError('HANDLER_NOT_FOUND', `working directory ${cwd} of ${quote(command)} does not exist`, { cause: err })
    }
    const where = command.includes('/') || command.includes('\\') ? '' : ' (looked up on PATH)'
    const hint = /\s/.test(command) ? '; the command is run without a shell, so put its arguments in "args"' : ''
    return new HandlerError('HANDLER_NOT_FOUND', `command not found: ${quote(command)}${where}${hint}`, { cause: err })
  }
  if (code === 'EACCES') {
    return new HandlerError('HANDLER_NOT_FOUND', `cannot run ${quote(command)}: permission denied (is it an executable file?)`, { cause: err })
  }
  return new HandlerError('HANDLER_CRASHED', `cannot start ${quote(command)}: ${message}`, { cause: err })
}

/** The last `max` characters of stderr, one line at a time. */
class Tail {
  private readonly lines: string[] = []
  private chars = 0

  constructor (private readonly max: number) {}

  push (line: string): void {
    const kept = line.length > this.max ? line.slice(-this.max) : line
    this.lines.push(kept)
    this.chars += kept.length + 1
    while (this.chars > this.max && this.lines.length > 1) {
      this.chars -= (this.lines.shift() ?? '').length + 1
    }
  }

  text (): string {
    return this.lines.join('\n').trim()
  }
}

/**
 * A handler that runs `config.command` with `config.args` — never through a shell, so nothing in
 * the arguments or the input is ever interpreted — and:
 *
 * - writes the task input as JSON (one line) on its stdin, then closes it; a program that does
 *   not read its input is fine;
 * - gives it the environment of this process, plus `config.env`, plus SWARM_TASK_ID,
 *   SWARM_GROUP_ID, SWARM_SKILL, SWARM_ATTEMPT, SWARM_DEADLINE (epoch ms) and, when resuming,
 *   SWARM_CHECKPOINT (JSON);
 * - reads its stdout as the JSON result (HANDLER_BAD_OUTPUT when empty, not JSON, or larger
 *   than LIMITS.maxResultBytes — the program is stopped as soon as it prints too much);
 * - reads its stderr line by line: `progress <fraction 0..1 or N%> [message]` calls
 *   ctx.progress, `checkpoint <json>` calls ctx.saveCheckpoint, other lines are logged at
 *   debug level and the last few KiB go into the message of a failed run;
 * - fails with HANDLER_EXIT (naming the exit code or signal, with the end of stderr) when it
 *   exits non-zero, HANDLER_NOT_FOUND when the program or working directory does not exist;
 * - on `config.timeoutMs` (HANDLER_TIMEOUT) or when ctx.signal aborts (its reason's code, else
 *   HANDLER_ABORTED) sends SIGTERM, then SIGKILL after {@link KILL_GRACE_MS}, and settles only
 *   once the program has exited.
 *
 * The program runs in a process group of its own; whatever it leaves running when it exits or
 * is stopped is killed with it.
 */
export function execHandler (config: ExecHandlerConfig, options: ExecHandlerOptions = {}): SkillHandler {
  const parsed = parseHandlerConfig(ExecHandlerSchema, config)
  const killGraceMs = options.killGraceMs ?? KILL_GRACE_MS
  return async (input, ctx) => await runProgram(parsed, killGraceMs, input, ctx)
}

type ParsedExecConfig = ReturnType<typeof ExecHandlerSchema.parse>

async function runProgram (config: ParsedExecConfig, killGraceMs: number, input: Json, ctx: HandlerContext): Promise<Json> {
  const { command, args, cwd } = config
  if (ctx.signal.aborted) throw abortError(ctx.signal)

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...config.env,
    SWARM_TASK_ID: ctx.taskId,
    SWARM_GROUP_ID: ctx.groupId,
    SWARM_SKILL: ctx.skill,
    SWARM_ATTEMPT: String(ctx.attempt),
    SWARM_DEADLINE: String(ctx.deadline)
  }
  if (ctx.checkpoint !== undefined) {
    const text = JSON.stringify(ctx.checkpoint)
    if (text.length <= MAX_ENV_CHECKPOINT_CHARS) env.SWARM_CHECKPOINT = text
    else ctx.log.warn('checkpoint too large for SWARM_CHECKPOINT; the program starts without it', { chars: text.length })
  }

  let child: ChildProcess
  try {
    child = spawn(command, args, { cwd, env, shell: false, stdio: ['pipe', 'pipe', 'pipe'], detached: useGroups, windowsHide: true })
  } catch (err) {
    throw spawnError(err, command, cwd)
  }

  return await new Promise<Json>((resolve, reject) => {
    const stdout: Buffer[] = []
    let stdoutBytes = 0
    let oversized = false
    const tail = new Tail(STDERR_TAIL_CHARS)
    const decoder = new StringDecoder('utf8')
    let partial = ''
    let failedToStart: HandlerError | undefined
    let stopError: HandlerError | undefined
    let exit: { code: number | null, signal: NodeJS.Signals | null } | undefined
    let finished = false
    let killTimer: NodeJS.Timeout | undefined
    let closeTimer: NodeJS.Timeout | undefined

    const stderrLine = (raw: string): void => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
      const progress = PROGRESS_LINE.exec(line)
      if (progress !== null) {
        const value = progress[1] ?? ''
        const fraction = value.endsWith('%') ? Number(value.slice(0, -1)) / 100 : Number(value)
        if (value !== '' && Number.isFinite(fraction) && fraction >= 0 && fraction <= 1) {
          try {
            ctx.progress(fraction, progress[2]?.trim() || undefined)
          } catch (err) {
            ctx.log.warn('progress callback failed', { err })
          }
          return
        }
      }
      const checkpoint = CHECKPOINT_LINE.exec(line)
      if (checkpoint !== null) {
        try {
          ctx.saveCheckpoint(JSON.parse(checkpoint[1] ?? '') as Json)
          return
        } catch (err) {
          ctx.log.warn('bad checkpoint line on stderr', { err })
        }
      }
      if (line.trim() === '') return
      ctx.log.debug('handler stderr', { line })
      tail.push(line)
    }
    const stderrData = (chunk: Buffer): void => {
      partial += decoder.write(chunk)
      let newline = partial.indexOf('\n')
      while (newline !== -1) {
        stderrLine(partial.slice(0, newline))
        partial = partial.slice(newline + 1)
        newline = partial.indexOf('\n')
      }
      while (partial.length > MAX_STDERR_LINE_CHARS) {
        stderrLine(partial.slice(0, MAX_STDERR_LINE_CHARS))
        partial = partial.slice(MAX_STDERR_LINE_CHARS)
      }
    }
    const stderrEnd = (): void => {
      partial += decoder.end()
      if (partial !== '') stderrLine(partial)
      partial = ''
    }

    const stop = (err: HandlerError): void => {
      if (stopError !== undefined || finished) return
      stopError = err
      signalTree(child, 'SIGTERM')
      killTimer = setTimeout(() => { signalTree(child, 'SIGKILL') }, killGraceMs)
    }
    const onAbort = (): void => { stop(abortError(ctx.signal)) }
    const timeout = setTimeout(() => {
      stop(new HandlerError('HANDLER_TIMEOUT', `${quote(command)} timed out after ${config.timeoutMs} ms`))
    }, config.timeoutMs)

    const finish = (): void => {
      if (finished) return
      finished = true
      clearTimeout(timeout)
      clearTimeout(killTimer)
      clearTimeout(closeTimer)
      ctx.signal.removeEventListener('abort', onAbort)
      if (child.pid !== undefined) liveGroups.delete(child.pid)
      if (exit === undefined && failedToStart === undefined) signalTree(child, 'SIGKILL')
      if (!(child.stdout?.destroyed ?? true)) child.stdout?.destroy()
      if (!(child.stderr?.destroyed ?? true)) { stderrEnd(); child.stderr?.destroy() }

      if (failedToStart !== undefined) { reject(failedToStart); return }
      if (stopError !== undefined) { reject(stopError); return }
      if (oversized) {
        reject(new HandlerError('HANDLER_BAD_OUTPUT', `${quote(command)} printed more than ${LIMITS.maxResultBytes} bytes on stdout, the limit of a result`))
        return
      }
      const stderrText = tail.text()
      const stderrPart = stderrText === '' ? ' (nothing on stderr)' : `: ${stderrText}`
      if (exit?.signal != null) {
        reject(new HandlerError('HANDLER_EXIT', `${quote(command)} was killed by signal ${exit.signal}${stderrPart}`))
        return
      }
      if (exit?.code != null && exit.code !== 0) {
        reject(new HandlerError('HANDLER_EXIT', `${quote(command)} exited with code ${exit.code}${stderrPart}`))
        return
      }
      const text = Buffer.concat(stdout).toString('utf8')
      if (text.trim() === '') {
        reject(new HandlerError('HANDLER_BAD_OUTPUT', `${quote(command)} printed nothing on stdout: the program must print its result as JSON on stdout (diagnostics go to stderr)`))
        return
      }
      try {
        resolve(parseJsonOutput(text, `stdout of ${quote(command)}`))
      } catch (err) {
        reject(err)
      }
    }

    child.on('error', err => {
      if (child.pid === undefined) {
        failedToStart = spawnError(err, command, cwd)
        finish()
      } else {
        ctx.log.warn('handler process error', { err, command })
      }
    })
    child.on('exit', (code, signal) => {
      exit = { code, signal }
      // Whatever the program left behind goes with it.
      if (useGroups) signalTree(child, 'SIGKILL')
      closeTimer = setTimeout(finish, CLOSE_WAIT_MS)
    })
    child.on('close', finish)

    if (child.pid !== undefined) {
      installExitHook()
      if (useGroups) liveGroups.add(child.pid)
    }
    ctx.signal.addEventListener('abort', onAbort, { once: true })

    child.stdout?.on('data', (chunk: Buffer) => {
      if (oversized) return
      stdoutBytes += chunk.byteLength
      if (stdoutBytes > LIMITS.maxResultBytes) {
        oversized = true
        stdout.length = 0
        stop(new HandlerError('HANDLER_BAD_OUTPUT', `${quote(command)} printed more than ${LIMITS.maxResultBytes} bytes on stdout, the limit of a result`))
        return
      }
      stdout.push(chunk)
    })
    child.stderr?.on('data', stderrData)
    child.stderr?.on('end', stderrEnd)

    // The program may exit without reading its input: EPIPE is expected then.
    child.stdin?.on('error', err => {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EPIPE' && code !== 'ERR_STREAM_DESTROYED' && code !== 'ECONNRESET') ctx.log.debug('handler stdin error', { err })
    })
    child.stdin?.end(JSON.stringify(input) + '\n')
  })
}
