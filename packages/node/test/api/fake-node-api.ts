/**
 * A stand-in for a node behind the control API: a store of tasks, live handles for the tasks of
 * this run, canned views, a group service that records what it was asked, and an event emitter.
 * `serve()` puts the real routes over it on a local port.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { nodeRoutes } from '../../src/api/routes/index.js'
import { ControlApiServer } from '../../src/api/server.js'
import { createTask } from '../../src/core/task-machine.js'
import { SwarmError } from '../../src/errors.js'
import { TypedEmitter } from '../../src/events.js'
import { silentLogger } from '../../src/logger.js'
import { PeerAccess } from '../../src/net/access.js'
import { TaskHandle } from '../../src/negotiation/task-handle.js'
import { TaskSpecSchema } from '../../src/negotiation/task-spec.js'
import { inboxService } from '../../src/inbox/inbox-service.js'
import { systemClock } from '../../src/ports/clock.js'
import { harness } from '../workflow/fakes.js'
import type { GroupApi, LiveTask, NodeApi, TaskListQuery } from '../../src/api/node-api.js'
import type { TaskState } from '../../src/core/task-machine.js'
import type { SkillQuery } from '../../src/directory/agent-directory.js'
import type { EscalationRecord } from '../../src/group/escalations.js'
import type { BlackboardView, PostFindingInput, ProposeInput, VoteInput } from '../../src/group/inputs.js'
import type { ProposalView } from '../../src/group/group-session.js'
import type { AccessView } from '../../src/net/access.js'
import type { MetricsExposition } from '../../src/metrics/node-metrics.js'
import type { TaskSpecInput } from '../../src/negotiation/task-spec.js'
import type { AuditEntry, StoredTask, TaskRole } from '../../src/store/types.js'
import type { AgentView, NodeStatus, PeerInfo, SwarmNodeEvents } from '../../src/types.js'
import type { VerifyReport } from '../../src/ledger/verify-report.js'

export const TOKEN = 'fake-node-api-token-0123456789'
export const PEER = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'

/** A stored announcer row of a task in `status` (created at 1 000, updated at 3 000). */
export function stored (taskId: string, status: TaskState['status'], extra: Partial<StoredTask> = {}, stateExtra: Partial<TaskState> = {}): StoredTask {
  const state: TaskState = { ...createTask({ taskId, maxAttempts: 3, verify: false, now: 1_000 }), status, attempt: 1, updatedAt: 3_000, ...stateExtra }
  return {
    taskId,
    role: 'announcer',
    spec: TaskSpecSchema.parse({ description: `task ${taskId}`, skills: [{ name: 'analytics', minLevel: 'advanced' }] }),
    state,
    status,
    createdAt: 1_000,
    updatedAt: 3_000,
    ...extra
  }
}

/** A proposal view as the group service would show it (only what the routes pass through). */
export function proposalView (proposalId: string, taskId: string): ProposalView {
  return { proposalId, taskId, action: 'ship it', status: 'open', votes: [] } as unknown as ProposalView
}

/** Group operations over in-memory proposals, blackboards and escalations; records every call. */
class FakeGroups implements GroupApi {
  readonly calls: Array<{ op: string, args: unknown[] }> = []
  readonly proposalsById = new Map<string, ProposalView>()
  readonly blackboards = new Map<string, BlackboardView>()
  escalationList: EscalationRecord[] = []
  #proposed = 0

  proposals (taskId?: string): ProposalView[] {
    this.calls.push({ op: 'proposals', args: [taskId] })
    return [...this.proposalsById.values()].filter(p => taskId === undefined || p.taskId === taskId)
  }

  proposal (proposalId: string): ProposalView | undefined {
    return this.proposalsById.get(proposalId)
  }

  async propose (taskId: string, input: ProposeInput): Promise<ProposalView> {
    this.calls.push({ op: 'propose', args: [taskId, input] })
    const view = proposalView(`proposal-${++this.#proposed}`, taskId)
    this.proposalsById.set(view.proposalId, view)
    return view
  }

