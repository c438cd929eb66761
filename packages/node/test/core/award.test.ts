import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { AwardSchema, MAX_AWARD_OFFERS, canonicalJson } from '@swarm/protocol'
import { buildAward, verifyAward } from '../../src/core/award.js'
import { selectGroup, replacementFor } from '../../src/core/selection.js'
import { encodeSignature, offerDigest, offerSigningBytes } from '../../src/core/signed-offer.js'
import { keySigner } from '../../src/net/key-signer.js'
import type { Candidate } from '../../src/core/scoring.js'
import type { Award, RequiredSkill, SkillOfferBody } from '@swarm/protocol'

const TASK = 'task-award-0001'

async function bidders (n: number): Promise<Array<{ id: string, signer: ReturnType<typeof keySigner> }>> {
  return await Promise.all(Array.from({ length: n }, async () => {
    const key = await generateKeyPair('Ed25519')
    return { id: peerIdFromPrivateKey(key).toString(), signer: keySigner(key) }
  }))
}

function offerBody (successRate: number, load: number): Omit<SkillOfferBody, 'signature'> {
  return { taskId: TASK, attempt: 1, skills: [{ name: 'sum', level: 'expert', successRate, avgCompletionMs: 100 }], score: 0.5, estimateMs: 100, load, capacity: 4, leaseExpiresAt: 1_750_000_010_000 }
}

const REQUIRED: RequiredSkill[] = [{ name: 'sum', minLevel: 'novice', count: 1 }]

/** Three signed offers on one slot, the award the rule gives, and the offers. */
async function scenario (): Promise<{ award: Award, offers: Map<string, SkillOfferBody>, ids: string[], announcer: string }> {
  const [a, b, c, ann] = await bidders(4)
  if (a === undefined || b === undefined || c === undefined || ann === undefined) throw new Error('keys')
  const offers = new Map<string, SkillOfferBody>()
  for (const [who, rate, load] of [[a, 1, 0], [b, 0.8, 1], [c, 0.5, 2]] as const) {
    const unsigned = offerBody(rate, load)
    offers.set(who.id, { ...unsigned, signature: encodeSignature(await who.signer.sign(offerSigningBytes(ann.id, unsigned))) })
  }
  const candidates: Candidate[] = [...offers.entries()].map(([peerId, o]) => ({ peerId, skills: o.skills, load: o.load, capacity: o.capacity, reputation: 0.5, observed: { successes: 0, total: 0 }, estimateMs: o.estimateMs }))
  const selection = selectGroup(REQUIRED, candidates, { maxGroupSize: 1 })
  if (!selection.ok) throw new Error(selection.reason)
  const award = buildAward({
    taskId: TASK,
    attempt: 1,
    announcer: ann.id,
    required: REQUIRED,
    maxGroupSize: 1,
    excluded: [],
    offers: candidates.map(candidate => ({ candidate, digest: offerDigest(candidate.peerId, offers.get(candidate.peerId) as SkillOfferBody) })),
    selected: selection.members,
    replacements: [],
    members: selection.members
  })
  return { award, offers, ids: [a.id, b.id, c.id], announcer: ann.id }
}

function own (s: Awaited<ReturnType<typeof scenario>>, who: string): { self: string, offer: SkillOfferBody, digest: string } {
  const offer = s.offers.get(who) as SkillOfferBody
  return { self: who, offer, digest: offerDigest(who, offer) }
}

const clone = (a: Award): Award => JSON.parse(JSON.stringify(a)) as Award

describe('canonical JSON', () => {
  it('sorts keys at every level, keeps array order, leaves out undefined entries', () => {
    assert.equal(canonicalJson({ b: 1, a: [3, { d: true, c: null }], e: undefined }), '{"a":[3,{"c":null,"d":true}],"b":1}')
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }))
    assert.throws(() => canonicalJson({ x: Number.NaN }), TypeError)
  })
})

describe('signed offers', () => {
  it('verify for their task and announcer only', async () => {
    const [bidder, announcer, other] = await bidders(3)
    if (bidder === undefined || announcer === undefined || other === undefined) throw new Error('keys')
    const unsigned = offerBody(1, 0)
    const sig = await bidder.signer.sign(offerSigningBytes(announcer.id, unsigned))
    assert.equal(await bidder.signer.verify(bidder.id, offerSigningBytes(announcer.id, { ...unsigned, signature: encodeSignature(sig) }), sig), true)
    assert.equal(await bidder.signer.verify(bidder.id, offerSigningBytes(other.id, unsigned), sig), false, 'replayed to another announcer')
    assert.equal(await bidder.signer.verify(bidder.id, offerSigningBytes(announcer.id, { ...unsigned, taskId: 'task-other-0001' }), sig), false, 'replayed to another task')
    assert.equal(await bidder.signer.verify(bidder.id, offerSigningBytes(announcer.id, { ...unsigned, load: 3 }), sig), false, 'altered')
    assert.equal(await bidder.signer.verify(other.id, offerSigningBytes(announcer.id, unsigned), sig), false, 'another signer')
  })
})

