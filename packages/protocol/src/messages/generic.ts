/**
 * Bodies any exchange may use: acknowledgements, errors (with a typed code) and free broadcasts.
 */
import { z } from 'zod'
import { DirectErrorCodeSchema } from '../error-codes.js'
import { DescriptionSchema, IdSchema, JsonSchema } from './scalars.js'

export const AckBodySchema = z.object({
  /** Id of the message acknowledged. */
  ref: IdSchema,
  /** Data returned with the acknowledgement, if any. */
  data: JsonSchema.optional()
}).strict()

export const ErrorBodySchema = z.object({
  /** Id of the message refused, when the error answers one. */
  ref: IdSchema.optional(),
  /** Why: one of DIRECT_ERROR_CODES, so that the requester can act on it. */
  code: DirectErrorCodeSchema,
  message: DescriptionSchema
}).strict()

export const BroadcastBodySchema = z.object({
  text: DescriptionSchema,
  data: JsonSchema.optional()
}).strict()
