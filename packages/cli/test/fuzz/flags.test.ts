/**
 * Fuzzing the CLI's flag and environment parsers: whatever a user (or a script) types, each
 * either returns a value of its type and range or ends the command with a CliError (EXIT.USAGE),
 * never another error. Runs scale with FUZZ_RUNS, like the other fuzz suites.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { CliError, EXIT } from '../../src/exit-codes.js'
import { ENV_VARS, settingsFromEnv } from '../../src/env.js'
import { PortSchema, PositiveIntSchema, parseDuration, parseFlag, parseSkillFilter, wholeNumber } from '../../src/flags.js'

const factor = Number(process.env.FUZZ_RUNS) > 0 ? Number(process.env.FUZZ_RUNS) : 1
const runs = (n: number, seed: number): { numRuns: number, seed: number } => ({ numRuns: Math.round(n * factor), seed: Number.isInteger(Number(process.env.FUZZ_SEED)) && process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : seed })
const TIMEOUT_MS = 30_000 * factor

/** What users type: anything, digits of any length, numbers in any notation, durations, names. */
const typed = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.stringMatching(/^\d{1,400}(\.\d{0,5})?(ms|s|m|h)?$/),
  fc.constantFrom('1e999', '-0', '0x10', 'Infinity', 'NaN', ' 7 ', '', '65536', '-1', '1.5', '9007199254740993', '__proto__', 'constructor', 'a:b:c', 'alpha:expert', 'alpha:'),
  fc.double().map(String)
)

/** Calls `fn`: a value it returns is checked by `ok`; an error must be a usage CliError. */
function usageOrValue<T> (fn: () => T, ok: (value: T) => boolean): void {
  let value: T
  try {
    value = fn()
  } catch (err) {
    assert.ok(err instanceof CliError, `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}, not a CliError`)
    assert.equal(err.exitCode, EXIT.USAGE)
    return
  }
  assert.ok(ok(value), `returned ${JSON.stringify(value)}`)
}

describe('fuzz: CLI flag parsers', () => {
  it('parseFlag with the port, positive-int and whole-number schemas: a number in range or a usage error', () => {
    fc.assert(fc.property(typed, value => {
      usageOrValue(() => parseFlag('--api-port', value, PortSchema), n => Number.isInteger(n) && n >= 0 && n <= 65535)
      usageOrValue(() => parseFlag('--capacity', value, PositiveIntSchema), n => Number.isSafeInteger(n) && n > 0)
      usageOrValue(() => parseFlag('--attempts', value, wholeNumber(1, 100)), n => Number.isInteger(n) && n >= 1 && n <= 100)
    }), runs(300, 1401))
  }, TIMEOUT_MS)

  it('parseDuration: a whole, finite number of milliseconds or a usage error', () => {
    fc.assert(fc.property(typed, value => {
      usageOrValue(() => parseDuration('--timeout', value), n => Number.isSafeInteger(n) && n >= 0)
    }), runs(500, 1402))
    // Found by this fuzz: a duration past the longest timer delay overflowed into one that fires at once.
    assert.equal(parseDuration('--timeout', '596h'), 596 * 3_600_000)
    for (const tooLong of ['597h', '9000000000h', '9'.repeat(400)]) usageOrValue(() => parseDuration('--timeout', tooLong), () => false)
  }, TIMEOUT_MS)

  it('parseSkillFilter: a skill name (and level) or a usage error', () => {
    fc.assert(fc.property(typed, value => {
      usageOrValue(() => parseSkillFilter(value), f => /^[a-z0-9][a-z0-9._-]{0,63}$/.test(f.skill))
    }), runs(500, 1403))
  }, TIMEOUT_MS)

  it('settingsFromEnv: settings or a usage error, and SWARM_PEER_KEY gone from the environment either way', () => {
    const env = fc.dictionary(fc.constantFrom(...ENV_VARS, '__proto__', 'constructor', 'SWARM_OTHER'), typed, { maxKeys: 6 })
    fc.assert(fc.property(env, vars => {
      const copy: Record<string, string | undefined> = JSON.parse(JSON.stringify(vars)) as Record<string, string>
      usageOrValue(() => settingsFromEnv(copy), s => typeof s === 'object' && Object.getPrototypeOf(s) === Object.prototype)
      assert.equal(({} as Record<string, unknown>).polluted, undefined)
    }), runs(300, 1404))
  }, TIMEOUT_MS)
})
