/**
 * The fuzz suites' arbitraries on the node side. The first part is a copy of the generic part of
 * packages/protocol/test/fuzz/arbitraries.ts (run settings, pollution check, hostile values,
 * mutations: a package's tests cannot import another package's tests); keep the two alike. The
 * second part builds valid messages about a given task and group (so that they reach deep into
 * the services) and hostile variants that still decode on a channel (what a handler can meet).
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { LIMITS, MESSAGE_TYPES, createMessage, decodeMessage, encodeMessage } from '@swarm/protocol'
import type { BodyInput, Channel, Json, MessageType, SwarmMessage } from '@swarm/protocol'

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
const deepValue: fc.Arbitrary<unknown> = fc.tuple(fc.constantFrom(LIMITS.maxJsonDepth - 1, LIMITS.maxJsonDepth, LIMITS.maxJsonDepth + 1, 200, 1_000), fc.boolean()).map(([levels, objects]) => nest(levels, objects))

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
export const textMutation: fc.Arbitrary<(text: string) => string> = fc.oneof(
  fc.nat().map(n => (t: string) => t.slice(0, n % (t.length + 1))),
  fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([n, s]) => (t: string) => { const i = n % (t.length + 1); return t.slice(0, i) + s + t.slice(i + 1) }),
  fc.constantFrom('1e999', '-1e999', '1e308', '-0', '0.0000001', '99999999999999999999', '"1e999"').map(n => (t: string) => t.replace(/(?<=:)-?\d+(\.\d+)?/, n)),
  fc.constantFrom(...MESSAGE_TYPES).map(type => (t: string) => t.replace(/"type":"[A-Z_]+"/, `"type":"${type}"`)),
  fc.constant((t: string) => t.replace('{', '{"__proto__":{"polluted":true},')),
  fc.constant((t: string) => t.replace(/"body":\{/, '"body":{"constructor":{"prototype":{"polluted":true}},'))
)

const encoder = new TextEncoder()

/** The bytes of a JSON value (own `__proto__` keys included). */
function jsonBytes (value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}


// ---------------------------------------------------------------------------
// Valid messages about a known task and group
// ---------------------------------------------------------------------------

/** What the messages may name: the ids and peers of the service under test, or random ones. */
export interface FuzzContext {
  taskIds: string[]
  groupIds: string[]
  /** Peer ids (strings) to name in bodies (members, the announcer, strangers). */
  peers: string[]
  skills: string[]
  proposalIds?: string[]
  resourceIds?: string[]
}

export const idArb = fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/)
const short = fc.string({ maxLength: 40 })
const fraction = fc.double({ min: 0, max: 1, noNaN: true })
const level = fc.constantFrom('novice' as const, 'intermediate' as const, 'advanced' as const, 'expert' as const)
const base64 = fc.uint8Array({ minLength: 1, maxLength: 64 }).map(b => Buffer.from(b).toString('base64'))
const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>

/** Known values most of the time, a random one otherwise. */
function known (values: string[] | undefined, random: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return values === undefined || values.length === 0 ? random : fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: random })
}

/** A time around now (the fake clock's): past, present, soon, far. */
const when = fc.oneof(fc.integer({ min: -120_000, max: 600_000 }), fc.constantFrom(0, 30 * 24 * 3600_000)).map(d => Math.max(0, Date.now() + d))

