/**
 * `swarm-node verify <taskId|proposalId>`: the stored award of a task (ledger/award-book.ts) or
 * the vote certificate of a decided proposal (group/vote-certificate.ts), checked again.
 */
import { verifyProposal } from '../group/vote-certificate.js'
import { verifyPeerSignature } from '../net/key-signer.js'
import type { AwardBook } from './award-book.js'
import type { StoredProposal } from '../store/types.js'

/** One record checked: what it is, and what was checked and found. */
export interface VerifiedRecord {
  /** e.g. `award of attempt 1 (as member)` or `vote certificate`. */
  what: string
  ok: boolean
  checks: string[]
  problems: string[]
}

/** The answer of `verify`: every record found for the id, and whether all of them verified. */
export interface VerifyReport {
  id: string
  kind: 'task' | 'proposal'
  ok: boolean
  records: VerifiedRecord[]
}

/**
 * Verifies what this node stored under `id`: the awards of a task (each attempt, in each role
 * this node had), else a proposal's vote certificate. Undefined when it holds neither.
 */
export async function verifyStored (source: { awards: Pick<AwardBook, 'verify'>, proposals: { getProposal: (id: string) => StoredProposal | undefined } }, id: string): Promise<VerifyReport | undefined> {
  const awards = await source.awards.verify(id, { verify: verifyPeerSignature })
  if (awards.length > 0) {
    const records = awards.map(a => ({ what: `award of attempt ${a.attempt} (as ${a.role})`, ok: a.ok, checks: a.checks, problems: a.problems }))
    return { id, kind: 'task', ok: records.every(r => r.ok), records }
  }
  const proposal = await verifyProposal(source.proposals, id)
  if (proposal === undefined) return undefined
  return { id, kind: 'proposal', ok: proposal.ok, records: [{ what: 'vote certificate', ok: proposal.ok, checks: proposal.checks, problems: proposal.problems }] }
}
