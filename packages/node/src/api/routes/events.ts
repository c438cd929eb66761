/**
 * The server-sent event streams: `GET /v1/events` (everything the node emits, until the client
 * hangs up) and `GET /v1/tasks/:id/events` (one task's lifecycle, replayed from its start, ending
 * after its final event).
 */
import { SwarmError } from '../../errors.js'
import { startEventStream } from '../http.js'
import { finalEventOf, taskNotFound } from '../task-views.js'
import type { ServerResponse } from 'node:http'
import type { Route, RouteResult } from '../http.js'
import type { NodeApi } from '../node-api.js'

/**
 * Streams a live handle's events (a task's or a workflow's): everything so far, then the live
 * ones, ending after its last; stops reading when the client hangs up.
 */
export function followEvents (api: NodeApi, events: AsyncIterable<{ type: string }>, res: ServerResponse, what: Record<string, string>): void {
  const stream = startEventStream(res)
  let closed = false
  stream.onClose(() => { closed = true })
  void (async () => {
    try {
      for await (const event of events) {
        if (closed) break
        stream.send(event.type, event)
      }
    } finally {
      if (!res.writableEnded) res.end()
    }
  })().catch(err => { api.log.error('event stream failed', { ...what, err }) })
}

/** A task of an earlier run (or one this node only works on): its final event, if it has one. */
function sendStoredFinal (api: NodeApi, taskId: string, res: ServerResponse): RouteResult {
  const found = api.task(taskId)
  if (found === undefined) throw taskNotFound(taskId)
  const final = finalEventOf(found.task)
  if (final === undefined) {
    const why = found.task.role === 'announcer'
      ? `task ${taskId} is ${found.task.status} but this node no longer follows it (it was announced before the node restarted)`
      : `task ${taskId} is ${found.task.status} and this node is not its announcer: follow it on the announcer`
    throw new SwarmError('TASK_STATE', why, { taskId, status: found.task.status })
  }
  const stream = startEventStream(res)
  stream.send(final.type, final)
  res.end()
  return undefined
}

export function eventRoutes (api: NodeApi): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/events',
      handler: ({ res }) => {
        const stream = startEventStream(res)
        stream.send('hello', { peerId: api.peerId.toString() })
        const off = api.onAny((event, payload) => { stream.send(event, payload) })
        stream.onClose(off)
        return undefined
      }
    },
    {
      method: 'GET',
      path: '/v1/tasks/:id/events',
      handler: ({ params, res }) => {
        const id = params.id ?? ''
        const live = api.liveTask(id)
        if (live === undefined) return sendStoredFinal(api, id, res)
        followEvents(api, live.handle.events(), res, { taskId: id })
        return undefined
      }
    }
  ]
}
