import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'

/**
 * Where a webhook may not go unless private networks are allowed: loopback, private, carrier-grade NAT,
 * link-local (cloud metadata at 169.254.169.254 and fd00:ec2::254), multicast and reserved ranges.
 */
const PRIVATE = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(network, prefix, 'ipv4')
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are checked against the IPv4 ranges by BlockList itself.
for (const [network, prefix] of [['::', 127], ['64:ff9b::', 96], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(network, prefix, 'ipv6')

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return true
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

const MAX_URL_LENGTH = 2000

/** Why the URL cannot be an endpoint's, or undefined when its form is fine (where it resolves is checked apart). */
export function urlProblem(raw: string): string | undefined {
  if (raw.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`
  if (!URL.canParse(raw)) return 'is not a URL'
  const url = new URL(raw)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL'
  if (url.username || url.password) return 'must not hold a user name or password'
  return undefined
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '')

/** Why the URL's host may not be sent to (it resolves to a private address, or not at all), or undefined. */
export async function destinationProblem(raw: string, allowPrivate: boolean): Promise<string | undefined> {
  if (allowPrivate) return undefined
  const host = hostOf(new URL(raw))
  if (isIP(host)) return isPrivateAddress(host) ? `points to a private, loopback or link-local address (${host})` : undefined
  const addresses = await new Promise<LookupAddress[] | undefined>((resolve) => dnsLookup(host, { all: true }, (error, found) => resolve(error ? undefined : found)))
  if (!addresses || addresses.length === 0) return `has a host name that does not resolve (${host})`
  const refused = addresses.find(({ address }) => isPrivateAddress(address))
  return refused ? `resolves to a private, loopback or link-local address (${refused.address})` : undefined
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * A `lookup` for http.request that refuses private addresses at connection time, so that a host name
 * that resolved to a public address when the endpoint was saved cannot be rebound to an internal one.
 */
export function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true }, (error, addresses) => {
    if (error) return callback(error, [])
    const refused = addresses.find(({ address }) => isPrivateAddress(address))
    if (refused) return callback(Object.assign(new Error(`refused: ${hostname} resolves to a private address (${refused.address})`), { code: 'EPRIVATE' }), [])
    if (options.all) return callback(null, addresses)
    callback(null, addresses[0]!.address, addresses[0]!.family)
  })
}

/** Whether an IP-literal host is refused (http.request skips `lookup` for those). */
export const literalRefused = (raw: string) => {
  const host = hostOf(new URL(raw))
  return isIP(host) !== 0 && isPrivateAddress(host)
}
