/**
 * The node's embedded store on `node:sqlite`: tasks, the audit log, skill statistics and peer
 * reputations, in one SQLite file (WAL journal, `synchronous=NORMAL`, mode 0600). Everything is
 * synchronous; statements are prepared once per store and reused.
 */
import { DatabaseSync } from 'node:sqlite'
import type { StatementSync } from 'node:sqlite'
import { chmodSync, closeSync, openSync } from 'node:fs'
import type { Json } from '@swarm/protocol'
import { SwarmError } from '../errors.js'
import type { SkillStats } from '../core/skill-stats.js'
import { migrate, SchemaTooNewError, schemaVersion } from './migrations.js'
import {
  decodeAudit, decodeAward, decodeClaimsState, decodeReputation, decodeSkillStats, decodeSkillStatsRecord, decodeTask,
  jsonText, optionalJsonText
} from './codec.js'
import type { Row } from './codec.js'
import { decodeBlackboard, decodeEscalation, decodeProposal } from './group-codec.js'
import { SQL, TASK_COLUMNS } from './sql.js'
import { TASK_ROLES } from './types.js'
import type {
  AuditEntry, AuditFilter, ReputationRecord, SkillStatsRecord, StoredBlackboard, StoredEscalation, StoredProposal, StoredTask,
  TaskCountFilter, TaskFilter, TaskRole
} from './types.js'

/** How long a statement waits for a lock held by another connection, in ms. */
const BUSY_TIMEOUT_MS = 5000

/** The path that opens a private in-memory database. */
const MEMORY_PATH = ':memory:'


/** The award of one attempt as this node stored it (record: see ledger/award-book.ts). */
export interface StoredAward {
  taskId: string
  role: TaskRole
  attempt: number
  record: Json
  at: number
}

/**
 * The node's persistent state. Open with {@link SwarmStore.open}, close with {@link close}.
 *
 * Not safe to share one file between two running nodes (each node has its own data directory);
 * the busy timeout only smooths over short locks such as a backup tool reading the file.
 */
export class SwarmStore {
  /** The file (or `:memory:`) this store was opened on. */
  readonly path: string
  readonly #db: DatabaseSync
  readonly #statements = new Map<string, StatementSync>()
  #closed = false

  private constructor (path: string, db: DatabaseSync) {
    this.path = path
    this.#db = db
  }

  /**
   * Opens (creating if needed) the store at `path`, a file path or `':memory:'`, and brings its
   * schema up to date. A new file gets mode 0600; an existing one is set to 0600.
   *
   * @throws SwarmError `DATA_DIR` when the file cannot be created or opened, is not a SQLite
   * database, or was written by a newer swarm-node.
   */
  static open (path: string): SwarmStore {
    const memory = path === MEMORY_PATH
    let db: DatabaseSync | undefined
    try {
      if (!memory) createPrivateFile(path)
      db = new DatabaseSync(path)
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
      // The first statement that reads the file: fails with "file is not a database" on garbage.
      db.exec('PRAGMA journal_mode = WAL')
      db.exec('PRAGMA synchronous = NORMAL')
      db.exec('PRAGMA foreign_keys = ON')
      migrate(db)
      return new SwarmStore(path, db)
    } catch (err) {
      try { db?.close() } catch { /* already failing */ }
      throw openError(path, err)
    }
  }

  /** Whether {@link close} has not been called yet. */
  get isOpen (): boolean {
    return !this.#closed
  }

