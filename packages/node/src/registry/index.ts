import { createSwarmNode } from '../create-node.js'
import { registryConfig } from './registry-config.js'
import type { NodeConfigInput } from '../config.js'
import type { CreateSwarmNodeOptions } from '../create-node.js'
import type { SwarmNode } from '../node.js'

export { registryConfig, REGISTRY_API_PORT, REGISTRY_LISTEN } from './registry-config.js'
export { decodePeerKey, encodePeerKey } from './peer-key.js'

/**
 * Creates (and by default starts) the optional bootstrap registry: a swarm node without skills
 * that newcomers join through. It learns every agent card on the agents topic and answers
 * DIRECTORY_REQUEST and GET /v1/agents with them (addresses included), serves the DHT and relays
 * for peers that cannot be dialled. The swarm does not depend on it: agents keep direct
 * connections among themselves, and any agent's address works as a bootstrap address too.
 */
export async function createRegistry (input: NodeConfigInput = {}, options: CreateSwarmNodeOptions = {}): Promise<SwarmNode> {
  return await createSwarmNode(registryConfig(input), options)
}
