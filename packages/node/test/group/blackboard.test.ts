import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import type { BlackboardChange, BlackboardErrorCode } from '../../src/group/index.js'
import { BLACKBOARD_LIMITS, Blackboard, BlackboardError, hypothesisConfidence } from '../../src/group/index.js'
import { rng, shuffle } from './helpers.js'

const MEMBERS = ['peer-a', 'peer-b', 'peer-c', 'peer-d', 'peer-e']

function rejects (fn: () => unknown, code: BlackboardErrorCode, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BlackboardError, `expected a BlackboardError, got ${String(err)}`)
    assert.equal(err.code, code)
    if (message !== undefined) assert.match(err.message, message)
    return true
  })
}

/** Ids that are valid, distinct per member and predictable. */
function ids (prefix: string): () => string {
  let n = 0
  return () => `${prefix}-${String(++n).padStart(6, '0')}`
}

/** A member's blackboard that keeps every local update it emits. */
function member (name: string): { board: Blackboard, updates: Uint8Array[] } {
  const board = new Blackboard({ newId: ids(name) })
  const updates: Uint8Array[] = []
  board.onLocalUpdate(u => updates.push(u))
  return { board, updates }
}

describe('Blackboard: local writes', () => {
  it('adds findings, hypotheses, status changes and actions, read back in order', () => {
    const board = new Blackboard()
    const h = board.addHypothesis({ id: 'hyp-cache', statement: 'the cache is stale', author: 'peer-a', at: 10 })
    const f2 = board.addFinding({ id: 'find-0002', kind: 'observation', content: 'hit rate fell to 3 %', confidence: 0.9, evidence: ['metrics.json'], hypothesisId: h, author: 'peer-b', at: 20 })
    const f1 = board.addFinding({ id: 'find-0001', kind: 'conclusion', content: 'purge it', confidence: 0.7, author: 'peer-a', at: 20 })
    const generated = board.addFinding({ kind: 'hypothesis', content: 'or the TTL is wrong', confidence: 0.3, author: 'peer-c', at: 15 })
    assert.match(generated, /^[0-9a-f-]{36}$/)
    board.setHypothesisStatus(h, 'supported', 'peer-b', 30)
    const a = board.recordAction({ id: 'act-00001', description: 'purged the cache', author: 'peer-a', at: 40, result: { purged: 1200, ok: true } })
    assert.deepEqual(board.findings().map(f => f.id), [generated, f1, f2])
    assert.deepEqual(board.findings()[2], {
      id: f2, kind: 'observation', content: 'hit rate fell to 3 %', confidence: 0.9, evidence: ['metrics.json'], hypothesisId: h, author: 'peer-b', at: 20
    })
    assert.deepEqual(board.findings()[0]?.evidence, [])
    assert.deepEqual(board.hypotheses(), [{ id: h, statement: 'the cache is stale', status: 'supported', author: 'peer-a', at: 10, statusBy: 'peer-b', statusAt: 30 }])
    assert.deepEqual(board.actions(), [{ id: a, description: 'purged the cache', author: 'peer-a', at: 40, result: { purged: 1200, ok: true } }])
    assert.deepEqual(board.snapshot(), { findings: board.findings(), hypotheses: board.hypotheses(), actions: board.actions() })
    assert.deepEqual(JSON.parse(JSON.stringify(board)), board.snapshot())
    assert.equal(hypothesisConfidence(h, board.findings()), 0.9)
  })

  it('a hypothesis shows the status change with the latest time; the history keeps them all', () => {
    const board = new Blackboard()
    board.addHypothesis({ id: 'hyp-00001', statement: 's', status: 'open', author: 'peer-a', at: 10 })
    board.setHypothesisStatus('hyp-00001', 'refuted', 'peer-b', 50)
    board.setHypothesisStatus('hyp-00001', 'supported', 'peer-c', 40)
    assert.equal(board.hypotheses()[0]?.status, 'refuted')
    assert.equal(board.statusChanges().length, 2)
    board.setHypothesisStatus('hyp-00001', 'supported', 'peer-c', 50)
    assert.equal(board.hypotheses()[0]?.status, 'supported', 'same time: the greater author id wins')
  })

  it('does not share objects with the caller', () => {
    const board = new Blackboard()
    const evidence = ['a']
    const result = { rows: [1, 2] }
    board.addFinding({ id: 'find-0001', kind: 'observation', content: 'c', confidence: 0.5, evidence, author: 'peer-a', at: 1 })
    board.recordAction({ id: 'act-00001', description: 'd', author: 'peer-a', at: 1, result })
    evidence.push('b')
    result.rows.push(3)
    const read = board.actions()[0]?.result as { rows: number[] }
    read.rows.push(4)
    assert.deepEqual(board.findings()[0]?.evidence, ['a'])
    assert.deepEqual(board.actions()[0]?.result, { rows: [1, 2] })
  })

  it('batch makes one update of several writes', () => {
    const { board, updates } = member('peer-a')
    board.batch(() => {
      board.addFinding({ kind: 'observation', content: 'one', confidence: 0.5, author: 'peer-a', at: 1 })
      board.addFinding({ kind: 'observation', content: 'two', confidence: 0.5, author: 'peer-a', at: 2 })
    })
    assert.equal(updates.length, 1)
    const other = new Blackboard()
    other.applyUpdate(updates[0] as Uint8Array)
    assert.equal(other.findings().length, 2)
  })
})

