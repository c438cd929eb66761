/**
 * The handler configurations each handler factory accepts, and their validation. Factories take
 * the schema's input form (defaults optional) and apply the defaults of config.ts themselves.
 */
import { formatIssues } from '@swarm/protocol'
import type { z } from 'zod'
import type { BuiltinHandlerSchema, ExecHandlerSchema, HttpHandlerSchema, ModuleHandlerSchema } from '../config.js'
import { SwarmError } from '../errors.js'

/** An `exec` handler: a program, its arguments, working directory, environment and timeout. */
export type ExecHandlerConfig = z.input<typeof ExecHandlerSchema>
/** An `http` handler: the URL to POST to, extra headers and a timeout. */
export type HttpHandlerConfig = z.input<typeof HttpHandlerSchema>
/** A `module` handler: an ES module file and the name of its exported function. */
export type ModuleHandlerConfig = z.input<typeof ModuleHandlerSchema>
/** A `builtin` handler: echo, sleep or fail. */
export type BuiltinHandlerConfig = z.input<typeof BuiltinHandlerSchema>

/**
 * Validates a handler configuration against its schema and applies the defaults. Throws
 * SwarmError CONFIG_INVALID naming every bad field.
 */
export function parseHandlerConfig<S extends z.ZodType> (schema: S, config: z.input<S>): z.output<S> {
  const parsed = schema.safeParse(config)
  if (!parsed.success) {
    const issues = formatIssues(parsed.error)
    throw new SwarmError('CONFIG_INVALID', `invalid handler configuration: ${issues.join('; ')}`, { issues })
  }
  return parsed.data
}
