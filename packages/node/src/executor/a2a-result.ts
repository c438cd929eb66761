/**
 * How an `a2a` handler reads a remote agent's answer: its task states, and its artifacts (or
 * reply message) as the part's output. Pure.
 *
 *   output   the parts of every artifact, in order: a single data part → its data; a single
 *            text part → the text (not parsed); several → an array of them. A file part (raw
 *            bytes or a URL) becomes `{ filename, mediaType, url? }`: bytes are not copied.
 */
import { TaskState } from '@a2a-js/sdk'
import { z } from 'zod'
import type { Artifact, Message, Part, TaskStatus } from '@a2a-js/sdk'
import type { Json } from '@swarm/protocol'

/** What a data part may hold to become output: JSON. */
const DataSchema = z.json()

function partOutput (part: Part): Json {
  const content = part.content
  switch (content?.$case) {
    case 'text': return content.value
    case 'data': {
      const parsed = DataSchema.safeParse(content.value ?? null)
      return parsed.success ? parsed.data : null
    }
    case 'url': return { filename: part.filename, mediaType: part.mediaType, url: content.value }
    case 'raw': return { filename: part.filename, mediaType: part.mediaType }
    default: return null
  }
}

/** The output of some parts: one → its value; several → an array; none → null. */
export function partsOutput (parts: readonly Part[]): Json {
  if (parts.length === 0) return null
  if (parts.length === 1) return partOutput(parts[0] as Part)
  return parts.map(partOutput)
}

/** The output of a finished task: the parts of all its artifacts. */
export function artifactsOutput (artifacts: readonly Artifact[]): Json {
  return partsOutput(artifacts.flatMap(a => a.parts))
}

/** The text of a message (a status message, an agent's reply), or ''. */
export function messageText (message: Message | undefined): string {
  return (message?.parts ?? []).flatMap(p => p.content?.$case === 'text' ? [p.content.value] : []).join(' ').trim()
}

/** How a remote task's state reads for the handler. */
export type RemoteState = 'running' | 'completed' | 'failed' | 'needs-input'

export function remoteState (state: TaskState | undefined): RemoteState {
  switch (state) {
    case TaskState.TASK_STATE_COMPLETED: return 'completed'
    case TaskState.TASK_STATE_FAILED:
    case TaskState.TASK_STATE_CANCELED:
    case TaskState.TASK_STATE_REJECTED: return 'failed'
    case TaskState.TASK_STATE_INPUT_REQUIRED:
    case TaskState.TASK_STATE_AUTH_REQUIRED: return 'needs-input'
    default: return 'running'
  }
}

/** The name of a state for messages: `failed`, `canceled`, `input-required`… */
export function stateName (status: TaskStatus | undefined): string {
  const name = status === undefined ? 'unknown' : TaskState[status.state]
  return (name ?? 'unknown').replace(/^TASK_STATE_/, '').toLowerCase().replace(/_/g, '-')
}
