/**
 * The environment an `exec` handler gets: an allow-list, not the node's whole environment. A
 * handler is someone else's program running on the node's machine; it must not read the node's
 * secrets (its key, API tokens, cloud credentials in the node's environment). It gets the basic
 * variables a program needs to run, the ones its skill's config names in `passEnv`, the values
 * its config sets in `env`, and the task's SWARM_* variables.
 */

/** Variables every program gets when the node has them. */
const BASE_PROGRAM_ENV: readonly string[] = Object.freeze([
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES',
  'TZ', 'TMPDIR', 'TEMP', 'TMP', 'TERM', 'SYSTEMROOT', 'COMSPEC', 'PATHEXT', 'WINDIR'
])

/** Variables never passed through, whatever the config says (the node's identity). */
const NEVER_PASSED: ReadonlySet<string> = new Set(['SWARM_PEER_KEY', 'SWARM_API_TOKEN'])

/**
 * The program's environment: the allowed variables of `from` (the node's environment), then
 * `set` (the skill's `env`), then `task` (SWARM_TASK_ID…). `set` may name any variable, since
 * its values are in the config, not taken from the node.
 */
export function programEnv (from: NodeJS.ProcessEnv, passEnv: readonly string[], set: Record<string, string>, task: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const name of [...BASE_PROGRAM_ENV, ...passEnv]) {
    const value = from[name]
    if (value !== undefined && !NEVER_PASSED.has(name)) env[name] = value
  }
  return { ...env, ...set, ...task }
}
