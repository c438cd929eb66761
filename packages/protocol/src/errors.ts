/** Why a message was refused by the codec. */
export type ProtocolErrorCode =
  | 'OVERSIZED'
  | 'MALFORMED'
  | 'UNSUPPORTED_VERSION'
  | 'INVALID_MESSAGE'

/** A message that cannot be accepted: too large, not JSON, of another version, or off-schema. */
export class ProtocolError extends Error {
  static readonly code = 'ProtocolError'
  readonly code: ProtocolErrorCode
  /** Paths and reasons of schema violations, when the code is INVALID_MESSAGE. */
  readonly issues: readonly string[]

  constructor (code: ProtocolErrorCode, message: string, issues: readonly string[] = []) {
    super(message)
    this.name = 'ProtocolError'
    this.code = code
    this.issues = issues
  }
}