  /** The schema version of the open file. */
  get schemaVersion (): number {
    return schemaVersion(this.#live())
  }

  /** Closes the file. Idempotent; every other method throws afterwards. */
  close (): void {
    if (this.#closed) return
    this.#closed = true
    this.#statements.clear()
    this.#db.close()
  }

  /**
   * Runs `fn` in a transaction: commits when it returns, rolls back and rethrows when it throws.
   * A call inside another transaction just runs `fn` (the outer transaction decides). `fn` must be
   * synchronous.
   */
  transaction<T>(fn: () => T): T {
    const db = this.#live()
    if (db.isTransaction) return fn()
    db.exec('BEGIN IMMEDIATE')
    let result: T
    try {
      result = fn()
      if (isThenable(result)) throw new TypeError('SwarmStore.transaction needs a synchronous function; this one returned a promise')
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK')
      throw err
    }
    try {
      db.exec('COMMIT')
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK')
      throw err
    }
    return result
  }

  // -------------------------------------------------------------------------------------------
  // Tasks
  // -------------------------------------------------------------------------------------------

  /**
   * Inserts the task, or replaces the stored row with the same task id and role. Every field is
   * replaced (an omitted `result`, `groupId`… is cleared) except `checkpoint`, which is kept when
   * omitted since checkpoints are written on their own by {@link saveCheckpoint}.
   */
  saveTask (task: StoredTask): void {
    checkText(task.taskId, 'taskId')
    checkRole(task.role)
    checkText(task.status, 'status')
    checkTimestamp(task.createdAt, 'createdAt')
    checkTimestamp(task.updatedAt, 'updatedAt')
    if (task.skills !== undefined && !(Array.isArray(task.skills) && task.skills.every(s => typeof s === 'string'))) {
      throw new TypeError('skills must be a list of skill names')
    }
    this.#statement(SQL.saveTask).run({
      taskId: task.taskId,
      role: task.role,
      status: task.status,
      spec: jsonText(task.spec, 'spec'),
      state: jsonText(task.state as unknown as Json, 'state'),
      result: optionalJsonText(task.result, 'result'),
      groupId: task.groupId ?? null,
      announcer: task.announcer ?? null,
      skills: task.skills === undefined ? null : JSON.stringify(task.skills),
      checkpoint: optionalJsonText(task.checkpoint, 'checkpoint'),
      resume: optionalJsonText(task.resume, 'resume'),
      createdAt: task.createdAt,
      updatedAt: task.updatedAt
    })
  }

  /** The task with this id in `role`, or, without a role, its announcer row if any, else its member row. */
  getTask (taskId: string, role?: TaskRole): StoredTask | undefined {
    const row = role === undefined
      ? this.#statement(SQL.getTaskAnyRole).get(taskId)
      : this.#statement(SQL.getTask).get(taskId, checkRole(role))
    return row === undefined ? undefined : decodeTask(this.path, row)
  }

  /**
   * Tasks matching `filter`, newest first (by `createdAt`, then task id descending, announcer row
   * before member row), paged by `limit` and `offset`.
   */
  listTasks (filter: TaskFilter = {}): StoredTask[] {
    const { where, params } = taskWhere(filter)
    const limit = filter.limit === undefined ? -1 : checkCount(filter.limit, 'limit')
    const offset = filter.offset === undefined ? 0 : checkCount(filter.offset, 'offset')
    const sql = `SELECT ${TASK_COLUMNS} FROM tasks${where} ORDER BY created_at DESC, task_id DESC, role ASC LIMIT :limit OFFSET :offset`
    return this.#statement(sql).all({ ...params, limit, offset }).map(row => decodeTask(this.path, row))
  }

  /** How many tasks match `filter`. */
  countTasks (filter: TaskCountFilter = {}): number {
    const { where, params } = taskWhere(filter)
    const row: Row | undefined = this.#statement(`SELECT count(*) AS n FROM tasks${where}`).get(params)
    const n = row?.n
    if (typeof n !== 'number') throw new Error('count(*) returned no number')
    return n
  }

  /** Deletes the task row of this id and role; whether there was one. The audit log keeps its entries. */
  deleteTask (taskId: string, role: TaskRole): boolean {
    return Number(this.#statement(SQL.deleteTask).run(taskId, checkRole(role)).changes) > 0
  }

  /**
   * Records the latest checkpoint of a task's work (replacing the previous one) without touching
   * the rest of the row. Returns false when no task of this id and role is stored.
   */
  saveCheckpoint (taskId: string, role: TaskRole, checkpoint: Json): boolean {
    const result = this.#statement(SQL.saveCheckpoint).run(jsonText(checkpoint, 'checkpoint'), taskId, checkRole(role))
    return Number(result.changes) > 0
  }

  // -------------------------------------------------------------------------------------------
  // Audit log
  // -------------------------------------------------------------------------------------------

  /** Appends a decision to the audit log (its `seq` is ignored) and returns its sequence number. */
  appendAudit (entry: AuditEntry): number {
    checkTimestamp(entry.at, 'at')
    checkText(entry.actor, 'actor')
    checkText(entry.action, 'action')
    const result = this.#statement(SQL.appendAudit).run(
      entry.taskId ?? null, entry.at, entry.actor, entry.action, optionalJsonText(entry.detail, 'detail'))
    return Number(result.lastInsertRowid)
  }

