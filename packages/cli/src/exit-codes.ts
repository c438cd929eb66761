/** Exit codes of swarm-node; documented in `swarm-node --help` and docs/operations.md. */
export const EXIT = {
  OK: 0,
  /** The operation ran and failed (a task failed, a request was refused). */
  FAILURE: 1,
  /** Bad flags, arguments or configuration. */
  USAGE: 2,
  /** No running node could be reached through its control API. */
  UNREACHABLE: 3,
  /** A task was rejected: nobody could do it. */
  REJECTED: 4,
  /** Waiting timed out (`claim`: no part came within --wait). */
  TIMEOUT: 5,
  /** The node could not start (port in use, data directory unusable or in use by another node). */
  STARTUP: 6
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** An error that ends the command with a given exit code and a one-line message. */
export class CliError extends Error {
  readonly exitCode: ExitCode
  constructor (exitCode: ExitCode, message: string) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}
