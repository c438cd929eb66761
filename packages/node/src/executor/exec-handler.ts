/**
 * The `exec` handler: runs a program without a shell, the task input as JSON on its stdin, its
 * result as JSON on its stdout, progress and diagnostics on its stderr.
 */
import type { ChildProcess } from 'node:child_process'
import { LIMITS } from '@swarm/protocol'
import type { Json } from '@swarm/protocol'
import { ExecHandlerSchema } from '../config.js'
import type { Logger } from '../logger.js'
import { programEnv } from './program-env.js'
import { abortError } from './abort.js'
import { killLeftovers, quote, signalTree, spawnError, spawnProgram, trackGroup, untrackGroup } from './exec-process.js'
import { LineSplitter, readStderrLine, StdoutBuffer, Tail } from './exec-streams.js'
import { parseHandlerConfig } from './handler-config.js'
import type { ExecHandlerConfig } from './handler-config.js'
import { parseJsonOutput } from './output.js'
import { HandlerError, HandlerHandoff } from './types.js'
import type { HandlerContext, HandoffRequest, SkillHandler } from './types.js'

/** Delay between SIGTERM and SIGKILL when a program is stopped. */
const KILL_GRACE_MS = 2_000

/** Characters of the end of stderr kept for the error message of a failed run. */
const STDERR_TAIL_CHARS = 3_584

/** Largest checkpoint passed to the program in SWARM_CHECKPOINT (characters of JSON). */
const MAX_ENV_CHECKPOINT_CHARS = 64 * 1024

/** How long to wait for stdout and stderr to close once the program has exited. */
const CLOSE_WAIT_MS = 1_000

/** Tuning of {@link execHandler}. */
export interface ExecHandlerOptions {
  /** Delay between SIGTERM and SIGKILL; default {@link KILL_GRACE_MS}. */
  killGraceMs?: number
}

/**
 * A handler that runs `config.command` with `config.args` — never through a shell, so nothing in
 * the arguments or the input is ever interpreted — and:
 *
 * - writes the task input as JSON (one line) on its stdin, then closes it; a program that does
 *   not read its input is fine;
 * - gives it the environment of this process, plus `config.env`, plus SWARM_TASK_ID,
 *   SWARM_GROUP_ID, SWARM_SKILL, SWARM_ATTEMPT, SWARM_DEADLINE (epoch ms), when resuming,
 *   SWARM_CHECKPOINT (JSON) and, for a workflow step's task, SWARM_WORKFLOW_ID,
 *   SWARM_WORKFLOW_STEP, SWARM_WORKFLOW_ITERATION and SWARM_WORKFLOW_BUILDS_ON (step ids,
 *   comma-separated; empty when the step has an explicit input);
 * - reads its stdout as the JSON result (HANDLER_BAD_OUTPUT when empty, not JSON, or larger
 *   than LIMITS.maxResultBytes — the program is stopped as soon as it prints too much);
 * - reads its stderr line by line: `progress <fraction 0..1 or N%> [message]` calls
 *   ctx.progress, `checkpoint <json>` calls ctx.saveCheckpoint, `handoff {"reason": "…",
 *   "state": …}` hands the part off (ctx.handoff: the program is stopped, if it did not exit by
 *   itself, and the run ends with that handoff whatever its exit; a malformed handoff line is
 *   logged and ignored), other lines are logged at debug level and the last few KiB go into the
 *   message of a failed run;
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
  if (ctx.signal.aborted) throw abortError(ctx.signal)
  const { command, args, cwd } = config
  const child = spawnProgram({ command, args, cwd, env: taskEnv(config, ctx) })
  return await new Promise<Json>((resolve, reject) => {
    new ProgramRun(child, config, killGraceMs, ctx, { resolve, reject }).watch()
    feedStdin(child, input, ctx.log)
  })
}

/** The program's environment (program-env.ts: an allow-list of the node's), with the task's SWARM_* variables. */
function taskEnv (config: ParsedExecConfig, ctx: HandlerContext): NodeJS.ProcessEnv {
  const env = programEnv(process.env, config.passEnv, config.env, {
    SWARM_TASK_ID: ctx.taskId,
    SWARM_GROUP_ID: ctx.groupId,
    SWARM_SKILL: ctx.skill,
    SWARM_ATTEMPT: String(ctx.attempt),
    SWARM_DEADLINE: String(ctx.deadline),
    ...workflowEnv(ctx)
  })
  if (ctx.checkpoint !== undefined) {
    const text = JSON.stringify(ctx.checkpoint)
    if (text.length <= MAX_ENV_CHECKPOINT_CHARS) env.SWARM_CHECKPOINT = text
    else ctx.log.warn('checkpoint too large for SWARM_CHECKPOINT; the program starts without it', { chars: text.length })
  }
  return env
}