  /** Audit entries matching `filter`, in sequence order (oldest first). */
  listAudit (filter: AuditFilter = {}): AuditEntry[] {
    const params: Record<string, number | string> = {
      sinceSeq: filter.sinceSeq === undefined ? 0 : checkCount(filter.sinceSeq, 'sinceSeq'),
      limit: filter.limit === undefined ? -1 : checkCount(filter.limit, 'limit')
    }
    let where = 'seq > :sinceSeq'
    if (filter.taskId !== undefined) {
      where += ' AND task_id = :taskId'
      params.taskId = filter.taskId
    }
    const sql = `SELECT seq, task_id, at, actor, action, detail FROM audit WHERE ${where} ORDER BY seq LIMIT :limit`
    return this.#statement(sql).all(params).map(row => decodeAudit(this.path, row))
  }

  // -------------------------------------------------------------------------------------------
  // Skill statistics and reputation
  // -------------------------------------------------------------------------------------------

  /** This node's statistics for `skill`, if it has any. */
  getSkillStats (skill: string): SkillStats | undefined {
    const row = this.#statement(SQL.getSkillStats).get(skill)
    return row === undefined ? undefined : decodeSkillStats(this.path, row)
  }

  /** Stores (replaces) the statistics of `skill`. */
  saveSkillStats (skill: string, stats: SkillStats): void {
    checkText(skill, 'skill')
    if (!(Number.isFinite(stats.successRate) && stats.successRate >= 0 && stats.successRate <= 1)) {
      throw new RangeError(`successRate must be within 0..1, got ${stats.successRate}`)
    }
    if (!(Number.isFinite(stats.avgCompletionMs) && stats.avgCompletionMs >= 0)) {
      throw new RangeError(`avgCompletionMs must be a non-negative number, got ${stats.avgCompletionMs}`)
    }
    checkCount(stats.samples, 'samples')
    this.#statement(SQL.saveSkillStats).run(skill, stats.successRate, stats.avgCompletionMs, stats.samples)
  }

  /** Statistics of every skill, by skill name. */
  listSkillStats (): SkillStatsRecord[] {
    return this.#statement(SQL.listSkillStats).all().map(row => decodeSkillStatsRecord(this.path, row))
  }

  /** The reputation this node gives `peerId`, if it has one. */
  getReputation (peerId: string): ReputationRecord | undefined {
    const row = this.#statement(SQL.getReputation).get(peerId)
    return row === undefined ? undefined : decodeReputation(this.path, row)
  }

  /** Stores (replaces) the reputation of a peer: a finite score (normally 0..1), when, and the outcomes seen. */
  saveReputation (record: ReputationRecord): void {
    checkText(record.peerId, 'peerId')
    if (!Number.isFinite(record.score)) throw new RangeError(`score must be a finite number, got ${record.score}`)
    if (record.updatedAt !== undefined) checkTimestamp(record.updatedAt, 'updatedAt')
    const successes = checkCount(record.successes, 'successes')
    const outcomes = checkCount(record.outcomes, 'outcomes')
    if (successes > outcomes) throw new RangeError(`successes (${successes}) cannot exceed outcomes (${outcomes})`)
    this.#statement(SQL.saveReputation).run(record.peerId, record.score, record.updatedAt ?? null, successes, outcomes)
  }

  /** Every stored reputation, by peer id. */
  listReputations (): ReputationRecord[] {
    return this.#statement(SQL.listReputations).all().map(row => decodeReputation(this.path, row))
  }

  // -------------------------------------------------------------------------------------------
  // Working groups: blackboards, proposals, escalations
  // -------------------------------------------------------------------------------------------

