import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { z } from 'zod'
import { CliError } from '../src/exit-codes.js'
import { PortSchema, PositiveIntSchema, collect, parseDuration, parseFlag, parseSkillFilter, wholeNumber } from '../src/flags.js'
import { assertUsage } from './helpers.js'

describe('collect', () => {
  it('collects a repeatable option', () => {
    assert.deepEqual(collect('a'), ['a'])
    const first = collect('a')
    assert.deepEqual(collect('b', first), ['a', 'b'])
    assert.deepEqual(first, ['a'])
  })
})

describe('parseFlag', () => {
  it('returns the parsed value', () => {
    assert.equal(parseFlag('--api-port', '7401', PortSchema), 7401)
    assert.equal(parseFlag('--api-port', '0', PortSchema), 0)
    assert.equal(parseFlag('--capacity', '8', PositiveIntSchema), 8)
    assert.equal(parseFlag('--name', 'x', z.string()), 'x')
  })

  it('ends with a usage error naming the flag and the value', () => {
    assertUsage(() => parseFlag('--api-port', 'abc', PortSchema), /^invalid --api-port "abc": /)
    assertUsage(() => parseFlag('--api-port', '70000', PortSchema), /--api-port "70000"/)
    assertUsage(() => parseFlag('--api-port', '1.5', PortSchema), /--api-port/)
    assertUsage(() => parseFlag('--capacity', '0', PositiveIntSchema), /--capacity "0"/)
    assertUsage(() => parseFlag('--capacity', '-3', PositiveIntSchema), /--capacity/)
  })

  it('drops the "(root)" prefix of the issue', () => {
    assert.throws(() => parseFlag('--api-port', 'abc', PortSchema), (err: unknown) => {
      assert.ok(err instanceof CliError)
      assert.ok(!err.message.includes('(root)'), err.message)
      return true
    })
  })
})

describe('wholeNumber', () => {
  it('names the range for a negative or too large number, not "not a number"', () => {
    assertUsage(() => parseFlag('--retries', '-1', wholeNumber(0, 9)), /^invalid --retries "-1": must be a whole number from 0 to 9$/)
    assertUsage(() => parseFlag('--retries', '12', wholeNumber(0, 9)), /must be a whole number from 0 to 9$/)
    assertUsage(() => parseFlag('--retries', 'two', wholeNumber(0, 9)), /must be a whole number from 0 to 9$/)
    assert.equal(parseFlag('--retries', '+3', wholeNumber(0, 9)), 3)
  })
})

describe('parseSkillFilter', () => {
  it('parses a name', () => {
    assert.deepEqual(parseSkillFilter('analytics'), { skill: 'analytics' })
  })

  it('parses name:level', () => {
    assert.deepEqual(parseSkillFilter('analytics:advanced'), { skill: 'analytics', minLevel: 'advanced' })
    assert.deepEqual(parseSkillFilter('data.viz_2-b:novice'), { skill: 'data.viz_2-b', minLevel: 'novice' })
  })

  it('rejects bad filters with a usage error showing the expected form', () => {
    for (const value of ['analytics:guru', 'Analytics', 'a b', '', ':expert', 'a:', 'a:b:c', 'a:expert:x']) {
      assertUsage(() => parseSkillFilter(value), /invalid --skill/, /expected name or name:level/)
    }
  })
})

describe('parseDuration', () => {
  it('parses units', () => {
    assert.equal(parseDuration('--timeout', '500ms'), 500)
    assert.equal(parseDuration('--timeout', '30s'), 30_000)
    assert.equal(parseDuration('--timeout', '2m'), 120_000)
    assert.equal(parseDuration('--timeout', '1h'), 3_600_000)
  })

  it('reads a plain number as milliseconds', () => {
    assert.equal(parseDuration('--timeout', '250'), 250)
    assert.equal(parseDuration('--timeout', '0'), 0)
  })

  it('accepts fractions and surrounding spaces', () => {
    assert.equal(parseDuration('--timeout', '1.5s'), 1500)
    assert.equal(parseDuration('--timeout', '0.5m'), 30_000)
    assert.equal(parseDuration('--timeout', '2.4ms'), 2)
    assert.equal(parseDuration('--timeout', ' 2s '), 2000)
  })

  it('rejects anything else with a usage error naming the flag', () => {
    for (const value of ['abc', '', '-1s', '5d', '1 s', 's', '1.s', '1e3']) {
      assertUsage(() => parseDuration('--wait-timeout', value), /invalid --wait-timeout/, /500ms, 30s, 2m or 1h/)
    }
  })
})
