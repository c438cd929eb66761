/**
 * The scalar schemas every message body is built from: levels, priorities, ids, names, peer ids,
 * multiaddrs, bounded texts, timestamps, durations, fractions and JSON values.
 */
import { z } from 'zod'
import { ID_PATTERN, SKILL_NAME_PATTERN } from '../names.js'
import { LIMITS } from '../limits.js'

export const LEVELS = ['novice', 'intermediate', 'advanced', 'expert'] as const
export const LevelSchema = z.enum(LEVELS)
export type Level = z.infer<typeof LevelSchema>

/** Rank of a level: novice 0 … expert 3. */
export function levelRank (level: Level): number {
  return LEVELS.indexOf(level)
}

export const PRIORITIES = ['low', 'normal', 'high', 'critical'] as const
export const PrioritySchema = z.enum(PRIORITIES)
export type Priority = z.infer<typeof PrioritySchema>

export const IdSchema = z.string().regex(ID_PATTERN, 'must be 8 to 64 characters of A-Z a-z 0-9 _ -')
export const SkillNameSchema = z.string().regex(SKILL_NAME_PATTERN, 'must be 1 to 64 characters of a-z 0-9 . _ - starting with a letter or digit')
/** A libp2p peer id in its string form (base58btc multihash, or a CID). */
export const PeerIdStringSchema = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{32,128}$|^b[a-z2-7]{32,128}$/, 'must be a libp2p peer id')
export const MultiaddrStringSchema = z.string().min(2).max(512).startsWith('/', 'must be a multiaddr starting with "/"')
export const ShortTextSchema = z.string().max(LIMITS.maxShortTextChars)
export const DescriptionSchema = z.string().max(LIMITS.maxDescriptionChars)
export const TimestampSchema = z.number().int().nonnegative()
export const DurationMsSchema = z.number().int().nonnegative().max(7 * 24 * 3600 * 1000)
export const FractionSchema = z.number().min(0).max(1)
/** Any JSON value. */
export const JsonSchema = z.json()
export type Json = z.infer<typeof JsonSchema>
