/**
 * Conversion between the store's records and SQLite rows: JSON columns are written with
 * `JSON.stringify` and read back with `JSON.parse`; every column read is checked, and a row that
 * does not fit raises a {@link SwarmError} `DATA_DIR` naming the file (it was damaged or written
 * by something else).
 */
import { z } from 'zod'
import type { Json } from '@swarm/protocol'
import { SwarmError } from '../errors.js'
import { TASK_STATUSES } from '../core/task-machine.js'
import type { TaskState } from '../core/task-machine.js'
import type { SkillStats } from '../core/skill-stats.js'
import type { AuditEntry, ReputationRecord, SkillStatsRecord, StoredTask, TaskRole } from './types.js'

/** A row as `node:sqlite` returns it, not yet trusted. */
export type Row = Readonly<Record<string, unknown>>

/** The parts of a {@link TaskState} checked when read back; the rest is the store's own data. */
const StoredTaskStateSchema = z.looseObject({
  taskId: z.string(),
  status: z.enum(TASK_STATUSES),
  attempt: z.number(),
  maxAttempts: z.number(),
  verify: z.boolean(),
  members: z.array(z.unknown()),
  results: z.record(z.string(), z.unknown()),
  history: z.array(z.unknown()),
  createdAt: z.number(),
  updatedAt: z.number()
})

/** Where a row came from, for error messages. */
interface RowSource {
  file: string
  table: string
}

function damaged (source: RowSource, row: Row, problem: string): SwarmError {
  const key = typeof row.task_id === 'string' ? ` (task ${row.task_id})` : typeof row.seq === 'number' ? ` (seq ${row.seq})` : ''
  return new SwarmError('DATA_DIR',
    `the store ${source.file} holds a damaged row in table ${source.table}${key}: ${problem}; ` +
    `stop the node and move the file aside to start with an empty store`,
    { file: source.file, table: source.table })
}

function text (source: RowSource, row: Row, column: string): string {
  const value = row[column]
  if (typeof value !== 'string') throw damaged(source, row, `column ${column} is not text`)
  return value
}

function optionalText (source: RowSource, row: Row, column: string): string | undefined {
  const value = row[column]
  if (value === null || value === undefined) return undefined
  if (typeof value !== 'string') throw damaged(source, row, `column ${column} is not text`)
  return value
}

function num (source: RowSource, row: Row, column: string): number {
  const value = row[column]
  if (typeof value !== 'number' || !Number.isFinite(value)) throw damaged(source, row, `column ${column} is not a number`)
  return value
}

function parseJsonText (source: RowSource, row: Row, column: string, value: string): unknown {
  try {
    const parsed: unknown = JSON.parse(value)
    return parsed
  } catch {
    throw damaged(source, row, `column ${column} is not JSON`)
  }
}

/** JSON.parse yields only JSON values, so its output is a {@link Json}. */
function json (source: RowSource, row: Row, column: string): Json {
  return parseJsonText(source, row, column, text(source, row, column)) as Json
}

function optionalJson (source: RowSource, row: Row, column: string): Json | undefined {
  const value = optionalText(source, row, column)
  return value === undefined ? undefined : parseJsonText(source, row, column, value) as Json
}

/** Text for a JSON column. */
export function jsonText (value: Json, field: string): string {
  const encoded: unknown = JSON.stringify(value)
  if (typeof encoded !== 'string') throw new TypeError(`${field} must be a JSON value`)
  return encoded
}

/** Text for an optional JSON column, `null` when absent. */
export function optionalJsonText (value: Json | undefined, field: string): string | null {
  return value === undefined ? null : jsonText(value, field)
}

function role (source: RowSource, row: Row): TaskRole {
  const value = text(source, row, 'role')
  if (value !== 'announcer' && value !== 'member') throw damaged(source, row, `unknown role ${JSON.stringify(value)}`)
  return value
}

function taskState (source: RowSource, row: Row): TaskState {
  const parsed = StoredTaskStateSchema.safeParse(parseJsonText(source, row, 'state', text(source, row, 'state')))
  if (!parsed.success) throw damaged(source, row, `column state is not a task state (${parsed.error.issues[0]?.message ?? 'invalid'})`)
  // The checked fields match TaskState; the nested arrays and maps are the store's own JSON.
  return parsed.data as unknown as TaskState
}

