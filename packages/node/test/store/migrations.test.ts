import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { MIGRATIONS, SCHEMA_VERSION, SchemaTooNewError, migrate, schemaVersion } from '../../src/store/migrations.js'
import type { Migration } from '../../src/store/migrations.js'

describe('store migrations', () => {
  it('numbers the migrations 1, 2, 3… and ends at SCHEMA_VERSION', () => {
    assert.deepEqual(MIGRATIONS.map(m => m.version), MIGRATIONS.map((_, i) => i + 1))
    assert.equal(SCHEMA_VERSION, MIGRATIONS.length)
  })

  it('migrates an empty database once; a second run does nothing', () => {
    const db = new DatabaseSync(':memory:')
    try {
      assert.deepEqual(migrate(db), { from: 0, to: SCHEMA_VERSION })
      assert.equal(schemaVersion(db), SCHEMA_VERSION)
      assert.deepEqual(migrate(db), { from: SCHEMA_VERSION, to: SCHEMA_VERSION })
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all().map(r => r.name)
      assert.deepEqual(tables, ['audit', 'awards', 'blackboards', 'claims', 'escalations', 'proposals', 'reputations', 'skill_stats', 'tasks', 'workflows'])
    } finally {
      db.close()
    }
  })

  it('applies only the new migrations to an older database', () => {
    const db = new DatabaseSync(':memory:')
    const extra: Migration[] = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, description: 'test column', sql: 'ALTER TABLE reputations ADD COLUMN note TEXT' }]
    try {
      migrate(db)
      assert.deepEqual(migrate(db, extra), { from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 })
      assert.deepEqual(migrate(db, extra), { from: SCHEMA_VERSION + 1, to: SCHEMA_VERSION + 1 })
    } finally {
      db.close()
    }
  })

  it('rolls a failing migration back whole and keeps the previous version', () => {
    const db = new DatabaseSync(':memory:')
    const broken: Migration[] = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, description: 'broken', sql: 'CREATE TABLE half (x TEXT); THIS IS NOT SQL' }]
    try {
      migrate(db)
      assert.throws(() => migrate(db, broken), /schema migration .* \(broken\) failed/)
      assert.equal(schemaVersion(db), SCHEMA_VERSION)
      assert.equal(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'half'").get()?.n, 0)
      assert.equal(db.isTransaction, false)
    } finally {
      db.close()
    }
  })

  it('refuses a database newer than the code', () => {
    const db = new DatabaseSync(':memory:')
    try {
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`)
      assert.throws(() => migrate(db), SchemaTooNewError)
    } finally {
      db.close()
    }
  })
})
