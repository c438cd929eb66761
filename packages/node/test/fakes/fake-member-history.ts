/**
 * A member history that keeps every call, for tests of the bidder's hooks.
 */
import type { MemberHistory } from '../../src/ports/member-history.js'

/** One call of the port: its step and its argument. */
export type HistoryCall = { [K in keyof MemberHistory]: { step: K, info: Parameters<MemberHistory[K]>[0] } }[keyof MemberHistory]

export class RecordingHistory implements MemberHistory {
  readonly calls: HistoryCall[] = []

  offered: MemberHistory['offered'] = info => { this.calls.push({ step: 'offered', info }) }
  accepted: MemberHistory['accepted'] = info => { this.calls.push({ step: 'accepted', info }) }
  started: MemberHistory['started'] = info => { this.calls.push({ step: 'started', info }) }
  partFinished: MemberHistory['partFinished'] = info => { this.calls.push({ step: 'partFinished', info }) }
  finished: MemberHistory['finished'] = info => { this.calls.push({ step: 'finished', info }) }
  released: MemberHistory['released'] = info => { this.calls.push({ step: 'released', info }) }

  /** The steps reported for `taskId`, in order. */
  steps (taskId: string): Array<HistoryCall['step']> {
    return this.calls.filter(c => c.info.taskId === taskId).map(c => c.step)
  }
}
