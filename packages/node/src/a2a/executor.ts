/**
 * The SDK's AgentExecutor over the node: a message becomes a swarm task announced with the A2A
 * task id as its swarm id, and the task's lifecycle events become the A2A updates of the task
 * (mapping.ts) until its final state. Cancelling cancels the swarm task.
 */
import { TaskState } from '@a2a-js/sdk'
import { AgentEvent } from '@a2a-js/sdk/server'
import { isSwarmError } from '../errors.js'
import { swarmSkills } from './card.js'
import { lifecycleUpdates, statusUpdate } from './mapping.js'
import { messageToSpec } from './message-task.js'
import type { A2aNode } from './port.js'
import type { Logger } from '../logger.js'
import type { AgentExecutor, ExecutionEventBus, RequestContext } from '@a2a-js/sdk/server'

export class SwarmAgentExecutor implements AgentExecutor {
  readonly #node: A2aNode
  readonly #log: Logger
  /** Announcements under way: a cancel that comes before the task exists waits for it. */
  readonly #announcing = new Map<string, Promise<unknown>>()
  /** Tasks whose execution (and so the SDK's event bus) is live in this process. */
  readonly #live = new Set<string>()

  constructor (node: A2aNode, log: Logger) {
    this.#node = node
    this.#log = log
  }

  /** Whether this task's execution is live here (a CancelTask then goes through its event bus). */
  isLive (taskId: string): boolean {
    return this.#live.has(taskId)
  }

  async execute (ctx: RequestContext, bus: ExecutionEventBus): Promise<void> {
    this.#live.add(ctx.taskId)
    try {
      await this.#execute(ctx, bus)
    } finally {
      this.#live.delete(ctx.taskId)
    }
  }

  async #execute (ctx: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const ids = { taskId: ctx.taskId, contextId: ctx.contextId }
    const spec = messageToSpec(ctx.userMessage, swarmSkills(this.#node.agents()), ctx.request.metadata)
    bus.publish(AgentEvent.task({
      id: ids.taskId,
      contextId: ids.contextId,
      status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
      artifacts: [],
      history: [ctx.userMessage],
      metadata: undefined
    }))
    let handle
    const announcing = this.#node.announce({ ...spec, taskId: ids.taskId })
    this.#announcing.set(ids.taskId, announcing.catch(() => {}))
    try {
      handle = await announcing
    } catch (err) {
      const rejected = isSwarmError(err) && err.code === 'NO_CAPABLE_PEERS'
      const text = isSwarmError(err) ? `${err.code}: ${err.message}` : `announce failed: ${(err as Error).message}`
      this.#log.info('A2A task not announced', { taskId: ids.taskId, err })
      bus.publish(statusUpdate(ids, rejected ? TaskState.TASK_STATE_REJECTED : TaskState.TASK_STATE_FAILED, Date.now(), text))
      bus.finished()
      return
    } finally {
      this.#announcing.delete(ids.taskId)
    }
    this.#log.info('A2A task announced', { taskId: ids.taskId, skills: spec.skills.map(s => s.name) })
    let last: TaskState = TaskState.TASK_STATE_SUBMITTED
    for await (const event of handle.events()) {
      const updates = lifecycleUpdates(event, ids, last)
      last = updates.state
      for (const update of updates.events) bus.publish(update)
    }
    bus.finished()
  }

  async cancelTask (taskId: string): Promise<void> {
    // The task's final event (cancelled) reaches the bus through execute's loop.
    await this.#announcing.get(taskId)
    try {
      await this.#node.cancel(taskId, 'cancelled by an A2A client')
    } catch (err) {
      this.#log.warn('A2A cancel failed', { taskId, err })
    }
  }
}
