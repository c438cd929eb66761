/**
 * The signing side of vote certificates for the proposals service: this node's own votes are
 * signed (asynchronously, through the signer port) while the vote is counted at once, and the
 * signatures wait here until the VOTE goes out and the decision's certificate is built.
 */
import { signVote } from './vote-certificate.js'
import type { CastVote } from './tally.js'
import type { SignedVote, VoteCertificate, VoteSigningInput } from './vote-certificate.js'
import type { SignerPort } from '../ports/signer.js'
import type { BodyOf } from '@swarm/protocol'

/** What the proposals service needs to sign votes and to charge a peer whose signature fails. */
export interface VoteSigning {
  signer: SignerPort
  /** Charges `peer` for a vote or a vote certificate that does not verify (net/verdict.ts BAD_SIGNATURE). */
  penalize: (peer: string) => void
}

/** Signatures of this node's own votes, by proposal, until the proposal's certificate is built. */
export class OwnVoteSignatures {
  readonly #signer: SignerPort
  readonly #pending = new Map<string, Map<number, Promise<string>>>()

  constructor (signer: SignerPort) {
    this.#signer = signer
  }

  /** Signs a vote of this node; kept for the certificate of its proposal. */
  async sign (vote: VoteSigningInput): Promise<string> {
    const signature = signVote(this.#signer, vote)
    const byTs = this.#pending.get(vote.proposalId) ?? new Map<number, Promise<string>>()
    byTs.set(vote.at, signature)
    this.#pending.set(vote.proposalId, byTs)
    return await signature
  }

  /**
   * The counted votes of a proposal with their signatures: a received vote's own, this node's
   * awaited. Throws when one has none (it cannot be certified).
   */
  async signedVotes (proposalId: string, votes: readonly CastVote[]): Promise<SignedVote[]> {
    const byTs = this.#pending.get(proposalId)
    return await Promise.all(votes.map(async v => {
      const sig = v.sig ?? await byTs?.get(v.at)
      if (sig === undefined) throw new Error(`the vote of ${v.voter} has no signature`)
      return { voter: v.voter, choice: v.choice, confidence: v.confidence, at: v.at, sig }
    }))
  }

  /** Forgets the signatures of a proposal (decided and certified, or closed). */
  forget (proposalId: string): void {
    this.#pending.delete(proposalId)
  }
}

/** The PROPOSAL_DECIDED body of a certificate: the decision and its signed votes. */
export function decisionBody (cert: VoteCertificate): BodyOf<'PROPOSAL_DECIDED'> {
  return {
    proposalId: cert.proposalId,
    taskId: cert.taskId,
    groupId: cert.groupId,
    outcome: cert.outcome,
    for: cert.for,
    against: cert.against,
    abstentions: cert.abstentions,
    eligible: cert.eligible,
    participation: cert.participation,
    weightedConfidence: cert.weightedConfidence,
    decidedAt: cert.decidedAt,
    votes: cert.votes
  }
}
