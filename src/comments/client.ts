import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import ipaddr from 'ipaddr.js'

/** One IPv6 subscriber usually holds a whole /64: counting each address of it apart would be no limit. */
const IPV6_CLIENT_PREFIX = 64
const NAME_BYTES = 16
const REMEMBERED_NAMES = 10_000

/**
 * Opaque names for clients: a keyed hash (HMAC-SHA256 under a secret kept in the database) of the
 * address Fastify sees (the peer's, or the forwarded client's when TRUST_PROXY trusts the proxy),
 * IPv4-mapped IPv6 read as IPv4 and IPv6 taken per /64. Stable across processes on one database and
 * across restarts; no address is written to the database or a log, and without the secret a name cannot be tested
 * against guessed addresses.
 */
export class ClientNames {
  private readonly key: KeyObject
  // Most posts come from addresses seen a moment ago: a name is made once, not per request.
  private readonly recent = new Map<string, string>()

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'))
  }

  of(address: string | undefined): string {
    const given = address ?? ''
    let name = this.recent.get(given)
    if (name === undefined) {
      name = createHmac('sha256', this.key).update(network(given)).digest().subarray(0, NAME_BYTES).toString('base64url')
      if (this.recent.size >= REMEMBERED_NAMES) this.recent.clear()
      this.recent.set(given, name)
    }
    return name
  }
}

function network(address: string): string {
  if (!ipaddr.isValid(address)) return address
  const parsed = ipaddr.process(address)
  if (parsed instanceof ipaddr.IPv4) return parsed.toString()
  const kept = IPV6_CLIENT_PREFIX / 16
  const prefix = new ipaddr.IPv6([...parsed.parts.slice(0, kept), ...Array<number>(8 - kept).fill(0)])
  return `${prefix.toString()}/${IPV6_CLIENT_PREFIX}`
}
