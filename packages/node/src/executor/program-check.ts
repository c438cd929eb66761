/**
 * A start-time check of the programs of the `exec` handlers: a program that does not exist (or
 * is not executable) would fail every part it is given, each time on this same agent, so the
 * command line refuses it before the node advertises the skill.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { SwarmError } from '../errors.js'
import type { NodeConfig } from '../config.js'

function executable (path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Where `command` is found (a path: itself, from `cwd`; a bare name: on `pathVar`), or undefined. */
function findProgram (command: string, cwd: string, pathVar: string | undefined): string | undefined {
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : resolve(cwd, command)
    return executable(path) ? path : undefined
  }
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir === '') continue
    const path = join(dir, command)
    if (executable(path)) return path
  }
  return undefined
}

/**
 * Throws CONFIG_INVALID naming the skill, the field and the program for the first `exec`
 * handler whose program cannot be found. `pathVar` is the PATH the handlers run with.
 */
export function checkExecPrograms (config: Pick<NodeConfig, 'skills'>, pathVar: string | undefined = process.env.PATH): void {
  config.skills.forEach((skill, i) => {
    const handler = skill.handler
    if (handler?.kind !== 'exec') return
    const cwd = handler.cwd ?? process.cwd()
    if (findProgram(handler.command, cwd, pathVar) !== undefined) return
    const where = handler.command.includes('/') ? 'no executable file there' : 'not found on PATH'
    throw new SwarmError('CONFIG_INVALID', `skills.${i}.handler.command: the program "${handler.command}" of skill ${skill.name} cannot be run (${where}): install it, give its full path, or make it executable (chmod +x)`, { skill: skill.name, command: handler.command })
  })
}