/** The SWARM_WORKFLOW_* variables of a workflow step's task (none outside a workflow). Step ids hold no commas. */
function workflowEnv (ctx: HandlerContext): Record<string, string> {
  const tag = ctx.workflow
  if (tag === undefined) return {}
  return {
    SWARM_WORKFLOW_ID: tag.workflowId,
    SWARM_WORKFLOW_STEP: tag.stepId,
    SWARM_WORKFLOW_ITERATION: String(tag.iteration),
    SWARM_WORKFLOW_BUILDS_ON: tag.buildsOn.join(',')
  }
}

/** Writes the input as one JSON line on the program's stdin and closes it. */
function feedStdin (child: ChildProcess, input: Json, log: Logger): void {
  // The program may exit without reading its input: EPIPE is expected then.
  child.stdin?.on('error', err => {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EPIPE' && code !== 'ERR_STREAM_DESTROYED' && code !== 'ECONNRESET') log.debug('handler stdin error', { err })
  })
  child.stdin?.end(JSON.stringify(input) + '\n')
}

interface Settle {
  resolve: (result: Json) => void
  reject: (err: unknown) => void
}

/**
 * One run of a started program, from its first event to its outcome: collects its output,
 * stops it on timeout, abort or oversized stdout, and settles once it has exited and its
 * streams closed (or {@link CLOSE_WAIT_MS} after it exited, if something kept them open).
 */
class ProgramRun {
  readonly #stdout = new StdoutBuffer(LIMITS.maxResultBytes)
  readonly #tail = new Tail(STDERR_TAIL_CHARS)
  readonly #stderr: LineSplitter
  readonly #timeout: NodeJS.Timeout
  #failedToStart: HandlerError | undefined
  #handoff: HandlerHandoff | undefined
  #stopError: HandlerError | undefined
  #exit: { code: number | null, signal: NodeJS.Signals | null } | undefined
  #finished = false
  #killTimer: NodeJS.Timeout | undefined
  #closeTimer: NodeJS.Timeout | undefined

