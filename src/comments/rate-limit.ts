import type { SqliteDatabase } from '../db/database.js'
import { HttpProblem } from '../http/problem.js'

export interface RateLimitState {
  limit: number
  remaining: number
  /** Seconds until the window ends (a new one would be a full window long). */
  resetSeconds: number
}

interface WindowRow {
  window_started_ms: number
  hits: number
}

/**
 * A fixed-window limit on what a client stores, kept in the database so that every process on the
 * file counts against the same limit. `check` and `count` run inside the write transaction of the
 * request they limit: only a write that is committed uses up the limit, and two processes cannot both
 * take the last one. A window starts at its client's first counted write; rows of ended windows are
 * dead and are pruned through their index as writes go by.
 */
export class RateLimit {
  private readonly current
  private readonly hit
  private readonly prune

  constructor(
    db: SqliteDatabase,
    private readonly scope: string,
    readonly limit: number,
    private readonly windowMs: number,
  ) {
    this.current = db.prepare<[string, string], WindowRow>('SELECT window_started_ms, hits FROM rate_limits WHERE scope = ? AND client = ?')
    // Every SET expression reads the row as it was, so both columns see the same ended-or-not answer.
    this.hit = db.prepare<{ scope: string; client: string; now: number; window: number }, WindowRow>(
      `INSERT INTO rate_limits (scope, client, window_started_ms, hits) VALUES (@scope, @client, @now, 1)
       ON CONFLICT (scope, client) DO UPDATE SET
         hits = iif(window_started_ms + @window <= @now, 1, hits + 1),
         window_started_ms = iif(window_started_ms + @window <= @now, @now, window_started_ms)
       RETURNING window_started_ms, hits`,
    )
    this.prune = db.prepare<[number, string]>('DELETE FROM rate_limits WHERE window_started_ms <= ? AND scope = ?')
  }

  /** Where the client stands now, without counting anything. */
  state(client: string, now: Date): RateLimitState {
    return this.stateOf(this.current.get(this.scope, client), now.getTime())
  }

  /** Refuses (429, with `Retry-After`) a client that has used up its window. */
  check(client: string, now: Date): RateLimitState {
    const state = this.state(client, now)
    if (state.remaining > 0) return state
    throw new HttpProblem('too-many-requests', `Too many requests from this client; retry in ${state.resetSeconds} s.`, undefined, {
      ...rateLimitHeaderValues(state),
      'retry-after': String(state.resetSeconds),
    })
  }

  /** Counts one stored write of the client. */
  count(client: string, now: Date): RateLimitState {
    const ms = now.getTime()
    this.prune.run(ms - this.windowMs, this.scope)
    return this.stateOf(this.hit.get({ scope: this.scope, client, now: ms, window: this.windowMs }), ms)
  }

  private stateOf(row: WindowRow | undefined, now: number): RateLimitState {
    const live = row !== undefined && row.window_started_ms + this.windowMs > now
    return {
      limit: this.limit,
      remaining: live ? Math.max(0, this.limit - row.hits) : this.limit,
      resetSeconds: Math.ceil((live ? row.window_started_ms + this.windowMs - now : this.windowMs) / 1000),
    }
  }
}

/** The IETF draft's RateLimit headers, as documented on the limited route. */
export function rateLimitHeaderValues(state: RateLimitState): Record<string, string> {
  return { 'ratelimit-limit': String(state.limit), 'ratelimit-remaining': String(state.remaining), 'ratelimit-reset': String(state.resetSeconds) }
}
