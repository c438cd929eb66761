import { LevelSchema, SkillNameSchema, formatIssues } from '@swarm/protocol'
import { z } from 'zod'
import { CliError, EXIT } from './exit-codes.js'

/** Collects a repeatable option into an array. */
export function collect (value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** Validates a flag's value with a zod schema; a bad value ends the command with EXIT.USAGE. */
export function parseFlag<T extends z.ZodType> (flag: string, value: unknown, schema: T): z.infer<T> {
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    throw new CliError(EXIT.USAGE, `invalid ${flag} ${JSON.stringify(value)}: ${formatIssues(parsed.error).map(i => i.replace(/^\(root\): /, '')).join('; ')}`)
  }
  return parsed.data
}

export const PortSchema = z.coerce.number().int().min(0).max(65535)
export const PositiveIntSchema = z.coerce.number().int().positive()

/** `name[:level]` as used by `agents --skill`. */
export function parseSkillFilter (value: string): { skill: string, minLevel?: z.infer<typeof LevelSchema> } {
  const [name, level, ...rest] = value.split(':')
  const skill = SkillNameSchema.safeParse(name)
  const minLevel = level === undefined ? undefined : LevelSchema.safeParse(level)
  if (rest.length > 0 || !skill.success || (minLevel !== undefined && !minLevel.success)) {
    throw new CliError(EXIT.USAGE, `invalid --skill "${value}": expected name or name:level (levels: novice, intermediate, advanced, expert)`)
  }
  return minLevel?.success === true ? { skill: skill.data, minLevel: minLevel.data } : { skill: skill.data }
}

/** Longest duration a flag may give: the longest delay of a timer (about 24.8 days). */
const MAX_DURATION_MS = 2_147_483_647

/**
 * "500ms", "30s", "2m", "1h" or a plain number of milliseconds, at most MAX_DURATION_MS (a
 * longer one would overflow the timer it sets, which then fires at once).
 */
export function parseDuration (flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim())
  if (match === null) throw new CliError(EXIT.USAGE, `invalid ${flag} "${value}": use a duration such as 500ms, 30s, 2m or 1h`)
  const n = Number(match[1])
  const unit = match[2] ?? 'ms'
  const factor = unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : unit === 's' ? 1000 : 1
  const ms = Math.round(n * factor)
  if (!(ms <= MAX_DURATION_MS)) throw new CliError(EXIT.USAGE, `invalid ${flag} "${value}": at most 596h (about 24 days)`)
  return ms
}

/**
 * A whole number typed as a flag value ("3"), from `min` to `max`. A signed or out-of-range
 * number is named as such ("-1": must be from 0 to 9), not as something that is not a number.
 */
export function wholeNumber (min: number, max: number): z.ZodType<number, string> {
  const range = `must be a whole number from ${min} to ${max}`
  return z.string().trim().regex(/^[-+]?\d+$/, range).transform(Number).pipe(z.number().int().min(min, range).max(max, range))
}
