import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createLogger } from '../../src/logger.js'
import { base32, base58btc, formatLibp2p, libp2pLogger } from '../../src/net/libp2p-logger.js'
import type { LogLevel } from '../../src/logger.js'

const PEER = peerIdFromString('12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK')

function capture (level: LogLevel): { lines: string[], records: () => Array<Record<string, unknown>>, logger: ReturnType<typeof createLogger> } {
  const lines: string[] = []
  const logger = createLogger({ level, sinks: [{ write: line => { lines.push(line) } }], fields: { node: 'a' } })
  return { lines, logger, records: () => lines.map(l => JSON.parse(l) as Record<string, unknown>) }
}

/** An argument that counts how often libp2p's line was formatted. */
function counted (): { value: { toString: () => string }, calls: () => number } {
  let calls = 0
  return { value: { toString: () => { calls++; return 'formatted' } }, calls: () => calls }
}

describe('libp2pLogger at debug', () => {
  it('writes libp2p lines at debug under component libp2p:<name>, formatted, with the node\'s fields', () => {
    const { logger, records } = capture('debug')
    const log = libp2pLogger(logger).forComponent('libp2p:tcp')
    assert.equal(log.enabled, true)
    log('dialing %p on %a (%d ms)', PEER, multiaddr('/ip4/127.0.0.1/tcp/4001'), 12)
    const { ts: _ts, ...rest } = records()[0] ?? {}
    assert.deepEqual(rest, { level: 'debug', component: 'libp2p:tcp', node: 'a', msg: `dialing ${PEER.toString()} on /ip4/127.0.0.1/tcp/4001 (12 ms)` })
  })

  it('writes .error lines at debug too, marked, with the error whole', () => {
    const { logger, records } = capture('debug')
    const err = new Error('connection reset', { cause: new Error('ECONNRESET') })
    libp2pLogger(logger).forComponent('libp2p:yamux').error('stream failed - %e', err)
    const record = records()[0]
    assert.equal(record?.level, 'debug')
    assert.equal(record?.libp2pLevel, 'error')
    assert.equal(record?.msg, 'stream failed - connection reset')
    const logged = record?.err as { message: string, stack: string, cause: { message: string } }
    assert.equal(logged.message, 'connection reset')
    assert.equal(logged.stack, err.stack)
    assert.equal(logged.cause.message, 'ECONNRESET')
  })

  it('scopes with newScope, prefixes names that lack libp2p:, and never writes trace', () => {
    const { logger, records } = capture('debug')
    const components = libp2pLogger(logger)
    const tcp = components.forComponent('libp2p:tcp')
    tcp.newScope('connection')('opened')
    tcp.newScope('connection').newScope('outbound:1')('closed')
    components.forComponent('my-service')('hello')
    components.forComponent('libp2p')('started')
    tcp.trace('very %s', 'chatty')
    assert.deepEqual(records().map(r => [r.component, r.msg]), [
      ['libp2p:tcp:connection', 'opened'],
      ['libp2p:tcp:connection:outbound:1', 'closed'],
      ['libp2p:my-service', 'hello'],
      ['libp2p', 'started']
    ])
  })
})

describe('libp2pLogger above debug', () => {
  for (const level of ['info', 'warn', 'error', 'silent'] as const) {
    it(`at ${level}: disabled, writes nothing and formats nothing`, () => {
      const { logger, lines } = capture(level)
      const log = libp2pLogger(logger).forComponent('libp2p:gossipsub')
      const arg = counted()
      assert.equal(log.enabled, false)
      log('message %s', arg.value)
      log.error('failed %s', arg.value)
      log.trace('trace %s', arg.value)
      const scoped = log.newScope('stream')
      assert.equal(scoped.enabled, false)
      scoped('scoped %s', arg.value)
      assert.equal(arg.calls(), 0)
      assert.deepEqual(lines, [])
    })
  }

  it('at debug the same argument is formatted once per line', () => {
    const { logger, lines } = capture('debug')
    const arg = counted()
    libp2pLogger(logger).forComponent('libp2p:gossipsub')('message %s', arg.value)
    assert.equal(arg.calls(), 1)
    assert.equal(lines.length, 1)
  })
})

describe('formatLibp2p', () => {
  it('applies debug\'s and libp2p\'s directives in order', () => {
    const bytes = PEER.toMultihash().bytes
    const cases: Array<[string, unknown[], string]> = [
      ['%s and %s', ['a', 'b'], 'a and b'],
      ['%d peers, %i whole, %f', ['3', 4.7, '0.5'], '3 peers, 4 whole, 0.5'],
      ['%j', [{ a: [1, 2] }], '{"a":[1,2]}'],
      ['%o', [{ a: { b: 1 } }], '{ a: { b: 1 } }'],
      ['%p', [PEER], PEER.toString()],
      ['%p', [undefined], 'undefined'],
      ['key %b', [bytes], `key ${PEER.toString()}`],
      ['%t', [PEER.toCID().bytes], PEER.toCID().toString().slice(1)],
      ['%m', [new Uint8Array([1, 2, 3, 4])], 'AQIDBA'],
      ['%e', [new Error('boom')], 'boom'],
      ['100%% sure, %s', ['yes'], '100% sure, yes'],
      ['%s %s', ['only one'], 'only one %s'],
      ['%x stays', ['left over'], '%x stays left over'],
      ['count', [2, { k: 'v' }], "count 2 { k: 'v' }"]
    ]
    for (const [formatter, args, expected] of cases) {
      assert.equal(formatLibp2p(formatter, args).msg, expected, `${formatter} ${String(args)}`)
    }
  })

  it('takes the first error among the arguments, or an error in place of the format', () => {
    const first = new Error('first')
    assert.equal(formatLibp2p('%s %e', ['x', first]).err, first)
    assert.equal(formatLibp2p('no error', []).err, undefined)
    const lone = new Error('alone')
    assert.deepEqual(formatLibp2p(lone, []), { msg: 'alone', err: lone })
  })

  it('encodes base58btc with leading zeros and base32 without padding', () => {
    assert.equal(base58btc(new Uint8Array([0, 0, 1])), '112')
    assert.equal(base58btc(new Uint8Array([])), '')
    assert.equal(base58btc(new TextEncoder().encode('hello world')), 'StV1DL6CwTryKyV')
    assert.equal(base32(new TextEncoder().encode('foobar')), 'mzxw6ytboi')
    assert.equal(base32(new TextEncoder().encode('f')), 'my')
  })
})
