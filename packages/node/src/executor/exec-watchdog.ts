/**
 * Exec handlers die with their node. A handler runs in a process group of its own (so that
 * stopping it stops what it started), which also means it would outlive a node killed with
 * SIGKILL: no exit hook runs then. So the node starts one small watchdog process
 * (watchdog-process.ts) the first time it runs a handler, tells it over a pipe each group that
 * starts and ends, and when the node dies the pipe closes and the watchdog stops the groups that
 * are left. The watchdog runs detached (its own group), so a signal meant for the node's group
 * does not take it down first. Where programs get no group of their own (Windows) there is no
 * watchdog.
 */
import { spawn } from 'node:child_process'
import { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'
import type { Writable } from 'node:stream'

/** The watchdog's program, next to this file in the build output. */
const PROGRAM = fileURLToPath(new URL('./watchdog-process.js', import.meta.url))

/** Groups registered with the watchdog, sent again to a new one if the first one went away. */
const watched = new Set<number>()
let watchdog: ChildProcess | undefined

/** The watchdog's stdin, starting the watchdog if none runs; undefined if it cannot start. */
function channel (): Writable | undefined {
  if (watchdog?.stdin != null && watchdog.exitCode === null && watchdog.signalCode === null && watchdog.stdin.writable) return watchdog.stdin
  let child: ChildProcess
  try {
    child = spawn(process.execPath, [PROGRAM], { stdio: ['pipe', 'ignore', 'ignore'], detached: true, windowsHide: true })
  } catch {
    return undefined
  }
  const stdin = child.stdin
  if (stdin === null) return undefined
  watchdog = child
  // Neither the watchdog nor its pipe keeps this process alive: it ends with us, not the other way.
  child.unref()
  if (stdin instanceof Socket) stdin.unref()
  const forget = (): void => { if (watchdog === child) watchdog = undefined }
  child.on('error', forget)
  child.on('exit', forget)
  stdin.on('error', forget)
  for (const group of watched) stdin.write(`+${group}\n`)
  return stdin
}

/** Registers a handler's process group: killed by the watchdog if this process dies first. */
export function watchGroup (group: number): void {
  watched.add(group)
  channel()?.write(`+${group}\n`)
}

/** Forgets a handler's process group once its run is over. */
export function unwatchGroup (group: number): void {
  if (!watched.delete(group)) return
  if (watchdog?.stdin?.writable === true) watchdog.stdin.write(`-${group}\n`)
}
