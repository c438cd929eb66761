/**
 * The awards this node keeps so that `swarm-node verify <taskId>` can check them later: as a
 * bidder, the award of each task it offered on, with the offer it signed; as an announcer, the
 * award of each attempt with the signed offers it lists (signatures re-checked on verify).
 */
import { z } from 'zod'
import { AwardSchema, SkillOfferBodySchema } from '@swarm/protocol'
import { verifyAward } from '../core/award.js'
import { decodeSignature, offerDigest, offerSigningBytes } from '../core/signed-offer.js'
import { guardedWrite } from './guarded.js'
import type { AwardCheck } from '../core/award.js'
import type { Logger } from '../logger.js'
import type { AwardBookPort, SignedOffer } from '../ports/award-book.js'
import type { SignerPort } from '../ports/signer.js'
import type { StoredAward } from '../store/store.js'
import type { Award, Json, SkillOfferBody } from '@swarm/protocol'

/** What the award book needs of the store. */
export interface AwardStore {
  saveAward: (a: StoredAward) => void
  listAwards: (taskId: string) => StoredAward[]
}

const AnnouncerRecordSchema = z.object({
  award: AwardSchema,
  offers: z.array(z.object({ bidder: z.string(), offer: SkillOfferBodySchema }).strict())
}).strict()

const MemberRecordSchema = z.object({
  award: AwardSchema,
  announcer: z.string(),
  member: z.boolean(),
  acceptedInvite: z.boolean(),
  ownOffer: SkillOfferBodySchema.optional()
}).strict()

/** The verification of one stored award. */
export interface AwardVerification extends AwardCheck {
  role: 'announcer' | 'member'
  attempt: number
}

/** Own offers remembered until their award comes (most tasks have few bidders each). */
const OWN_OFFERS_KEPT = 1_000

export class AwardBook implements AwardBookPort {
  readonly #store: AwardStore
  readonly #log: Logger
  readonly #self: string
  readonly #clock: () => number
  /** taskId → the offer this node signed and to whom (the latest per task). */
  readonly #own = new Map<string, { announcer: string, offer: SkillOfferBody }>()

  constructor (components: { store: AwardStore, logger: Logger, now: () => number }, init: { self: string }) {
    this.#store = components.store
    this.#log = components.logger
    this.#clock = components.now
    this.#self = init.self
  }

  offered (announcer: string, offer: SkillOfferBody): void {
    this.#own.delete(offer.taskId)
    this.#own.set(offer.taskId, { announcer, offer })
    if (this.#own.size > OWN_OFFERS_KEPT) this.#own.delete(this.#own.keys().next().value ?? '')
  }

  received (info: { announcer: string, award: Award, member: boolean, acceptedInvite: boolean }): void {
    const { award } = info
    const own = this.#own.get(award.taskId)
    const ownOffer = own !== undefined && own.announcer === info.announcer && own.offer.attempt === award.attempt ? own.offer : undefined
    const record = { award, announcer: info.announcer, member: info.member, acceptedInvite: info.acceptedInvite, ...(ownOffer !== undefined ? { ownOffer } : {}) }
    guardedWrite(this.#log, 'award', { taskId: award.taskId }, () => {
      this.#store.saveAward({ taskId: award.taskId, role: 'member', attempt: award.attempt, record: record, at: this.#clock() })
    })
  }

  awarded (award: Award, offers: SignedOffer[]): void {
    guardedWrite(this.#log, 'award', { taskId: award.taskId }, () => {
      this.#store.saveAward({ taskId: award.taskId, role: 'announcer', attempt: award.attempt, record: { award, offers } as unknown as Json, at: this.#clock() })
    })
  }

  /** Verifies every stored award of a task (latest attempt first); empty when there is none. */
  async verify (taskId: string, signer: Pick<SignerPort, 'verify'>): Promise<AwardVerification[]> {
    const results: AwardVerification[] = []
    for (const stored of this.#store.listAwards(taskId)) {
      const check = stored.role === 'announcer' ? await this.#verifyAnnounced(stored.record, signer) : await this.#verifyReceived(stored.record, signer)
      results.push({ role: stored.role, attempt: stored.attempt, ...check })
    }
    return results
  }

  /** The announcer's record: every signed offer re-checked and matched to the award's entries. */
  async #verifyAnnounced (raw: Json, signer: Pick<SignerPort, 'verify'>): Promise<AwardCheck> {
    const parsed = AnnouncerRecordSchema.safeParse(raw)
    if (!parsed.success) return { ok: false, checks: [], problems: ['the stored award is damaged (it does not parse)'] }
    const { award, offers } = parsed.data
    const problems: string[] = []
    let signed = 0
    for (const { bidder, offer } of offers) {
      const ok = await signer.verify(bidder, offerSigningBytes(award.announcer, offer), decodeSignature(offer.signature))
      if (!ok) problems.push(`the signature of ${bidder}'s offer does not verify`)
      else signed++
      const entry = award.offers.find(o => o.peerId === bidder)
      if (entry === undefined) continue
      if (entry.digest !== offerDigest(bidder, offer)) problems.push(`the award lists ${bidder}'s offer with another digest than the signed offer`)
      const same = JSON.stringify([entry.skills, entry.load, entry.capacity, entry.estimateMs]) === JSON.stringify([offer.skills, offer.load, offer.capacity, offer.estimateMs])
      if (!same) problems.push(`the award lists ${bidder}'s offer with other inputs than it signed`)
    }
    const missing = award.offers.filter(o => !offers.some(s => s.bidder === o.peerId))
    if (missing.length > 0) problems.push(`${missing.length} listed offers have no stored signed offer`)
    const checks = [`${signed} of ${offers.length} signed offers verify`]
    const rule = verifyAward(award)
    return { ok: problems.length === 0 && rule.ok, checks: [...checks, ...rule.checks], problems: [...problems, ...rule.problems] }
  }

  /** A bidder's record: its own offer in the award, and the rule re-run. */
  async #verifyReceived (raw: Json, signer: Pick<SignerPort, 'verify'>): Promise<AwardCheck> {
    const parsed = MemberRecordSchema.safeParse(raw)
    if (!parsed.success) return { ok: false, checks: [], problems: ['the stored award is damaged (it does not parse)'] }
    const { award, ownOffer, acceptedInvite, member } = parsed.data
    const checks = [`award received ${member ? 'with GROUP_FORMED (this node is a member)' : 'with OFFER_RELEASE (this node is not in the group)'}`]
    if (ownOffer === undefined) {
      const rule = verifyAward(award)
      return { ok: rule.ok, checks: [...checks, 'own offer not kept (the node restarted in between): checked without it', ...rule.checks], problems: rule.problems }
    }
    const problems: string[] = []
    if (!await signer.verify(this.#self, offerSigningBytes(award.announcer, ownOffer), decodeSignature(ownOffer.signature))) problems.push('the stored own offer does not carry this node\'s signature')
    const rule = verifyAward(award, { self: this.#self, offer: ownOffer, digest: offerDigest(this.#self, ownOffer), acceptedInvite })
    return { ok: problems.length === 0 && rule.ok, checks: [...checks, ...rule.checks], problems: [...problems, ...rule.problems] }
  }
}
