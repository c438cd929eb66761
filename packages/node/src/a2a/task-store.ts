/**
 * The SDK's TaskStore over the node's tasks: a task announced through A2A is kept as the SDK built
 * it (history, context id, updates); any other task this node announced is read from the node's
 * store and mapped (mapping.ts). The A2A id of a task is its swarm task id.
 */
import { TaskState } from '@a2a-js/sdk'
import { isTaskFinal, storedOutcome } from '../api/task-views.js'
import { storedToA2aTask, swarmStatuses } from './mapping.js'
import type { A2aNode } from './port.js'
import type { ListTasksRequest, ListTasksResponse, Task } from '@a2a-js/sdk'
import type { TaskStore } from '@a2a-js/sdk/server'

/** A2A tasks kept in memory at most (the oldest go; the node's store still has them). */
const KEPT = 1_000

export class SwarmTaskStore implements TaskStore {
  readonly #node: A2aNode
  readonly #tasks = new Map<string, Task>()

  constructor (node: A2aNode) {
    this.#node = node
  }

  async save (task: Task): Promise<void> {
    this.#tasks.delete(task.id)
    this.#tasks.set(task.id, structuredClone(task))
    for (const id of this.#tasks.keys()) {
      if (this.#tasks.size <= KEPT) break
      this.#tasks.delete(id)
    }
  }

  async load (taskId: string): Promise<Task | undefined> {
    const kept = this.#tasks.get(taskId)
    if (kept !== undefined) return structuredClone(kept)
    return this.#mapped(taskId)
  }

  async list (params: ListTasksRequest): Promise<ListTasksResponse> {
    const pageSize = params.pageSize ?? 50
    const offset = /^\d+$/.test(params.pageToken) ? Number(params.pageToken) : 0
    const status = params.status === TaskState.TASK_STATE_UNSPECIFIED ? undefined : swarmStatuses(params.status)
    const after = params.statusTimestampAfter !== undefined && params.statusTimestampAfter !== '' ? Date.parse(params.statusTimestampAfter) : undefined
    // One more row than asked tells whether another page follows.
    const rows = this.#node.tasks({ role: 'announcer', limit: pageSize + 1, offset, ...(status !== undefined ? { status } : {}) })
    const page = rows.slice(0, pageSize)
    const tasks = page
      .map(row => this.#tasks.get(row.taskId) ?? this.#mapped(row.taskId))
      .filter((t): t is Task => t !== undefined)
      .filter(t => params.contextId === '' || t.contextId === params.contextId)
      .filter(t => after === undefined || Date.parse(t.status?.timestamp ?? '') > after)
      .map(t => {
        const copy = structuredClone(t)
        if (params.includeArtifacts !== true) copy.artifacts = []
        return copy
      })
    const more = rows.length > pageSize
    // totalSize is what is known without counting every task: the rows so far, and one more if a page follows.
    return { tasks, nextPageToken: more ? String(offset + pageSize) : '', pageSize, totalSize: offset + page.length + (more ? 1 : 0) }
  }

  #mapped (taskId: string): Task | undefined {
    const found = this.#node.task(taskId, 'announcer')
    if (found === undefined) return undefined
    const { task } = found
    const outcome = this.#node.liveTask(taskId)?.handle.outcome ?? (isTaskFinal(task) ? storedOutcome(task) : undefined)
    return storedToA2aTask(task, outcome)
  }
}
