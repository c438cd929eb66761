/**
 * Award book and signer fakes: what the negotiation hands to its award book, recorded for
 * assertions, and a signer that takes every signature but one marked bad (the announcer's unit
 * tests do not hold the bidders' keys; the real checks run in core and integration tests).
 */
import type { AwardBookPort, SignedOffer } from '../../src/ports/award-book.js'
import type { SignerPort } from '../../src/ports/signer.js'
import type { Award, SkillOfferBody } from '@swarm/protocol'

/** A signature of the right shape that the {@link trustingSigner} takes (any other but BAD_SIGNATURE is taken too). */
export const FAKE_SIGNATURE = 'A'.repeat(86)
/** The one signature the {@link trustingSigner} refuses. */
export const BAD_SIGNATURE = Buffer.alloc(64, 0xff).toString('base64url')

/** A signer that signs with zeros and takes every signature except {@link BAD_SIGNATURE}. */
export const trustingSigner: SignerPort = {
  sign: async () => new Uint8Array(64),
  verify: async (_peerId, _bytes, sig) => Buffer.from(sig).toString('base64url') !== BAD_SIGNATURE
}

export class RecordingAwards implements AwardBookPort {
  readonly offers: Array<{ announcer: string, offer: SkillOfferBody }> = []
  readonly receivedAwards: Array<{ announcer: string, award: Award, member: boolean, acceptedInvite: boolean }> = []
  readonly awards: Array<{ award: Award, offers: SignedOffer[] }> = []
  offered (announcer: string, offer: SkillOfferBody): void { this.offers.push({ announcer, offer }) }
  received (info: { announcer: string, award: Award, member: boolean, acceptedInvite: boolean }): void { this.receivedAwards.push(info) }
  awarded (award: Award, offers: SignedOffer[]): void { this.awards.push({ award, offers }) }
}
