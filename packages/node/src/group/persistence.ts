/**
 * The group layer's side of the store: blackboards (debounced while a group works, final when
 * it ends), proposals with their votes (a decided one with its vote certificate), and escalations. A write never throws into the group:
 * a closed store (a node stopping) skips it, a failed one is logged.
 */
import { z } from 'zod'
import { BLACKBOARD_SAVE_DEBOUNCE_MS } from './constants.js'
import { VoteCertificateSchema } from './vote-certificate.js'
import type { ClaimTable } from './claim-queue.js'
import type { BlackboardSnapshot } from './blackboard.js'
import type { EscalationRecord } from './escalations.js'
import type { GroupStore } from './group-store.js'
import type { ProposalView } from './group-session.js'
import type { Live, LiveGroups } from './live-groups.js'
import type { VoteCertificate } from './vote-certificate.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../ports/clock.js'
import type { StoredEscalation, StoredProposal } from '../store/types.js'
import type { Json } from '@swarm/protocol'

const HoldingSchema = z.object({ holder: z.string(), priority: z.number(), grantedAt: z.number(), leaseEndsAt: z.number() })

/** A stored claims table (claim-queue.ts ClaimTable). */
const ClaimTableSchema = z.object({
  revision: z.number().int().nonnegative(),
  order: z.number().int().nonnegative(),
  resources: z.array(z.object({
    resourceId: z.string(),
    holder: HoldingSchema.optional(),
    queue: z.array(z.object({ claimant: z.string(), priority: z.number(), leaseMs: z.number().positive(), queuedAt: z.number(), order: z.number() }))
  }))
})

/** What a stored decided proposal carries beside its view: its vote certificate and the members this node knew. */
interface Certified {
  certificate: VoteCertificate
  groupMembers: string[]
}

const CertifiedSchema = z.object({ certificate: VoteCertificateSchema, groupMembers: z.array(z.string()) })

/** The certificate stored with a proposal, if there is a readable one. */
function certifiedPart (stored: StoredProposal | undefined): Certified | undefined {
  if (stored === undefined || typeof stored.proposal !== 'object' || stored.proposal === null || Array.isArray(stored.proposal)) return undefined
  const { certificate, groupMembers } = stored.proposal
  const parsed = CertifiedSchema.safeParse({ certificate, groupMembers })
  return parsed.success ? parsed.data : undefined
}

export class GroupPersistence {
  readonly #store: GroupStore
  readonly #groups: LiveGroups
  readonly #clock: Clock
  readonly #log: Logger

  constructor (store: GroupStore, groups: LiveGroups, clock: Clock, log: Logger) {
    this.#store = store
    this.#groups = groups
    this.#clock = clock
    this.#log = log
  }

