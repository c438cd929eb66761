/**
 * The process side of the `exec` handler: starting a program without a shell, signalling it and
 * everything it started, and turning a failed start into an error the operator can act on.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { unwatchGroup, watchGroup } from './exec-watchdog.js'
import { HandlerError } from './types.js'

// Programs run in a process group of their own, so that stopping one also stops whatever it
// started. Groups still alive when this process exits are killed on the way out, and by the
// watchdog (exec-watchdog.ts) when this process is killed without a way out (SIGKILL).
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

/** Remembers a started program's group, so that it is killed if this process exits first. */
export function trackGroup (child: ChildProcess): void {
  if (child.pid === undefined) return
  installExitHook()
  if (!useGroups) return
  liveGroups.add(child.pid)
  watchGroup(child.pid)
}

/** Forgets a program's group once the run is over. */
export function untrackGroup (child: ChildProcess): void {
  if (child.pid === undefined) return
  liveGroups.delete(child.pid)
  unwatchGroup(child.pid)
}

/** Sends `sig` to the program and everything in its process group. */
export function signalTree (child: ChildProcess, sig: NodeJS.Signals): void {
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

/**
 * Kills whatever an exited program left running in its group (only where programs get a group
 * of their own: elsewhere there is nothing left to signal).
 */
export function killLeftovers (child: ChildProcess): void {
  if (useGroups) signalTree(child, 'SIGKILL')
}

/** A command as it appears in error messages. */
export function quote (command: string): string {
  return JSON.stringify(command)
}

/** The error of a program that could not be started: not found, not executable, or otherwise. */
export function spawnError (err: unknown, command: string, cwd: string | undefined): HandlerError {
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

/** What {@link spawnProgram} starts. */
export interface ProgramSpec {
  command: string
  args: string[]
  cwd: string | undefined
  env: NodeJS.ProcessEnv
}

/**
 * Starts the program with piped stdio, never through a shell, in a process group of its own.
 * Throws the {@link spawnError} of a synchronous failure; later ones arrive as 'error' events.
 */
export function spawnProgram (spec: ProgramSpec): ChildProcess {
  const { command, args, cwd, env } = spec
  try {
    return spawn(command, args, { cwd, env, shell: false, stdio: ['pipe', 'pipe', 'pipe'], detached: useGroups, windowsHide: true })
  } catch (err) {
    throw spawnError(err, command, cwd)
  }
}
