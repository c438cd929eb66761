/**
 * Vote certificates (docs/protocol.md "Vote certificates"): a decided proposal with the signed
 * votes its outcome was counted from, so that anyone holding the group's member list can check
 * the decision later without trusting the proposer or the announcer that relayed it.
 *
 * Every VOTE carries its voter's signature (the voter's libp2p key) over the canonical JSON of
 * {@link voteSigningBytes}: the group, the proposal, the choice, the confidence, the voter and
 * the vote's own timestamp. The certificate is the PROPOSAL_DECIDED body (outcome, counts,
 * votes with signatures) together with the proposal's rule (quorum, participation, voters,
 * deadline). {@link verifyCertificate} re-checks every signature, that the voters are members,
 * that nobody voted twice and that the tally (group/tally.ts) of the votes gives the recorded
 * outcome and counts. Pure but for the signature check, which is a parameter.
 */
import { ProposalBodySchema, ProposalDecidedBodySchema, canonicalBytes, canonicalJson } from '@swarm/protocol'
import { z } from 'zod'
import { verifyPeerSignature } from '../net/key-signer.js'
import { tally } from './tally.js'
import type { ProposalView } from './group-session.js'
import type { Ballot, CastVote, Outcome, Proposal, Tally } from './tally.js'
import type { SignerPort } from '../ports/signer.js'
import type { StoredProposal } from '../store/types.js'
import type { QuorumPolicy } from '@swarm/protocol'

/** Separates vote signatures from every other thing a node signs with the same key. */
const VOTE_SIGNATURE_DOMAIN = 'swarm/vote/1'

/** Tolerance when comparing the recorded fractions with the recomputed ones. */
const EPSILON = 1e-9

/** A decided proposal with the signed votes it was counted from. */
export const VoteCertificateSchema = ProposalDecidedBodySchema.extend({
  /** Peer id of the member that made the proposal (the signer of its PROPOSAL). */
  proposer: ProposalDecidedBodySchema.shape.votes.element.shape.voter,
  quorum: ProposalBodySchema.shape.quorum,
  minParticipation: ProposalBodySchema.shape.minParticipation,
  voters: ProposalBodySchema.shape.voters,
  deadline: ProposalBodySchema.shape.deadline,
  /** The proposal's PROPOSAL timestamp. */
  openedAt: ProposalDecidedBodySchema.shape.decidedAt
})
export type VoteCertificate = z.infer<typeof VoteCertificateSchema>
/** One counted vote of a certificate. */
export type SignedVote = VoteCertificate['votes'][number]

/** What a check found: `ok` when there is no problem; `checks` says what was checked. */
export interface CertificateCheck {
  ok: boolean
  checks: string[]
  problems: string[]
}

/** What a vote's signature covers. */
export interface VoteSigningInput {
  groupId: string
  proposalId: string
  choice: SignedVote['choice']
  confidence: number
  voter: string
  /** The vote's own timestamp (its envelope `ts`). */
  at: number
}

/** The bytes a voter signs: the canonical JSON of the vote's fields, tagged with their purpose. */
function voteSigningBytes (v: VoteSigningInput): Uint8Array {
  return canonicalBytes({ domain: VOTE_SIGNATURE_DOMAIN, groupId: v.groupId, proposalId: v.proposalId, choice: v.choice, confidence: v.confidence, voter: v.voter, ts: v.at })
}

/** Signs a vote of this node (`v.voter` is this node's peer id); the signature in base64url. */
export async function signVote (signer: SignerPort, v: VoteSigningInput): Promise<string> {
  return Buffer.from(await signer.sign(voteSigningBytes(v))).toString('base64url')
}

/** Whether `sig` (base64url) is the voter's signature of the vote; false for anything malformed. */
export async function checkVoteSignature (verify: SignerPort['verify'], v: VoteSigningInput, sig: string): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]+$/.test(sig)) return false
  try {
    return await verify(v.voter, voteSigningBytes(v), Buffer.from(sig, 'base64url'))
  } catch {
    return false
  }
}

/**
 * The certificate of a decided proposal: its rule, the decision (outcome and counts of
 * `decided`) and the counted votes with their signatures, in voter order.
 */