describe('Blackboard: size guards and validation', () => {
  it('refuses bad entries with clear errors and changes nothing', () => {
    const { board, updates } = member('peer-a')
    board.addHypothesis({ id: 'hyp-00001', statement: 's', author: 'peer-a', at: 1 })
    const before = board.encodeStateVector()
    const ok = { kind: 'observation' as const, content: 'c', confidence: 0.5, author: 'peer-a', at: 1 }
    rejects(() => board.addFinding({ ...ok, content: 'x'.repeat(BLACKBOARD_LIMITS.maxTextChars + 1) }), 'INVALID_ENTRY', /content/)
    board.addFinding({ ...ok, content: 'x'.repeat(BLACKBOARD_LIMITS.maxTextChars) })
    rejects(() => board.addFinding({ ...ok, evidence: Array.from({ length: 17 }, (_, i) => `e${i}`) }), 'INVALID_ENTRY', /evidence/)
    rejects(() => board.addFinding({ ...ok, evidence: ['x'.repeat(257)] }), 'INVALID_ENTRY', /evidence/)
    rejects(() => board.addFinding({ ...ok, confidence: 1.01 }), 'INVALID_ENTRY', /confidence/)
    rejects(() => board.addFinding({ ...ok, kind: 'rumour' as 'observation' }), 'INVALID_ENTRY', /kind/)
    rejects(() => board.addFinding({ ...ok, author: '' }), 'INVALID_ENTRY', /author/)
    rejects(() => board.addFinding({ ...ok, at: -1 }), 'INVALID_ENTRY', /at/)
    rejects(() => board.addFinding({ ...ok, id: 'short' }), 'INVALID_ENTRY', /invalid id/)
    rejects(() => board.addFinding({ ...ok, hypothesisId: 'hyp-nothere' }), 'UNKNOWN_HYPOTHESIS')
    rejects(() => board.addFinding({ ...ok, supports: false }), 'INVALID_ENTRY', /hypothesisId/)
    rejects(() => board.addHypothesis({ statement: 'x'.repeat(4097), author: 'peer-a', at: 1 }), 'INVALID_ENTRY', /statement/)
    rejects(() => board.addHypothesis({ id: 'hyp-00001', statement: 'again', author: 'peer-a', at: 2 }), 'DUPLICATE_ID')
    rejects(() => board.setHypothesisStatus('hyp-nothere', 'supported', 'peer-a', 2), 'UNKNOWN_HYPOTHESIS')
    rejects(() => board.setHypothesisStatus('hyp-00001', 'maybe' as 'open', 'peer-a', 2), 'INVALID_ENTRY', /status/)
    rejects(() => board.recordAction({ description: 'x'.repeat(4097), author: 'peer-a', at: 1 }), 'INVALID_ENTRY', /description/)
    let deep: unknown = 1
    for (let i = 0; i < 40; i++) deep = [deep]
    rejects(() => board.recordAction({ description: 'd', author: 'peer-a', at: 1, result: deep as number }), 'INVALID_ENTRY', /nested deeper/)
    rejects(() => board.recordAction({ description: 'd', author: 'peer-a', at: 1, result: 'x'.repeat(BLACKBOARD_LIMITS.maxResultChars) }), 'INVALID_ENTRY', /characters of JSON/)
    rejects(() => board.recordAction({ description: 'd', author: 'peer-a', at: 1, result: Number.POSITIVE_INFINITY }), 'INVALID_ENTRY', /finite/)
    const id = board.recordAction({ id: 'act-00001', description: 'd', author: 'peer-a', at: 1 })
    rejects(() => board.recordAction({ id, description: 'again', author: 'peer-a', at: 2 }), 'DUPLICATE_ID')
    // Only the successful writes (hypothesis, long finding, action) made updates.
    assert.equal(updates.length, 3)
    assert.notDeepEqual(board.encodeStateVector(), before)
  })

  it('stops local writes at the entry limits', () => {
    const board = new Blackboard()
    board.batch(() => {
      for (let i = 0; i < BLACKBOARD_LIMITS.maxHypotheses; i++) board.addHypothesis({ id: `hyp-${String(i).padStart(6, '0')}`, statement: 's', author: 'peer-a', at: i })
    })
    rejects(() => board.addHypothesis({ statement: 'one too many', author: 'peer-a', at: 1 }), 'LIMIT')
  })
})

