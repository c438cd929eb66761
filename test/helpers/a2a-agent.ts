/**
 * A remote A2A agent built with the official SDK (DefaultRequestHandler, the express JSON-RPC
 * handler), on 127.0.0.1: what the `a2a` handler kind is tested against. Its executor echoes
 * the message's data part as an artifact (`echo`), fails (`fail`), or works until cancelled
 * (`slow`), by the message's metadata.skillId.
 */
import { createServer } from 'node:http'
import { AGENT_CARD_PATH, Role, TaskState } from '@a2a-js/sdk'
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server'
import { UserBuilder, agentCardHandler, jsonRpcHandler } from '@a2a-js/sdk/server/express'
import express from 'express'
import type { AgentCard, Message, Part } from '@a2a-js/sdk'
import type { AgentExecutor, ExecutionEventBus, RequestContext } from '@a2a-js/sdk/server'
import type { AddressInfo } from 'node:net'

export interface TestA2aAgent {
  /** The card's URL. */
  cardUrl: string
  /** Task ids the agent was asked to cancel. */
  cancelled: string[]
  /** Resolves with the id of the next task the agent starts working on. */
  nextStarted: () => Promise<string>
  stop: () => Promise<void>
}

function text (value: string): Part {
  return { content: { $case: 'text', value }, metadata: undefined, filename: '', mediaType: 'text/plain' }
}

function agentMessage (ctx: RequestContext, value: string): Message {
  return { messageId: crypto.randomUUID(), contextId: ctx.contextId, taskId: ctx.taskId, role: Role.ROLE_AGENT, parts: [text(value)], metadata: undefined, extensions: [], referenceTaskIds: [] }
}

class EchoExecutor implements AgentExecutor {
  readonly cancelled: string[] = []
  readonly started = new Set<(taskId: string) => void>()
  readonly #stops = new Map<string, () => void>()

  async execute (ctx: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const ids = { taskId: ctx.taskId, contextId: ctx.contextId }
    const status = (state: TaskState, said?: string): void => {
      bus.publish(AgentEvent.statusUpdate({ ...ids, status: { state, message: said === undefined ? undefined : agentMessage(ctx, said), timestamp: new Date().toISOString() }, metadata: undefined }))
    }
    bus.publish(AgentEvent.task({ id: ids.taskId, contextId: ids.contextId, status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() }, artifacts: [], history: [ctx.userMessage], metadata: undefined }))
    const skill = String(ctx.userMessage.metadata?.skillId ?? 'echo')
    status(TaskState.TASK_STATE_WORKING, 'echoing')
    for (const notify of this.started) notify(ids.taskId)
    this.started.clear()
    if (skill === 'fail') {
      status(TaskState.TASK_STATE_FAILED, 'the echo chamber collapsed')
    } else if (skill === 'slow') {
      await new Promise<void>(resolve => { this.#stops.set(ids.taskId, resolve) })
      status(TaskState.TASK_STATE_CANCELED, 'cancelled on request')
    } else {
      const data = ctx.userMessage.parts.find(p => p.content?.$case === 'data')
      bus.publish(AgentEvent.artifactUpdate({ ...ids, artifact: { artifactId: 'echo', name: 'echo', description: '', parts: data === undefined ? [] : [data], metadata: undefined, extensions: [] }, append: false, lastChunk: true, metadata: undefined }))
      status(TaskState.TASK_STATE_COMPLETED)
    }
    bus.finished()
  }

  async cancelTask (taskId: string): Promise<void> {
    this.cancelled.push(taskId)
    this.#stops.get(taskId)?.()
  }
}

/** Starts the agent; `streaming` says whether its card offers streaming. */
export async function startTestA2aAgent (options: { streaming: boolean, token?: string }): Promise<TestA2aAgent> {
  const executor = new EchoExecutor()
  let url = ''
  const card = (): AgentCard => ({
    name: 'echo agent',
    description: 'echoes the data it is sent',
    supportedInterfaces: [{ url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' }],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: options.streaming, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['application/json'],
    defaultOutputModes: ['application/json'],
    skills: ['echo', 'fail', 'slow'].map(id => ({ id, name: id, description: id, tags: [], examples: [], inputModes: [], outputModes: [], securityRequirements: [] })),
    signatures: []
  })
  const handler = new DefaultRequestHandler(card(), new InMemoryTaskStore(), executor)
  const app = express()
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: async () => card() }))
  if (options.token !== undefined) {
    app.post('/', (req, res, next) => {
      if (req.headers.authorization === `Bearer ${options.token ?? ''}`) { next(); return }
      res.status(401).json({ error: 'no token' })
    })
  }
  app.use('/', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }))
  const server = createServer(app)
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  return {
    cardUrl: `${url}${AGENT_CARD_PATH}`,
    cancelled: executor.cancelled,
    nextStarted: async () => await new Promise<string>(resolve => { executor.started.add(resolve) }),
    stop: async () => {
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
    }
  }
}