  vote (proposalId: string, input: VoteInput): ProposalView {
    this.calls.push({ op: 'vote', args: [proposalId, input] })
    const view = this.proposalsById.get(proposalId)
    if (view === undefined) throw new SwarmError('PROPOSAL_NOT_FOUND', `no proposal ${proposalId}`)
    return view
  }

  /** Live groups are the tasks with a blackboard; a finding's id is `finding-<n>`. */
  postFinding (taskId: string, input: PostFindingInput): string {
    this.calls.push({ op: 'postFinding', args: [taskId, input] })
    if (!this.blackboards.has(taskId)) throw new SwarmError('GROUP_NOT_FOUND', `this node is not in a working group of task ${taskId}`, { taskId })
    return `finding-${this.calls.filter(c => c.op === 'postFinding').length}`
  }

  blackboard (taskId: string): BlackboardView | undefined {
    return this.blackboards.get(taskId)
  }

  escalations (filter: { status?: 'open' | 'resolved', taskId?: string } = {}): EscalationRecord[] {
    this.calls.push({ op: 'escalations', args: [filter] })
    return this.escalationList
  }

  resolveEscalation (escalationId: string, decision: string): EscalationRecord {
    this.calls.push({ op: 'resolveEscalation', args: [escalationId, decision] })
    const found = this.escalationList.find(e => e.id === escalationId)
    if (found === undefined) throw new SwarmError('ESCALATION_NOT_FOUND', `no escalation ${escalationId}`)
    return { ...found, status: 'resolved', decision }
  }
}

export class FakeNodeApi implements NodeApi {
  readonly peerId = peerIdFromString(PEER)
  readonly log = silentLogger()
  metrics?: { exposition: () => Promise<MetricsExposition> }
  readonly groups = new FakeGroups()
  /** A real workflow service over a fake announcer (test/workflow/fakes.ts). */
  readonly workflowHarness = harness()
  readonly workflows = this.workflowHarness.service
  readonly events = new TypedEmitter<SwarmNodeEvents>()
  /** A real inbox on the system clock (tests enqueue parts in it as an inbox handler would). */
  readonly inbox = inboxService()({ clock: systemClock, events: { emit: (event, payload) => { this.events.emit(event, payload as SwarmNodeEvents[typeof event]) } }, logger: silentLogger() })
  readonly tasksById = new Map<string, StoredTask>()
  /** Rows of tasks worked on as a group member, by task id. */
  readonly memberTasks = new Map<string, StoredTask>()
  readonly handles = new Map<string, TaskHandle>()
  readonly audit: AuditEntry[] = [{ seq: 1, taskId: 'done-task-1', at: 1_000, actor: PEER, action: 'task-created' }]
  readonly announced: TaskSpecInput[] = []
  readonly agentQueries: Array<SkillQuery | undefined> = []
  readonly taskQueries: TaskListQuery[] = []
  statusView = { peerId: PEER, name: 'fake' } as unknown as NodeStatus
  peerList: PeerInfo[] = [{ peerId: PEER, addrs: ['/ip4/127.0.0.1/tcp/4001'], direction: 'outbound', streams: 1 }]
  agentList: AgentView[] = []

  readonly accessLists = new PeerAccess({ allow: [], deny: [] }, silentLogger())

  access (): AccessView { return this.accessLists.view() }

  async block (peerId: string, reason?: string): Promise<AccessView> {
    this.accessLists.block(peerId, 5_000, reason)
    return this.accessLists.view()
  }

  unblock (peerId: string): AccessView {
    this.accessLists.unblock(peerId)
    return this.accessLists.view()
  }

  /** Reports set by a test, by id (`verify`). */
  readonly reports = new Map<string, VerifyReport>()
  async verify (id: string): Promise<VerifyReport | undefined> {
    return this.reports.get(id)
  }

