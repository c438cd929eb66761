/**
 * Delivering a part's result to the announcer. Results are what the whole group worked for, so
 * a result that cannot be delivered (the announcer's process is down, or restarting) is kept
 * and sent again with a growing backoff until the announcer takes it, the part is cancelled, this
 * node stops, or the task's deadline passes: an announcer that restarts (announcer/resume.ts)
 * gets the results its members finished while it was away.
 */
import { RESULT_RETRY_BASE_MS, RESULT_RETRY_MAX_MS, RESULT_TIMEOUT_MS } from './constants.js'
import type { Logger } from '../../logger.js'
import type { Clock } from '../../ports/clock.js'
import type { AuditFn } from '../../ports/ledger.js'
import type { MessengerPort } from '../../ports/messenger.js'
import type { PeerId } from '@libp2p/interface'
import type { MessageOf } from '@swarm/protocol'

export interface DeliveryPorts {
  messenger: MessengerPort
  clock: Clock
  logger: Logger
  audit: AuditFn
}

export interface DeliveryOptions {
  /** Epoch ms after which the announcer no longer takes results. */
  deadline: number
  /** Whether to stop trying (the part was cancelled, or the node stops). */
  abandoned: () => boolean
}

/** How a delivery ended. */
export type Delivery = 'delivered' | 'refused' | 'abandoned' | 'deadline'

/** The wait before try number `attempt + 1`: 500 ms, 1 s, 2 s… up to RESULT_RETRY_MAX_MS. */
export function resultRetryDelayMs (attempt: number): number {
  return Math.min(RESULT_RETRY_MAX_MS, RESULT_RETRY_BASE_MS * 2 ** attempt)
}

/** Sends the result until it is taken (or refused), or there is no point any more. */
export async function deliverResult (ports: DeliveryPorts, announcer: PeerId, message: MessageOf<'TASK_COMPLETE'>, options: DeliveryOptions): Promise<Delivery> {
  const { messenger, clock, logger } = ports
  const { taskId, skill } = message.body
  for (let attempt = 1; ; attempt++) {
    try {
      const reply = await messenger.request(announcer, message, { timeoutMs: RESULT_TIMEOUT_MS })
      if (reply.type === 'ERROR') {
        logger.info('result refused by the announcer', { taskId, code: reply.body.code })
        return 'refused'
      }
      if (attempt > 1) ports.audit(taskId, 'result-delivered', { skill, tries: attempt })
      return 'delivered'
    } catch (err) {
      const waitMs = resultRetryDelayMs(attempt)
      if (clock.now() + waitMs >= options.deadline) {
        logger.warn('result not delivered by the deadline: given up', { taskId, skill, tries: attempt, err })
        ports.audit(taskId, 'result-undelivered', { skill, tries: attempt, reason: 'the announcer could not be reached before the deadline' })
        return 'deadline'
      }
      // The first failures are worth a warning; a long wait for a restarting announcer is not.
      if (attempt <= 3) logger.warn('result not delivered, retrying', { taskId, skill, attempt, waitMs, err })
      else logger.debug('result not delivered, retrying', { taskId, skill, attempt, waitMs })
      await clock.sleep(waitMs)
      if (options.abandoned()) return 'abandoned'
    }
  }
}