/** Generators of a valid body of each type, naming what `ctx` holds. */
function bodies (ctx: FuzzContext): Partial<Record<MessageType, fc.Arbitrary<object>>> {
  const taskId = known(ctx.taskIds, idArb)
  const groupId = known(ctx.groupIds, idArb)
  const peer = known(ctx.peers, fc.constant('12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'))
  const skill = known(ctx.skills, fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/))
  const proposalId = known(ctx.proposalIds, idArb)
  const resourceId = known(ctx.resourceIds, fc.string({ minLength: 1, maxLength: 12 }))
  const members = fc.array(fc.record({ peerId: peer, skills: fc.array(skill, { minLength: 1, maxLength: 2 }) }), { minLength: 1, maxLength: 3 })
  const input = fc.oneof(fc.constant({ kind: 'none' as const }), json.map(value => ({ kind: 'inline' as const, value })), fc.record({ kind: fc.constant('ref' as const), bytes: fc.integer({ min: 1, max: LIMITS.maxFetchedInputBytes }), sha256: fc.stringMatching(/^[0-9a-f]{64}$/) }))
  const attempt = fc.integer({ min: 1, max: 100 })
  const card = fc.record({
    name: fc.string({ minLength: 1, maxLength: 20 }),
    software: fc.record({ name: short, version: short }),
    skills: fc.array(fc.record({ id: fc.string({ minLength: 1, maxLength: 8 }), name: skill, level, successRate: fraction, avgCompletionMs: fc.nat() }), { maxLength: 3 }),
    capacity: fc.integer({ min: 0, max: 1024 }),
    load: fc.integer({ min: 0, max: 1024 }),
    addrs: fc.array(fc.constantFrom('/ip4/10.0.0.5/tcp/4001', '/dns4/x/tcp/1', '/bogus'), { maxLength: 2 }),
    seq: fc.nat(),
    startedAt: when
  })
  return {
    AGENT_CARD: card,
    HEARTBEAT: fc.record({ cardSeq: fc.nat(), load: fc.integer({ min: 0, max: 1024 }), groupId: fc.option(groupId, { nil: undefined }) }),
    TASK_ANNOUNCE: fc.record({ taskId, description: fc.string({ minLength: 1, maxLength: 40 }), skills: fc.array(fc.record({ name: skill, minLevel: level, count: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 3 }), maxGroupSize: fc.integer({ min: 1, max: 8 }), priority: fc.constantFrom('low' as const, 'normal' as const, 'high' as const, 'critical' as const), deadline: when, bidWindowMs: fc.integer({ min: 0, max: 60_000 }), input, announcerAddrs: fc.constant([]), attempt, createdAt: when, offerCap: fc.integer({ min: 0, max: 3 }), ask: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }) }),
    SKILL_OFFER: fc.record({ taskId, attempt: fc.integer({ min: 1, max: 3 }), skills: fc.array(fc.record({ name: skill, level, successRate: fraction, avgCompletionMs: fc.nat() }), { minLength: 1, maxLength: 2 }), score: fraction, estimateMs: fc.nat(), load: fc.integer({ min: 0, max: 8 }), capacity: fc.integer({ min: 0, max: 8 }), leaseExpiresAt: when }),
    GROUP_INVITE: fc.record({ taskId, attempt, groupId, skills: fc.array(skill, { minLength: 1, maxLength: 2 }), answerBy: when }),
    GROUP_FORMED: fc.record({ taskId, attempt, groupId, members }),
    TASK_START: fc.record({ taskId, groupId, description: short, skills: fc.array(skill, { minLength: 1, maxLength: 2 }), input, deadline: when, members, checkpoint: fc.option(json, { nil: undefined }) }),
    TASK_CANCEL: fc.record({ taskId, groupId: fc.option(groupId, { nil: undefined }), reason: short }),
    TASK_COMPLETE: fc.record({ taskId, groupId, skill, ok: fc.boolean(), output: fc.option(json, { nil: undefined }), durationMs: fc.nat() }),
    TASK_UPDATE: fc.record({ taskId, groupId, skill, progress: fraction, message: fc.option(short, { nil: undefined }), checkpoint: fc.option(json, { nil: undefined }) }),
    HANDOFF: fc.record({ taskId, groupId, skill, from: peer, to: fc.option(peer, { nil: undefined }), reason: short, checkpoint: fc.option(json, { nil: undefined }) }),
    DISSOLVE: fc.record({ taskId, groupId, reason: fc.constantFrom('completed' as const, 'verified' as const, 'failed' as const, 'cancelled' as const, 'deadline' as const) }),
    INPUT_REQUEST: fc.record({ taskId }),
    DIRECTORY_REQUEST: fc.record({ limit: fc.integer({ min: 1, max: 2000 }), skill: fc.option(skill, { nil: undefined }), have: fc.option(fc.array(fc.string({ minLength: 1, maxLength: 16 }), { maxLength: 5 }), { nil: undefined }), card: fc.option(card, { nil: undefined }) }),
    PROPOSAL: fc.record({ proposalId, taskId, groupId, action: fc.string({ minLength: 1, maxLength: 20 }), params: fc.option(json, { nil: undefined }), quorum: fc.constantFrom({ kind: 'majority' as const }, { kind: 'unanimous' as const }, { kind: 'threshold' as const, fraction: 0.6 }), minParticipation: fraction, voters: fc.array(peer, { minLength: 1, maxLength: 3 }), deadline: when }),
    VOTE: fc.record({ proposalId, groupId, choice: fc.constantFrom('yes' as const, 'no' as const, 'abstain' as const), confidence: fraction, reason: fc.option(short, { nil: undefined }) }),
    BLACKBOARD_UPDATE: fc.record({ taskId, groupId, update: base64 }),
    GROUP_SYNC_REQUEST: fc.record({ taskId, groupId, stateVector: base64 }),
    ESCALATE: fc.record({ taskId, groupId, severity: fc.constantFrom('low' as const, 'medium' as const, 'high' as const, 'critical' as const), issue: fc.string({ minLength: 1, maxLength: 40 }), context: fc.option(json, { nil: undefined }), attemptedResolutions: fc.array(short, { maxLength: 2 }) }),
    CLAIM_REQUEST: fc.record({ taskId, groupId, resourceId, priority: fc.integer({ min: -1000, max: 1000 }), leaseMs: fc.integer({ min: 1, max: 7 * 24 * 3600_000 }) }),
    CLAIM_RELEASE: fc.record({ taskId, groupId, resourceId }),
    CLAIM_ANSWER: fc.record({ taskId, groupId, resourceId, status: fc.constantFrom('granted' as const, 'queued' as const, 'released' as const, 'withdrawn' as const, 'refused' as const), holder: fc.option(peer, { nil: undefined }), leaseEndsAt: fc.option(when, { nil: undefined }), position: fc.option(fc.integer({ min: 1, max: 65 }), { nil: undefined }), revision: fc.nat() }),
    DATA_WRITE: fc.record({ taskId, groupId, key: fc.string({ minLength: 1, maxLength: 8 }), version: fc.nat(), value: json }),
    BROADCAST: fc.record({ text: short, data: fc.option(json, { nil: undefined }) }),
    ACK: fc.record({ ref: idArb }),
    ERROR: fc.record({ ref: fc.option(idArb, { nil: undefined }), code: fc.constantFrom('UNEXPECTED' as const, 'INTERNAL' as const), message: short })
  }
}

