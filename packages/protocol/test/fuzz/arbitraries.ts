/**
 * Shared fast-check arbitraries of the fuzz suites: hostile JSON values (wrong types, huge
 * numbers, very long strings, nesting beyond LIMITS.maxJsonDepth, prototype keys), mutations of
 * a valid message (as a value and as text), random bytes, a generator of valid messages per
 * message type, and the run settings (FUZZ_RUNS, FUZZ_SEED) with the pollution check.
 *
 * packages/node/test/fuzz/arbitraries.ts holds a copy of the generic part (hostile values and
 * mutations): a package's tests cannot import another package's tests.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { LIMITS, MESSAGE_TYPES, createMessage } from '../../src/index.js'
import { NOW, VALID_BODIES } from '../fixtures.js'
import type { BodyInput, MessageType, SwarmMessage } from '../../src/index.js'

// ---------------------------------------------------------------------------
// Run settings
// ---------------------------------------------------------------------------

/** A stable seed from a property's name, so a run is repeatable (fast-check prints it on failure). */
function seedOf (name: string): number {
  let h = 2166136261
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619)
  return h | 0
}

/** FUZZ_RUNS: how many times the default number of cases every property runs (default 1). */
function factor (): number {
  const n = Number(process.env.FUZZ_RUNS)
  return Number.isFinite(n) && n > 0 ? n : 1
}

/** The timeout of a fuzz test: vitest's 30 s of the unit project, scaled with FUZZ_RUNS. */
export const FUZZ_TIMEOUT_MS = 30_000 * factor()

/**
 * fast-check parameters of one property: `runs` cases (times FUZZ_RUNS), the seed fixed by the
 * property's name (FUZZ_SEED overrides it, to explore other cases).
 */
export function fuzz (name: string, runs: number): { numRuns: number, seed: number } {
  const envSeed = Number(process.env.FUZZ_SEED)
  return {
    numRuns: Math.max(1, Math.round(runs * factor())),
    seed: process.env.FUZZ_SEED !== undefined && Number.isInteger(envSeed) ? envSeed : seedOf(name)
  }
}

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype]
const pristine = PROTOTYPES.map(p => Reflect.ownKeys(p).map(String).sort())

/** Fails when any input polluted a built-in prototype (a new or changed key, `({}).polluted`). */
export function assertNoPollution (): void {
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted')
  assert.equal(([] as unknown as Record<string, unknown>).polluted, undefined, 'Array.prototype was polluted')
  PROTOTYPES.forEach((p, i) => { assert.deepEqual(Reflect.ownKeys(p).map(String).sort(), pristine[i], 'a built-in prototype gained or lost a key') })
}

// ---------------------------------------------------------------------------
// Hostile values
// ---------------------------------------------------------------------------

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const

/** `levels` arrays (or objects) around a leaf. */
function nest (levels: number, objects = false): unknown {
  let value: unknown = 1
  for (let i = 0; i < levels; i++) value = objects ? { a: value } : [value]
  return value
}

/** An object with `key` as an own property (`__proto__` too, as JSON.parse makes it). */
function withOwnKey (key: string, value: unknown, base: Record<string, unknown> = {}): Record<string, unknown> {
  Object.defineProperty(base, key, { value, enumerable: true, writable: true, configurable: true })
  return base
}

/** Objects keyed by `__proto__`, `constructor` and `prototype`, at the top and nested. */
export const protoKeyed: fc.Arbitrary<unknown> = fc.tuple(fc.constantFrom(...PROTO_KEYS), fc.constantFrom(...PROTO_KEYS), fc.boolean()).map(([outer, inner, deep]) => {
  const payload = withOwnKey(inner, { polluted: true })
  payload.polluted = true
  return deep ? { a: withOwnKey(outer, payload) } : withOwnKey(outer, payload)
})

