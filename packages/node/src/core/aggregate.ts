/**
 * Aggregation of the members' results into the task result. Pure.
 */
import type { GroupMember, Json } from '@swarm/protocol'
import type { TaskState } from './task-machine.js'

/** Error code recorded for a member that was assigned a skill but sent no result. */
export const NO_RESULT_CODE = 'NO_RESULT'

/** Code of a part the task stopped before it ended (a cancelled task): not a failure of its member. */
const PART_STOPPED_CODE = 'CANCELLED'

/** One member's part of one skill in the aggregated result. */
export interface MemberOutcome {
  peerId: string
  ok: boolean
  output?: Json
  error?: { code: string, message: string }
}

/** One failed or missing part. */
export interface AggregateError {
  skill: string
  peerId: string
  code: string
  message: string
}

/** The task result built from the members' results. */
export interface AggregatedResult {
  /** True when every assigned (skill, member) reported success. */
  ok: boolean
  /** Skill → every assigned member's outcome, in group order. */
  bySkill: Record<string, MemberOutcome[]>
  /**
   * Skill → output for a skill done by one member, or skill → outputs (in group order) for a skill
   * done by several. A failed or missing part (or one without output) is null.
   */
  outputs: Json
  errors: AggregateError[]
}

/**
 * Builds the task result from the results of the group. Only assigned (skill, member) pairs count:
 * results from others are ignored, and an assigned member without a result is an error with code
 * {@link NO_RESULT_CODE} — unless the task was stopped (`stopped`: why it was cancelled): then
 * the part is marked {@link PART_STOPPED_CODE} in `bySkill` and is not among the `errors`, for
 * no member failed.
 */
export function aggregateResults (members: readonly GroupMember[], results: TaskState['results'], stopped?: string): AggregatedResult {
  const bySkill: Record<string, MemberOutcome[]> = {}
  const errors: AggregateError[] = []
  for (const member of members) {
    for (const skill of member.skills) {
      const result = results[skill]?.[member.peerId]
      let outcome: MemberOutcome
      if (result === undefined && stopped !== undefined) {
        outcome = { peerId: member.peerId, ok: false, error: { code: PART_STOPPED_CODE, message: `stopped before it ended: ${stopped}` } }
        pushOutcome(bySkill, skill, outcome)
        continue
      }
      if (result === undefined) {
        outcome = { peerId: member.peerId, ok: false, error: { code: NO_RESULT_CODE, message: `no result from ${member.peerId} for skill "${skill}"` } }
      } else {
        outcome = { peerId: member.peerId, ok: result.ok }
        if (result.output !== undefined) outcome.output = result.output
        if (!result.ok) outcome.error = result.error ?? { code: 'FAILED', message: 'the member reported a failure without an error' }
      }
      if (outcome.error !== undefined) errors.push({ skill, peerId: member.peerId, code: outcome.error.code, message: outcome.error.message })
      pushOutcome(bySkill, skill, outcome)
    }
  }
  const outputs: Record<string, Json> = {}
  for (const [skill, outcomes] of Object.entries(bySkill)) {
    const values = outcomes.map(o => (o.ok ? o.output ?? null : null))
    outputs[skill] = values.length === 1 ? values[0] ?? null : values
  }
  return { ok: errors.length === 0 && Object.keys(bySkill).length > 0, bySkill, outputs, errors }
}

function pushOutcome (bySkill: Record<string, MemberOutcome[]>, skill: string, outcome: MemberOutcome): void {
  const list = bySkill[skill]
  if (list === undefined) bySkill[skill] = [outcome]
  else list.push(outcome)
}
