/**
 * Working groups over real TCP: a task needing two skills gets the right members (levels
 * respected) and an aggregated result from real exec and module handlers; large inputs travel by
 * reference; tasks nobody can do are refused or rejected with a reason.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { isSwarmError } from '@swarm/node'
import { auditActions, builtinSkill, byName, execSkill, handlerFixture, moduleSkill, nextEvent, recordEvents, startNegotiationSwarm } from '../helpers/negotiation.js'
import type { TestSwarm } from '../helpers/nodes.js'
import type { HandlerFixture } from '../helpers/negotiation.js'
import type { TaskLifecycleEvent } from '@swarm/node'

async function collect (events: AsyncIterable<TaskLifecycleEvent>): Promise<TaskLifecycleEvent[]> {
  const out: TaskLifecycleEvent[] = []
  for await (const event of events) out.push(event)
  return out
}

describe('working groups over TCP with 7 nodes', () => {
  let swarm: TestSwarm
  let fixture: HandlerFixture

  beforeAll(async () => {
    fixture = await handlerFixture()
    swarm = await startNegotiationSwarm([
      { name: 'boss', skills: [builtinSkill('echo', 'novice', 'echo')] },
      { name: 'sum-expert', skills: [execSkill('sum', 'expert')] },
      { name: 'sum-intermediate', skills: [execSkill('sum', 'intermediate')] },
      { name: 'sum-novice', skills: [execSkill('sum', 'novice')] },
      { name: 'words-advanced', skills: [moduleSkill('words', 'advanced', 'countWords')] },
      { name: 'words-novice', skills: [moduleSkill('words', 'novice', 'countWords')] },
      // An agent that only advertises the skill (no handler): it never hears announcements.
      { name: 'talker', skills: [{ name: 'words', level: 'expert' }, { name: 'poetry', level: 'expert' }] }
    ])
  })

  afterAll(async () => { await swarm.stop() })

  it('forms a group of the best agents per skill and aggregates their real results', async () => {
    const boss = byName(swarm, 'boss')
    const sumExpert = byName(swarm, 'sum-expert')
    const wordsAdvanced = byName(swarm, 'words-advanced')
    const sumNovice = byName(swarm, 'sum-novice')
    const offers = recordEvents(boss, 'task:offer')
    const formed = recordEvents(boss, 'task:formed')
    const progress = recordEvents(boss, 'task:progress')
    const completed = recordEvents(boss, 'task:completed')
    const noviceOffers = recordEvents(sumNovice, 'work:offered')
    const gate = 'two-skills'
    const wordsProgress = nextEvent(boss, 'task:progress', p => p.skill === 'words')

    const task = await boss.announce({
      description: 'sum the numbers and count the words',
      skills: [{ name: 'sum', minLevel: 'intermediate' }, { name: 'words', minLevel: 'novice' }],
      input: { values: [1, 2, 3, 4, 5], text: 'the quick brown fox jumps', gate },
      bidWindowMs: 5_000,
      deadlineMs: 30_000
    })
    const eventsDone = collect(task.events())
    // The words handler reports progress and waits at the gate: open it once the announcer heard
    // the progress over the group topic.
    assert.equal((await wordsProgress).taskId, task.id)
    fixture.openGate(gate)
    const outcome = await task.result()
    const events = await eventsDone
    for (const r of [offers, formed, progress, completed, noviceOffers]) r.stop()

    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.equal(outcome.ok, true)
    assert.equal(outcome.attempts, 1)
    // The expert beats the intermediate for "sum", the advanced beats the novice for "words".
    const byPeer = (a: { peerId: string }, b: { peerId: string }): number => a.peerId.localeCompare(b.peerId)
    assert.deepEqual([...(outcome.members ?? [])].sort(byPeer), [
      { peerId: sumExpert.peerId.toString(), skills: ['sum'] },
      { peerId: wordsAdvanced.peerId.toString(), skills: ['words'] }
    ].sort(byPeer))

    // The aggregated output: the exec program's and the module function's results, by skill.
    const input = { values: [1, 2, 3, 4, 5], text: 'the quick brown fox jumps', gate }
    const canonical = JSON.stringify(input)
    assert.deepEqual(outcome.output, {
      sum: { sum: 15, count: 5, bytes: Buffer.byteLength(canonical), sha256: createHash('sha256').update(canonical).digest('hex'), skill: 'sum', attempt: 1 },
      words: { words: 5, skill: 'words', groupSize: 2 }
    })
    assert.deepEqual(outcome.errors, [])
    assert.deepEqual(Object.keys(outcome.bySkill ?? {}).sort(), ['sum', 'words'])

    // Timings.
    const t = outcome.timings
    assert.equal(typeof t.formationMs, 'number')
    assert.ok((t.formationMs ?? -1) >= 0)
    assert.equal(t.formationMs, (t.formedAt ?? 0) - (t.announcedAt ?? 0))
    assert.ok((t.announcedAt ?? 0) <= (t.formedAt ?? 0) && (t.formedAt ?? 0) <= (t.startedAt ?? 0) && (t.startedAt ?? 0) <= (t.finishedAt ?? 0))
    assert.ok((t.totalMs ?? -1) >= (t.formationMs ?? 0))

    // The event sequence: announced → offers → formed → started → member results → completed.
    const types = events.map(e => e.type).filter(type => type !== 'state' && type !== 'progress' && type !== 'bidding-closed')
    const offerCount = types.filter(type => type === 'offer').length
    const resultCount = types.filter(type => type === 'member-result').length
    assert.deepEqual(types, ['announced', ...Array<string>(offerCount).fill('offer'), 'formed', 'started', ...Array<string>(resultCount).fill('member-result'), 'completed'])
    assert.equal(resultCount, 2)
    // Exactly the four capable agents offered (the novice is below the minimum level of "sum";
    // the talker has no handler): bidding closed early once both skills had a member and a backup.
    const offered = events.flatMap(e => (e.type === 'offer' ? [e.peerId] : []))
    assert.deepEqual(new Set(offered), new Set(['sum-expert', 'sum-intermediate', 'words-advanced', 'words-novice'].map(n => byName(swarm, n).peerId.toString())))
    assert.equal(noviceOffers.events.filter(e => e.taskId === task.id).length, 0)
    const states = events.flatMap(e => (e.type === 'state' ? [e.to] : []))
    assert.deepEqual(states, ['ANNOUNCED', 'ASSIGNED', 'RUNNING', 'COMPLETE'])
    const last = events.at(-1)
    assert.equal(last?.type, 'completed')

    // The node's events for library users.
    assert.deepEqual(new Set(offers.events.filter(e => e.taskId === task.id).map(e => e.peerId)), new Set(offered))
    const formedEvent = formed.events.find(e => e.taskId === task.id)
    assert.ok(formedEvent)
    assert.deepEqual(formedEvent.members, outcome.members)
    assert.equal(formedEvent.formationMs, t.formationMs)
    assert.ok(progress.events.some(e => e.taskId === task.id && e.peerId === wordsAdvanced.peerId.toString() && e.progress === 0.5))
    const completedEvent = completed.events.find(e => e.taskId === task.id)
    assert.deepEqual(completedEvent?.outcome, outcome)

    // The audit trail names the decisions.
    const actions = auditActions(boss, task.id)
    for (const action of ['task-created', 'announce', 'offer-received', 'bidding-closed', 'group-selected', 'invite-sent', 'invite-accepted', 'group-formed', 'task-started', 'member-result', 'state:RUNNING->COMPLETE', 'group-dissolved']) {
      assert.ok(actions.includes(action), `audit has ${action}: ${actions.join(', ')}`)
    }
    assert.equal(boss.task(task.id)?.task.status, 'COMPLETE')
  })

  it('works when the announcer is itself a member of the group', async () => {
    // sum-expert announces a task it can do its part of: its own bidder offers, and it is the
    // best "sum" agent, so it works on its own task next to a "words" member.
    const lead = byName(swarm, 'sum-expert')
    const wordsAdvanced = byName(swarm, 'words-advanced')
    const gate = 'announcer-member'
    const wordsProgress = nextEvent(lead, 'task:progress', p => p.skill === 'words')
    const sumProgress = nextEvent(lead, 'task:progress', p => p.skill === 'sum')
    const task = await lead.announce({
      description: 'sum and count, partly myself',
      skills: [{ name: 'sum', minLevel: 'intermediate' }, { name: 'words' }],
      input: { values: [10, 20], text: 'one two three', gate },
      bidWindowMs: 5_000
    })
    // Progress of the other member reaches the announcer over the group topic, and its own
    // progress reaches it too.
    assert.equal((await wordsProgress).peerId, wordsAdvanced.peerId.toString())
    fixture.openGate(gate)
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    const byPeer = (a: { peerId: string }, b: { peerId: string }): number => a.peerId.localeCompare(b.peerId)
    assert.deepEqual([...(outcome.members ?? [])].sort(byPeer), [
      { peerId: lead.peerId.toString(), skills: ['sum'] },
      { peerId: wordsAdvanced.peerId.toString(), skills: ['words'] }
    ].sort(byPeer))
    const output = outcome.output as { sum: { sum: number }, words: { words: number } }
    assert.equal(output.sum.sum, 30)
    assert.equal(output.words.words, 3)
    assert.equal((await sumProgress).peerId, lead.peerId.toString())
  })

  it('runs a task only the announcer itself can do', async () => {
    // The quickest group there is: the announcer's own bidder offers and its echo handler
    // answers before the start is even acknowledged.
    const boss = byName(swarm, 'boss')
    const task = await boss.announce({ description: 'echo locally', skills: [{ name: 'echo' }], input: { here: true }, bidWindowMs: 300, deadlineMs: 10_000 })
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    assert.deepEqual(outcome.output, { echo: { here: true } })
    assert.deepEqual(outcome.members, [{ peerId: boss.peerId.toString(), skills: ['echo'] }])
  })

  it('sends a large input by reference and the members fetch it', async () => {
    const boss = byName(swarm, 'boss')
    const values = Array.from({ length: 12_000 }, (_v, i) => i % 97)
    const input = { values, text: 'large input travels by reference' }
    const canonical = JSON.stringify(input)
    assert.ok(Buffer.byteLength(canonical) > 32 * 1024, 'the input is larger than the inline limit')

    const task = await boss.announce({
      description: 'sum a large array',
      skills: [{ name: 'sum', minLevel: 'intermediate' }, { name: 'words' }],
      input,
      bidWindowMs: 5_000,
      deadlineMs: 30_000
    })
    const outcome = await task.result()
    assert.equal(outcome.status, 'COMPLETE', outcome.reason)
    const output = outcome.output as { sum: { sum: number, count: number, bytes: number, sha256: string }, words: { words: number } }
    assert.equal(output.sum.count, values.length)
    assert.equal(output.sum.sum, values.reduce((a, b) => a + b, 0))
    assert.equal(output.sum.bytes, Buffer.byteLength(canonical))
    assert.equal(output.sum.sha256, createHash('sha256').update(canonical).digest('hex'))
    assert.equal(output.words.words, 5)
    const created = boss.task(task.id)?.audit.find(e => e.action === 'task-created')
    assert.equal((created?.detail as { input?: string } | undefined)?.input, 'ref')
    // Each member fetched the input from the announcer over the input protocol.
    for (const member of outcome.members ?? []) {
      const node = swarm.nodes.find(n => n.peerId.toString() === member.peerId)
      assert.ok(node)
      assert.ok(node.inputMessenger.stats.requestsSent >= 1, `${node.name} fetched the input`)
    }
    assert.ok(boss.inputMessenger.stats.requestsHandled >= 2)
  })

  it('refuses at once a task for a skill nobody has', async () => {
    const boss = byName(swarm, 'boss')
    await assert.rejects(
      boss.announce({ description: 'cook dinner', skills: [{ name: 'cooking' }] }),
      (err: unknown) => {
        assert.ok(isSwarmError(err))
        assert.equal(err.code, 'NO_CAPABLE_PEERS')
        assert.match(err.message, /cooking/)
        return true
      }
    )
    assert.equal(boss.tasks().filter(t => (t.spec as { description?: string }).description === 'cook dinner').length, 0)
  })

  it('refuses at once a skill only advertised without a handler', async () => {
    const boss = byName(swarm, 'boss')
    // The talker advertises "poetry" without a handler, so nobody subscribes to its topic.
    await assert.rejects(
      boss.announce({ description: 'write a poem', skills: [{ name: 'poetry' }] }),
      (err: unknown) => {
        assert.ok(isSwarmError(err))
        assert.equal(err.code, 'NO_CAPABLE_PEERS')
        assert.match(err.message, /without a handler/)
        return true
      }
    )
  })

  it('rejects with a reason when capable agents exist only below the required level', async () => {
    const boss = byName(swarm, 'boss')
    const offers = recordEvents(boss, 'task:offer')
    // The "sum" agents subscribe to the topic, so the task is announced, but none is expert
    // except sum-expert: ask for two experts.
    const task = await boss.announce({
      description: 'two expert summers',
      skills: [{ name: 'sum', minLevel: 'expert', count: 2 }],
      input: { values: [1] },
      bidWindowMs: 800
    })
    const outcome = await task.result()
    offers.stop()
    assert.equal(outcome.status, 'REJECTED')
    assert.equal(outcome.ok, false)
    assert.match(outcome.reason ?? '', /needs 2 members at level expert or above but only 1 offer covers it/)
    // Only the expert offered; the others heard it and stayed quiet.
    assert.deepEqual(offers.events.filter(e => e.taskId === task.id).map(e => e.peerId), [byName(swarm, 'sum-expert').peerId.toString()])
    assert.ok(auditActions(boss, task.id).includes('selection-failed'))
    // The expert's reservation is released at once.
    assert.equal(boss.task(task.id)?.task.status, 'REJECTED')
  })

  it('rejects when no agent at the required level offers within the bid window', async () => {
    const boss = byName(swarm, 'boss')
    const started = Date.now()
    // "words" agents subscribe to the topic (so the task is announced) but none with a handler
    // is expert (the talker has no handler).
    const task = await boss.announce({
      description: 'expert word counting',
      skills: [{ name: 'sum', minLevel: 'expert' }, { name: 'words', minLevel: 'expert' }],
      input: { values: [1] },
      bidWindowMs: 600
    })
    const outcome = await task.result()
    assert.equal(outcome.status, 'REJECTED')
    assert.ok(Date.now() - started >= 590, 'rejected after the bid window')
    assert.match(outcome.reason ?? '', /no offer covers skill "words" at level expert/)
  })
})
