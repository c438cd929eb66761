/**
 * The compact feed of a node's own tasks on its terminal (`swarm-node start`, off with
 * `--quiet`): one line when a task it announced is announced, formed and ends, and when a part
 * it works on starts and ends. Pure: an event in, the line (and its JSON form) out.
 */
import { formatMs, shortId } from '../output.js'
import type { SwarmNode, SwarmNodeEvents } from '@swarm/node'
import type { EventPrinter } from './foreground.js'

/** The events of the feed. */
const FEED_EVENTS = ['task:announced', 'task:formed', 'task:completed', 'task:failed', 'task:rejected', 'task:cancelled', 'work:started', 'work:finished'] as const
type FeedEvent = (typeof FEED_EVENTS)[number]

/** First line of a text, cut: a handler's stderr can be long. */
function firstLine (text: string, max = 120): string {
  const line = text.split('\n')[0] ?? ''
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** The line of one event of the feed. */
export function feedLine<E extends FeedEvent> (event: E, payload: SwarmNodeEvents[E]): { text: string, data: Record<string, unknown> } {
  const p = payload
  const task = `task ${shortId(p.taskId)}`
  const data: Record<string, unknown> = { event, taskId: p.taskId }
  switch (event) {
    case 'task:announced': {
      const e = payload as SwarmNodeEvents['task:announced']
      return { text: `${task} announced${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`, data: { ...data, attempt: e.attempt } }
    }
    case 'task:formed': {
      const e = payload as SwarmNodeEvents['task:formed']
      return { text: `${task} group formed in ${formatMs(e.formationMs)}: ${e.members.length} member${e.members.length === 1 ? '' : 's'}`, data: { ...data, members: e.members.length, formationMs: e.formationMs } }
    }
    case 'task:completed':
    case 'task:failed':
    case 'task:rejected':
    case 'task:cancelled': {
      const e = payload as SwarmNodeEvents['task:completed']
      const how = event.slice('task:'.length)
      const why = e.outcome.ok || e.outcome.reason === undefined ? '' : `: ${firstLine(e.outcome.reason)}`
      return { text: `${task} ${how} in ${formatMs(e.outcome.timings.totalMs ?? 0)}${why}`, data: { ...data, status: e.outcome.status, ...(e.outcome.reason !== undefined ? { reason: firstLine(e.outcome.reason) } : {}) } }
    }
    case 'work:started': {
      const e = payload as SwarmNodeEvents['work:started']
      return { text: `work ${shortId(e.taskId)} ${e.skills.join(', ')} started`, data: { ...data, skills: e.skills } }
    }
    default: {
      const e = payload as SwarmNodeEvents['work:finished']
      const result = e.ok ? `done in ${formatMs(e.durationMs)}` : `FAILED after ${formatMs(e.durationMs)}: ${e.error?.code ?? ''} ${firstLine(e.error?.message ?? '')}`.trimEnd()
      return { text: `work ${shortId(e.taskId)} ${e.skill} ${result}`, data: { ...data, skill: e.skill, ok: e.ok, ...(e.error !== undefined ? { code: e.error.code } : {}) } }
    }
  }
}

/** Prints the feed of `node` through `show` (the printer of the agent events). */
export function printTaskFeed (node: Pick<SwarmNode, 'on'>, show: EventPrinter): void {
  for (const event of FEED_EVENTS) {
    node.on(event, (payload: SwarmNodeEvents[typeof event]) => {
      const { text, data } = feedLine(event, payload)
      show(text, data)
    })
  }
}
