import { afterAll, beforeAll, describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { SwarmError } from '../../src/errors.js'
import type { TaskState } from '../../src/core/task-machine.js'
import { SwarmStore } from '../../src/store/store.js'
import { SCHEMA_VERSION } from '../../src/store/migrations.js'
import type { StoredTask, TaskRole } from '../../src/store/types.js'

let dir: string
let counter = 0

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'swarm-store-test-')) })
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

/** A fresh database file path in the temp dir. */
function dbPath (): string {
  counter += 1
  return join(dir, `store-${counter}.db`)
}

function modeOf (path: string): number {
  return statSync(path).mode & 0o777
}

const PEER = '12D3KooWAnnouncerPeerIdAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

function state (taskId: string, overrides: Partial<TaskState> = {}): TaskState {
  return {
    taskId,
    status: 'ANNOUNCED',
    attempt: 1,
    maxAttempts: 3,
    verify: false,
    members: [],
    results: {},
    history: [{ at: 1000, from: 'PENDING', to: 'ANNOUNCED', event: 'announce' }],
    createdAt: 1000,
    updatedAt: 1000,
    ...overrides
  }
}

function task (taskId: string, overrides: Partial<StoredTask> = {}): StoredTask {
  return {
    taskId,
    role: 'announcer',
    spec: { description: `do ${taskId}`, skills: [{ name: 'analytics', level: 'advanced', count: 1 }], input: { rows: [1, 2, 3] } },
    state: state(taskId),
    status: 'ANNOUNCED',
    createdAt: 1000,
    updatedAt: 1000,
    ...overrides
  }
}

function withStore<T> (fn: (store: SwarmStore) => T, path = ':memory:'): T {
  const store = SwarmStore.open(path)
  try {
    return fn(store)
  } finally {
    store.close()
  }
}