  /** Stores (replaces) the blackboard of one group of a task. */
  saveBlackboard (board: StoredBlackboard): void {
    checkText(board.taskId, 'taskId')
    checkText(board.groupId, 'groupId')
    checkRole(board.role)
    checkTimestamp(board.updatedAt, 'updatedAt')
    if (!(board.state instanceof Uint8Array)) throw new TypeError('state must be a Uint8Array')
    this.#statement(SQL.saveBlackboard).run(board.taskId, board.groupId, board.role, board.state,
      jsonText(board.snapshot, 'snapshot'), board.live ? 1 : 0, board.updatedAt)
  }

  /** The blackboards of a task's groups, most recently written first. */
  listBlackboards (taskId: string): StoredBlackboard[] {
    return this.#statement(SQL.listBlackboards).all(taskId).map(row => decodeBlackboard(this.path, row))
  }

  /** Stores a proposal, or updates its votes, status and tally. */
  saveProposal (p: StoredProposal): void {
    checkText(p.proposalId, 'proposalId')
    checkText(p.taskId, 'taskId')
    checkText(p.groupId, 'groupId')
    checkTimestamp(p.openedAt, 'openedAt')
    checkTimestamp(p.updatedAt, 'updatedAt')
    this.#statement(SQL.saveProposal).run(p.proposalId, p.taskId, p.groupId, jsonText(p.proposal, 'proposal'),
      jsonText(p.votes, 'votes'), p.status, optionalJsonText(p.tally, 'tally'), p.openedAt, p.updatedAt)
  }

  getProposal (proposalId: string): StoredProposal | undefined {
    const row = this.#statement(SQL.getProposal).get(proposalId)
    return row === undefined ? undefined : decodeProposal(this.path, row)
  }

  /** Proposals, newest first; only a task's when `taskId` is given. */
  listProposals (filter: { taskId?: string, limit?: number } = {}): StoredProposal[] {
    const limit = filter.limit === undefined ? -1 : checkCount(filter.limit, 'limit')
    const where = filter.taskId === undefined ? '' : ' WHERE task_id = :taskId'
    const sql = `SELECT proposal_id, task_id, group_id, proposal, votes, status, tally, opened_at, updated_at FROM proposals${where}
      ORDER BY opened_at DESC, proposal_id DESC LIMIT :limit`
    return this.#statement(sql).all({ limit, ...(filter.taskId !== undefined ? { taskId: filter.taskId } : {}) }).map(row => decodeProposal(this.path, row))
  }

  /** Stores an escalation, or updates its record and status. */
  saveEscalation (e: StoredEscalation): void {
    checkText(e.escalationId, 'escalationId')
    checkText(e.taskId, 'taskId')
    checkTimestamp(e.createdAt, 'createdAt')
    checkTimestamp(e.updatedAt, 'updatedAt')
    this.#statement(SQL.saveEscalation).run(e.escalationId, e.taskId, e.groupId ?? null, jsonText(e.record, 'record'), e.status, e.createdAt, e.updatedAt)
  }

  /** Stores (replaces) the claims table of a group this node is the announcer of. */
  saveClaims (groupId: string, taskId: string, state: Json, updatedAt: number): void {
    checkText(groupId, 'groupId')
    checkText(taskId, 'taskId')
    checkTimestamp(updatedAt, 'updatedAt')
    this.#statement(SQL.saveClaims).run(groupId, taskId, jsonText(state, 'state'), updatedAt)
  }

  /** The stored claims table of a group, if any. */
  getClaims (groupId: string): Json | undefined {
    const row = this.#statement(SQL.getClaims).get(groupId)
    return row === undefined ? undefined : decodeClaimsState(this.path, row)
  }

  /** Forgets the claims table of a group (it dissolved). */
  deleteClaims (groupId: string): void {
    this.#statement(SQL.deleteClaims).run(groupId)
  }

  /** Stores (replaces) the award of one attempt of a task, in one role. */
  saveAward (a: StoredAward): void {
    checkText(a.taskId, 'taskId')
    this.#statement(SQL.saveAward).run(a.taskId, checkRole(a.role), checkCount(a.attempt, 'attempt'), jsonText(a.record, 'record'), checkTimestamp(a.at, 'at'))
  }

  /** The stored awards of a task, latest attempt first. */
  listAwards (taskId: string): StoredAward[] {
    return this.#statement(SQL.listAwards).all(taskId).map(row => decodeAward(this.path, row))
  }

  getEscalation (escalationId: string): StoredEscalation | undefined {
    const row = this.#statement(SQL.getEscalation).get(escalationId)
    return row === undefined ? undefined : decodeEscalation(this.path, row)
  }

  /** Escalations, newest first, optionally only those in `status` or of one task. */
  listEscalations (filter: { status?: 'open' | 'resolved', taskId?: string, limit?: number } = {}): StoredEscalation[] {
    const clauses: string[] = []
    const params: Record<string, string | number> = { limit: filter.limit === undefined ? -1 : checkCount(filter.limit, 'limit') }
    if (filter.status !== undefined) { clauses.push('status = :status'); params.status = filter.status }
    if (filter.taskId !== undefined) { clauses.push('task_id = :taskId'); params.taskId = filter.taskId }
    const where = clauses.length === 0 ? '' : ` WHERE ${clauses.join(' AND ')}`
    const sql = `SELECT escalation_id, task_id, group_id, record, status, created_at, updated_at FROM escalations${where}
      ORDER BY created_at DESC, escalation_id DESC LIMIT :limit`
    return this.#statement(sql).all(params).map(row => decodeEscalation(this.path, row))
  }

  // -------------------------------------------------------------------------------------------
  // Workflows (their state is the scheduler's, as JSON: workflow/scheduler.ts)
  // -------------------------------------------------------------------------------------------

  saveWorkflow (w: { workflowId: string, name: string, status: string, state: Json, createdAt: number, updatedAt: number }): void {
    checkText(w.workflowId, 'workflowId')
    this.#statement(SQL.saveWorkflow).run(w.workflowId, w.name, w.status, jsonText(w.state, 'state'), checkTimestamp(w.createdAt, 'createdAt'), checkTimestamp(w.updatedAt, 'updatedAt'))
  }

  getWorkflow (workflowId: string): Json | undefined {
    const row = this.#statement(SQL.getWorkflow).get(workflowId)
    return row === undefined ? undefined : JSON.parse(String(row.state)) as Json
  }

  /** Workflow states, newest first; `status` filters (e.g. the running ones to resume). */
  listWorkflows (filter: { status?: string, limit?: number } = {}): Json[] {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 10_000)
    const rows = filter.status === undefined
      ? this.#statement('SELECT state FROM workflows ORDER BY created_at DESC, workflow_id DESC LIMIT ?').all(limit)
      : this.#statement('SELECT state FROM workflows WHERE status = ? ORDER BY created_at DESC, workflow_id DESC LIMIT ?').all(filter.status, limit)
    return rows.map(row => JSON.parse(String(row.state)) as Json)
  }

  // -------------------------------------------------------------------------------------------

  #live (): DatabaseSync {
    if (this.#closed) throw new Error(`the store ${this.path} is closed`)
    return this.#db
  }

  /** The prepared statement for `sql`, prepared on first use. */
  #statement (sql: string): StatementSync {
    const db = this.#live()
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      statement = db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }
}

