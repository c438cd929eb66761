/**
 * An in-memory {@link GroupStore}: blackboards, proposals and escalations kept as the SQLite
 * store keeps them (JSON fields copied on write, lists newest first), with a switch that plays
 * a closed store and a log of the writes for assertions.
 */
import type { GroupStore } from '../../src/group/group-store.js'
import type { StoredBlackboard, StoredEscalation, StoredProposal } from '../../src/store/types.js'
import type { Json } from '@swarm/protocol'

function copy<T> (value: T): T {
  return structuredClone(value)
}

export class FakeGroupStore implements GroupStore {
  isOpen = true
  readonly blackboards = new Map<string, StoredBlackboard>()
  readonly proposalRows = new Map<string, StoredProposal>()
  readonly escalationRows = new Map<string, StoredEscalation>()
  /** Every write, in order: `blackboard:<taskId>`, `proposal:<id>:<status>`, `escalation:<id>:<status>`. */
  readonly writes: string[] = []

  readonly claimRows = new Map<string, { taskId: string, state: Json, updatedAt: number }>()

  saveClaims (groupId: string, taskId: string, state: Json, updatedAt: number): void {
    this.#requireOpen()
    this.claimRows.set(groupId, { taskId, state: copy(state), updatedAt })
  }

  getClaims (groupId: string): Json | undefined {
    this.#requireOpen()
    const row = this.claimRows.get(groupId)
    return row === undefined ? undefined : copy(row.state)
  }

  deleteClaims (groupId: string): void {
    this.#requireOpen()
    this.claimRows.delete(groupId)
  }

  #requireOpen (): void {
    if (!this.isOpen) throw new Error('the store is closed')
  }

  saveBlackboard (board: StoredBlackboard): void {
    this.#requireOpen()
    this.blackboards.set(`${board.taskId}/${board.groupId}`, copy(board))
    this.writes.push(`blackboard:${board.taskId}`)
  }

  listBlackboards (taskId: string): StoredBlackboard[] {
    this.#requireOpen()
    return [...this.blackboards.values()].filter(b => b.taskId === taskId).sort((a, b) => b.updatedAt - a.updatedAt || (a.groupId < b.groupId ? -1 : 1)).map(copy)
  }

  saveProposal (proposal: StoredProposal): void {
    this.#requireOpen()
    this.proposalRows.set(proposal.proposalId, copy(proposal))
    this.writes.push(`proposal:${proposal.proposalId}:${proposal.status}`)
  }

  getProposal (proposalId: string): StoredProposal | undefined {
    this.#requireOpen()
    const row = this.proposalRows.get(proposalId)
    return row === undefined ? undefined : copy(row)
  }

  listProposals (filter: { taskId?: string, limit?: number } = {}): StoredProposal[] {
    this.#requireOpen()
    return [...this.proposalRows.values()]
      .filter(p => filter.taskId === undefined || p.taskId === filter.taskId)
      .sort((a, b) => b.openedAt - a.openedAt || (a.proposalId < b.proposalId ? 1 : -1))
      .slice(0, filter.limit ?? Infinity)
      .map(copy)
  }

  saveEscalation (escalation: StoredEscalation): void {
    this.#requireOpen()
    this.escalationRows.set(escalation.escalationId, copy(escalation))
    this.writes.push(`escalation:${escalation.escalationId}:${escalation.status}`)
  }

  getEscalation (escalationId: string): StoredEscalation | undefined {
    this.#requireOpen()
    const row = this.escalationRows.get(escalationId)
    return row === undefined ? undefined : copy(row)
  }

  listEscalations (filter: { status?: 'open' | 'resolved', taskId?: string, limit?: number } = {}): StoredEscalation[] {
    this.#requireOpen()
    return [...this.escalationRows.values()]
      .filter(e => (filter.status === undefined || e.status === filter.status) && (filter.taskId === undefined || e.taskId === filter.taskId))
      .sort((a, b) => b.createdAt - a.createdAt || (a.escalationId < b.escalationId ? 1 : -1))
      .slice(0, filter.limit ?? Infinity)
      .map(copy)
  }
}
