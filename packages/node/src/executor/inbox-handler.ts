/**
 * The `inbox` handler: the part waits in the node's inbox until an external worker claims it
 * through the control API (inbox/), and ends as the worker ends it: its output, its failure
 * (HANDLER_WORKER_FAILED), or — nobody claimed it in time — a handoff to the announcer's backups.
 */
import { InboxHandlerSchema } from '../config.js'
import { parseHandlerConfig } from './handler-config.js'
import { HandlerError } from './types.js'
import type { z } from 'zod'
import type { Inbox } from '../inbox/inbox-service.js'
import type { SkillHandler } from './types.js'

/** An `inbox` handler: how long a part waits unclaimed, the default lease of a claim, and the timeout. */
export type InboxHandlerConfig = z.input<typeof InboxHandlerSchema>

/** What the handler needs of the node's inbox. */
export type InboxPort = Pick<Inbox, 'enqueue'>

/**
 * A handler that enqueues each part it is given in `inbox` and awaits its worker. The worker's
 * progress and checkpoints go to ctx.progress and ctx.saveCheckpoint; a part unclaimed for
 * `claimTimeoutMs` is handed back through ctx.handoff with its last checkpoint (no backup: the
 * part fails with HANDLER_HANDOFF_REFUSED). The handler's abort (timeout, cancellation, shutdown)
 * takes the part out of the inbox.
 */
export function inboxHandler (config: InboxHandlerConfig, inbox: InboxPort): SkillHandler {
  const settings = parseHandlerConfig(InboxHandlerSchema, config)
  return async (input, ctx) => {
    const end = await inbox.enqueue({
      taskId: ctx.taskId,
      groupId: ctx.groupId,
      skill: ctx.skill,
      description: ctx.description,
      input,
      deadline: ctx.deadline,
      attempt: ctx.attempt,
      members: ctx.members,
      ...(ctx.checkpoint !== undefined ? { checkpoint: ctx.checkpoint } : {}),
      ...(ctx.workflow !== undefined ? { workflow: ctx.workflow } : {}),
      claimTimeoutMs: settings.claimTimeoutMs,
      leaseMs: settings.leaseMs
    }, {
      signal: ctx.signal,
      progress: (fraction, message) => { ctx.progress(fraction, message) },
      checkpoint: state => { ctx.saveCheckpoint(state) }
    })
    switch (end.how) {
      case 'completed': return end.output
      case 'failed': throw new HandlerError('HANDLER_WORKER_FAILED', `the inbox worker failed the part: ${end.message}`)
      case 'unclaimed': {
        const reason = `no inbox worker claimed the part within ${settings.claimTimeoutMs} ms`
        if (ctx.handoff === undefined) throw new HandlerError('HANDLER_HANDOFF_REFUSED', `${reason}, and this run cannot hand it off`)
        return ctx.handoff(reason, end.checkpoint)
      }
    }
  }
}