  constructor (
    private readonly child: ChildProcess,
    private readonly config: ParsedExecConfig,
    private readonly killGraceMs: number,
    private readonly ctx: HandlerContext,
    private readonly settle: Settle
  ) {
    this.#stderr = new LineSplitter(line => { readStderrLine(line, ctx, this.#tail, request => { this.#onHandoff(request) }) })
    this.#timeout = setTimeout(() => {
      this.#stop(new HandlerError('HANDLER_TIMEOUT', `${quote(config.command)} timed out after ${config.timeoutMs} ms`))
    }, config.timeoutMs)
  }

  /** Listens to the program, its streams and the abort signal. */
  watch (): void {
    const { child, ctx } = this
    child.on('error', err => { this.#onError(err) })
    child.on('exit', (code, signal) => { this.#onExit(code, signal) })
    child.on('close', this.#finish)
    trackGroup(child)
    ctx.signal.addEventListener('abort', this.#onAbort, { once: true })
    child.stdout?.on('data', (chunk: Buffer) => { this.#onStdout(chunk) })
    child.stderr?.on('data', (chunk: Buffer) => { this.#stderr.write(chunk) })
    child.stderr?.on('end', () => { this.#stderr.end() })
  }

  readonly #onAbort = (): void => { this.#stop(abortError(this.ctx.signal)) }

  #onError (err: Error): void {
    if (this.child.pid === undefined) {
      this.#failedToStart = spawnError(err, this.config.command, this.config.cwd)
      this.#finish()
    } else {
      this.ctx.log.warn('handler process error', { err, command: this.config.command })
    }
  }

  #onExit (code: number | null, signal: NodeJS.Signals | null): void {
    this.#exit = { code, signal }
    // Whatever the program left behind goes with it.
    killLeftovers(this.child)
    this.#closeTimer = setTimeout(this.#finish, CLOSE_WAIT_MS)
  }

  #onStdout (chunk: Buffer): void {
    if (this.#stdout.push(chunk)) return
    this.#stop(this.#oversizedError())
  }

  /** A `handoff` line: the run ends with it (the first one wins) and the program is stopped. */
  #onHandoff (request: HandoffRequest): void {
    if (this.#handoff !== undefined || this.#finished) return
    try {
      if (this.ctx.handoff !== undefined) this.ctx.handoff(request.reason, request.state)
      this.#handoff = new HandlerHandoff(request)
    } catch (err) {
      this.#handoff = err instanceof HandlerHandoff ? err : new HandlerHandoff(request)
    }
    this.#stop(new HandlerError('HANDLER_ABORTED', `${quote(this.config.command)} handed its part off`))
  }

  /** Stops the program (SIGTERM, then SIGKILL after the grace delay); the first reason wins. */
  #stop (err: HandlerError): void {
    if (this.#stopError !== undefined || this.#finished) return
    this.#stopError = err
    signalTree(this.child, 'SIGTERM')
    this.#killTimer = setTimeout(() => { signalTree(this.child, 'SIGKILL') }, this.killGraceMs)
  }

  readonly #finish = (): void => {
    if (this.#finished) return
    this.#finished = true
    this.#release()
    try {
      this.settle.resolve(this.#outcome())
    } catch (err) {
      this.settle.reject(err)
    }
  }

  /** Clears the timers and listeners and lets go of the process and its streams. */
  #release (): void {
    const { child } = this
    clearTimeout(this.#timeout)
    clearTimeout(this.#killTimer)
    clearTimeout(this.#closeTimer)
    this.ctx.signal.removeEventListener('abort', this.#onAbort)
    untrackGroup(child)
    if (this.#exit === undefined && this.#failedToStart === undefined) signalTree(child, 'SIGKILL')
    if (!(child.stdout?.destroyed ?? true)) child.stdout?.destroy()
    if (!(child.stderr?.destroyed ?? true)) { this.#stderr.end(); child.stderr?.destroy() }
  }

  /** The result of the run, or the error it failed with (thrown). */
  #outcome (): Json {
    const name = quote(this.config.command)
    if (this.#failedToStart !== undefined) throw this.#failedToStart
    if (this.#handoff !== undefined) throw this.#handoff
    if (this.#stopError !== undefined) throw this.#stopError
    if (this.#stdout.oversized) throw this.#oversizedError()
    const stderrText = this.#tail.text()
    const stderrPart = stderrText === '' ? ' (nothing on stderr)' : `: ${stderrText}`
    const exit = this.#exit
    if (exit?.signal != null) {
      throw new HandlerError('HANDLER_EXIT', `${name} was killed by signal ${exit.signal}${stderrPart}`)
    }
    if (exit?.code != null && exit.code !== 0) {
      throw new HandlerError('HANDLER_EXIT', `${name} exited with code ${exit.code}${stderrPart}`)
    }
    const text = this.#stdout.text()
    if (text.trim() === '') {
      throw new HandlerError('HANDLER_BAD_OUTPUT', `${name} printed nothing on stdout: the program must print its result as JSON on stdout (diagnostics go to stderr)`)
    }
    return parseJsonOutput(text, `stdout of ${name}`)
  }

  #oversizedError (): HandlerError {
    return new HandlerError('HANDLER_BAD_OUTPUT', `${quote(this.config.command)} printed more than ${LIMITS.maxResultBytes} bytes on stdout, the limit of a result`)
  }
}
