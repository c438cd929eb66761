/**
 * An A2A message → the spec of a swarm task (pure). Text parts joined make the description, data
 * parts the input (one: its data; several: an array of them); the skills come from
 * `metadata.skills: ["name:level", …]` (the form of `swarm-node announce --skill`) or from
 * `metadata.skillId`, an AgentSkill id of the card. Anything else is an A2A InvalidParams error
 * (RequestMalformedError, -32602) that says what to send.
 */
import { RequestMalformedError } from '@a2a-js/sdk/errors'
import { JsonSchema, LIMITS, PrioritySchema, formatIssues } from '@swarm/protocol'
import { z } from 'zod'
import { parseSkillFlag } from '../config.js'
import { TaskSpecSchema } from '../negotiation/task-spec.js'
import type { SwarmSkill } from './card.js'
import type { TaskSpec } from '../negotiation/task-spec.js'
import type { Message } from '@a2a-js/sdk'
import type { Json } from '@swarm/protocol'

/** What the node reads of a message's (and the request's) metadata; other keys are ignored. */
const MetadataSchema = z.object({
  skills: z.array(z.string().max(LIMITS.maxShortTextChars)).min(1).max(LIMITS.maxSkillsPerTask).optional(),
  skillId: z.string().min(1).max(LIMITS.maxShortTextChars).optional(),
  /** Time from announcement to the task's deadline, milliseconds. */
  deadlineMs: z.number().int().positive().optional(),
  priority: PrioritySchema.optional()
}).loose()

/** A part of a message as the node reads it: text or data (files are not taken). */
const PartContentSchema = z.discriminatedUnion('$case', [
  z.object({ $case: z.literal('text'), value: z.string() }),
  z.object({ $case: z.literal('data'), value: JsonSchema }),
  z.object({ $case: z.literal('raw'), value: z.unknown() }),
  z.object({ $case: z.literal('url'), value: z.unknown() })
])

function malformed (message: string): Error {
  return new RequestMalformedError(message)
}

/** "echo (novice), sum (expert)", or a note that the directory is empty. */
function knownSkillsText (known: SwarmSkill[]): string {
  if (known.length === 0) return 'this node knows no skills yet (no agent with skills is in its directory)'
  return `the skills this node knows: ${known.map(s => `${s.name} (best level ${s.level})`).join(', ')}`
}

function skillsOf (meta: z.infer<typeof MetadataSchema>, known: SwarmSkill[]): TaskSpec['skills'] {
  if (meta.skills !== undefined) {
    return meta.skills.map(flag => {
      try {
        const { name, level } = parseSkillFlag(flag)
        return { name, minLevel: level, count: 1 }
      } catch {
        throw malformed(`metadata.skills: "${flag}" is not name:level (levels: novice, intermediate, advanced, expert); ${knownSkillsText(known)}`)
      }
    })
  }
  if (meta.skillId !== undefined) {
    const id = meta.skillId
    const skill = known.find(s => s.name === id || s.ids.includes(id))
    if (skill === undefined) throw malformed(`metadata.skillId "${id}" is no skill of this node's card; ${knownSkillsText(known)}`)
    return [{ name: skill.name, minLevel: 'novice', count: 1 }]
  }
  throw malformed(`say which skills the task needs: metadata.skills: ["name:level", ...] or metadata.skillId: "<skill id of the agent card>"; ${knownSkillsText(known)}`)
}

/**
 * The task spec of a message. `requestMetadata` (the SendMessage request's) is read where the
 * message's metadata says nothing. Throws RequestMalformedError.
 */
export function messageToSpec (message: Pick<Message, 'parts' | 'metadata'>, known: SwarmSkill[], requestMetadata?: Record<string, unknown>): TaskSpec {
  const parsedMeta = MetadataSchema.safeParse({ ...(requestMetadata ?? {}), ...(message.metadata ?? {}) })
  if (!parsedMeta.success) throw malformed(`invalid metadata: ${formatIssues(parsedMeta.error).join('; ')}`)
  const meta = parsedMeta.data
  const texts: string[] = []
  const data: Json[] = []
  message.parts.forEach((part, i) => {
    const content = PartContentSchema.safeParse(part.content)
    if (!content.success) throw malformed(`parts.${i}: a part must hold text or data (${formatIssues(content.error).join('; ')})`)
    const c = content.data
    if (c.$case === 'text') texts.push(c.value)
    else if (c.$case === 'data') data.push(c.value)
    else throw malformed(`parts.${i}: file parts are not taken; send the content as a data or text part`)
  })
  const skills = skillsOf(meta, known)
  const joined = texts.map(t => t.trim()).filter(t => t !== '').join('\n')
  const spec = {
    description: joined !== '' ? joined : `A2A request for ${skills.map(s => s.name).join(', ')}`,
    skills,
    ...(data.length === 1 ? { input: data[0] } : data.length > 1 ? { input: data } : {}),
    ...(meta.deadlineMs !== undefined ? { deadlineMs: meta.deadlineMs } : {}),
    ...(meta.priority !== undefined ? { priority: meta.priority } : {})
  }
  const parsed = TaskSpecSchema.safeParse(spec)
  if (!parsed.success) throw malformed(`the message makes no valid task: ${formatIssues(parsed.error).join('; ')}`)
  return parsed.data
}
