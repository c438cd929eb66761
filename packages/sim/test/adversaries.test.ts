/**
 * The simulator's adversaries without a network: the --adversaries option and the scenario
 * block, the plan's choice of the malicious peers (and of the honest announcers), the liars'
 * node configuration, the report section (a clean run beside the attacked one, each attacker's
 * time to the graylist) with its table rows, and the sybil identities' keys and signatures.
 */
import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { createPublicKey, verify } from 'node:crypto'
import { SwarmError } from '@swarm/node'
import { honestOutcome, sumCounters } from '../src/adversaries-report.js'
import { renderHtml } from '../src/html.js'
import { peerConfig } from '../src/peer-config.js'
import { planSimulation } from '../src/plan.js'
import { buildReport } from '../src/report.js'
import { ADVERSARY_KINDS, loadScenario, parseAdversariesOption, parseScenario } from '../src/scenario.js'
import { freshIdentity } from '../src/sybil-keys.js'
import { renderTable } from '../src/table.js'
import type { AdversaryFacts } from '../src/adversaries-report.js'
import type { AttackerStats, PeerStats, TaskRecord } from '../src/messages.js'

const LOAD = 1_700_000_000_000
const A = '12D3KooWAttackeraaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const B = '12D3KooWBaddiebbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'

function record (index: number, fields: Partial<TaskRecord>): TaskRecord {
  return { index, taskId: `t${index}`, announcer: 0, status: 'COMPLETE', ok: true, attempts: 1, members: [], announcedAt: LOAD + index * 100, finishedAt: LOAD + index * 100 + 400, formationMs: 50, totalMs: 400, ...fields }
}

function stats (index: number, peerId: string): PeerStats {
  return { index, peerId, alive: true, tasksRun: 0, offersSent: 0, gossipPublished: 0, gossipDelivered: 0, gossipRejected: 0, directRequests: 0, directBytes: 0, gossipPublishedByType: {}, gossipDeliveredByType: {}, directByType: {} }
}

function configError (fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof SwarmError && err.code === 'CONFIG_INVALID' && pattern.test(err.message))
}

describe('parseAdversariesOption', () => {
  it('reads <fraction>:<kinds>, every kind when none is named', () => {
    assert.deepEqual(parseAdversariesOption('0.1:flood,liar,sybil,lockout'), { fraction: 0.1, kinds: ['flood', 'liar', 'sybil', 'lockout'] })
    assert.deepEqual(parseAdversariesOption(' 0.25 : sybil , flood '), { fraction: 0.25, kinds: ['sybil', 'flood'] })
    assert.deepEqual(parseAdversariesOption('0'), { fraction: 0, kinds: [...ADVERSARY_KINDS] })
  })

  for (const [value, pattern] of [
    ['', /fraction must be a number/],
    ['ten:flood', /fraction must be a number/],
    ['-0.1:flood', /from 0 to 1/],
    ['2', /from 0 to 1/],
    ['0.1:', /name at least one kind/],
    ['0.1:worm', /unknown kind "worm" \(the kinds are flood, liar, sybil, lockout\)/],
    ['0.1:liar,liar', /"liar" is named twice/],
    ['0.1:flood:liar', /one ":" at most/]
  ] as const) {
    it(`refuses ${JSON.stringify(value)}`, () => { configError(() => parseAdversariesOption(value), pattern) })
  }
})

