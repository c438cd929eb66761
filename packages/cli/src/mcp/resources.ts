/**
 * The resources: `swarm://tasks/{taskId}` (the task's view as `get_task` gives it) and
 * `swarm://tasks/{taskId}/blackboard` (its group's blackboard), as templates whose listing is
 * the node's most recent tasks.
 */
import { ResourceNotFoundError, ResourceTemplate } from '@modelcontextprotocol/server'
import { ApiError } from '../api-client.js'
import { BlackboardAnswer } from '../commands/group.js'
import { TaskDetailSchema, TaskListSchema } from '../commands/tasks.js'
import type { McpContext } from './context.js'
import type { ApiClient } from '../api-client.js'
import type { ListResourcesResult, McpServer, ReadResourceResult, Variables } from '@modelcontextprotocol/server'
import type { z } from 'zod'

/** How many recent tasks the listings show. */
const RECENT_TASKS = 50

function taskIdOf (variables: Variables): string {
  const id = variables.taskId
  return Array.isArray(id) ? id[0] ?? '' : id ?? ''
}

async function recentTasks (client: ApiClient, suffix: string, what: string): Promise<ListResourcesResult> {
  const { tasks } = await client.get(`/v1/tasks?limit=${RECENT_TASKS}`, TaskListSchema)
  return {
    resources: tasks.map(t => ({
      uri: `swarm://tasks/${encodeURIComponent(t.taskId)}${suffix}`,
      name: `${what} ${t.taskId}`,
      description: `${t.status}: ${t.description.slice(0, 200)}`,
      mimeType: 'application/json'
    }))
  }
}

/** Reads a resource as JSON; a task the node does not have is "resource not found". */
async function readJson<T extends z.ZodType> (client: ApiClient, uri: URL, path: string, schema: T, pick: (answer: z.infer<T>) => unknown): Promise<ReadResourceResult> {
  try {
    const answer = await client.get(path, schema)
    return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(pick(answer), null, 2) }] }
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new ResourceNotFoundError(uri.href, `${err.message} (${err.code})`)
    throw err
  }
}

export function registerResources (server: McpServer, { client }: McpContext): void {
  // The blackboard first: its URI also starts like a task's.
  server.registerResource('task-blackboard', new ResourceTemplate('swarm://tasks/{taskId}/blackboard', { list: async () => await recentTasks(client, '/blackboard', 'blackboard of task') }), {
    title: 'Blackboard of a task',
    description: 'The findings, hypotheses and actions of a task\'s working group',
    mimeType: 'application/json'
  }, async (uri, variables) => await readJson(client, uri, `/v1/tasks/${encodeURIComponent(taskIdOf(variables))}/blackboard`, BlackboardAnswer, a => a.blackboard))

  server.registerResource('task', new ResourceTemplate('swarm://tasks/{taskId}', { list: async () => await recentTasks(client, '', 'task') }), {
    title: 'Task',
    description: 'A task this node announced or worked on: spec, status, group, outcome, audit trail',
    mimeType: 'application/json'
  }, async (uri, variables) => await readJson(client, uri, `/v1/tasks/${encodeURIComponent(taskIdOf(variables))}`, TaskDetailSchema, a => a))
}