describe('SwarmStore tasks', () => {
  it('round-trips an announcer task with every field', () => {
    withStore(store => {
      const full = task('task-full-0001', {
        status: 'COMPLETE',
        state: state('task-full-0001', {
          status: 'COMPLETE',
          groupId: 'group-0001',
          members: [{ peerId: PEER, skills: ['analytics'] }],
          results: { analytics: { [PEER]: { ok: true, output: { answer: 42 }, durationMs: 1200 } } },
          updatedAt: 5000
        }),
        result: { answer: 42, nested: [null, true, 'x', 1.5] },
        groupId: 'group-0001',
        checkpoint: { step: 3 },
        updatedAt: 5000
      })
      store.saveTask(full)
      assert.deepEqual(store.getTask('task-full-0001', 'announcer'), full)
      assert.deepEqual(store.getTask('task-full-0001'), full)
    })
  })

  it('round-trips a member task and leaves absent optional fields out', () => {
    withStore(store => {
      const member = task('task-member-01', { role: 'member', status: 'RUNNING', announcer: PEER, skills: ['analytics', 'viz'], groupId: 'group-0002' })
      store.saveTask(member)
      const read = store.getTask('task-member-01', 'member')
      assert.deepEqual(read, member)
      const bare = store.getTask('task-member-01', 'member')
      assert.ok(bare !== undefined)
      assert.equal('result' in bare, false)
      assert.equal('checkpoint' in bare, false)
      assert.equal(store.getTask('task-member-01', 'announcer'), undefined)
      assert.equal(store.getTask('no-such-task'), undefined)
    })
  })

  it('keeps one row per task id and role, and prefers the announcer row without a role', () => {
    withStore(store => {
      store.saveTask(task('task-both-0001', { role: 'member', status: 'RUNNING', announcer: PEER }))
      assert.equal(store.getTask('task-both-0001')?.role, 'member')
      store.saveTask(task('task-both-0001', { role: 'announcer' }))
      assert.equal(store.getTask('task-both-0001')?.role, 'announcer')
      assert.equal(store.getTask('task-both-0001', 'member')?.role, 'member')
      assert.equal(store.countTasks(), 2)
    })
  })

  it('upserts: a second save replaces the row, except an omitted checkpoint', () => {
    withStore(store => {
      store.saveTask(task('task-upsert-01', { result: { partial: true }, groupId: 'g-1', checkpoint: { step: 1 } }))
      const next = task('task-upsert-01', { status: 'RUNNING', state: state('task-upsert-01', { status: 'RUNNING' }), updatedAt: 2000 })
      store.saveTask(next)
      assert.equal(store.countTasks(), 1)
      const read = store.getTask('task-upsert-01', 'announcer')
      assert.deepEqual(read, { ...next, checkpoint: { step: 1 } })
      store.saveTask({ ...next, checkpoint: { step: 2 } })
      assert.deepEqual(store.getTask('task-upsert-01')?.checkpoint, { step: 2 })
    })
  })

  it('saves checkpoints on existing rows only', () => {
    withStore(store => {
      store.saveTask(task('task-ckpt-0001', { role: 'member', announcer: PEER }))
      assert.equal(store.saveCheckpoint('task-ckpt-0001', 'member', { done: ['a', 'b'], offset: 10 }), true)
      const read = store.getTask('task-ckpt-0001', 'member')
      assert.deepEqual(read?.checkpoint, { done: ['a', 'b'], offset: 10 })
      assert.equal(read?.updatedAt, 1000)
      assert.equal(store.saveCheckpoint('task-ckpt-0001', 'announcer', { x: 1 }), false)
      assert.equal(store.saveCheckpoint('no-such-task', 'member', { x: 1 }), false)
    })
  })

  it('deletes one role of a task', () => {
    withStore(store => {
      store.saveTask(task('task-delete-01'))
      store.saveTask(task('task-delete-01', { role: 'member', announcer: PEER }))
      assert.equal(store.deleteTask('task-delete-01', 'announcer'), true)
      assert.equal(store.deleteTask('task-delete-01', 'announcer'), false)
      assert.equal(store.getTask('task-delete-01')?.role, 'member')
      assert.equal(store.countTasks(), 1)
    })
  })

  it('lists newest first with role, status and since filters, limit and offset', () => {
    withStore(store => {
      const statuses = ['ANNOUNCED', 'RUNNING', 'COMPLETE', 'FAILED', 'REJECTED']
      for (let i = 0; i < 20; i++) {
        const role: TaskRole = i % 4 === 3 ? 'member' : 'announcer'
        const status = statuses[i % statuses.length] ?? 'ANNOUNCED'
        store.saveTask(task(`task-list-${String(i).padStart(4, '0')}`, { role, status, createdAt: 1000 + i * 10, updatedAt: 1000 + i * 10 }))
      }
      const all = store.listTasks()
      assert.equal(all.length, 20)
      assert.deepEqual(all.map(t => t.createdAt), [...all.map(t => t.createdAt)].sort((a, b) => b - a))
      assert.equal(all[0]?.taskId, 'task-list-0019')
      assert.equal(store.countTasks(), 20)

      const members = store.listTasks({ role: 'member' })
      assert.deepEqual(members.map(t => t.taskId), ['task-list-0019', 'task-list-0015', 'task-list-0011', 'task-list-0007', 'task-list-0003'])
      assert.equal(store.countTasks({ role: 'member' }), 5)

      const done = store.listTasks({ status: ['COMPLETE', 'FAILED'] })
      assert.equal(done.length, 8)
      assert.ok(done.every(t => t.status === 'COMPLETE' || t.status === 'FAILED'))
      assert.equal(store.countTasks({ status: ['COMPLETE', 'FAILED'] }), 8)
      assert.deepEqual(store.listTasks({ status: [] }), [])

      const recent = store.listTasks({ since: 1150 })
      assert.deepEqual(recent.map(t => t.taskId), ['task-list-0019', 'task-list-0018', 'task-list-0017', 'task-list-0016', 'task-list-0015'])
      assert.equal(store.countTasks({ since: 1150, role: 'announcer', status: ['COMPLETE'] }), 1)

      const page1 = store.listTasks({ limit: 7 })
      const page2 = store.listTasks({ limit: 7, offset: 7 })
      const page3 = store.listTasks({ limit: 7, offset: 14 })
      assert.deepEqual([...page1, ...page2, ...page3].map(t => t.taskId), all.map(t => t.taskId))
      assert.equal(page3.length, 6)
      assert.deepEqual(store.listTasks({ offset: 18 }).map(t => t.taskId), ['task-list-0001', 'task-list-0000'])
      assert.deepEqual(store.listTasks({ limit: 0 }), [])
      assert.deepEqual(store.listTasks({ role: 'announcer', status: ['ANNOUNCED'], limit: 2 }).map(t => t.taskId), ['task-list-0010', 'task-list-0005'])
    })
  })

  it('orders tasks created at the same time by task id, descending', () => {
    withStore(store => {
      for (const id of ['task-same-000b', 'task-same-000a', 'task-same-000c']) store.saveTask(task(id))
      assert.deepEqual(store.listTasks().map(t => t.taskId), ['task-same-000c', 'task-same-000b', 'task-same-000a'])
    })
  })

  it('rejects invalid tasks and filters with clear errors', () => {
    withStore(store => {
      assert.throws(() => { store.saveTask(task('')) }, TypeError)
      assert.throws(() => { store.saveTask(task('task-bad-00001', { createdAt: 1.5 })) }, RangeError)
      assert.throws(() => { store.saveTask(task('task-bad-00001', { role: 'boss' as TaskRole })) }, TypeError)
      assert.throws(() => store.listTasks({ limit: -1 }), RangeError)
      assert.throws(() => store.listTasks({ offset: 0.5 }), RangeError)
      assert.equal(store.countTasks(), 0)
    })
  })
})

