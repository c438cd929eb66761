/**
 * The library handle of one working group: `node.group(taskId)`. A thin view over the group
 * service, bound to one task.
 */
import type { GroupService, BlackboardView, ClaimView, EscalateInput, PostFindingInput, ProposeInput, VoteInput } from './group-service.js'
import type { HypothesisStatus } from './blackboard.js'
import type { ProposalView } from './group-session.js'
import type { GroupMember, Json } from '@swarm/protocol'

/** The blackboard of a group, as its handle offers it. */
export interface GroupBlackboard {
  /** Posts a finding (observation, hypothesis or conclusion); returns its id. */
  postFinding: (finding: PostFindingInput) => string
  /** Posts a hypothesis (status open); returns its id. */
  postHypothesis: (statement: string, id?: string) => string
  /** Marks a hypothesis open, supported or refuted. */
  setHypothesisStatus: (hypothesisId: string, status: HypothesisStatus) => void
  /** Records an action taken; returns its id. */
  recordAction: (description: string, result?: Json) => string
  /** The whole blackboard, with the aggregated confidence of each hypothesis. */
  snapshot: () => BlackboardView
}

export class GroupHandle {
  readonly taskId: string
  readonly #groups: GroupService
  readonly blackboard: GroupBlackboard

  constructor (groups: GroupService, taskId: string) {
    this.#groups = groups
    this.taskId = taskId
    this.blackboard = {
      postFinding: finding => groups.postFinding(taskId, finding),
      postHypothesis: (statement, id) => groups.postHypothesis(taskId, statement, id),
      setHypothesisStatus: (hypothesisId, status) => { groups.setHypothesisStatus(taskId, hypothesisId, status) },
      recordAction: (description, result) => groups.recordAction(taskId, description, result),
      snapshot: () => {
        const view = groups.blackboard(taskId)
        if (view === undefined) throw new Error(`no blackboard for task ${taskId}`)
        return view
      }
    }
  }

  /** The group's id and members now (undefined once it dissolved). */
  get info (): { groupId: string, announcer: string, members: GroupMember[] } | undefined {
    return this.#groups.groupOf(this.taskId)
  }

  /** Puts a proposal to the group; its current members are the voters. */
  async propose (input: ProposeInput): Promise<ProposalView> {
    return await this.#groups.propose(this.taskId, input)
  }

  /** Votes (a later vote replaces an earlier one until the deadline). */
  vote (proposalId: string, vote: VoteInput): ProposalView {
    return this.#groups.vote(proposalId, vote)
  }

  /** Resolves once the proposal is decided (or closed with the group). */
  async decision (proposalId: string): Promise<ProposalView> {
    return await this.#groups.decision(proposalId)
  }

  /** The group's proposals. */
  proposals (): ProposalView[] {
    return this.#groups.proposals(this.taskId)
  }

  /**
   * Claims a resource for a lease from the group's announcer: granted when free, else queued
   * (higher priority, then the earlier request, goes first) until the holder releases or its lease
   * ends (`claim:granted` then fires); `leaseMs` 0 releases (refused unless this node holds it).
   */
  async claim (resourceId: string, leaseMs: number, priority = 0): Promise<ClaimView> {
    return await this.#groups.claim(this.taskId, resourceId, leaseMs, priority)
  }

  /** Who holds a resource now, as the announcer last told this node. */
  claimStatus (resourceId: string): ClaimView {
    return this.#groups.claimStatus(this.taskId, resourceId)
  }

  /** Writes a shared value; a newer version wins on every member. */
  async write (key: string, value: Json): Promise<{ version: number, applied: boolean }> {
    return await this.#groups.writeData(this.taskId, key, value)
  }

  read (key: string): { value: Json, version: number, writer: string } | undefined {
    return this.#groups.readData(this.taskId, key)
  }

  /** Hands an issue to a human (through the announcer). */
  async escalate (input: EscalateInput): Promise<{ escalationId: string }> {
    return await this.#groups.escalate(this.taskId, input)
  }
}