describe('the adversaries block of a scenario', () => {
  it('is absent unless given, and fills its defaults when given', () => {
    assert.equal(parseScenario({}).adversaries, undefined)
    const a = parseScenario({ adversaries: {} }).adversaries
    assert.ok(a !== undefined)
    assert.equal(a.fraction, 0.1)
    assert.deepEqual(a.kinds, ['flood', 'liar', 'sybil', 'lockout'])
    assert.equal(a.compareClean, true)
    assert.equal(a.countLimited, true)
    assert.equal(a.at, 0)
    assert.deepEqual(a.lockout, { announcesPerSecond: 20, bidWindowMs: 60_000 })
    assert.deepEqual(a.flood, { invalidPerSecond: 20, announcesPerSecond: 20, bidWindowMs: 5000 })
    assert.deepEqual(a.sybil, { cardsPerSecond: 50, identities: 2000 })
  })

  for (const [input, pattern] of [
    [{ adversaries: { fraction: 1.2 } }, /adversaries\.fraction/],
    [{ adversaries: { kinds: ['flood', 'worm'] } }, /adversaries\.kinds/],
    [{ adversaries: { kinds: ['flood', 'flood'] } }, /name each kind once/],
    [{ adversaries: { kinds: [] } }, /adversaries\.kinds/],
    [{ adversaries: { lockout: { bidWindowMs: 120_000 } } }, /adversaries\.lockout\.bidWindowMs/],
    [{ adversaries: { flood: { rate: 5 } } }, /adversaries\.flood/],
    [{ adversaries: { scoreSampleMs: 10 } }, /adversaries\.scoreSampleMs/],
    // With the liars and the frozen peers, more than the peers left besides the seed peer.
    [{ peers: 10, liars: { fraction: 0.5 }, adversaries: { fraction: 0.5 } }, /liars\.fraction and adversaries\.fraction pick 10 peers, but only 9/]
  ] as const) {
    it(`refuses ${JSON.stringify(input)}`, () => { configError(() => parseScenario(input), pattern) })
  }

  it('ships the adversaries-100 preset: 100 peers, 10 % of all four kinds, a clean run first', () => {
    const s = loadScenario('adversaries-100')
    assert.equal(s.peers, 100)
    assert.equal(s.adversaries?.fraction, 0.1)
    assert.deepEqual(s.adversaries?.kinds, ['flood', 'liar', 'sybil', 'lockout'])
    assert.equal(s.adversaries?.compareClean, true)
    const plan = planSimulation(s, 2)
    assert.equal(plan.peers.filter(p => p.adversary !== undefined).length, 10)
  })
})

describe('planSimulation with adversaries', () => {
  const scenario = parseScenario({ peers: 20, tasks: { count: 50 }, liars: { fraction: 0.1 }, adversaries: { fraction: 0.2, kinds: ['flood', 'liar', 'sybil', 'lockout'] }, seed: 4 })
  const plan = planSimulation(scenario, 2)
  const adversaries = plan.peers.filter(p => p.adversary !== undefined)

  it('picks the fraction among the peers (never peer 0, never a liar of the scenario) and splits it among the kinds in turn', () => {
    assert.equal(adversaries.length, 4)
    assert.deepEqual(adversaries.map(p => p.adversary), ['flood', 'liar', 'sybil', 'lockout'])
    assert.ok(adversaries.every(p => p.index !== 0 && !p.liar))
    assert.equal(plan.peers.filter(p => p.liar).length, 2)
  })

  it('has the honest peers announce every task', () => {
    const bad = new Set(adversaries.map(p => p.index))
    assert.ok(plan.tasks.every(t => !bad.has(t.announcer)))
    const any = planSimulation(parseScenario({ ...scenario, tasks: { ...scenario.tasks, announcers: 'any' } }), 2)
    assert.ok(any.tasks.every(t => any.peers[t.announcer]?.adversary === undefined))
  })

  it('leaves the rest of the plan as it was without them (the clean run and the attacked run share it)', () => {
    const without = planSimulation(parseScenario({ ...scenario, adversaries: undefined }), 2)
    assert.deepEqual(plan.peers.map(p => ({ ...p, adversary: undefined })), without.peers.map(p => ({ ...p, adversary: undefined })))
    assert.deepEqual(plan.peers.map(p => p.liar), without.peers.map(p => p.liar))
  })

  it('gives a liar adversary expert skills with a perfect record and a handler that never delivers, and the honest peers metrics', () => {
    const liar = adversaries.find(p => p.adversary === 'liar')
    const flood = adversaries.find(p => p.adversary === 'flood')
    const honest = plan.peers.find(p => p.adversary === undefined && !p.liar)
    assert.ok(liar !== undefined && flood !== undefined && honest !== undefined)
    const config = peerConfig(scenario, liar, '/tmp/sim', [])
    for (const skill of config.skills ?? []) {
      assert.equal(skill.level, 'expert')
      assert.equal(skill.successRate, 1)
      assert.deepEqual(skill.handler, { kind: 'builtin', name: 'sleep', delayMs: 3_600_000, timeoutMs: 3_600_000 })
    }
    assert.deepEqual(peerConfig(scenario, honest, '/tmp/sim', []).metrics, { enabled: true, process: false })
    assert.deepEqual(peerConfig(scenario, flood, '/tmp/sim', []).metrics, { enabled: false })
    const quiet = parseScenario({ ...scenario, adversaries: { ...scenario.adversaries, countLimited: false } })
    assert.deepEqual(peerConfig(quiet, honest, '/tmp/sim', []).metrics, { enabled: false })
  })
})

