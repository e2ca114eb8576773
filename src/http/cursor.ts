import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Static, TSchema } from 'typebox'
import { Value } from 'typebox/value'

const MAC_BYTES = 16

/**
 * Opaque pagination cursors: the position (a tuple of sort-key values) as base64url JSON, signed with
 * HMAC-SHA256 over the scope too, so a cursor is only accepted by the listing that issued it and a
 * forged or edited one is refused before it reaches SQL.
 */
export class CursorCodec {
  constructor(private readonly secret: string) {}

  encode(scope: string, position: unknown): string {
    const payload = Buffer.from(JSON.stringify(position)).toString('base64url')
    return `${payload}.${this.sign(scope, payload).toString('base64url')}`
  }

  /** The position in the cursor, or undefined when the cursor is not one this scope issued. */
  decode<T extends TSchema>(scope: string, cursor: string, schema: T): Static<T> | undefined {
    const [payload, mac, extra] = cursor.split('.')
    if (!payload || !mac || extra !== undefined) return undefined
    const expected = this.sign(scope, payload)
    const given = Buffer.from(mac, 'base64url')
    // Buffer skips characters that are not base64url; only the canonical spelling is accepted.
    if (given.toString('base64url') !== mac || given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    try {
      const position: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
      return Value.Check(schema, position) ? position : undefined
    } catch {
      return undefined
    }
  }

  private sign(scope: string, payload: string): Buffer {
    return createHmac('sha256', this.secret).update(scope).update('\0').update(payload).digest().subarray(0, MAC_BYTES)
  }
}