describe('SwarmStore audit log', () => {
  it('appends entries with increasing sequence numbers and lists them in order', () => {
    withStore(store => {
      const seqs = [
        store.appendAudit({ taskId: 'task-audit-001', at: 100, actor: PEER, action: 'announce', detail: { skills: ['analytics'] } }),
        store.appendAudit({ taskId: 'task-audit-002', at: 50, actor: PEER, action: 'announce' }),
        store.appendAudit({ taskId: 'task-audit-001', at: 101, actor: 'peer-b', action: 'offer-received', detail: { score: 0.8 } }),
        store.appendAudit({ at: 102, actor: PEER, action: 'node-started' }),
        store.appendAudit({ taskId: 'task-audit-001', at: 103, actor: PEER, action: 'state:ANNOUNCED->ASSIGNED', detail: null, seq: 999 })
      ]
      assert.deepEqual(seqs, [1, 2, 3, 4, 5])
      const all = store.listAudit()
      assert.deepEqual(all.map(e => e.seq), [1, 2, 3, 4, 5])
      assert.deepEqual(all[0], { seq: 1, taskId: 'task-audit-001', at: 100, actor: PEER, action: 'announce', detail: { skills: ['analytics'] } })
      assert.deepEqual(all[3], { seq: 4, at: 102, actor: PEER, action: 'node-started' })
      assert.deepEqual(all[4]?.detail, null)

      assert.deepEqual(store.listAudit({ taskId: 'task-audit-001' }).map(e => e.action), ['announce', 'offer-received', 'state:ANNOUNCED->ASSIGNED'])
      assert.deepEqual(store.listAudit({ sinceSeq: 3 }).map(e => e.seq), [4, 5])
      assert.deepEqual(store.listAudit({ sinceSeq: 1, taskId: 'task-audit-001' }).map(e => e.seq), [3, 5])
      assert.deepEqual(store.listAudit({ limit: 2 }).map(e => e.seq), [1, 2])
      assert.deepEqual(store.listAudit({ sinceSeq: 1, limit: 2 }).map(e => e.seq), [2, 3])
      assert.deepEqual(store.listAudit({ sinceSeq: 5 }), [])
    })
  })

  it('is append-only: the table refuses updates and deletes', () => {
    const path = dbPath()
    withStore(store => { store.appendAudit({ at: 1, actor: PEER, action: 'announce' }) }, path)
    const db = new DatabaseSync(path)
    try {
      assert.throws(() => db.exec("UPDATE audit SET action = 'forged'"), /append-only/)
      assert.throws(() => db.exec('DELETE FROM audit'), /append-only/)
    } finally {
      db.close()
    }
  })

  it('appends 10,000 entries quickly', () => {
    withStore(store => {
      const started = performance.now()
      for (let i = 0; i < 10_000; i++) {
        store.appendAudit({ taskId: `task-bench-${i % 100}`, at: 1_700_000_000_000 + i, actor: PEER, action: 'offer-received', detail: { i, score: 0.5 } })
      }
      const ms = performance.now() - started
      console.log(`# 10,000 audit appends (file, WAL, synchronous=NORMAL): ${ms.toFixed(0)} ms`)
      assert.equal(store.listAudit({ sinceSeq: 9_990 }).length, 10)
      assert.equal(store.listAudit({ taskId: 'task-bench-7' }).length, 100)
      assert.ok(ms < 30_000, `10,000 appends took ${ms} ms`)
    }, dbPath())
  })
})

