import type { Queries } from '../db/store.js'
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

const CURRENT = 'SELECT window_started_ms, hits FROM rate_limits WHERE scope = ? AND client = ?'
// Every SET expression reads the row as it was, so both columns see the same ended-or-not answer.
const HIT = `INSERT INTO rate_limits (scope, client, window_started_ms, hits) VALUES (@scope, @client, @now, 1)
  ON CONFLICT (scope, client) DO UPDATE SET
    hits = CASE WHEN rate_limits.window_started_ms + @window <= @now THEN 1 ELSE rate_limits.hits + 1 END,
    window_started_ms = CASE WHEN rate_limits.window_started_ms + @window <= @now THEN @now ELSE rate_limits.window_started_ms END
  RETURNING window_started_ms, hits`
const PRUNE = 'DELETE FROM rate_limits WHERE window_started_ms <= ? AND scope = ?'

/**
 * A fixed-window limit on what a client stores, kept in the database so that every process and node
 * on it counts against the same limit. `check` and `count` run inside the write transaction of the
 * request they limit (on a limit bound to it with `in(tx)`): only a write that is committed uses up
 * the limit, and two nodes cannot both take the last one. A window starts at its client's first
 * counted write; rows of ended windows are dead and are pruned through their index as writes go by.
 */
export class RateLimit {
  constructor(
    private readonly db: Queries,
    private readonly scope: string,
    readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** The same limit inside a transaction. */
  in(tx: Queries): RateLimit {
    return new RateLimit(tx, this.scope, this.limit, this.windowMs)
  }

  /** Where the client stands now, without counting anything. */
  async state(client: string, now: Date): Promise<RateLimitState> {
    return this.stateOf(await this.db.get<WindowRow>(CURRENT, [this.scope, client]), now.getTime())
  }

  /** Refuses (429, with `Retry-After`) a client that has used up its window. */
  async check(client: string, now: Date): Promise<RateLimitState> {
    const state = await this.state(client, now)
    if (state.remaining > 0) return state
    throw new HttpProblem('too-many-requests', `Too many requests from this client; retry in ${state.resetSeconds} s.`, undefined, {
      ...rateLimitHeaderValues(state),
      'retry-after': String(state.resetSeconds),
    })
  }

  /** Counts one stored write of the client. */
  async count(client: string, now: Date): Promise<RateLimitState> {
    const ms = now.getTime()
    await this.db.run(PRUNE, [ms - this.windowMs, this.scope])
    return this.stateOf(await this.db.get<WindowRow>(HIT, { scope: this.scope, client, now: ms, window: this.windowMs }), ms)
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
