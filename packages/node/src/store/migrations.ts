/**
 * The store's schema as forward-only migrations. The schema version lives in SQLite's
 * `PRAGMA user_version`; each migration runs in its own transaction together with the version
 * bump, so a crash leaves the file at the previous version, never half-migrated.
 *
 * Never edit a released migration: append a new one.
 */
import type { DatabaseSync } from 'node:sqlite'

/** One step of the schema. */
export interface Migration {
  /** 1, 2, 3…; the `user_version` after this step. */
  version: number
  description: string
  /** SQL statements, run with `exec`. */
  sql: string
}

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: 'tasks, audit log, skill statistics, reputations',
    sql: `
      CREATE TABLE tasks (
        task_id    TEXT    NOT NULL,
        role       TEXT    NOT NULL CHECK (role IN ('announcer', 'member')),
        status     TEXT    NOT NULL,
        spec       TEXT    NOT NULL,
        state      TEXT    NOT NULL,
        result     TEXT,
        group_id   TEXT,
        announcer  TEXT,
        skills     TEXT,
        checkpoint TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (task_id, role)
      ) STRICT;
      CREATE INDEX tasks_by_created ON tasks (created_at DESC, task_id DESC);
      CREATE INDEX tasks_by_status ON tasks (status, created_at DESC);

      CREATE TABLE audit (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT,
        at      INTEGER NOT NULL,
        actor   TEXT    NOT NULL,
        action  TEXT    NOT NULL,
        detail  TEXT
      ) STRICT;
      CREATE INDEX audit_by_task ON audit (task_id, seq);
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

      CREATE TABLE skill_stats (
        skill             TEXT    PRIMARY KEY,
        success_rate      REAL    NOT NULL,
        avg_completion_ms REAL    NOT NULL,
        samples           INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE reputations (
        peer_id TEXT PRIMARY KEY,
        score   REAL NOT NULL
      ) STRICT;
    `
  },
  {
    version: 2,
    description: 'working groups: blackboards, proposals with their votes, escalations',
    sql: `
      CREATE TABLE blackboards (
        task_id    TEXT    NOT NULL,
        group_id   TEXT    NOT NULL,
        role       TEXT    NOT NULL CHECK (role IN ('announcer', 'member')),
        state      BLOB    NOT NULL,
        snapshot   TEXT    NOT NULL,
        live       INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (task_id, group_id)
      ) STRICT;
      CREATE INDEX blackboards_by_task ON blackboards (task_id, updated_at DESC);

      CREATE TABLE proposals (
        proposal_id TEXT    PRIMARY KEY,
        task_id     TEXT    NOT NULL,
        group_id    TEXT    NOT NULL,
        proposal    TEXT    NOT NULL,
        votes       TEXT    NOT NULL,
        status      TEXT    NOT NULL,
        tally       TEXT,
        opened_at   INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX proposals_by_task ON proposals (task_id, opened_at DESC);
      CREATE INDEX proposals_by_opened ON proposals (opened_at DESC, proposal_id DESC);

      CREATE TABLE escalations (
        escalation_id TEXT    PRIMARY KEY,
        task_id       TEXT    NOT NULL,
        group_id      TEXT,
        record        TEXT    NOT NULL,
        status        TEXT    NOT NULL CHECK (status IN ('open', 'resolved')),
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX escalations_by_created ON escalations (created_at DESC, escalation_id DESC);
    `
  },
  {
    version: 3,
    description: 'tasks: what an announcer needs to resume a task after a restart',
    sql: 'ALTER TABLE tasks ADD COLUMN resume TEXT;'
  },
  {
    version: 4,
    description: 'reputations: when the score was set, and the outcomes observed',
    sql: `
      ALTER TABLE reputations ADD COLUMN updated_at INTEGER;
      ALTER TABLE reputations ADD COLUMN successes INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE reputations ADD COLUMN outcomes INTEGER NOT NULL DEFAULT 0;
    `
  },
  {
    version: 5,
    description: 'claims: the table of resource claims of each group this node is the announcer of',
    sql: `
      CREATE TABLE claims (
        group_id   TEXT    PRIMARY KEY,
        task_id    TEXT    NOT NULL,
        state      TEXT    NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `
  },
  {
    version: 6,
    description: 'awards: the award of each attempt, with the signed offers (announcer) or the own offer (bidder)',
    sql: `
      CREATE TABLE awards (
        task_id TEXT    NOT NULL,
        role    TEXT    NOT NULL CHECK (role IN ('announcer', 'member')),
        attempt INTEGER NOT NULL,
        record  TEXT    NOT NULL,
        at      INTEGER NOT NULL,
        PRIMARY KEY (task_id, role, attempt)
      ) STRICT;
    `
  },
  {
    version: 7,
    description: 'workflows: each workflow this node runs, with the state of every step',
    sql: `
      CREATE TABLE workflows (
        workflow_id TEXT    PRIMARY KEY,
        name        TEXT    NOT NULL,
        status      TEXT    NOT NULL,
        state       TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX workflows_by_created ON workflows (created_at DESC, workflow_id DESC);
      CREATE INDEX workflows_by_status ON workflows (status, created_at DESC);
    `
  }
])

/** The schema version this code writes: the last migration's version. */
export const SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0

/** The file's schema is newer than this code knows; opening it could lose data. */
export class SchemaTooNewError extends Error {
  readonly found: number
  readonly known: number

  constructor (found: number, known: number) {
    super(`its schema version is ${found} but this swarm-node knows versions up to ${known}`)
    this.name = 'SchemaTooNewError'
    this.found = found
    this.known = known
  }
}

/** The file's `PRAGMA user_version`. */
export function schemaVersion (db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get()
  const version: unknown = row?.user_version
  if (typeof version !== 'number' || !Number.isInteger(version)) throw new Error(`unexpected user_version ${String(version)}`)
  return version
}

/**
 * Brings the database up to {@link SCHEMA_VERSION} by running the migrations it has not had yet.
 * Idempotent. Throws {@link SchemaTooNewError} for a file written by a newer version.
 *
 * @returns the version before and after
 */
export function migrate (db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): { from: number, to: number } {
  const from = schemaVersion(db)
  const known = migrations.at(-1)?.version ?? 0
  if (from > known) throw new SchemaTooNewError(from, known)
  let to = from
  for (const migration of migrations) {
    if (migration.version <= to) continue
    if (migration.version !== to + 1) throw new Error(`migration ${migration.version} does not follow version ${to}`)
    db.exec('BEGIN IMMEDIATE')
    try {
      db.exec(migration.sql)
      db.exec(`PRAGMA user_version = ${migration.version}`)
      db.exec('COMMIT')
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK')
      throw new Error(`schema migration ${migration.version} (${migration.description}) failed: ${(err as Error).message}`, { cause: err })
    }
    to = migration.version
  }
  return { from, to }
}
