/**
 * Fuzzing the node's own decoders: the config parser (parseConfig, mergeConfig), the control
 * API's request bodies (every POST route, over HTTP, against the fake node), the blackboard's
 * Yjs decoders (update, state vector, inspection, and reading entries a peer wrote) and the peer
 * key decoder. Each either returns a value that passes its schema again or throws its typed
 * error (SwarmError, BlackboardError), never another; the API answers 4xx, never 500, and keeps
 * answering; no input pollutes a prototype.
 */
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as Y from 'yjs'
import { NodeConfigSchema, mergeConfig, parseConfig } from '../../src/config.js'
import { SwarmError } from '../../src/errors.js'
import { Blackboard } from '../../src/group/blackboard.js'
import { BlackboardError } from '../../src/group/blackboard-types.js'
import { decodePeerKey } from '../../src/registry/peer-key.js'
import { FakeNodeApi, TOKEN, serve } from '../api/fake-node-api.js'
import { FUZZ_TIMEOUT_MS, assertNoPollution, fuzz, hostileValue, mutate, mutation, protoKeyed, textMutation } from './arbitraries.js'

afterEach(() => { assertNoPollution() })

/** Runs `fn`; an error must be one of `types`. */
function typedOrValue<T> (fn: () => T, ...types: Array<abstract new (...args: never[]) => Error>): T | undefined {
  try {
    return fn()
  } catch (err) {
    assert.ok(types.some(t => err instanceof t), `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}, not ${types.map(t => t.name).join(' or ')}`)
    return undefined
  }
}

const VALID_CONFIG = {
  name: 'fuzz-node',
  dataDir: '/nonexistent/fuzz',
  network: 'fuzz',
  capacity: 2,
  skills: [{ name: 'alpha', level: 'expert', handler: { kind: 'builtin', name: 'echo' } }],
  listen: ['/ip4/127.0.0.1/tcp/0'],
  api: { enabled: true, port: 0 },
  limits: { maxLeaseMs: 30_000, rates: { offers: { perSecond: 5, burst: 10 } } }
}

describe('fuzz: parseConfig', () => {
  it('throws only SwarmError CONFIG_INVALID; a parsed config parses again to itself', () => {
    const configs = fc.oneof(
      hostileValue,
      fc.tuple(fc.constant(VALID_CONFIG), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([c, ms]) => mutate(c, ms)),
      fc.tuple(fc.constant(VALID_CONFIG), protoKeyed).map(([c, keyed]) => mergeConfig(JSON.parse(JSON.stringify(c)) as Record<string, unknown>, JSON.parse(JSON.stringify(keyed)) as Record<string, unknown>))
    )
    let parsed = 0
    fc.assert(fc.property(configs, input => {
      const config = typedOrValue(() => parseConfig(input), SwarmError)
      if (config === undefined) return
      parsed++
      const again = NodeConfigSchema.safeParse(JSON.parse(JSON.stringify(config)))
      assert.ok(again.success, 'a parsed config fails the schema again')
    }), fuzz('parseConfig', 200))
    assert.ok(parsed > 0)
  }, FUZZ_TIMEOUT_MS)
})

describe('fuzz: control API request bodies', () => {
  const node = new FakeNodeApi()
  let url: string
  let stop: () => Promise<void>

  beforeAll(async () => { ({ url, stop } = await serve(node)) })
  afterAll(async () => { await stop() })

  const ROUTES = ['/v1/tasks', '/v1/tasks/done-task-1/cancel', '/v1/escalations/esc-1/resolve', '/v1/tasks/task-1/proposals', '/v1/proposals/p-1/votes', '/v1/access/block', '/v1/access/unblock']
  const VALID_BODIES: unknown[] = [
    { description: 'Analyze', skills: [{ name: 'analytics', minLevel: 'advanced' }], input: { rows: [1] } },
    { reason: 'enough' },
    { decision: 'ship it' },
    { action: 'accept result', params: { v: 1 } },
    { choice: 'yes', confidence: 0.9 },
    { peerId: '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK', reason: 'spam' }
  ]

  it('answers every POST body with JSON and a status below 500, and keeps answering', async () => {
    const bodies = fc.oneof(
      hostileValue.map(v => JSON.stringify(v)),
      fc.tuple(fc.constantFrom(...VALID_BODIES), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([b, ms]) => JSON.stringify(mutate(b, ms))),
      fc.tuple(fc.constantFrom(...VALID_BODIES), textMutation).map(([b, f]) => f(JSON.stringify(b))),
      fc.string({ maxLength: 64 })
    )
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ROUTES), bodies, async (path, body) => {
      const res = await fetch(url + path, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body })
      const text = await res.text()
      assert.ok(res.status < 500, `POST ${path} answered ${res.status}: ${text}`)
      const json = JSON.parse(text) as unknown
      assert.equal(typeof json, 'object')
    }), fuzz('control API bodies', 60))
    const status = await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(status.status, 200)
  }, FUZZ_TIMEOUT_MS)
})