describe('SwarmStore skill statistics and reputation', () => {
  it('round-trips and replaces skill statistics', () => {
    withStore(store => {
      assert.equal(store.getSkillStats('analytics'), undefined)
      store.saveSkillStats('analytics', { successRate: 0.9, avgCompletionMs: 1234.5, samples: 10 })
      store.saveSkillStats('viz', { successRate: 1, avgCompletionMs: 0, samples: 1 })
      assert.deepEqual(store.getSkillStats('analytics'), { successRate: 0.9, avgCompletionMs: 1234.5, samples: 10 })
      store.saveSkillStats('analytics', { successRate: 0.72, avgCompletionMs: 1500, samples: 11 })
      assert.deepEqual(store.getSkillStats('analytics'), { successRate: 0.72, avgCompletionMs: 1500, samples: 11 })
      assert.deepEqual(store.listSkillStats(), [
        { skill: 'analytics', successRate: 0.72, avgCompletionMs: 1500, samples: 11 },
        { skill: 'viz', successRate: 1, avgCompletionMs: 0, samples: 1 }
      ])
      assert.throws(() => { store.saveSkillStats('bad', { successRate: 1.5, avgCompletionMs: 0, samples: 1 }) }, RangeError)
      assert.throws(() => { store.saveSkillStats('bad', { successRate: 0.5, avgCompletionMs: Number.NaN, samples: 1 }) }, RangeError)
      assert.throws(() => { store.saveSkillStats('bad', { successRate: 0.5, avgCompletionMs: 1, samples: -1 }) }, RangeError)
    })
  })

  it('round-trips and replaces reputations, with when they were set and the outcomes seen', () => {
    withStore(store => {
      assert.equal(store.getReputation(PEER), undefined)
      store.saveReputation({ peerId: PEER, score: 0.5, successes: 0, outcomes: 0 })
      store.saveReputation({ peerId: '12D3KooWOtherPeer', score: 0.25, updatedAt: 2_000, successes: 1, outcomes: 3 })
      store.saveReputation({ peerId: PEER, score: 0.55, updatedAt: 5_000, successes: 4, outcomes: 5 })
      assert.deepEqual(store.getReputation(PEER), { peerId: PEER, score: 0.55, updatedAt: 5_000, successes: 4, outcomes: 5 })
      assert.deepEqual(store.listReputations(), [
        { peerId: '12D3KooWAnnouncerPeerIdAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', score: 0.55, updatedAt: 5_000, successes: 4, outcomes: 5 },
        { peerId: '12D3KooWOtherPeer', score: 0.25, updatedAt: 2_000, successes: 1, outcomes: 3 }
      ])
      assert.throws(() => { store.saveReputation({ peerId: PEER, score: Number.POSITIVE_INFINITY, successes: 0, outcomes: 0 }) }, RangeError)
      assert.throws(() => { store.saveReputation({ peerId: PEER, score: 0.5, successes: 2, outcomes: 1 }) }, RangeError)
    })
  })
})

