/**
 * The `a2a` handler: a remote A2A agent becomes a skill. Each part is sent to the agent (found
 * by its card) as one message — a text part with the task's description and a data part with
 * its input — and its artifacts are the part's output (a2a-result.ts). The agent's status
 * messages are the part's progress (when it streams); stopping the part cancels the remote task.
 * An agent that does not stream is asked to answer at once with its task, which is then read
 * every POLL_MS until it ends.
 */
import { Role } from '@a2a-js/sdk'
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client'
import { A2aHandlerSchema } from '../config.js'
import { abortError } from './abort.js'
import { parseHandlerConfig } from './handler-config.js'
import { artifactsOutput, messageText, partsOutput, remoteState, stateName } from './a2a-result.js'
import { HandlerError } from './types.js'
import type { Message, SendMessageRequest, Task } from '@a2a-js/sdk'
import type { Client } from '@a2a-js/sdk/client'
import type { Json } from '@swarm/protocol'
import type { z } from 'zod'
import type { HandlerContext, SkillHandler } from './types.js'

/** An `a2a` handler's configuration as written (defaults optional). */
export type A2aHandlerConfig = z.input<typeof A2aHandlerSchema>
type A2aSettings = z.output<typeof A2aHandlerSchema>

/** How often a task that a blocking send left running is read again. */
const POLL_MS = 500

function reason (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** The card's URL and path as the SDK's factory takes them: a `.json` URL is the card itself. */
function cardLocation (card: string): { base: string, path?: string } {
  return new URL(card).pathname.endsWith('.json') ? { base: card, path: '' } : { base: card }
}

async function connect (s: A2aSettings): Promise<Client> {
  const token = s.tokenEnv === undefined ? undefined : process.env[s.tokenEnv]
  if (s.tokenEnv !== undefined && (token === undefined || token === '')) {
    throw new HandlerError('HANDLER_HTTP', `the environment variable ${s.tokenEnv} (the token of the A2A agent ${s.card}) is not set on this node`)
  }
  const withToken: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers)
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`)
    return await fetch(input, { ...init, headers })
  }
  const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
    transports: [new JsonRpcTransportFactory({ fetchImpl: withToken })],
    cardResolver: new DefaultAgentCardResolver({ fetchImpl: withToken })
  }))
  const { base, path } = cardLocation(s.card)
  try {
    return path === undefined ? await factory.createFromUrl(base) : await factory.createFromUrl(base, path)
  } catch (err) {
    throw new HandlerError('HANDLER_HTTP', `cannot reach the A2A agent ${s.card}: ${reason(err)}`, { cause: err })
  }
}

/**
 * The message of a part. `returnImmediately`: the agent answers with the task at once (it is then
 * read until it ends), so that a part stopped meanwhile can cancel it by its id.
 */
function request (s: A2aSettings, input: Json, ctx: HandlerContext, returnImmediately: boolean): SendMessageRequest {
  const message: Message = {
    messageId: crypto.randomUUID(),
    contextId: '',
    taskId: '',
    role: Role.ROLE_USER,
    parts: [
      { content: { $case: 'text', value: ctx.description }, metadata: undefined, filename: '', mediaType: 'text/plain' },
      { content: { $case: 'data', value: input }, metadata: undefined, filename: '', mediaType: 'application/json' }
    ],
    metadata: { swarmTaskId: ctx.taskId, skill: ctx.skill, ...(s.skill !== undefined ? { skillId: s.skill } : {}) },
    extensions: [],
    referenceTaskIds: []
  }
  return { tenant: '', message, configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately }, metadata: undefined }
}

/** The output of a remote task that ended, or the error it ended with. */
function outcomeOf (s: A2aSettings, task: Task): Json {
  const state = remoteState(task.status?.state)
  const said = messageText(task.status?.message)
  if (state === 'completed') return artifactsOutput(task.artifacts)
  if (state === 'needs-input') throw new HandlerError('HANDLER_REMOTE_FAILED', `the A2A agent ${s.card} asked for more input (${stateName(task.status)}${said !== '' ? `: ${said}` : ''}), which a swarm part cannot give`)
  throw new HandlerError('HANDLER_REMOTE_FAILED', `the A2A agent ${s.card} ended the task ${stateName(task.status)}${said !== '' ? `: ${said}` : ''}`)
}

function isTask (value: Task | Message): value is Task {
  return 'status' in value && 'artifacts' in value
}

/** Follows a streamed task to its end; its last state, re-read with its artifacts. */
async function streamed (client: Client, req: SendMessageRequest, ctx: HandlerContext, remote: { id?: string }): Promise<Task | Message> {
  let last: Task | undefined
  for await (const event of client.sendMessageStream(req, { signal: ctx.signal })) {
    const p = event.payload
    if (p === undefined) continue
    if (p.$case === 'message') return p.value
    if (p.$case === 'task') {
      last = p.value
      remote.id = p.value.id
    } else if (p.$case === 'statusUpdate') {
      remote.id ??= p.value.taskId
      const said = messageText(p.value.status?.message)
      if (said !== '') ctx.progress(0, said)
      if (last !== undefined && p.value.status !== undefined) last = { ...last, status: p.value.status }
    }
  }
  if (remote.id === undefined) throw new HandlerError('HANDLER_BAD_OUTPUT', 'the A2A agent streamed no task')
  // The whole task, artifacts included (the stream gives them in pieces).
  return await client.getTask({ tenant: '', id: remote.id }, { signal: ctx.signal })
}

/** A handler sending each part to the configured A2A agent. */
export function a2aHandler (config: A2aHandlerConfig): SkillHandler {
  const s = parseHandlerConfig(A2aHandlerSchema, config)
  return async (input, ctx) => {
    const client = await connect(s)
    const card = await client.getAgentCard({ signal: ctx.signal }).catch(() => undefined)
    const streaming = card?.capabilities?.streaming === true
    const req = request(s, input, ctx, !streaming)
    const remote: { id?: string } = {}
    const cancelRemote = (): void => {
      if (remote.id !== undefined) void client.cancelTask({ tenant: '', id: remote.id, metadata: undefined }).catch(() => {})
    }
    ctx.signal.addEventListener('abort', cancelRemote, { once: true })
    try {
      // Not aborted midway when not streaming: the answer comes at once, and its id is what a
      // stop needs to cancel the remote task.
      let answer = streaming ? await streamed(client, req, ctx, remote) : await client.sendMessage(req)
      if (!isTask(answer)) return partsOutput(answer.parts)
      remote.id = answer.id
      if (ctx.signal.aborted) cancelRemote()
      while (remoteState(answer.status?.state) === 'running') {
        await new Promise(resolve => setTimeout(resolve, POLL_MS))
        if (ctx.signal.aborted) throw abortError(ctx.signal)
        answer = await client.getTask({ tenant: '', id: answer.id }, { signal: ctx.signal })
      }
      return outcomeOf(s, answer)
    } catch (err) {
      if (ctx.signal.aborted) throw abortError(ctx.signal)
      if (err instanceof HandlerError) throw err
      throw new HandlerError('HANDLER_HTTP', `the A2A agent ${s.card} failed the request: ${reason(err)}`, { cause: err })
    } finally {
      ctx.signal.removeEventListener('abort', cancelRemote)
    }
  }
}
