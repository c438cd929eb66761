/**
 * The SDK's DefaultRequestHandler with the node's rules in front: a message must make a task
 * (message-task.ts) before anything runs, so that a bad one is a JSON-RPC error (InvalidParams)
 * rather than a failed task; swarm tasks take no follow-up messages; the card is built on every
 * read (the directory's skills change).
 */
import { UnsupportedOperationError } from '@a2a-js/sdk/errors'
import { DefaultRequestHandler, DefaultExecutionEventBusManager } from '@a2a-js/sdk/server'
import { swarmSkills } from './card.js'
import { messageToSpec } from './message-task.js'
import type { A2aNode } from './port.js'
import type { AgentCard, Message, SendMessageRequest, StreamResponse, Task } from '@a2a-js/sdk'
import type { AgentExecutor, ServerCallContext, TaskStore } from '@a2a-js/sdk/server'

export interface SwarmRequestHandlerInit {
  node: A2aNode
  card: () => AgentCard
  store: TaskStore
  executor: AgentExecutor
}

export class SwarmRequestHandler extends DefaultRequestHandler {
  readonly #node: A2aNode
  readonly #card: () => AgentCard

  constructor (init: SwarmRequestHandlerInit) {
    super(init.card(), init.store, init.executor, new DefaultExecutionEventBusManager())
    this.#node = init.node
    this.#card = init.card
  }

  override async getAgentCard (): Promise<AgentCard> {
    return this.#card()
  }

  override async sendMessage (params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    this.#check(params)
    return await super.sendMessage(params, context)
  }

  override async * sendMessageStream (params: SendMessageRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    this.#check(params)
    yield * super.sendMessageStream(params, context)
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