/** Creates `path` with mode 0600 if missing (an empty file is an empty database) and sets 0600. */
function createPrivateFile (path: string): void {
  closeSync(openSync(path, 'a', 0o600))
  chmodSync(path, 0o600)
}

function openError (path: string, err: unknown): SwarmError {
  const reason = err instanceof Error ? err.message : String(err)
  if (err instanceof SchemaTooNewError) {
    return new SwarmError('DATA_DIR',
      `cannot open the store ${path}: ${reason}; upgrade swarm-node, or pass --data-dir with another folder`,
      { file: path, found: err.found, known: err.known }, { cause: err })
  }
  return new SwarmError('DATA_DIR',
    `cannot open the store ${path}: ${reason}; check that the folder is writable and, if the file is damaged, ` +
    `stop the node and move it aside (mv ${path} ${path}.broken) to start with an empty store, or pass --data-dir with another folder`,
    { file: path }, { cause: err })
}

/** WHERE clause and parameters of a task filter. Only the filters given appear in the SQL. */
function taskWhere (filter: TaskCountFilter): { where: string, params: Record<string, string | number> } {
  const clauses: string[] = []
  const params: Record<string, string | number> = {}
  if (filter.role !== undefined) {
    clauses.push('role = :role')
    params.role = checkRole(filter.role)
  }
  if (filter.status !== undefined) {
    if (!Array.isArray(filter.status) || !filter.status.every(s => typeof s === 'string')) throw new TypeError('status must be a list of statuses')
    clauses.push('status IN (SELECT value FROM json_each(:statuses))')
    params.statuses = JSON.stringify(filter.status)
  }
  if (filter.since !== undefined) {
    clauses.push('created_at >= :since')
    params.since = checkTimestamp(filter.since, 'since')
  }
  return { where: clauses.length === 0 ? '' : ` WHERE ${clauses.join(' AND ')}`, params }
}

function checkRole (role: TaskRole): TaskRole {
  if (!TASK_ROLES.includes(role)) throw new TypeError(`role must be 'announcer' or 'member', got ${JSON.stringify(role)}`)
  return role
}

function checkText (value: string, field: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${field} must be a non-empty string`)
}

function checkTimestamp (value: number, field: string): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${field} must be an integer epoch time in ms, got ${value}`)
  return value
}

function checkCount (value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${field} must be a non-negative integer, got ${value}`)
  return value
}

function isThenable (value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
