/**
 * The votes a member's handlers cast for it (issue 15): on the verification of its task's result
 * (`onVerify`: else yes when its own parts succeeded), and on the proposals other members open in
 * its group (`onProposal`: else none, the member votes itself if it wants). A decider may answer
 * later (a model asked); a decider that throws is logged and passed over.
 */
import type { ProposalView } from './group-session.js'
import type { ProposalDecider, VerifyDecider, VoteInput } from './inputs.js'
import type { Logger } from '../logger.js'

/** The last decision of `deciders` (a later one wins), undefined when none decides. */
async function decide (deciders: ReadonlyArray<VerifyDecider | ProposalDecider>, view: ProposalView, log: Logger, what: string): Promise<VoteInput | undefined> {
  let vote: VoteInput | undefined
  for (const decider of deciders) {
    try {
      vote = (await decider(view)) ?? vote
    } catch (err) {
      log.warn(`${what} decider failed`, { taskId: view.taskId, proposalId: view.proposalId, err })
    }
  }
  return vote
}

/** The member's verification vote: its handlers' decision, or from the outcome of its own parts. */
export async function verificationVote (deciders: readonly VerifyDecider[], ownResults: Iterable<boolean>, view: ProposalView, log: Logger): Promise<VoteInput> {
  const decided = await decide(deciders, view, log, 'verification')
  if (decided !== undefined) return decided
  const results = [...ownResults]
  if (results.length === 0) return { choice: 'abstain', confidence: 0, reason: 'no part of this task ran here' }
  return results.every(ok => ok) ? { choice: 'yes', confidence: 1, reason: 'my part succeeded' } : { choice: 'no', confidence: 1, reason: 'my part failed' }
}

/** The member's vote on another member's proposal, when one of its handlers decides it. */
export async function proposalVote (deciders: readonly ProposalDecider[], view: ProposalView, log: Logger): Promise<VoteInput | undefined> {
  return await decide(deciders, view, log, 'proposal')
}
