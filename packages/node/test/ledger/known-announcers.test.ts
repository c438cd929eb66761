import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { KnownAnnouncers } from '../../src/ledger/known-announcers.js'
import { silentLogger } from '../../src/logger.js'
import type { StoredTask, TaskFilter } from '../../src/store/types.js'

function row (taskId: string, status: string, announcer: string, role: StoredTask['role'] = 'member'): StoredTask {
  return { taskId, role, spec: {}, state: {} as StoredTask['state'], status, createdAt: 0, updatedAt: 0, announcer }
}

function known (rows: StoredTask[], successes: Record<string, number> = {}): { book: KnownAnnouncers, filters: TaskFilter[] } {
  const filters: TaskFilter[] = []
  const store = {
    listTasks: (filter: TaskFilter) => {
      filters.push(filter)
      return rows.filter(r => r.role === filter.role && (filter.status?.includes(r.status) ?? true))
    }
  }
  const reputation = { observed: (peerId: string) => ({ successes: successes[peerId] ?? 0, total: successes[peerId] ?? 0 }) }
  return { book: new KnownAnnouncers({ store, reputation, logger: silentLogger() }), filters }
}

describe('KnownAnnouncers', () => {
  it('knows the announcers of the member rows that completed, read at start', () => {
    const { book, filters } = known([row('t1', 'COMPLETE', 'peer-a'), row('t2', 'FAILED', 'peer-b'), row('t3', 'COMPLETE', 'peer-c', 'announcer')])
    assert.equal(book.knows('peer-a'), true)
    assert.equal(book.knows('peer-b'), false, 'a failed task makes nobody known')
    assert.equal(book.knows('peer-c'), false, 'announcer rows do not count')
    assert.deepEqual(filters[0]?.status, ['COMPLETE'])
  })

  it('learns an announcer when a member row of its task is written COMPLETE', () => {
    const { book } = known([])
    book.saved(row('t1', 'RUNNING', 'peer-a'))
    assert.equal(book.knows('peer-a'), false)
    book.saved(row('t1', 'COMPLETE', 'peer-a'))
    assert.equal(book.knows('peer-a'), true)
  })

  it('knows a peer that did good work as a member here (the reputation book)', () => {
    const { book } = known([], { 'peer-m': 1 })
    assert.equal(book.knows('peer-m'), true)
    assert.equal(book.knows('peer-x'), false)
  })

  it('starts with nobody known when the store cannot be read', () => {
    const book = new KnownAnnouncers({ store: { listTasks: () => { throw new Error('closed') } }, reputation: { observed: () => ({ successes: 0, total: 0 }) }, logger: silentLogger() })
    assert.equal(book.knows('peer-a'), false)
  })
})