describe('Blackboard: replication', () => {
  it('five members writing concurrently converge, whatever order the updates arrive in; a late joiner catches up', () => {
    const members = MEMBERS.map(name => ({ name, ...member(name) }))
    // Everyone starts from the same hypothesis, then writes concurrently.
    const shared = members[0]?.board.addHypothesis({ id: 'hyp-shared', statement: 'the join is skewed', author: 'peer-a', at: 1 }) as string
    const seed = members[0]?.updates[0] as Uint8Array
    for (const m of members.slice(1)) m.board.applyUpdate(seed)
    const random = rng(2024)
    for (const [i, m] of members.entries()) {
      for (let k = 0; k < 6; k++) {
        const at = 100 + Math.floor(random() * 50)
        m.board.addFinding({ kind: (['observation', 'hypothesis', 'conclusion'] as const)[k % 3] ?? 'observation', content: `${m.name} finding ${k}`, confidence: Math.round(random() * 100) / 100, evidence: [`${m.name}/log-${k}`], hypothesisId: k % 2 === 0 ? shared : undefined, supports: k % 2 === 0 ? k !== 4 : undefined, author: m.name, at })
      }
      // Concurrent status changes on the same hypothesis; two at the same time.
      m.board.setHypothesisStatus(shared, i % 2 === 0 ? 'supported' : 'refuted', m.name, i < 2 ? 500 : 400 + i)
      m.board.addHypothesis({ statement: `${m.name}'s idea`, author: m.name, at: 200 + i })
      m.board.recordAction({ description: `${m.name} reran the job`, author: m.name, at: 300, result: { member: i } })
    }
    // The same id written concurrently by two members.
    members[3]?.board.addFinding({ id: 'find-clash', kind: 'observation', content: 'from d', confidence: 0.1, author: 'peer-d', at: 600 })
    members[4]?.board.addFinding({ id: 'find-clash', kind: 'observation', content: 'from e', confidence: 0.2, author: 'peer-e', at: 600 })

    const all = members.flatMap(m => m.updates.map(u => ({ from: m.name, u })))
    for (const m of members) {
      // Each member gets the others' updates in its own random order, some twice.
      const incoming = all.filter(x => x.from !== m.name)
      const order = shuffle([...incoming, ...incoming.slice(0, 5)], random)
      for (const { from, u } of order) m.board.applyUpdate(u, from)
    }
    const reference = members[0]?.board.snapshot()
    assert.ok(reference !== undefined)
    for (const m of members) assert.deepEqual(m.board.snapshot(), reference, `${m.name} differs`)
    assert.equal(reference.findings.length, 5 * 6 + 1)
    assert.equal(reference.hypotheses.length, 6)
    assert.equal(reference.actions.length, 5)
    assert.equal(reference.findings.filter(f => f.id === 'find-clash').length, 1)
    const sharedNow = reference.hypotheses.find(h => h.id === shared)
    assert.deepEqual([sharedNow?.status, sharedNow?.statusBy, sharedNow?.statusAt], ['refuted', 'peer-b', 500], 'latest time, then greater author id')
    const conf = members.map(m => hypothesisConfidence(shared, m.board.findings()))
    assert.ok(conf.every(c => c === conf[0]), 'the aggregated confidence is the same everywhere')

    // A late joiner (a replacement member) asks one member for what it lacks.
    const late = new Blackboard()
    late.applyUpdate(members[2]?.board.encodeDiff(late.encodeStateVector()) as Uint8Array)
    assert.deepEqual(late.snapshot(), reference)
    // The diff to an up-to-date member is (nearly) empty and changes nothing.
    const up = members[1]?.board as Blackboard
    const diff = members[0]?.board.encodeDiff(up.encodeStateVector()) as Uint8Array
    assert.ok(diff.length < 64)
    up.applyUpdate(diff)
    assert.deepEqual(up.snapshot(), reference)
  })

  it('a late joiner with part of the state catches up from the state vector, and from the full state', () => {
    const a = member('peer-a')
    const b = member('peer-b')
    a.board.addFinding({ kind: 'observation', content: 'first', confidence: 0.5, author: 'peer-a', at: 1 })
    b.board.applyUpdate(a.board.encodeUpdate())
    a.board.addFinding({ kind: 'observation', content: 'second', confidence: 0.5, author: 'peer-a', at: 2 })
    b.board.addFinding({ kind: 'observation', content: 'b only', confidence: 0.5, author: 'peer-b', at: 3 })
    const diff = a.board.encodeDiff(b.board.encodeStateVector())
    assert.ok(diff.length < a.board.encodeUpdate().length)
    b.board.applyUpdate(diff)
    a.board.applyUpdate(b.board.encodeDiff(a.board.encodeStateVector()))
    assert.deepEqual(a.board.snapshot(), b.board.snapshot())
    assert.equal(a.board.findings().length, 3)
    const c = new Blackboard()
    c.applyUpdate(b.board.encodeUpdate())
    assert.deepEqual(c.snapshot(), a.board.snapshot())
  })

  it('updates applied out of causal order wait until their dependencies arrive', () => {
    const a = member('peer-a')
    for (let i = 0; i < 3; i++) a.board.addFinding({ kind: 'observation', content: `f${i}`, confidence: 0.5, author: 'peer-a', at: i })
    const b = new Blackboard()
    for (const u of [...a.updates].reverse()) b.applyUpdate(u)
    assert.deepEqual(b.snapshot(), a.board.snapshot())
  })

  it('emits local updates only for local changes, and change events for both', () => {
    const a = member('peer-a')
    const b = member('peer-b')
    const changes: BlackboardChange[] = []
    const off = b.board.onChange(c => changes.push(c))
    a.board.addFinding({ kind: 'observation', content: 'remote', confidence: 0.5, author: 'peer-a', at: 1 })
    b.board.applyUpdate(a.updates[0] as Uint8Array, 'peer-a')
    assert.equal(b.updates.length, 0, 'no local update for a remote change')
    assert.deepEqual(changes, [{ local: false, origin: 'peer-a' }])
    b.board.addFinding({ kind: 'observation', content: 'local', confidence: 0.5, author: 'peer-b', at: 2 })
    assert.equal(b.updates.length, 1)
    assert.deepEqual(changes[1], { local: true, origin: undefined })
    // Applying the same update again changes nothing and emits nothing.
    b.board.applyUpdate(a.updates[0] as Uint8Array, 'peer-a')
    assert.equal(changes.length, 2)
    off()
    b.board.addFinding({ kind: 'observation', content: 'unheard', confidence: 0.5, author: 'peer-b', at: 3 })
    assert.equal(changes.length, 2)
  })

  it('a throwing listener does not break the write and is reported', () => {
    const errors: unknown[] = []
    const board = new Blackboard({ onListenerError: err => errors.push(err) })
    const seen: number[] = []
    board.onChange(() => { throw new Error('listener bug') })
    board.onChange(() => seen.push(1))
    board.addFinding({ kind: 'observation', content: 'c', confidence: 0.5, author: 'peer-a', at: 1 })
    assert.equal(board.findings().length, 1)
    assert.deepEqual(seen, [1])
    assert.equal((errors[0] as Error).message, 'listener bug')
  })
})