describe('the adversaries section of the report', () => {
  const scenario = parseScenario({ peers: 10, adversaries: { fraction: 0.2, kinds: ['flood', 'sybil'] }, seed: 2 })
  const plan = planSimulation(scenario, 1)
  const [flood, sybil] = plan.peers.filter(p => p.adversary !== undefined)
  assert.ok(flood !== undefined && sybil !== undefined)
  const attacker = (index: number, peerId: string, kind: AttackerStats['kind'], fields: Partial<AttackerStats>): AttackerStats => ({ index, peerId, kind, sent: {}, answers: {}, errors: 0, ...fields })
  const facts: AdversaryFacts = {
    attacksStartedAt: LOAD + 1000,
    attackers: [
      attacker(sybil.index, B, 'sybil', { firstMisbehaviourAt: LOAD + 1100, sent: { cards: 300 } }),
      attacker(flood.index, A, 'flood', { firstMisbehaviourAt: LOAD + 1200, sent: { undecodable: 10, wrongChannel: 20, announces: 30 } })
    ],
    scores: [
      // Three honest peers saw the flooder: two graylisted it 800 ms and 2.2 s after its first invalid message.
      { attacker: A, observer: 0, seenAt: LOAD, belowAt: LOAD + 2000, minScore: -500, lastScore: -400 },
      { attacker: A, observer: 1, seenAt: LOAD, belowAt: LOAD + 3400, minScore: -200, lastScore: -150 },
      { attacker: A, observer: 2, seenAt: LOAD, minScore: -10, lastScore: -10 },
      // The sybil's cards are valid gossip: its score never fell.
      { attacker: B, observer: 0, seenAt: LOAD, minScore: 0, lastScore: 0 }
    ],
    graylistThreshold: -80,
    honest: sumCounters([
      { gossipRejected: { MALFORMED: 10 }, limited: { announcements: 4 }, penalties: { MALFORMED: 10 }, agentsKnownMax: 300 },
      { gossipRejected: { MALFORMED: 5, WRONG_CHANNEL: 20 }, limited: {}, penalties: {}, agentsKnownMax: 12 }
    ])
  }
  const peerStats = plan.peers.map(p => stats(p.index, p.index === flood.index ? A : p.index === sybil.index ? B : `12D3KooWHonest${p.index}`))
  const records = [record(0, { members: [A], everMembers: [A, '12D3KooWHonest3'] }), record(1, { ok: false, status: 'FAILED', reason: 'deadline passed', formationMs: undefined, totalMs: undefined }), record(2, {})]
  const report = buildReport({
    scenario,
    plan,
    machine: { cpus: 2, cpuModel: 'Test', memGiB: 8, node: 'v24', workers: 1 },
    startedAt: LOAD - 5000,
    loadStartedAt: LOAD,
    loadEndedAt: LOAD + 300,
    endedAt: LOAD + 5000,
    startupMs: 5000,
    records,
    refused: [],
    announcedIndices: new Set([0, 1, 2]),
    peerStats,
    peersAlive: [],
    rss: { baseline: 1, loaded: 2, heapUsed: 1 },
    cpu: { user: 1, system: 1 },
    adversaries: facts
  })
  const section = report.adversaries
  assert.ok(section !== undefined)

  it('counts the attackers by kind and sums the honest peers\' counters of the threads', () => {
    assert.deepEqual(section.kinds, { flood: 1, sybil: 1 })
    assert.equal(section.attacksStartedMs, 1000)
    assert.equal(section.graylistThreshold, -80)
    assert.deepEqual(section.attacked.counters, { gossipRejected: { MALFORMED: 15, WRONG_CHANNEL: 20 }, limited: { announcements: 4 }, penalties: { MALFORMED: 10 }, agentsKnownMax: 300 })
  })

  it('reports the honest tasks of the run: completion rate and latencies', () => {
    assert.equal(section.attacked.announced, 3)
    assert.equal(section.attacked.completed, 2)
    assert.equal(section.attacked.successRate, 2 / 3)
    assert.equal(section.attacked.completionMs.n, 2)
    assert.equal(section.attacked.completionMs.p50, 400)
    assert.equal(section.clean, undefined)
  })

  it('times each attacker\'s fall below the graylist from its first misbehaviour, over the honest peers that saw it', () => {
    const [first, second] = section.attackers
    assert.equal(first?.peer, flood.index < sybil.index ? flood.index : sybil.index)
    const rowA = section.attackers.find(a => a.peerId === A)
    const rowB = section.attackers.find(a => a.peerId === B)
    assert.ok(rowA !== undefined && rowB !== undefined && second !== undefined)
    assert.equal(rowA.kind, 'flood')
    assert.equal(rowA.firstMisbehaviourMs, 1200)
    assert.equal(rowA.observers, 3)
    assert.equal(rowA.graylistedBy, 2)
    assert.deepEqual([rowA.timeToGraylistMs.n, rowA.timeToGraylistMs.p50, rowA.timeToGraylistMs.max], [2, 800, 2200])
    assert.equal(rowA.minScore, -500)
    assert.equal(rowA.tasksJoined, 1)
    assert.deepEqual(rowA.sent, { undecodable: 10, wrongChannel: 20, announces: 30 })
    assert.equal(rowB.graylistedBy, 0)
    assert.equal(rowB.timeToGraylistMs.n, 0)
    assert.equal(rowB.minScore, 0)
  })

  it('sets a clean run beside the attacked one, in the table and the page', () => {
    const cleanOutcome = honestOutcome({ tasks: { announced: 3, completed: 3, successRate: 1 }, formationMs: report.formationMs, completionMs: report.completionMs }, { gossipRejected: {}, limited: {}, penalties: {}, agentsKnownMax: 10 })
    const withClean = { ...report, adversaries: { ...section, clean: cleanOutcome } }
    const table = renderTable(withClean)
    assert.match(table, /adversaries\s+2 peers: flood 1, sybil 1; attacks from 1\.0 s; graylist threshold -80/)
    assert.match(table, /honest tasks, clean run\s+100\.0 % of 3 completed/)
    assert.match(table, /honest tasks, attacked\s+66\.7 % of 3 completed; formed p50 50 p95 50 ms; completed p50 400/)
    assert.match(table, /honest peers, clean run\s+limited: - · gossip refused: - · penalties: - · largest directory 10 agents/)
    assert.match(table, /honest peers, attacked\s+limited: announcements 4 · gossip refused: WRONG_CHANNEL 20, MALFORMED 15/)
    assert.match(table, new RegExp(`attacker ${flood.index} \\(flood\\)\\s+sent announces 30, wrongChannel 20, undecodable 10; in 1 honest tasks; first misbehaved at 1\\.2 s; graylisted by 2 of 3 honest peers, p50 800 ms, max 2200 ms after; lowest score -500\\.0`))
    assert.match(table, /\(sybil\)\s+sent cards 300; in 0 honest tasks; first misbehaved at 1\.1 s; graylisted by none of the 1 honest peers that saw it/)
    const html = renderHtml(withClean)
    assert.ok(html.includes('honest tasks, clean run'))
    assert.ok(html.includes('graylisted by 2 of 3 honest peers'))
    const json = JSON.parse(JSON.stringify(withClean)) as typeof withClean
    assert.equal(json.adversaries.clean.successRate, 1)
    assert.equal(json.adversaries.attackers.length, 2)
  })

  it('is absent from a run without adversaries', () => {
    const plain = buildReport({ scenario: parseScenario({ peers: 10 }), plan: planSimulation(parseScenario({ peers: 10 }), 1), machine: report.machine, startedAt: LOAD, loadStartedAt: LOAD, loadEndedAt: LOAD, endedAt: LOAD, startupMs: 0, records: [], refused: [], announcedIndices: new Set(), peerStats, peersAlive: [], rss: { baseline: 1, loaded: 1, heapUsed: 1 }, cpu: { user: 0, system: 0 } })
    assert.equal(plain.adversaries, undefined)
    assert.doesNotMatch(renderTable(plain), /adversar|attacker/)
  })
})

describe('freshIdentity (the sybils\' keys)', () => {
  it('makes a new Ed25519 peer id each time, whose key verifies what it signs', () => {
    const a = freshIdentity()
    const b = freshIdentity()
    assert.match(a.peerId, /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/)
    assert.notEqual(a.peerId, b.peerId)
    const config = a.publishConfig as { key: Uint8Array, author: { toString: () => string, toMultihash: () => { bytes: Uint8Array } }, privateKey: { sign: (d: Uint8Array) => Uint8Array } }
    assert.equal(config.author.toString(), a.peerId)
    assert.deepEqual([...config.author.toMultihash().bytes.subarray(0, 6)], [0x00, 0x24, 0x08, 0x01, 0x12, 0x20])
    const data = new TextEncoder().encode('libp2p-pubsub:hello')
    const signature = config.privateKey.sign(data)
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(config.key.subarray(4)).toString('base64url') }, format: 'jwk' })
    assert.ok(verify(null, data, publicKey, signature))
    assert.ok(!verify(null, new TextEncoder().encode('libp2p-pubsub:other'), publicKey, signature))
  })
})
