/** Version of the swarm wire protocol carried in every envelope (`v`). */
export const PROTOCOL_VERSION = 1

/** Versions this build can decode. A message with any other `v` is rejected. */
export const SUPPORTED_VERSIONS: readonly number[] = [PROTOCOL_VERSION]

/** Semver of the protocol ids used for direct streams. */
export const STREAM_PROTOCOL_VERSION = '1.0.0'