export function buildCertificate (proposal: Proposal, decided: Tally & { outcome: Outcome }, votes: readonly SignedVote[]): VoteCertificate {
  return {
    proposalId: proposal.proposalId,
    taskId: proposal.taskId,
    groupId: proposal.groupId,
    outcome: decided.outcome,
    for: decided.for,
    against: decided.against,
    abstentions: decided.abstentions,
    eligible: decided.eligible,
    participation: decided.participation,
    weightedConfidence: Math.max(-1, Math.min(1, decided.weightedConfidence)),
    decidedAt: decided.decidedAt ?? proposal.deadline,
    votes: [...votes].map(v => ({ voter: v.voter, choice: v.choice, confidence: v.confidence, at: v.at, sig: v.sig }))
      .sort((a, b) => (a.voter < b.voter ? -1 : a.voter > b.voter ? 1 : a.at - b.at)),
    proposer: proposal.proposer,
    quorum: proposal.quorum,
    minParticipation: proposal.minParticipation,
    voters: [...proposal.voters],
    deadline: proposal.deadline,
    openedAt: proposal.openedAt
  }
}

/**
 * Checks a certificate against the group's member list and the proposal's quorum rule: every
 * vote's signature, that the eligible voters and every voter are members, that no voter voted
 * twice and no vote came after the deadline, and that tallying the valid votes under the rule
 * gives the recorded outcome and counts. `verify` checks a signature (by default with the
 * public key inlined in the voter's peer id).
 */
