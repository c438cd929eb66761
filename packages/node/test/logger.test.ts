import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SwarmError } from '../src/errors.js'
import { createLogger, fileSink, silentLogger } from '../src/logger.js'
import type { LogLevel, LogSink } from '../src/logger.js'

interface Capture extends LogSink {
  lines: string[]
  records: () => Array<Record<string, unknown>>
}

function capture (): Capture {
  const lines: string[] = []
  return {
    lines,
    write: line => { lines.push(line) },
    records: () => lines.map(line => {
      const value: unknown = JSON.parse(line)
      assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), line)
      return value as Record<string, unknown>
    })
  }
}

describe('createLogger', () => {
  it('writes one JSON object per line with ts, level, component, msg and fields', () => {
    const sink = capture()
    const logger = createLogger({ level: 'debug', sinks: [sink], component: 'net', fields: { node: 'a' } })
    logger.info('peer connected', { peer: 'p1', count: 2, nested: { ok: true } })
    assert.equal(sink.lines.length, 1)
    assert.ok(!(sink.lines[0] ?? '').includes('\n'))
    const [record] = sink.records()
    assert.ok(record !== undefined)
    assert.equal(typeof record.ts, 'string')
    assert.equal(new Date(String(record.ts)).toISOString(), record.ts)
    const { ts: _ts, ...rest } = record
    assert.deepEqual(rest, { level: 'info', component: 'net', node: 'a', msg: 'peer connected', peer: 'p1', count: 2, nested: { ok: true } })
    // Keys come in a stable, readable order: level and time, the bindings, the fields, msg.
    assert.deepEqual(Object.keys(record), ['level', 'ts', 'component', 'node', 'peer', 'count', 'nested', 'msg'])
  })

  it('writes the message as given, never as a format string', () => {
    const sink = capture()
    createLogger({ level: 'info', sinks: [sink] }).info('100% done, %s %d %j', { n: 1 })
    assert.equal(sink.records()[0]?.msg, '100% done, %s %d %j')
  })

  it('writes each level under its name', () => {
    const sink = capture()
    const logger = createLogger({ level: 'debug', sinks: [sink] })
    logger.debug('d')
    logger.info('i')
    logger.warn('w')
    logger.error('e')
    assert.deepEqual(sink.records().map(r => [r.level, r.msg]), [['debug', 'd'], ['info', 'i'], ['warn', 'w'], ['error', 'e']])
    assert.equal(sink.records()[0]?.component, undefined)
  })

  it('drops lines below its level', () => {
    const cases: Array<[LogLevel, string[]]> = [
      ['debug', ['debug', 'info', 'warn', 'error']],
      ['info', ['info', 'warn', 'error']],
      ['warn', ['warn', 'error']],
      ['error', ['error']],
      ['silent', []]
    ]
    for (const [level, expected] of cases) {
      const sink = capture()
      const logger = createLogger({ level, sinks: [sink] })
      assert.equal(logger.level, level)
      logger.debug('x')
      logger.info('x')
      logger.warn('x')
      logger.error('x')
      assert.deepEqual(sink.records().map(r => r.level), expected, `level ${level}`)
      for (const l of ['debug', 'info', 'warn', 'error'] as const) {
        assert.equal(logger.isEnabled(l), expected.includes(l), `${level}.isEnabled(${l})`)
      }
    }
  })

  it('writes every line to every sink', () => {
    const a = capture()
    const b = capture()
    createLogger({ level: 'info', sinks: [a, b] }).warn('both')
    assert.deepEqual(a.lines, b.lines)
    assert.equal(a.lines.length, 1)
  })

  it('makes child loggers with their own component and merged fields', () => {
    const sink = capture()
    const root = createLogger({ level: 'info', sinks: [sink], component: 'node', fields: { node: 'a' } })
    const child = root.child('dht', { shard: 2 })
    const grandchild = child.child('query', { q: 'x' })
    assert.equal(child.level, 'info')
    child.debug('hidden')
    child.info('from child')
    grandchild.info('from grandchild')
    root.info('from root')
    const records = sink.records().map(({ ts: _ts, ...rest }) => rest)
    // A child's component replaces its parent's on the line instead of being written twice.
    assert.equal(sink.lines[1]?.match(/"component"/g)?.length, 1, sink.lines[1])
    assert.deepEqual(records, [
      { level: 'info', component: 'dht', node: 'a', shard: 2, msg: 'from child' },
      { level: 'info', component: 'query', node: 'a', shard: 2, q: 'x', msg: 'from grandchild' },
      { level: 'info', component: 'node', node: 'a', msg: 'from root' }
    ])
  })

  it('serialises errors with name, message, code, stack and cause', () => {
    const sink = capture()
    const logger = createLogger({ level: 'info', sinks: [sink] })
    const root = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })
    const err = new SwarmError('DATA_DIR', 'cannot write', {}, { cause: root })
    logger.error('failed', { err, other: new TypeError('bad type') })
    const [record] = sink.records()
    const { stack, cause, ...rest } = record?.err as Record<string, unknown>
    assert.deepEqual(rest, { name: 'SwarmError', message: 'cannot write', code: 'DATA_DIR' })
    assert.equal(stack, err.stack)
    assert.match(String(stack), /^SwarmError: cannot write\n\s+at /)
    const { stack: causeStack, ...causeRest } = cause as Record<string, unknown>
    assert.deepEqual(causeRest, { name: 'Error', message: 'EACCES: permission denied', code: 'EACCES' })
    assert.equal(causeStack, root.stack)
    const { stack: otherStack, ...other } = record?.other as Record<string, unknown>
    assert.deepEqual(other, { name: 'TypeError', message: 'bad type' })
    assert.equal(typeof otherStack, 'string')
  })

  it('writes a cause that is not an error as it is, and ends a cause cycle', () => {
    const sink = capture()
    const logger = createLogger({ level: 'info', sinks: [sink] })
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    a.cause = b
    logger.warn('cycle', { plain: new Error('x', { cause: 'a string' }), a })
    const [record] = sink.records()
    assert.equal((record?.plain as { cause: unknown }).cause, 'a string')
    let depth = 0
    let at: unknown = record?.a
    while (typeof at === 'object' && at !== null && 'cause' in at) { at = at.cause; depth++ }
    assert.equal(typeof at, 'string', 'the chain ends in the text of the cause')
    assert.ok(depth > 1 && depth < 10, `depth ${depth}`)
  })

  it('serialises bigints as strings', () => {
    const sink = capture()
    createLogger({ level: 'info', sinks: [sink] }).info('big', { n: 12345678901234567890n })
    assert.equal(sink.records()[0]?.n, '12345678901234567890')
  })

  it('writes nothing without sinks', () => {
    const logger = createLogger({ level: 'debug', sinks: [] })
    logger.error('nowhere')
    assert.equal(logger.isEnabled('debug'), true)
  })
})

describe('silentLogger', () => {
  it('drops everything and enables no level', () => {
    const logger = silentLogger()
    assert.equal(logger.level, 'silent')
    logger.debug('x')
    logger.info('x', { a: 1 })
    logger.warn('x')
    logger.error('x', { err: new Error('e') })
    const child = logger.child('c')
    child.error('x')
    for (const l of ['debug', 'info', 'warn', 'error'] as const) {
      assert.equal(logger.isEnabled(l), false)
      assert.equal(child.isEnabled(l), false)
    }
  })
})

describe('fileSink', () => {
  let dir: string
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'swarm-logger-test-')) })
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('appends lines to a file with mode 0600', () => {
    const path = join(dir, 'node.log')
    const logger = createLogger({ level: 'info', sinks: [fileSink(path)], component: 'test' })
    logger.info('one')
    logger.warn('two', { n: 2 })
    const lines = readFileSync(path, 'utf8').split('\n')
    assert.equal(lines.length, 3)
    assert.equal(lines[2], '')
    assert.deepEqual(lines.slice(0, 2).map(line => (JSON.parse(line) as { msg: string }).msg), ['one', 'two'])
    assert.equal(statSync(path).mode & 0o777, 0o600)
  })
})
