import { createHash } from 'node:crypto'
import type { Queries } from '../db/store.js'
import { HttpProblem } from './problem.js'

const KEY_LIFETIME_MS = 24 * 60 * 60 * 1000

export interface StoredAnswer {
  statusCode: number
  headers: Record<string, string>
  body: string
}

export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/

const LOOKUP = 'SELECT request_hash, status_code, headers, body FROM idempotency_keys WHERE scope = ? AND client = ? AND key = ?'
const SAVE = 'INSERT INTO idempotency_keys (scope, client, key, request_hash, status_code, headers, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
const EXPIRE = 'DELETE FROM idempotency_keys WHERE created_at < ?'

/**
 * Answers remembered per client and Idempotency-Key for 24 hours, in the database that every process
 * and node shares: a key names a request of the client that sent it, so another client's same key is
 * another request, and a remembered answer goes back only to the client it was made for. `run` must be
 * called inside the transaction that performs the write (on a store bound to it with `in(tx)`), so the
 * answer is stored exactly when the write is.
 */
export class IdempotencyStore {
  constructor(private readonly db: Queries) {}

  /** The same store inside a transaction. */
  in(tx: Queries): IdempotencyStore {
    return new IdempotencyStore(tx)
  }

  /**
   * The remembered answer for a retry of the same request, or `perform`'s answer, remembered. The
   * same key from the same client with a different request is refused with 422. `client` is an
   * opaque name of the client (never its address).
   */
  async run(scope: string, client: string, key: string, request: unknown, now: Date, perform: () => Promise<StoredAnswer>): Promise<StoredAnswer> {
    await this.db.run(EXPIRE, [new Date(now.getTime() - KEY_LIFETIME_MS).toISOString()])
    const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex')
    const stored = await this.db.get<{ request_hash: string; status_code: number; headers: string; body: string }>(LOOKUP, [scope, client, key])
    if (stored) {
      if (stored.request_hash !== requestHash) {
        throw new HttpProblem('idempotency-key-reused', 'This Idempotency-Key was used for a different request in the last 24 hours.')
      }
      return { statusCode: stored.status_code, headers: JSON.parse(stored.headers) as Record<string, string>, body: stored.body }
    }
    const answer = await perform()
    await this.db.run(SAVE, [scope, client, key, requestHash, answer.statusCode, JSON.stringify(answer.headers), answer.body, now.toISOString()])
    return answer
  }
}
