import type { Award, SkillOfferBody } from '@swarm/protocol'

/** A signed offer as the announcer received it: from whom, and the body with its signature. */
export interface SignedOffer {
  bidder: string
  offer: SkillOfferBody
}

/**
 * Where the negotiation keeps what makes its decisions verifiable later (`swarm-node verify`):
 * the bidder its own signed offers and the awards it hears, the announcer the award of each
 * attempt with the signed offers it was made from. Implemented by ledger/award-book.ts; an
 * implementation never throws into the negotiation.
 */
export interface AwardBookPort {
  /** This node signed an offer to `announcer` (kept in memory until its award comes). */
  offered: (announcer: string, offer: SkillOfferBody) => void
  /** An award came from the announcer (GROUP_FORMED when `member`, else OFFER_RELEASE): stored with the own offer. */
  received: (info: { announcer: string, award: Award, member: boolean, acceptedInvite: boolean }) => void
  /** This node, as announcer, formed a group: the award and the signed offers it lists. */
  awarded: (award: Award, offers: SignedOffer[]) => void
}
