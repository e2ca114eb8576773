import { createHash } from 'node:crypto'
import type { SqliteDatabase } from '../db/database.js'
import { HttpProblem } from './problem.js'

const KEY_LIFETIME_MS = 24 * 60 * 60 * 1000

export interface StoredAnswer {
  statusCode: number
  headers: Record<string, string>
  body: string
}

export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/

/**
 * Answers remembered per client and Idempotency-Key for 24 hours: a key names a request of the client
 * that sent it, so another client's same key is another request, and a remembered answer goes back
 * only to the client it was made for. `run` must be called inside the transaction that performs the
 * write, so the answer is stored exactly when the write is.
 */
export class IdempotencyStore {
  private readonly lookup
  private readonly save
  private readonly expire

  constructor(db: SqliteDatabase) {
    this.lookup = db.prepare<[string, string, string], { request_hash: string; status_code: number; headers: string; body: string }>(
      'SELECT request_hash, status_code, headers, body FROM idempotency_keys WHERE scope = ? AND client = ? AND key = ?',
    )
    this.save = db.prepare('INSERT INTO idempotency_keys (scope, client, key, request_hash, status_code, headers, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    this.expire = db.prepare<[string]>('DELETE FROM idempotency_keys WHERE created_at < ?')
  }

  /**
   * The remembered answer for a retry of the same request, or `perform`'s answer, remembered. The
   * same key from the same client with a different request is refused with 422. `client` is an
   * opaque name of the client (never its address).
   */
  run(scope: string, client: string, key: string, request: unknown, now: Date, perform: () => StoredAnswer): StoredAnswer {
    this.expire.run(new Date(now.getTime() - KEY_LIFETIME_MS).toISOString())
    const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex')
    const stored = this.lookup.get(scope, client, key)
    if (stored) {
      if (stored.request_hash !== requestHash) {
        throw new HttpProblem('idempotency-key-reused', 'This Idempotency-Key was used for a different request in the last 24 hours.')
      }
      return { statusCode: stored.status_code, headers: JSON.parse(stored.headers) as Record<string, string>, body: stored.body }
    }
    const answer = perform()
    this.save.run(scope, client, key, requestHash, answer.statusCode, JSON.stringify(answer.headers), answer.body, now.toISOString())
    return answer
  }
}