export async function verifyCertificate (certificate: unknown, members: readonly string[], quorumPolicy: QuorumPolicy, verify: SignerPort['verify'] = verifyPeerSignature): Promise<CertificateCheck> {
  const parsed = VoteCertificateSchema.safeParse(certificate)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return { ok: false, checks: [], problems: [`not a vote certificate: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim()] }
  }
  const cert = parsed.data
  const checks: string[] = []
  const problems: string[] = []
  if (canonicalJson(cert.quorum) !== canonicalJson(quorumPolicy)) problems.push(`the certificate's quorum rule ${canonicalJson(cert.quorum)} is not the proposal's ${canonicalJson(quorumPolicy)}`)
  else checks.push(`quorum rule ${quorumText(quorumPolicy)}`)
  const memberSet = new Set(members)
  const outsiders = cert.voters.filter(v => !memberSet.has(v))
  if (outsiders.length > 0) problems.push(`eligible voters that are not members of the group: ${outsiders.join(', ')}`)
  else checks.push(`the ${new Set(cert.voters).size} eligible voters are members of the group`)
  const valid = await validVotes(cert, memberSet, verify, problems)
  checks.push(`${valid.length} of ${cert.votes.length} votes signed by their voters, members and eligible, one each, in time`)
  const recount = recounted(cert, valid)
  const mismatches = compareDecision(cert, recount)
  if (mismatches.length > 0) problems.push(`the votes do not give the recorded decision: ${mismatches.join('; ')}`)
  else checks.push(`tallying the votes gives the recorded outcome (${cert.outcome}: ${cert.for} yes, ${cert.against} no, ${cert.abstentions} abstained of ${cert.eligible})`)
  return { ok: problems.length === 0, checks, problems }
}

/** The votes of a certificate that pass every check of their own; what fails goes to `problems`. */
async function validVotes (cert: VoteCertificate, members: ReadonlySet<string>, verify: SignerPort['verify'], problems: string[]): Promise<SignedVote[]> {
  const eligible = new Set(cert.voters)
  const seen = new Set<string>()
  const valid: SignedVote[] = []
  for (const vote of cert.votes) {
    const signed = await checkVoteSignature(verify, { groupId: cert.groupId, proposalId: cert.proposalId, choice: vote.choice, confidence: vote.confidence, voter: vote.voter, at: vote.at }, vote.sig)
    const faults = [
      ...(signed ? [] : ['its signature does not verify']),
      ...(members.has(vote.voter) ? [] : ['the voter is not a member of the group']),
      ...(eligible.has(vote.voter) ? [] : ['the voter is not one of the proposal\'s voters']),
      ...(seen.has(vote.voter) ? ['the voter voted twice'] : []),
      ...(vote.at <= cert.deadline ? [] : ['it is after the deadline'])
    ]
    seen.add(vote.voter)
    if (faults.length > 0) problems.push(`vote of ${vote.voter}: ${faults.join(', ')}`)
    else valid.push(vote)
  }
  return valid
}

/** The tally of `votes` under the certificate's rule, once no more votes can come. */
function recounted (cert: VoteCertificate, votes: readonly SignedVote[]): Tally {
  const proposal: Proposal = {
    proposalId: cert.proposalId,
    groupId: cert.groupId,
    taskId: cert.taskId,
    action: '',
    quorum: cert.quorum,
    minParticipation: cert.minParticipation,
    voters: cert.voters,
    deadline: cert.deadline,
    proposer: cert.proposer,
    openedAt: cert.openedAt
  }
  const counted: Record<string, CastVote> = {}
  for (const v of votes) counted[v.voter] = { proposalId: cert.proposalId, voter: v.voter, choice: v.choice, confidence: v.confidence, at: v.at, receivedAt: v.at }
  const ballot: Ballot = { proposal, votes: counted }
  // After the deadline: an early decision stays early, the others are the deadline's outcome.
  return tally(ballot, cert.deadline + 1)
}

/** How the recorded decision differs from the recount, in words (empty when it does not). */
function compareDecision (cert: VoteCertificate, t: Tally): string[] {
  const out: string[] = []
  if (t.outcome !== cert.outcome) out.push(`outcome ${t.outcome}, not ${cert.outcome}`)
  for (const key of ['for', 'against', 'abstentions', 'eligible'] as const) {
    if (t[key] !== cert[key]) out.push(`${key} ${t[key]}, not ${cert[key]}`)
  }
  if (Math.abs(t.participation - cert.participation) > EPSILON) out.push(`participation ${t.participation}, not ${cert.participation}`)
  if (Math.abs(Math.max(-1, Math.min(1, t.weightedConfidence)) - cert.weightedConfidence) > EPSILON) out.push(`weighted confidence ${t.weightedConfidence}, not ${cert.weightedConfidence}`)
  if (t.decidedAt !== cert.decidedAt) out.push(`decided at ${t.decidedAt ?? '?'}, not ${cert.decidedAt}`)
  return out
}

/** Where {@link verifyProposal} reads a proposal: the node's store (or the group layer's part of it). */
interface ProposalSource {
  getProposal: (proposalId: string) => StoredProposal | undefined
}

/** What this node keeps of a decided proposal beside its view: the certificate and the members it knew. */
const StoredCertifiedSchema = z.object({
  certificate: z.unknown().optional(),
  /** The group's members as this node knew them (from the announcer), replaced ones included. */
  groupMembers: z.array(z.string()).optional()
}).passthrough()

/**
 * Checks a proposal this node stored: its vote certificate against the group's member list
 * (`members`, or the list this node kept with the proposal) and the proposal as this node saw
 * it (its quorum rule, voters, deadline, proposer, and the outcome this node recorded). For
 * `swarm-node verify <proposalId>`. Undefined when no such proposal is stored.
 */
export async function verifyProposal (source: ProposalSource, proposalId: string, options: { members?: readonly string[], verify?: SignerPort['verify'] } = {}): Promise<CertificateCheck | undefined> {
  const stored = source.getProposal(proposalId)
  if (stored === undefined) return undefined
  const view = stored.proposal as unknown as ProposalView
  const extra = StoredCertifiedSchema.safeParse(stored.proposal)
  if (stored.status !== 'decided') return { ok: false, checks: [], problems: [`proposal ${proposalId} is ${stored.status}, not decided: there is nothing to certify`] }
  const certificate = extra.success ? extra.data.certificate : undefined
  if (certificate === undefined) return { ok: false, checks: [], problems: [`no vote certificate is stored with proposal ${proposalId} (decided by a node without vote certificates?)`] }
  const members = options.members ?? (extra.success ? extra.data.groupMembers : undefined)
  if (members === undefined) return { ok: false, checks: [], problems: [`no member list of group ${stored.groupId} is stored with proposal ${proposalId}: pass one`] }
  const result = await verifyCertificate(certificate, members, view.quorum, options.verify)
  const parsed = VoteCertificateSchema.safeParse(certificate)
  if (parsed.success) sameProposal(parsed.data, view, stored, result)
  return { ok: result.problems.length === 0, checks: result.checks, problems: result.problems }
}

/** Adds to `result` whether the certificate is of the proposal this node saw, with the outcome it recorded. */
function sameProposal (cert: VoteCertificate, view: ProposalView, stored: StoredProposal, result: CertificateCheck): void {
  const differs: string[] = []
  if (cert.proposalId !== stored.proposalId || cert.groupId !== stored.groupId || cert.taskId !== stored.taskId) differs.push('its ids')
  if (cert.proposer !== view.proposer) differs.push('its proposer')
  if (canonicalJson([...cert.voters].sort()) !== canonicalJson([...(view.voters ?? [])].sort())) differs.push('its voters')
  if (cert.deadline !== view.deadline || cert.minParticipation !== view.minParticipation || cert.openedAt !== view.openedAt) differs.push('its deadline or participation rule')
  if (differs.length > 0) result.problems.push(`the certificate is not of the proposal this node saw: ${differs.join(', ')} differ`)
  else result.checks.push(`the certificate is of proposal ${stored.proposalId} as this node saw it opened by ${view.proposer}`)
  if (view.outcome !== undefined && view.outcome !== cert.outcome) result.problems.push(`this node recorded the outcome ${view.outcome}, the certificate ${cert.outcome}`)
}

function quorumText (q: QuorumPolicy): string {
  return q.kind === 'threshold' ? `threshold:${q.fraction}` : q.kind
}