  /** Writes to the store if it is open; a failed write is logged, never thrown into the group. */
  persist (what: string, fields: Record<string, unknown>, write: () => void): void {
    try {
      if (this.#store.isOpen) write()
    } catch (err) {
      this.#log.warn(`${what} not saved`, { ...fields, err })
    }
  }

  /** Stores the claims table of a group this node is the announcer of (for a restart). */
  saveClaims (live: Live, table: ClaimTable): void {
    const { taskId, groupId } = live.session
    this.persist('claims', { taskId, groupId }, () => { this.#store.saveClaims(groupId, taskId, table as unknown as Json, this.#clock.now()) })
  }

  /** The claims table stored for a group (by this node's previous run), if it is readable. */
  loadClaims (groupId: string): ClaimTable | undefined {
    try {
      if (!this.#store.isOpen) return undefined
      const stored = this.#store.getClaims(groupId)
      if (stored === undefined) return undefined
      const parsed = ClaimTableSchema.safeParse(stored)
      if (parsed.success) return parsed.data
      this.#log.warn('stored claims not readable: the group starts with no claims', { groupId, issue: parsed.error.issues[0]?.message })
    } catch (err) {
      this.#log.warn('stored claims not read', { groupId, err })
    }
    return undefined
  }

  /** Forgets the stored claims of a group (it dissolved). */
  deleteClaims (groupId: string): void {
    this.persist('claims', { groupId }, () => { this.#store.deleteClaims(groupId) })
  }

  /** Stores the blackboard soon: changes in a burst become one write. */
  scheduleSave (live: Live): void {
    if (live.saveTimer !== undefined || this.#groups.stopped) return
    live.saveTimer = this.#clock.setTimeout(() => {
      live.saveTimer = undefined
      if (this.#groups.has(live.session.groupId)) this.saveBlackboard(live, true)
    }, BLACKBOARD_SAVE_DEBOUNCE_MS)
  }

  /** Stores the blackboard with the task; `stillLive` false once the group ended. */
  saveBlackboard (live: Live, stillLive: boolean): void {
    const { session } = live
    this.persist('blackboard', { taskId: session.taskId }, () => {
      this.#store.saveBlackboard({
        taskId: session.taskId,
        groupId: session.groupId,
        role: live.roles.has('announcer') ? 'announcer' : 'member',
        state: session.blackboard.encodeUpdate(),
        snapshot: session.blackboard.snapshot() as unknown as Json,
        live: stillLive,
        updatedAt: this.#clock.now()
      })
    })
  }

  /**
   * Stores a proposal as this node sees it. A decided one keeps the vote certificate stored
   * with it (see {@link saveCertificate}).
   */
  saveProposal (view: ProposalView): void {
    this.persist('proposal', { proposalId: view.proposalId }, () => {
      const kept = view.status === 'decided' ? certifiedPart(this.#store.getProposal(view.proposalId)) : undefined
      this.#writeProposal(view, kept)
    })
  }

  /**
   * Stores the vote certificate of a decided proposal with it (group/vote-certificate.ts), and
   * the group's members as this node knows them (to check it later). An existing certificate is
   * kept unless `replace` (the proposer's published one replaces this node's own).
   */
  saveCertificate (view: ProposalView, certificate: VoteCertificate, groupMembers: string[], replace: boolean): void {
    this.persist('vote certificate', { proposalId: view.proposalId }, () => {
      if (!replace && certifiedPart(this.#store.getProposal(view.proposalId)) !== undefined) return
      this.#writeProposal(view, { certificate, groupMembers })
    })
  }

  #writeProposal (view: ProposalView, certified: Certified | undefined): void {
    this.#store.saveProposal({
      proposalId: view.proposalId,
      taskId: view.taskId,
      groupId: view.groupId,
      proposal: { ...view, ...certified } as unknown as Json,
      votes: view.votes as unknown as Json,
      status: view.status,
      ...(view.status === 'decided' ? { tally: view.tally as unknown as Json } : {}),
      openedAt: view.openedAt,
      updatedAt: this.#clock.now()
    })
  }

  saveEscalation (record: EscalationRecord): void {
    this.persist('escalation', { escalationId: record.id }, () => {
      this.#store.saveEscalation({
        escalationId: record.id,
        taskId: record.taskId,
        ...(record.groupId !== undefined ? { groupId: record.groupId } : {}),
        record,
        status: record.status,
        createdAt: record.createdAt,
        updatedAt: record.resolvedAt ?? record.createdAt
      })
    })
  }

  /** A proposal as last stored (a group that ended, or one this node saw). */
  proposal (proposalId: string): StoredProposal | undefined {
    return this.#store.getProposal(proposalId)
  }

  /** Stored proposals, newest first. */
  proposals (filter: { taskId?: string, limit: number }): StoredProposal[] {
    return this.#store.listProposals(filter)
  }

  /** The last blackboard stored with a task, if the store is open. */
  lastBlackboard (taskId: string): { groupId: string, snapshot: BlackboardSnapshot } | undefined {
    const stored = this.#store.isOpen ? this.#store.listBlackboards(taskId)[0] : undefined
    return stored === undefined ? undefined : { groupId: stored.groupId, snapshot: stored.snapshot as unknown as BlackboardSnapshot }
  }

  escalation (escalationId: string): StoredEscalation | undefined {
    return this.#store.getEscalation(escalationId)
  }

  /** Stored escalations, newest first. */
  escalations (filter: { status?: 'open' | 'resolved', taskId?: string, limit: number }): StoredEscalation[] {
    return this.#store.listEscalations(filter)
  }
}
