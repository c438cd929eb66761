import { STREAM_PROTOCOL_VERSION } from './version.js'

/** A network name: lower-case letters, digits, `-`, `_` and `.`; 1 to 64 characters. */
export const NETWORK_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** A skill name (the routing key of announcements): same alphabet as network names. */
export const SKILL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** Ids chosen by senders (messages, tasks, groups, proposals): URL-safe, 8 to 64 characters. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/

export const DEFAULT_NETWORK = 'swarm'

function assertName (kind: string, value: string, pattern: RegExp): void {
  if (!pattern.test(value)) {
    throw new TypeError(`invalid ${kind} "${value}": use 1 to 64 lower-case letters, digits, "-", "_" or "."`)
  }
}

/** Gossipsub topic names of one network. */
export const topics = {
  /** Agent cards and agent heartbeats. */
  agents (network: string): string {
    assertName('network name', network, NETWORK_NAME_PATTERN)
    return `/swarm/${network}/agents/1`
  },
  /** Task announcements for one skill: only agents with that skill subscribe. */
  skill (network: string, skill: string): string {
    assertName('network name', network, NETWORK_NAME_PATTERN)
    assertName('skill name', skill, SKILL_NAME_PATTERN)
    return `/swarm/${network}/skill/${skill}/1`
  },
  /** Members-only topic of one working group. */
  group (network: string, groupId: string): string {
    assertName('network name', network, NETWORK_NAME_PATTERN)
    if (!ID_PATTERN.test(groupId)) throw new TypeError(`invalid group id "${groupId}": use 8 to 64 characters of A-Z a-z 0-9 "_" or "-"`)
    return `/swarm/${network}/group/${groupId}/1`
  }
}

/** Parses a topic name back into its kind and parameters; undefined for foreign topics. */
export function parseTopic (topic: string): { kind: 'agents', network: string } | { kind: 'skill', network: string, skill: string } | { kind: 'group', network: string, groupId: string } | undefined {
  const parts = topic.split('/')
  // ['', 'swarm', net, kind, ...]
  if (parts[0] !== '' || parts[1] !== 'swarm') return undefined
  const network = parts[2]
  if (network === undefined || !NETWORK_NAME_PATTERN.test(network)) return undefined
  if (parts[3] === 'agents' && parts[4] === '1' && parts.length === 5) return { kind: 'agents', network }
  if (parts[3] === 'skill' && parts[5] === '1' && parts.length === 6 && parts[4] !== undefined && SKILL_NAME_PATTERN.test(parts[4])) {
    return { kind: 'skill', network, skill: parts[4] }
  }
  if (parts[3] === 'group' && parts[5] === '1' && parts.length === 6 && parts[4] !== undefined && ID_PATTERN.test(parts[4])) {
    return { kind: 'group', network, groupId: parts[4] }
  }
  return undefined
}

/** Protocol ids of the direct (one peer to one peer) streams of one network. */
export const protocolIds = {
  /**
   * Request/response messages between two peers: offers, invites and their answers, task
   * start, results, checkpoints. A stream carries length-prefixed envelopes and may be reused.
   */
  direct (network: string): string {
    assertName('network name', network, NETWORK_NAME_PATTERN)
    return `/swarm/${network}/direct/${STREAM_PROTOCOL_VERSION}`
  },
  /** Fetching a task input too large to travel inline in the announcement. */
  input (network: string): string {
    assertName('network name', network, NETWORK_NAME_PATTERN)
    return `/swarm/${network}/input/${STREAM_PROTOCOL_VERSION}`
  }
}
