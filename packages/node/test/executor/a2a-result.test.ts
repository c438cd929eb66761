import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { TaskState } from '@a2a-js/sdk'
import { artifactsOutput, messageText, partsOutput, remoteState, stateName } from '../../src/executor/a2a-result.js'
import type { Artifact, Part } from '@a2a-js/sdk'

const part = (content: Part['content'], extra: Partial<Part> = {}): Part => ({ content, metadata: undefined, filename: '', mediaType: '', ...extra })
const artifact = (parts: Part[]): Artifact => ({ artifactId: 'a', name: '', description: '', parts, metadata: undefined, extensions: [] })

describe('a2a-result', () => {
  it('one data part is its data; one text part its text; several an array; files are described, not copied', () => {
    assert.deepEqual(partsOutput([part({ $case: 'data', value: { x: 1 } })]), { x: 1 })
    assert.equal(partsOutput([part({ $case: 'text', value: '{"not":"parsed"}' })]), '{"not":"parsed"}')
    assert.deepEqual(artifactsOutput([artifact([part({ $case: 'text', value: 'a' })]), artifact([part({ $case: 'url', value: 'https://x/y.png' }, { filename: 'y.png', mediaType: 'image/png' }), part({ $case: 'raw', value: Buffer.from('xx') }, { filename: 'b.bin', mediaType: 'application/octet-stream' })])]),
      ['a', { filename: 'y.png', mediaType: 'image/png', url: 'https://x/y.png' }, { filename: 'b.bin', mediaType: 'application/octet-stream' }])
    assert.equal(partsOutput([]), null)
  })

  it('reads the states: terminal, interrupted, running', () => {
    assert.equal(remoteState(TaskState.TASK_STATE_COMPLETED), 'completed')
    for (const s of [TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED]) assert.equal(remoteState(s), 'failed')
    for (const s of [TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED]) assert.equal(remoteState(s), 'needs-input')
    for (const s of [TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING, undefined]) assert.equal(remoteState(s), 'running')
    assert.equal(stateName({ state: TaskState.TASK_STATE_INPUT_REQUIRED, message: undefined, timestamp: undefined }), 'input-required')
    assert.equal(messageText({ messageId: 'm', contextId: '', taskId: '', role: 2, parts: [part({ $case: 'text', value: 'need' }), part({ $case: 'text', value: 'more' })], metadata: undefined, extensions: [], referenceTaskIds: [] }), 'need more')
  })
})