describe('awards', () => {
  it('verify for every bidder: own offer listed with what it signed, the rule gives the group', async () => {
    const s = await scenario()
    assert.equal(AwardSchema.safeParse(s.award).success, true)
    assert.deepEqual(s.award.members.map(m => m.peerId), [s.ids[0]])
    for (const id of s.ids) {
      const check = verifyAward(s.award, own(s, id))
      assert.deepEqual(check.problems, [], id)
      assert.equal(check.ok, true)
      assert.ok(check.checks.some(c => c.includes('own offer listed')))
    }
  })

  it('fails when the inputs were changed (a passed-over bidder made to look worse)', async () => {
    const s = await scenario()
    const tampered = clone(s.award)
    const entry = tampered.offers.find(o => o.peerId === s.ids[1])
    if (entry === undefined) throw new Error('entry')
    entry.load = 4
    const check = verifyAward(tampered, own(s, s.ids[1] as string))
    assert.equal(check.ok, false)
    assert.ok(check.problems.some(p => p.includes('other inputs')), check.problems.join('; '))
  })

  it('fails when the own offer is missing', async () => {
    const s = await scenario()
    const tampered = clone(s.award)
    tampered.offers = tampered.offers.filter(o => o.peerId !== s.ids[2])
    const check = verifyAward(tampered, own(s, s.ids[2] as string))
    assert.equal(check.ok, false)
    assert.ok(check.problems.includes('own offer is missing from the award'))
  })

  it('fails when the chosen set is not what the rule gives', async () => {
    const s = await scenario()
    const tampered = clone(s.award)
    const worse = [{ peerId: s.ids[2] as string, skills: ['sum'] }]
    tampered.selected = worse
    tampered.members = worse
    const check = verifyAward(tampered, own(s, s.ids[0] as string))
    assert.equal(check.ok, false)
    assert.ok(check.problems.some(p => p.includes('the selection rule chooses')), check.problems.join('; '))
  })

  it('fails when the reputation the rule used was raised for a favourite, re-run included', async () => {
    const s = await scenario()
    const tampered = clone(s.award)
    const favourite = tampered.offers.find(o => o.peerId === s.ids[2])
    if (favourite === undefined) throw new Error('entry')
    // The announcer's own inputs are visible: lying in them changes the rule's outcome, which no longer matches.
    favourite.reputation = 1
    favourite.load = 0
    favourite.skills[0] = { name: 'sum', level: 'expert', successRate: 1, avgCompletionMs: 0 }
    const check = verifyAward(tampered)
    assert.equal(check.ok, false, JSON.stringify({ check, tampered }))
  })

  it('checks that each backup invited was the best one left for its skill', async () => {
    const s = await scenario()
    const [first, second, third] = s.ids as [string, string, string]
    // The first declined; the rule's next best is the second.
    const candidates = s.award.offers.map(o => ({ ...o }))
    assert.equal(replacementFor(REQUIRED[0] as RequiredSkill, { members: [] }, candidates, [first]), second)
    const honest = clone(s.award)
    honest.replacements = [{ skill: 'sum', by: second }]
    honest.members = [{ peerId: second, skills: ['sum'] }]
    assert.deepEqual(verifyAward(honest).problems, [])
    const skipped = clone(honest)
    skipped.replacements = [{ skill: 'sum', by: third }]
    skipped.members = [{ peerId: third, skills: ['sum'] }]
    const check = verifyAward(skipped, own(s, second))
    assert.equal(check.ok, false)
    assert.ok(check.problems.some(p => p.includes('best backup left')), check.problems.join('; '))
    // A member that accepted its invite cannot have been replaced.
    const replaced = verifyAward(honest, { ...own(s, first), acceptedInvite: true })
    assert.ok(replaced.problems.includes('this node accepted its invite but the award has it replaced'))
  })

  it(`lists at most ${MAX_AWARD_OFFERS} offers, the group always among them, and still verifies`, async () => {
    const s = await scenario()
    const many = Array.from({ length: MAX_AWARD_OFFERS + 20 }, (_, i) => ({
      candidate: { peerId: `12D3KooW${String(i).padStart(44, 'x')}`, skills: [{ name: 'sum', level: 'novice' as const, successRate: 0.1, avgCompletionMs: 1e6 }], load: 3, capacity: 4, reputation: 0.5, observed: { successes: 0, total: 0 }, estimateMs: 1e6 },
      digest: String(i).padStart(43, 'Z')
    }))
    const best = s.award.offers[0]
    if (best === undefined) throw new Error('best')
    const award = buildAward({ taskId: TASK, attempt: 1, announcer: s.announcer, required: REQUIRED, maxGroupSize: 1, excluded: [], offers: [...many, { candidate: { ...best }, digest: best.digest }], selected: s.award.selected, replacements: [], members: s.award.members })
    assert.equal(award.offers.length, MAX_AWARD_OFFERS)
    assert.equal(award.omitted, 21)
    assert.ok(award.offers.some(o => o.peerId === best.peerId))
    assert.deepEqual(verifyAward(award).problems, [])
  })
})
