/** Signed votes for the group tests (signed with the fake signer of the voter, as the harness's services verify). */
import { createMessage } from '@swarm/protocol'
import { signVote } from '../../src/group/vote-certificate.js'
import { fakeSigner } from '../fakes/fake-signer.js'
import type { PeerId } from '@libp2p/interface'
import type { MessageOf } from '@swarm/protocol'

/** What a VOTE says, but its signature. */
export interface VoteFields {
  proposalId: string
  groupId: string
  choice: 'yes' | 'no' | 'abstain'
  confidence: number
  reason?: string
}

/** A VOTE of `voter` with its signature, at `ts` (now by default). */
export async function signedVote (voter: PeerId, fields: VoteFields, ts = Date.now()): Promise<MessageOf<'VOTE'>> {
  const sig = await signVote(fakeSigner(voter), { groupId: fields.groupId, proposalId: fields.proposalId, choice: fields.choice, confidence: fields.confidence, voter: voter.toString(), at: ts })
  return createMessage('VOTE', { ...fields, sig }, { ts })
}