const hugeNumber = fc.constantFrom(1e308, -1e308, -0, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER - 2, Number.MIN_VALUE, 2 ** 64, 1e21, -1, 0.5)

const LONG = ['x'.repeat(LIMITS.maxGossipMessageBytes + 10), 'é'.repeat(5_000), '\u0000'.repeat(300), '\ud800'.repeat(50), 'a'.repeat(LIMITS.maxShortTextChars + 1)]
const longString = fc.constantFrom(...LONG)

/** A value of some JSON type, usually not the one a field wants. */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 })
)

/**
 * Nesting just past, or far past, the depth the codec accepts (at most 1 000 levels, so that
 * fast-check can still print a failing case; deeper input is a fixed case of the tests).
 */
export const deepValue: fc.Arbitrary<unknown> = fc.tuple(fc.constantFrom(LIMITS.maxJsonDepth - 1, LIMITS.maxJsonDepth, LIMITS.maxJsonDepth + 1, 200, 1_000), fc.boolean()).map(([levels, objects]) => nest(levels, objects))

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(wrongType, hugeNumber, longString, deepValue, protoKeyed)

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

type Path = Array<string | number>

/** Paths to every array and object inside `value` (the root is `[]`), at most `max`. */
function containers (value: unknown, max = 200): Path[] {
  const out: Path[] = []
  const walk = (v: unknown, path: Path): void => {
    if (out.length >= max || typeof v !== 'object' || v === null) return
    out.push(path)
    for (const [k, child] of Object.entries(v)) walk(child, [...path, Array.isArray(v) ? Number(k) : k])
  }
  walk(value, [])
  return out
}

function at (value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value)
}

/** One change to a JSON value: replace or delete a member, or add a key. */
interface Mutation {
  op: 'replace' | 'delete' | 'add'
  /** Which container (modulo their count), then which of its members. */
  where: number
  which: number
  key: string
  value: unknown
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('replace' as const, 'delete' as const, 'add' as const),
  where: fc.nat(),
  which: fc.nat(),
  key: fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.constantFrom('v', 'id', 'ts', 'type', 'body', 'taskId', 'groupId'), fc.string({ maxLength: 8 })),
  value: hostileValue
})

/** A copy of `value` (JSON-compatible; own `__proto__` keys survive) with `mutations` applied. */
export function mutate (value: unknown, mutations: Mutation[]): unknown {
  const copy: unknown = JSON.parse(JSON.stringify(value))
  for (const m of mutations) {
    // A copy of the value too: arbitraries share their constants between runs.
    const inserted: unknown = m.value === undefined ? undefined : JSON.parse(JSON.stringify(m.value))
    const paths = containers(copy)
    const target = at(copy, paths[m.where % paths.length] ?? []) as Record<string, unknown> | unknown[]
    const keys = Object.keys(target)
    const key = keys[m.which % Math.max(keys.length, 1)]
    if (m.op === 'add' || key === undefined) {
      if (Array.isArray(target)) target.push(inserted)
      else withOwnKey(m.key, inserted, target)
    } else if (m.op === 'delete') {
      if (Array.isArray(target)) target.splice(Number(key), 1)
      else Reflect.deleteProperty(target, key)
    } else {
      withOwnKey(key, inserted, target as Record<string, unknown>)
    }
  }
  return copy
}

/** A change to the text of a message: cut, a character replaced, a number made `1e999`, another type. */
const textMutation: fc.Arbitrary<(text: string) => string> = fc.oneof(
  fc.nat().map(n => (t: string) => t.slice(0, n % (t.length + 1))),
  fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([n, s]) => (t: string) => { const i = n % (t.length + 1); return t.slice(0, i) + s + t.slice(i + 1) }),
  fc.constantFrom('1e999', '-1e999', '1e308', '-0', '0.0000001', '99999999999999999999', '"1e999"').map(n => (t: string) => t.replace(/(?<=:)-?\d+(\.\d+)?/, n)),
  fc.constantFrom(...MESSAGE_TYPES).map(type => (t: string) => t.replace(/"type":"[A-Z_]+"/, `"type":"${type}"`)),
  fc.constant((t: string) => t.replace('{', '{"__proto__":{"polluted":true},')),
  fc.constant((t: string) => t.replace(/"body":\{/, '"body":{"constructor":{"prototype":{"polluted":true}},'))
)

