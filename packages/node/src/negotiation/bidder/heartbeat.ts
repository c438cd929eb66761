/**
 * A member's heartbeats: while any of its parts of a task runs (and until that part's result
 * is delivered), the member tells the announcer every `memberHeartbeatMs` that it is alive, with
 * the part's last progress. The announcer replaces a member that misses a few of them (see
 * announcer/liveness.ts): that is how a stopped process or a peer that went silent without
 * closing its connection is noticed. Heartbeats go direct to the announcer (a TASK_UPDATE with
 * message "heartbeat"), not on the group topic: they concern the announcer alone, and a direct
 * stream does not depend on the group topic's mesh having formed.
 */
import { createMessage } from '@swarm/protocol'
import type { Clock, TimerHandle } from '../../ports/clock.js'
import type { MessengerPort } from '../../ports/messenger.js'
import type { PeerId } from '@libp2p/interface'

/** The update text of a heartbeat (the announcer emits no progress event for it). */
export const HEARTBEAT_MESSAGE = 'heartbeat'

/** The heartbeats of one task's parts on this member. */
export interface Heartbeats {
  /** The latest progress of a part, sent with its next heartbeat. */
  progress: (skill: string, fraction: number) => void
  /** A part is over (its result delivered, or it was cancelled): no more beats for it. */
  done: (skill: string) => void
  /** No more beats at all (every part ended, or the node stops). */
  stop: () => void
}

/** What a member's heartbeats need. */
export interface HeartbeatOptions {
  messenger: MessengerPort
  clock: Clock
  announcer: PeerId
  taskId: string
  groupId: string
  skills: string[]
  intervalMs: number
  /**
   * Beats in a row the announcer did not take before it counts as lost (its process is down or
   * stopped); `onAnnouncer` hears when it is lost and when it answers again. The member goes on
   * working meanwhile (an announcer that restarts resumes the task), and its part ends at the
   * deadline as always.
   */
  lostAfter?: number
  onAnnouncer?: (change: { lost: true, missed: number } | { lost: false, afterMs: number }) => void
}

/** Counts the beats the announcer did not take, and tells when it is lost and when it is back. */
function announcerWatch (clock: Clock, options: HeartbeatOptions): { answered: () => void, missed: () => void } {
  const { lostAfter = 0, onAnnouncer } = options
  let missed = 0
  let lostAt: number | undefined
  return {
    answered: () => {
      missed = 0
      if (lostAt === undefined) return
      onAnnouncer?.({ lost: false, afterMs: clock.now() - lostAt })
      lostAt = undefined
    },
    missed: () => {
      missed++
      if (lostAfter <= 0 || lostAt !== undefined || missed < lostAfter) return
      lostAt = clock.now()
      onAnnouncer?.({ lost: true, missed })
    }
  }
}

/**
 * Starts beating for `skills`; the first beat goes out one interval from now. A beat that is not
 * delivered is not retried: the next one follows an interval later, and missing a few is what
 * the announcer acts on.
 */
export function startHeartbeats (options: HeartbeatOptions): Heartbeats {
  const { messenger, clock, announcer, taskId, groupId, intervalMs } = options
  const progress = new Map(options.skills.map(skill => [skill, 0]))
  let timer: TimerHandle | undefined
  let stopped = false
  const watch = announcerWatch(clock, options)
  const beat = (): void => {
    if (stopped) return
    for (const [skill, fraction] of progress) {
      messenger.request(announcer, createMessage('TASK_UPDATE', { taskId, groupId, skill, progress: fraction, message: HEARTBEAT_MESSAGE }), { timeoutMs: intervalMs })
        .then(() => { watch.answered() }, () => { watch.missed() })
    }
    timer = clock.setTimeout(beat, intervalMs)
  }
  timer = clock.setTimeout(beat, intervalMs)
  const stop = (): void => {
    stopped = true
    clock.clearTimeout(timer)
  }
  return {
    progress: (skill, fraction) => { if (progress.has(skill)) progress.set(skill, fraction) },
    done: skill => {
      progress.delete(skill)
      if (progress.size === 0) stop()
    },
    stop
  }
}
