/**
 * How an `mcp` handler maps a task onto a tool call and the tool's answer onto the part's
 * output. Pure.
 *
 *   arguments  the task input when it is a JSON object; anything else as `{ input: <value> }`
 *              (a tool's arguments are always an object)
 *   output     the tool's `structuredContent` when it gives one; else its text: one text item
 *              → that text, JSON-parsed when it is valid JSON; several → an array of them.
 *              Images, audio and embedded resources are not copied into the output (they would
 *              not fit a task result): each becomes `{ type, mimeType }` in the array, and a
 *              result of none of them but text is `null`.
 *   errors     `isError: true` → the tool's text, as a HANDLER_TOOL_ERROR.
 */
import { z } from 'zod'
import type { Json } from '@swarm/protocol'

/** The task input as a tool's arguments. */
export function toolArguments (input: Json): Record<string, Json> {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? input : { input }
}

const ContentSchema = z.object({ type: z.string(), text: z.string().optional(), mimeType: z.string().optional() }).loose()

/** What the handler reads of a tool result (the rest is ignored). */
export const ToolResultSchema = z.object({
  content: z.array(ContentSchema).default([]),
  structuredContent: z.record(z.string(), z.json()).optional(),
  isError: z.boolean().optional()
}).loose()
export type ToolResult = z.infer<typeof ToolResultSchema>

function parsedText (text: string): Json {
  try {
    return JSON.parse(text) as Json
  } catch {
    return text
  }
}

/** The text of a failed tool call, for its error message. */
export function toolErrorText (result: ToolResult): string {
  const text = result.content.flatMap(c => c.text !== undefined ? [c.text] : []).join('\n').trim()
  return text === '' ? 'the tool reported an error without a message' : text
}

/** The part's output of a successful tool call. */
export function toolOutput (result: ToolResult): Json {
  if (result.structuredContent !== undefined) return result.structuredContent
  const items: Json[] = result.content.map(c => c.type === 'text' && c.text !== undefined ? parsedText(c.text) : { type: c.type, ...(c.mimeType !== undefined ? { mimeType: c.mimeType } : {}) })
  if (items.length === 0) return null
  if (items.length === 1) return items[0] ?? null
  return items
}