describe('SwarmStore transactions', () => {
  it('commits when the function returns and passes its value through', () => {
    withStore(store => {
      const seq = store.transaction(() => {
        store.saveTask(task('task-tx-000001'))
        return store.appendAudit({ taskId: 'task-tx-000001', at: 1, actor: PEER, action: 'announce' })
      })
      assert.equal(seq, 1)
      assert.ok(store.getTask('task-tx-000001'))
    })
  })

  it('rolls back everything when the function throws, and rethrows', () => {
    withStore(store => {
      store.saveReputation({ peerId: PEER, score: 0.5, successes: 0, outcomes: 0 })
      const boom = new Error('boom')
      assert.throws(() => store.transaction(() => {
        store.saveTask(task('task-tx-000002'))
        store.appendAudit({ taskId: 'task-tx-000002', at: 1, actor: PEER, action: 'announce' })
        store.saveReputation({ peerId: PEER, score: 0.9, successes: 0, outcomes: 0 })
        store.transaction(() => { store.saveSkillStats('analytics', { successRate: 1, avgCompletionMs: 1, samples: 1 }) })
        throw boom
      }), boom)
      assert.equal(store.getTask('task-tx-000002'), undefined)
      assert.deepEqual(store.listAudit(), [])
      assert.equal(store.getReputation(PEER)?.score, 0.5)
      assert.equal(store.getSkillStats('analytics'), undefined)
      // The store is usable afterwards, with a fresh transaction.
      store.transaction(() => { store.saveReputation({ peerId: PEER, score: 0.6, successes: 0, outcomes: 0 }) })
      assert.equal(store.getReputation(PEER)?.score, 0.6)
    })
  })

  it('runs nested calls inside the outer transaction', () => {
    withStore(store => {
      store.transaction(() => {
        store.transaction(() => { store.saveReputation({ peerId: PEER, score: 0.7, successes: 0, outcomes: 0 }) })
        assert.throws(() => store.transaction(() => { throw new Error('inner') }), /inner/)
        store.saveReputation({ peerId: '12D3KooWOtherPeer', score: 0.3, successes: 0, outcomes: 0 })
      })
      assert.equal(store.getReputation(PEER)?.score, 0.7)
      assert.equal(store.getReputation('12D3KooWOtherPeer')?.score, 0.3)
    })
  })

  it('refuses an async function and rolls back', () => {
    const store = SwarmStore.open(':memory:')
    try {
      assert.throws(() => store.transaction(async () => { store.saveReputation({ peerId: PEER, score: 0.1, successes: 0, outcomes: 0 }) }), /synchronous/)
      assert.equal(store.getReputation(PEER), undefined)
    } finally {
      store.close()
    }
  })
})