/** Drops the keys whose value is undefined (fc.option's nil), as a sender would leave them out. */
function defined<T extends object> (body: T): T {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as T
}

/** Valid messages of the given types (every type with a generator when none are given). */
export function validMessages (ctx: FuzzContext, types?: readonly MessageType[]): fc.Arbitrary<SwarmMessage> {
  const all = bodies(ctx)
  const chosen = (types ?? MESSAGE_TYPES).filter(t => all[t] !== undefined)
  return fc.constantFrom(...chosen).chain(type => (all[type] as fc.Arbitrary<object>).map(body => created(type, defined(body)))).filter(m => m !== undefined)
}

/**
 * The message, or undefined when the body no longer passes its schema (a field added to the
 * protocol since these generators were written: those cases are skipped, not failed).
 */
function created (type: MessageType, body: object): SwarmMessage | undefined {
  try {
    return createMessage(type, body as BodyInput<typeof type>)
  } catch {
    return undefined
  }
}

/**
 * What a handler of `channel` can meet: a valid message, or one mutated (fields of wrong types,
 * huge numbers, long strings, deep nesting, prototype keys, text damage) that still decodes on
 * the channel; a mutation that does not decode leaves the valid message (the codec's own fuzz
 * covers those).
 */
export function hostileMessages (valid: fc.Arbitrary<SwarmMessage>, channel: Channel): fc.Arbitrary<SwarmMessage> {
  const maxBytes = channel === 'direct' || channel === 'input' ? LIMITS.maxStreamMessageBytes : LIMITS.maxGossipMessageBytes
  return fc.tuple(valid, fc.array(mutation, { maxLength: 2 }), fc.option(textMutation, { nil: undefined })).map(([message, mutations, text]) => {
    const value = mutations.length === 0 ? message : mutate(message, mutations)
    const raw = JSON.stringify(value)
    const bytes = encoder.encode(text === undefined ? raw : text(raw))
    try {
      return decodeMessage(bytes, { maxBytes, channel })
    } catch {
      return decodeMessage(encodeMessage(message, maxBytes), { maxBytes })
    }
  })
}

/** Bytes a hostile peer might send: random bytes, random JSON, hostile values, or a broken valid message. */
export function hostileBytes (valid: fc.Arbitrary<SwarmMessage>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    fc.jsonValue({ maxDepth: 5 }).map(jsonBytes),
    hostileValue.map(jsonBytes),
    fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([m, ms]) => jsonBytes(mutate(m, ms))),
    fc.tuple(valid, textMutation).map(([m, f]) => encoder.encode(f(JSON.stringify(m)))),
    valid.map(m => encodeMessage(m, Infinity))
  )
}
