/**
 * What a tool answers: a short text for people and models, the same data as structured content
 * (checked by the tool's output schema), or a tool error carrying the node's message and code.
 * A tool never throws past `guard`: every failure is a result the client can read, and the
 * server keeps serving.
 */
import { ApiError } from '../api-client.js'
import { CliError } from '../exit-codes.js'
import type { CallToolResult } from '@modelcontextprotocol/server'

/** A successful tool result: `text` for the reader, `data` as structured content. */
export function reply (text: string, data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: data }
}

/** An error a tool reports on its own (bad combination of arguments, nothing to do). */
export class ToolInputError extends Error {
  readonly code: string
  constructor (code: string, message: string) {
    super(message)
    this.name = 'ToolInputError'
    this.code = code
  }
}

/** The code and message of a failure: the node's for an API error, ours otherwise. */
function describeFailure (err: unknown): { code: string, message: string } {
  if (err instanceof ApiError) return { code: err.code, message: err.message }
  if (err instanceof ToolInputError) return { code: err.code, message: err.message }
  if (err instanceof CliError) return { code: err.exitCode === 3 ? 'NODE_UNREACHABLE' : 'CLI_ERROR', message: err.message }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) }
}

/**
 * A tool error: `isError` and the message with its code as text. No structured content: clients
 * check that against the tool's output schema even on errors.
 */
function toolError (err: unknown): CallToolResult {
  const { code, message } = describeFailure(err)
  return { content: [{ type: 'text', text: `${message} (${code})` }], isError: true }
}

/** Runs a tool's body; whatever it throws becomes a tool error. */
export async function guard (body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body()
  } catch (err) {
    return toolError(err)
  }
}