describe('Blackboard: hostile input', () => {
  it('rejects garbage updates with a typed error and leaves the document unchanged', () => {
    const { board } = member('peer-a')
    board.addFinding({ kind: 'observation', content: 'keep me', confidence: 0.5, author: 'peer-a', at: 1 })
    const snapshot = board.snapshot()
    const state = board.encodeUpdate()
    rejects(() => board.applyUpdate(new Uint8Array(0)), 'INVALID_UPDATE', /empty/)
    rejects(() => board.applyUpdate(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff])), 'INVALID_UPDATE', /not a Yjs update/)
    rejects(() => board.applyUpdate(new Uint8Array(BLACKBOARD_LIMITS.maxUpdateBytes + 1)), 'INVALID_UPDATE', /bytes/)
    rejects(() => board.applyUpdate('AAAA' as unknown as Uint8Array), 'INVALID_UPDATE', /Uint8Array/)
    const random = rng(99)
    let refused = 0
    for (let i = 0; i < 300; i++) {
      const garbage = Uint8Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256))
      try {
        board.applyUpdate(garbage)
      } catch (err) {
        assert.ok(err instanceof BlackboardError && err.code === 'INVALID_UPDATE', String(err))
        refused++
      }
    }
    assert.ok(refused > 250, `only ${refused} of 300 garbage updates refused`)
    // A truncated real update is refused too.
    rejects(() => board.applyUpdate(state.subarray(0, state.length - 3)), 'INVALID_UPDATE')
    assert.deepEqual(board.snapshot(), snapshot)
    assert.deepEqual(board.encodeUpdate(), state)
    board.addFinding({ kind: 'observation', content: 'still works', confidence: 0.5, author: 'peer-a', at: 2 })
    const other = new Blackboard()
    other.applyUpdate(board.encodeUpdate())
    assert.deepEqual(other.snapshot(), board.snapshot())
  })

  it('rejects a garbage state vector', () => {
    const board = new Blackboard()
    rejects(() => board.encodeDiff(new Uint8Array([0xff, 0xff, 0xff])), 'INVALID_STATE_VECTOR')
    rejects(() => board.encodeDiff(new Uint8Array(0)), 'INVALID_STATE_VECTOR')
  })

  it('skips malformed entries written by a hostile member, the same way everywhere', () => {
    const hostile = new Y.Doc()
    hostile.getMap('findings').set('find-bad-1', { id: 'find-bad-1', kind: 'observation', content: 'c', confidence: 7, evidence: [], author: 'x', at: 1 })
    hostile.getMap('findings').set('find-bad-2', 'just a string')
    hostile.getMap('findings').set('find-bad-3', { id: 'find-other', kind: 'observation', content: 'c', confidence: 0.5, evidence: [], author: 'x', at: 1 })
    hostile.getMap('hypotheses').set('hyp-00001', { id: 'hyp-00001', statement: 's', status: 'open', author: 'x', at: 1, extra: true })
    hostile.getArray('statusChanges').push([{ hypothesisId: 'hyp-nothere', status: 'refuted', author: 'x', at: 9 }, 42])
    hostile.getMap('actions').set('act-00001', { id: 'act-00001', description: 'd', author: 'x', at: 1, result: [undefined] })
    hostile.getMap('findings').set('find-good', { id: 'find-good', kind: 'observation', content: 'fine', confidence: 0.5, evidence: [], author: 'x', at: 1 })
    const update = Y.encodeStateAsUpdate(hostile)
    const boards = [new Blackboard(), new Blackboard()]
    for (const b of boards) b.applyUpdate(update)
    for (const b of boards) {
      assert.deepEqual(b.findings().map(f => f.id), ['find-good'])
      assert.deepEqual(b.hypotheses(), [])
      assert.deepEqual(b.actions(), [])
      assert.equal(b.statusChanges().length, 1, 'kept but shown on no hypothesis')
    }
    assert.deepEqual(boards[0]?.snapshot(), boards[1]?.snapshot())
  })

  it('inspectUpdate tells who an update writes as, and whether it deletes or holds foreign content', () => {
    const { board, updates } = member('peer-a')
    board.addFinding({ kind: 'observation', content: 'c', confidence: 0.5, author: 'peer-a', at: 1 })
    board.batch(() => {
      board.addHypothesis({ statement: 's', author: 'peer-a', at: 2 })
      board.recordAction({ description: 'd', author: 'peer-a', at: 3 })
    })
    assert.deepEqual(Blackboard.inspectUpdate(updates[0] as Uint8Array), { authors: ['peer-a'], entries: 1, deletions: 0, foreign: 0 })
    assert.deepEqual(Blackboard.inspectUpdate(updates[1] as Uint8Array), { authors: ['peer-a'], entries: 2, deletions: 0, foreign: 0 })

    // A forged update: an entry claiming another author, a deletion and a text.
    const forger = new Y.Doc()
    Y.applyUpdate(forger, board.encodeUpdate())
    const forgedStart = Y.encodeStateVector(forger)
    forger.transact(() => {
      forger.getMap('findings').set('find-forged', { id: 'find-forged', kind: 'observation', content: 'c', confidence: 1, evidence: [], author: 'peer-b', at: 4 })
      const first = [...forger.getMap('findings').keys()].find(k => k !== 'find-forged') as string
      forger.getMap('findings').delete(first)
      forger.getText('notes').insert(0, 'hello')
    })
    const forged = Y.encodeStateAsUpdate(forger, forgedStart)
    const seen = Blackboard.inspectUpdate(forged)
    assert.deepEqual(seen.authors, ['peer-b'])
    assert.equal(seen.entries, 1)
    assert.ok(seen.deletions >= 1)
    assert.ok(seen.foreign >= 1)
    rejects(() => Blackboard.inspectUpdate(new Uint8Array([0xff, 0xff])), 'INVALID_UPDATE')
  })
})
