import { multiaddr } from '@multiformats/multiaddr'

/** Where the A2A server listens: from a multiaddr such as /ip4/127.0.0.1/tcp/7600. */
export interface A2aListenAddress {
  host: string
  port: number
}

/**
 * The host and port of an `a2a.listen` multiaddr (/ip4|/ip6|/dns|/dns4|/dns6 then /tcp/<port>,
 * nothing after); undefined when it is not one. Port 0 picks a free port.
 */
export function parseA2aListen (listen: string): A2aListenAddress | undefined {
  let components
  try {
    components = multiaddr(listen).getComponents()
  } catch {
    return undefined
  }
  if (components.length !== 2) return undefined
  const [hostPart, tcp] = components
  if (hostPart === undefined || tcp === undefined || tcp.name !== 'tcp' || tcp.value === undefined) return undefined
  if (!['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(hostPart.name) || hostPart.value === undefined) return undefined
  const port = Number(tcp.value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined
  return { host: hostPart.value, port }
}