/** A Yjs update that writes `values` into the blackboard's maps and array, as any peer could. */
function foreignUpdate (values: unknown[], where: number): Uint8Array {
  const doc = new Y.Doc()
  const names = ['findings', 'hypotheses', 'actions']
  values.forEach((value, i) => {
    const target = (where + i) % 4
    try {
      if (target === 3) doc.getArray('statusChanges').push([value])
      else doc.getMap(names[target] as string).set(`k${i}`, value)
    } catch { /* a value Yjs itself will not write (an own "constructor" key): not sent */ }
  })
  return Y.encodeStateAsUpdate(doc)
}

describe('fuzz: blackboard decoders', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.tuple(fc.array(fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileValue.filter(v => JSON.stringify(v).length < 2_000)), { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
      .map(([values, where, at, byte, flip]) => {
        const update = foreignUpdate(values, where)
        if (flip && update.length > 0) update[at % update.length] = byte
        return update
      })
  )

  it('decodes, inspects and applies only what is a Yjs update (else BlackboardError), and reads foreign entries without throwing', () => {
    fc.assert(fc.property(bytes, update => {
      typedOrValue(() => Blackboard.inspectUpdate(update), BlackboardError)
      const board = new Blackboard()
      const before = JSON.stringify(board.snapshot())
      const applied = typedOrValue(() => { board.applyUpdate(update, 'peer'); return true }, BlackboardError)
      if (applied === undefined) assert.equal(JSON.stringify(board.snapshot()), before, 'a refused update changed the blackboard')
      // Whatever a peer wrote, reading the board gives entries of the schemas, never a throw,
      // and the board can still be encoded (stored, and sent to a late joiner).
      const snapshot = board.snapshot()
      JSON.stringify(snapshot)
      board.encodeUpdate()
      typedOrValue(() => board.encodeDiff(update), BlackboardError)
      board.destroy()
    }), fuzz('blackboard updates', 200))
  }, FUZZ_TIMEOUT_MS)

  it('an update that fails halfway leaves the board whole (found by this fuzz: it corrupted the Y.Doc)', () => {
    const update = Uint8Array.from([1, 2, 210, 239, 160, 238, 10, 0, 40, 1, 8, 102, 105, 110, 100, 105, 110, 103, 115, 2, 107, 48, 1, 119, 1, 2, ...new Array<number>(300).fill(0), 40, 1, 10, 104, 121, 112, 111, 116, 104, 101, 115, 101, 115, 2, 107, 49, 1, 119, 0, 0])
    const board = new Blackboard()
    assert.throws(() => { board.applyUpdate(update, 'peer') }, BlackboardError)
    assert.ok(board.encodeUpdate().byteLength > 0)
    assert.ok(board.encodeDiff(new Uint8Array([0])).byteLength > 0)
    board.destroy()
  })
})

describe('fuzz: decodePeerKey', () => {
  it('throws only SwarmError CONFIG_INVALID for text that is not a peer key', () => {
    const texts = fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 120 }).map(b => Buffer.from(b).toString('base64')), fc.uint8Array({ maxLength: 120 }).map(b => Buffer.from(b).toString('base64url')))
    fc.assert(fc.property(texts, text => {
      const key = typedOrValue(() => decodePeerKey(text), SwarmError)
      if (key !== undefined) assert.ok(key.raw.byteLength > 0)
    }), fuzz('decodePeerKey', 300))
  }, FUZZ_TIMEOUT_MS)
})
