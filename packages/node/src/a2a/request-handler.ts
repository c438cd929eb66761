/**
 * The SDK's DefaultRequestHandler with the node's rules in front: a message must make a task
 * (message-task.ts) before anything runs, so that a bad one is a JSON-RPC error (InvalidParams)
 * rather than a failed task; swarm tasks take no follow-up messages; a task the SDK is not
 * executing is cancelled through the node; the card is built on every read (the directory's
 * skills change).
 */
import { TaskState } from '@a2a-js/sdk'
import { TaskNotFoundError, UnsupportedOperationError } from '@a2a-js/sdk/errors'
import { DefaultRequestHandler, DefaultExecutionEventBusManager } from '@a2a-js/sdk/server'
import { swarmSkills } from './card.js'
import { messageToSpec } from './message-task.js'
import type { A2aNode } from './port.js'
import type { SwarmAgentExecutor } from './executor.js'
import type { AgentCard, CancelTaskRequest, Message, SendMessageRequest, StreamResponse, Task } from '@a2a-js/sdk'
import type { ServerCallContext, TaskStore } from '@a2a-js/sdk/server'

export interface SwarmRequestHandlerInit {
  node: A2aNode
  card: () => AgentCard
  store: TaskStore
  executor: SwarmAgentExecutor
}

export class SwarmRequestHandler extends DefaultRequestHandler {
  readonly #node: A2aNode
  readonly #card: () => AgentCard
  readonly #store: TaskStore
  readonly #executor: SwarmAgentExecutor

  constructor (init: SwarmRequestHandlerInit) {
    super(init.card(), init.store, init.executor, new DefaultExecutionEventBusManager())
    this.#node = init.node
    this.#card = init.card
    this.#store = init.store
    this.#executor = init.executor
  }

  override async getAgentCard (): Promise<AgentCard> {
    return this.#card()
  }

  override async sendMessage (params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    this.#check(params)
    return await super.sendMessage(params, context)
  }

  /** Not a generator: a bad message throws here, before the stream exists, and is a plain JSON-RPC error. */
  override sendMessageStream (params: SendMessageRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    this.#check(params)
    return super.sendMessageStream(params, context)
  }

  /**
   * A task whose execution is live here is cancelled by the SDK through its event bus (the
   * executor cancels the swarm task). Any other task (announced by the CLI, the control API, a
   * workflow, or before a restart) the SDK would only mark canceled in its store while the swarm
   * task runs on: the node cancels it, and the answer is the task as the node then has it.
   */
  override async cancelTask (params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    if (this.#executor.isLive(params.id)) return await super.cancelTask(params, context)
    const task = await this.#store.load(params.id, context)
    if (task === undefined) throw new TaskNotFoundError(`task ${params.id} is not a task this node announced`)
    const state = task.status?.state
    const running = state === TaskState.TASK_STATE_SUBMITTED || state === TaskState.TASK_STATE_WORKING
    // A final task: the SDK answers it (canceled as is, or TaskNotCancelable).
    if (!running) return await super.cancelTask(params, context)
    await this.#node.cancel(params.id, 'cancelled by an A2A client')
    return (await this.#store.load(params.id, context)) ?? task
  }

  /** Throws the A2A error of a message that makes no new swarm task. */
  #check (params: SendMessageRequest): void {
    const message = params.message
    if (message === undefined) return // the SDK answers that one
    if (message.taskId !== '') {
      throw new UnsupportedOperationError(`task ${message.taskId} takes no further messages: a swarm task gets all its input when it is announced; send a new message without taskId for new work`)
    }
    messageToSpec(message, swarmSkills(this.#node.agents()), params.metadata)
  }
}