const encoder = new TextEncoder()

/** The bytes of a JSON value (own `__proto__` keys included). */
export function jsonBytes (value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}

// ---------------------------------------------------------------------------
// Valid messages
// ---------------------------------------------------------------------------

const idArb = fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/)
const tsArb = fc.integer({ min: 0, max: NOW * 2 })
const jsonArb = fc.jsonValue({ maxDepth: 4 })

/** The free JSON fields of each type: filled with random JSON by the generators. */
const JSON_FIELDS: Partial<Record<MessageType, string>> = {
  TASK_START: 'checkpoint',
  TASK_UPDATE: 'checkpoint',
  TASK_COMPLETE: 'output',
  HANDOFF: 'checkpoint',
  INPUT_RESPONSE: 'value',
  PROPOSAL: 'params',
  ESCALATE: 'context',
  DATA_WRITE: 'value',
  ACK: 'data',
  BROADCAST: 'data'
}
const ID_FIELDS = ['taskId', 'groupId', 'proposalId', 'escalationId', 'ref'] as const

/** Valid messages of one type: the fixture with random ids, timestamps and JSON payloads. */
function validMessageOf (type: MessageType): fc.Arbitrary<SwarmMessage> {
  return fc.record({ id: idArb, ts: tsArb, ids: fc.array(idArb, { minLength: ID_FIELDS.length, maxLength: ID_FIELDS.length }), json: fc.option(jsonArb) }).map(r => {
    const body: Record<string, unknown> = { ...(VALID_BODIES[type] as Record<string, unknown>) }
    ID_FIELDS.forEach((field, i) => { if (field in body) body[field] = r.ids[i] })
    const jsonField = JSON_FIELDS[type]
    if (jsonField !== undefined && r.json !== null) body[jsonField] = r.json
    return createMessage(type, body as BodyInput<typeof type>, { id: r.id, ts: r.ts })
  })
}

/**
 * The types with a valid body in the fixtures (all of them, unless a new type is not in
 * fixtures.ts yet: the decoders still meet it through mutations of the others' type field).
 */
export const FUZZED_TYPES = MESSAGE_TYPES.filter(type => (VALID_BODIES as Partial<typeof VALID_BODIES>)[type] !== undefined)

/** One generator per message type. */
export const VALID_MESSAGES = Object.fromEntries(FUZZED_TYPES.map(type => [type, validMessageOf(type)])) as Record<MessageType, fc.Arbitrary<SwarmMessage>>

/** A valid message of any type. */
export const anyValidMessage: fc.Arbitrary<SwarmMessage> = fc.constantFrom(...FUZZED_TYPES).chain(type => VALID_MESSAGES[type])

/** A valid message with one to three value mutations, as JSON bytes. */
export const mutatedMessageBytes: fc.Arbitrary<Uint8Array> = fc.tuple(anyValidMessage, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([m, ms]) => jsonBytes(mutate(m, ms)))

/** A valid message with its text changed. */
export const textMutatedBytes: fc.Arbitrary<Uint8Array> = fc.tuple(anyValidMessage, textMutation).map(([m, f]) => encoder.encode(f(JSON.stringify(m))))

/** Anything a hostile peer might send: random bytes, random JSON, or a broken valid message. */
export const hostileBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.jsonValue({ maxDepth: 6 }).map(jsonBytes),
  hostileValue.map(jsonBytes),
  mutatedMessageBytes,
  textMutatedBytes,
  anyValidMessage.map(jsonBytes)
)