function skills (source: RowSource, row: Row): string[] | undefined {
  const value = optionalText(source, row, 'skills')
  if (value === undefined) return undefined
  const parsed = parseJsonText(source, row, 'skills', value)
  if (!Array.isArray(parsed) || !parsed.every((s): s is string => typeof s === 'string')) {
    throw damaged(source, row, 'column skills is not a list of skill names')
  }
  return parsed
}

/** A tasks row as a {@link StoredTask}; absent optional fields are left out, not `undefined`. */
export function decodeTask (file: string, row: Row): StoredTask {
  const source = { file, table: 'tasks' }
  const task: StoredTask = {
    taskId: text(source, row, 'task_id'),
    role: role(source, row),
    spec: json(source, row, 'spec'),
    state: taskState(source, row),
    status: text(source, row, 'status'),
    createdAt: num(source, row, 'created_at'),
    updatedAt: num(source, row, 'updated_at')
  }
  const result = optionalJson(source, row, 'result')
  if (result !== undefined) task.result = result
  const groupId = optionalText(source, row, 'group_id')
  if (groupId !== undefined) task.groupId = groupId
  const announcer = optionalText(source, row, 'announcer')
  if (announcer !== undefined) task.announcer = announcer
  const assigned = skills(source, row)
  if (assigned !== undefined) task.skills = assigned
  const checkpoint = optionalJson(source, row, 'checkpoint')
  if (checkpoint !== undefined) task.checkpoint = checkpoint
  const resume = optionalJson(source, row, 'resume')
  if (resume !== undefined) task.resume = resume
  return task
}

/** An audit row as an {@link AuditEntry} with its `seq`. */
export function decodeAudit (file: string, row: Row): AuditEntry {
  const source = { file, table: 'audit' }
  const entry: AuditEntry = {
    seq: num(source, row, 'seq'),
    at: num(source, row, 'at'),
    actor: text(source, row, 'actor'),
    action: text(source, row, 'action')
  }
  const taskId = optionalText(source, row, 'task_id')
  if (taskId !== undefined) entry.taskId = taskId
  const detail = optionalJson(source, row, 'detail')
  if (detail !== undefined) entry.detail = detail
  return entry
}

/** A skill_stats row as {@link SkillStats}. */
export function decodeSkillStats (file: string, row: Row): SkillStats {
  const source = { file, table: 'skill_stats' }
  return {
    successRate: num(source, row, 'success_rate'),
    avgCompletionMs: num(source, row, 'avg_completion_ms'),
    samples: num(source, row, 'samples')
  }
}

/** A skill_stats row with its skill name. */
export function decodeSkillStatsRecord (file: string, row: Row): SkillStatsRecord {
  return { skill: text({ file, table: 'skill_stats' }, row, 'skill'), ...decodeSkillStats(file, row) }
}

/** A reputations row. */
export function decodeReputation (file: string, row: Row): ReputationRecord {
  const source = { file, table: 'reputations' }
  const updatedAt = row.updated_at === null || row.updated_at === undefined ? undefined : num(source, row, 'updated_at')
  return {
    peerId: text(source, row, 'peer_id'),
    score: num(source, row, 'score'),
    ...(updatedAt !== undefined ? { updatedAt } : {}),
    successes: num(source, row, 'successes'),
    outcomes: num(source, row, 'outcomes')
  }
}


/** The state column of a claims row. */
export function decodeClaimsState (file: string, row: Row): Json {
  return json({ file, table: 'claims' }, row, 'state')
}

/** A row of the awards table (its record parsed; validated where it is read, ledger/award-book.ts). */
export function decodeAward (file: string, row: Row): { taskId: string, role: 'announcer' | 'member', attempt: number, record: Json, at: number } {
  const role = row.role === 'announcer' ? 'announcer' : 'member'
  return { taskId: String(row.task_id), role, attempt: Number(row.attempt), record: json({ file, table: 'awards' }, row, 'record'), at: Number(row.at) }
}