  status (): NodeStatus { return this.statusView }
  peers (): PeerInfo[] { return this.peerList }

  agents (query?: SkillQuery): AgentView[] {
    this.agentQueries.push(query)
    return this.agentList
  }

  async announce (spec: TaskSpecInput): Promise<TaskHandle> {
    this.announced.push(spec)
    if (spec.skills.some(s => s.name === 'fresco')) throw new SwarmError('NO_CAPABLE_PEERS', 'no peer can take this task: skill "fresco": no agent with it is known')
    const handle = new TaskHandle(`live-task-${this.handles.size + 1}`, async () => {})
    this.handles.set(handle.id, handle)
    this.tasksById.set(handle.id, stored(handle.id, 'ANNOUNCED'))
    return handle
  }

  async cancel (id: string, reason = 'cancelled by the user'): Promise<TaskState> {
    const task = this.tasksById.get(id)
    if (task === undefined) throw new SwarmError('TASK_NOT_FOUND', 'no')
    task.state = { ...task.state, status: 'CANCELLED', reason }
    return task.state
  }

  tasks (query: TaskListQuery): StoredTask[] {
    this.taskQueries.push(query)
    const rows = query.role === 'member' ? this.memberTasks : this.tasksById
    return [...rows.values()].filter(t => query.status === undefined || query.status.includes(t.state.status)).slice(query.offset, query.offset + query.limit)
  }

  task (id: string, role?: TaskRole): { task: StoredTask, audit: AuditEntry[] } | undefined {
    const task = role === 'member' ? this.memberTasks.get(id) : role === 'announcer' ? this.tasksById.get(id) : this.tasksById.get(id) ?? this.memberTasks.get(id)
    return task === undefined ? undefined : { task, audit: this.audit.filter(a => a.taskId === id) }
  }

  /** Live while it has a handle: the status is the stored row's. */
  liveTask (id: string): LiveTask | undefined {
    const handle = this.handles.get(id)
    const task = this.tasksById.get(id)
    return handle === undefined || task === undefined ? undefined : { handle, status: task.state.status }
  }

  onAny (listener: (event: keyof SwarmNodeEvents & string, payload: unknown) => void): () => void {
    return this.events.onAny(listener)
  }
}

/** The control API over `api` on a free local port; `call` sends one authorized JSON request. */
export async function serve (api: NodeApi): Promise<{ url: string, stop: () => Promise<void> }> {
  const server = new ControlApiServer({ host: '127.0.0.1', port: 0, token: TOKEN, routes: nodeRoutes(api), logger: silentLogger() })
  const url = await server.start()
  return { url, stop: async () => { await server.stop() } }
}

/** A JSON answer: its status and its body, typed as the caller expects it. */
export interface Answer<T> {
  status: number
  json: T
}

/** The body of an error answer. */
export interface ErrorBody {
  error: { code: string, message: string, details?: Record<string, unknown> }
}

/** Sends one authorized request (a JSON body when `body` is given) and reads the JSON answer. */
export async function call<T = ErrorBody> (url: string, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return { status: res.status, json: JSON.parse(await res.text()) as T }
}

/** One server-sent event, its data parsed. */
export interface SentEvent<T = Record<string, unknown>> {
  event: string
  data: T
}

/** Reads a whole SSE response (it must end by itself) into its events. */
export async function sse<T = Record<string, unknown>> (url: string, path: string): Promise<Array<SentEvent<T>>> {
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${TOKEN}` } })
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`)
  return parseSse<T>(await res.text())
}

/** The events of an SSE body (comments and keep-alives skipped). */
export function parseSse<T = Record<string, unknown>> (text: string): Array<SentEvent<T>> {
  return text.split('\n\n').filter(b => b.startsWith('event: ')).map(block => {
    const [event, data] = block.split('\n')
    return { event: (event ?? '').slice(7), data: JSON.parse((data ?? '').slice(6)) as T }
  })
}