describe('SwarmStore files', () => {
  it('keeps tasks, audit, stats and reputations across a restart', () => {
    const path = dbPath()
    const saved = task('task-restart-01', { status: 'COMPLETE', result: { ok: true }, state: state('task-restart-01', { status: 'COMPLETE' }) })
    const member = task('task-restart-02', { role: 'member', announcer: PEER, skills: ['viz'], checkpoint: { page: 4 } })
    withStore(store => {
      store.saveTask(saved)
      store.saveTask(member)
      store.appendAudit({ taskId: 'task-restart-01', at: 10, actor: PEER, action: 'announce' })
      store.appendAudit({ taskId: 'task-restart-01', at: 20, actor: PEER, action: 'state:RUNNING->COMPLETE', detail: { result: { ok: true } } })
      store.saveSkillStats('viz', { successRate: 0.8, avgCompletionMs: 900, samples: 5 })
      store.saveReputation({ peerId: PEER, score: 0.65, successes: 0, outcomes: 0 })
    }, path)
    withStore(store => {
      assert.deepEqual(store.getTask('task-restart-01'), saved)
      assert.deepEqual(store.getTask('task-restart-02', 'member'), member)
      assert.deepEqual(store.listTasks().map(t => t.taskId).sort(), ['task-restart-01', 'task-restart-02'])
      assert.deepEqual(store.listAudit({ taskId: 'task-restart-01' }).map(e => e.action), ['announce', 'state:RUNNING->COMPLETE'])
      assert.deepEqual(store.getSkillStats('viz'), { successRate: 0.8, avgCompletionMs: 900, samples: 5 })
      assert.equal(store.getReputation(PEER)?.score, 0.65)
      // Sequence numbers continue after a restart.
      assert.equal(store.appendAudit({ at: 30, actor: PEER, action: 'node-started' }), 3)
    }, path)
  })

  it('creates the file with mode 0600, in WAL mode, and tightens an existing file to 0600', () => {
    const path = dbPath()
    withStore(store => {
      store.appendAudit({ at: 1, actor: PEER, action: 'announce' })
      assert.equal(modeOf(path), 0o600)
      if (existsSync(`${path}-wal`)) assert.equal(modeOf(`${path}-wal`), 0o600)
    }, path)
    const db = new DatabaseSync(path)
    try {
      assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal')
    } finally {
      db.close()
    }
    const loose = dbPath()
    writeFileSync(loose, '', { mode: 0o644 })
    withStore(() => {}, loose)
    assert.equal(modeOf(loose), 0o600)
  })

  it('migrates once: reopening keeps the schema version and the data', () => {
    const path = dbPath()
    withStore(store => {
      assert.equal(store.schemaVersion, SCHEMA_VERSION)
      store.saveReputation({ peerId: PEER, score: 0.4, successes: 0, outcomes: 0 })
    }, path)
    for (let i = 0; i < 3; i++) {
      withStore(store => {
        assert.equal(store.schemaVersion, SCHEMA_VERSION)
        assert.equal(store.getReputation(PEER)?.score, 0.4)
      }, path)
    }
  })

  it('works in memory without creating a file', () => {
    const store = SwarmStore.open(':memory:')
    try {
      assert.equal(store.path, ':memory:')
      assert.equal(store.schemaVersion, SCHEMA_VERSION)
      store.saveTask(task('task-memory-01'))
      assert.equal(store.countTasks(), 1)
    } finally {
      store.close()
    }
    assert.equal(existsSync(':memory:'), false)
    // Each in-memory store is private.
    withStore(other => { assert.equal(other.countTasks(), 0) })
  })

  it('gives DATA_DIR, naming the file, for a corrupt file, and leaves the file alone', () => {
    const path = dbPath()
    const garbage = randomBytes(8192)
    writeFileSync(path, garbage, { mode: 0o600 })
    assert.throws(() => SwarmStore.open(path), (err: unknown) => {
      assert.ok(err instanceof SwarmError)
      assert.equal(err.code, 'DATA_DIR')
      assert.match(err.message, new RegExp(path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      assert.match(err.message, /move it aside/)
      return true
    })
    assert.equal(statSync(path).size, garbage.length)
  })

  it('gives DATA_DIR for a file written by a newer schema', () => {
    const path = dbPath()
    withStore(() => {}, path)
    const db = new DatabaseSync(path)
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    assert.throws(() => SwarmStore.open(path), (err: unknown) => {
      assert.ok(err instanceof SwarmError)
      assert.equal(err.code, 'DATA_DIR')
      assert.match(err.message, /upgrade swarm-node/)
      return true
    })
  })

  it('gives DATA_DIR when the folder does not exist', () => {
    assert.throws(() => SwarmStore.open(join(dir, 'missing', 'swarm.db')), (err: unknown) => err instanceof SwarmError && err.code === 'DATA_DIR')
  })

  it('gives DATA_DIR for a damaged row instead of a bad record', () => {
    const path = dbPath()
    withStore(store => { store.saveTask(task('task-damaged-1')) }, path)
    const db = new DatabaseSync(path)
    db.exec("UPDATE tasks SET state = '{\"taskId\":1}'")
    db.close()
    withStore(store => {
      assert.throws(() => store.getTask('task-damaged-1'), (err: unknown) => err instanceof SwarmError && err.code === 'DATA_DIR' && /task-damaged-1/.test(err.message))
    }, path)
  })

  it('closes idempotently and refuses use after close', () => {
    const store = SwarmStore.open(':memory:')
    assert.equal(store.isOpen, true)
    store.close()
    store.close()
    assert.equal(store.isOpen, false)
    assert.throws(() => store.countTasks(), /closed/)
  })
})
