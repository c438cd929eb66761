/**
 * What a bidder signs when it offers, and the digest by which an award names an offer. Pure:
 * the signature itself is made and checked through the signer port (ports/signer.ts).
 */
import { createHash } from 'node:crypto'
import { canonicalBytes } from '@swarm/protocol'
import type { SkillOfferBody } from '@swarm/protocol'

/** Separates offer signatures from anything else the same key signs (votes, cards). */
const OFFER_DOMAIN = 'swarm/skill-offer/1'

/** A SKILL_OFFER body before it is signed. */
export type UnsignedOffer = Omit<SkillOfferBody, 'signature'>

/**
 * The bytes a bidder signs for an offer: the canonical JSON of the body without its signature,
 * with the task id and the announcer's peer id, so that the signature is worth nothing for
 * another task or to another announcer.
 */
export function offerSigningBytes (announcer: string, offer: UnsignedOffer | SkillOfferBody): Uint8Array {
  const { signature: _signature, ...unsigned } = offer as SkillOfferBody
  return canonicalBytes({ domain: OFFER_DOMAIN, announcer, taskId: unsigned.taskId, offer: unsigned })
}

/** The digest (sha256, base64url) of a signed offer from `bidder`: how an award names it. */
export function offerDigest (bidder: string, offer: SkillOfferBody): string {
  return createHash('sha256').update(canonicalBytes({ bidder, offer })).digest('base64url')
}

/** A signature's wire form (base64url), and back. */
export function encodeSignature (sig: Uint8Array): string {
  return Buffer.from(sig).toString('base64url')
}

export function decodeSignature (text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'))
}
