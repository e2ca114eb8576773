import type { Queries } from '../db/store.js'
import { TEST_EVENT, type EventRow, type EventType } from './events.js'
import type { NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint, WebhookEndpointChanges } from './schemas.js'
import { messageId, newSecret } from './signing.js'

interface EndpointRow {
  id: number
  url: string
  description: string
  events: string
  enabled: number
  disabled_reason: string | null
  secret: string
  previous_secret: string | null
  previous_secret_until: string | null
  created_at: string
  updated_at: string
}

interface DeliveryRow {
  id: number
  event_id: number
  type: EventType
  status: WebhookDelivery['status']
  attempts: number
  created_at: string
  last_attempt_at: string | null
  last_status_code: number | null
  last_duration_ms: number | null
  last_error: string | null
  next_attempt_at: string | null
}

/** A delivery a worker holds the lease of: `attempt` is the attempt it is making. */
export interface Claim {
  id: number
  endpointId: number
  attempt: number
}

/** What an attempt needs: where, with which secrets, and what. */
export interface Target {
  url: string
  secrets: string[]
  event: EventRow
}

export interface AttemptResult {
  statusCode: number | null
  durationMs: number
  error: string | null
}

/** How an attempt ends the delivery: done, again later, or never (with the endpoint disabled, and why). */
export type Outcome = { status: 'succeeded' } | { status: 'pending'; nextAttemptAt: string } | { status: 'failed'; disable: string | null }

const ENDPOINT_COLUMNS = 'id, url, description, events, enabled, disabled_reason, secret, previous_secret, previous_secret_until, created_at, updated_at'
const DELIVERY_COLUMNS = `d.id, d.event_id, e.type, d.status, d.attempts, d.created_at, d.last_attempt_at, d.last_status_code, d.last_duration_ms, d.last_error,
  CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at`
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000

// Ids from a path or a cursor are compared as bigints: one past PostgreSQL's integer range matches nothing, as on SQLite.
const INSERT_ENDPOINT = `INSERT INTO webhook_endpoints (url, description, events, secret, created_at, updated_at) VALUES (@url, @description, @events, @secret, @now, @now)
  RETURNING ${ENDPOINT_COLUMNS}`
const ENDPOINT_BY_ID = `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = CAST(? AS bigint)`
const ENDPOINTS_AFTER = `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id > CAST(? AS bigint) ORDER BY id LIMIT ?`
const UPDATE_ENDPOINT = `UPDATE webhook_endpoints SET url = coalesce(@url, url), description = coalesce(@description, description), events = coalesce(@events, events),
    enabled = coalesce(@enabled, enabled), disabled_reason = CASE WHEN coalesce(@enabled, enabled) = 1 THEN NULL ELSE disabled_reason END, updated_at = @now
  WHERE id = CAST(@id AS bigint) RETURNING ${ENDPOINT_COLUMNS}`
const DELETE_ENDPOINT = 'DELETE FROM webhook_endpoints WHERE id = CAST(? AS bigint)'
const ROTATE_SECRET = `UPDATE webhook_endpoints SET previous_secret = secret, secret = ?, previous_secret_until = ?, updated_at = ? WHERE id = CAST(? AS bigint)
  RETURNING ${ENDPOINT_COLUMNS}`
const DELIVERIES_BEFORE = `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries AS d JOIN webhook_events AS e ON e.id = d.event_id
  WHERE d.endpoint_id = CAST(? AS bigint) AND d.id < CAST(? AS bigint) ORDER BY d.id DESC LIMIT ?`
const DELIVERY_BY_ID = `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries AS d JOIN webhook_events AS e ON e.id = d.event_id
  WHERE d.endpoint_id = CAST(? AS bigint) AND d.id = CAST(? AS bigint)`
const INSERT_EVENT = 'INSERT INTO webhook_events (type, occurred_at) VALUES (?, ?) RETURNING id'
const INSERT_DELIVERY = 'INSERT INTO webhook_deliveries (endpoint_id, event_id, next_attempt_at, created_at) VALUES (?, ?, ?, ?) RETURNING id'
const COPY_DELIVERY = `INSERT INTO webhook_deliveries (endpoint_id, event_id, next_attempt_at, created_at)
  SELECT endpoint_id, event_id, @now, @now FROM webhook_deliveries WHERE endpoint_id = CAST(@endpointId AS bigint) AND id = CAST(@deliveryId AS bigint) RETURNING id`
// The head of each enabled endpoint's queue: a delivery waits for every earlier one of its endpoint (in order per endpoint).
const HEADS = `SELECT head.id FROM (
    SELECT min(d.id) AS id FROM webhook_deliveries AS d JOIN webhook_endpoints AS endpoint ON endpoint.id = d.endpoint_id
    WHERE d.status = 'pending' AND endpoint.enabled = 1 GROUP BY d.endpoint_id
  ) AS head JOIN webhook_deliveries AS w ON w.id = head.id
  WHERE w.next_attempt_at <= @now AND (w.lease_until IS NULL OR w.lease_until <= @now)`
const DUE = `${HEADS} LIMIT 1`
/**
 * One UPDATE takes the lease. SQLite runs it under its one write lock. PostgreSQL runs it at READ
 * COMMITTED: a second node's UPDATE that chose the same row waits for the first to commit, then checks
 * the conditions on the row itself again on its new version (the lease is no longer expired) and skips
 * it; so the lease's conditions are repeated here, on the row updated, not only in the subquery.
 */
const CLAIM_DUE = `UPDATE webhook_deliveries SET lease_owner = @owner, lease_until = @leaseUntil, attempts = attempts + 1, last_attempt_at = @now
  WHERE id IN (${HEADS} LIMIT @limit) AND status = 'pending' AND (lease_until IS NULL OR lease_until <= @now)
  RETURNING id, endpoint_id, attempts`
const TARGET_OF = `SELECT endpoint.url, endpoint.secret, endpoint.previous_secret, endpoint.previous_secret_until,
    e.id AS event_id, e.type, e.article_id, e.article_slug, e.previous_slug, e.comment_id, e.occurred_at
  FROM webhook_deliveries AS d JOIN webhook_endpoints AS endpoint ON endpoint.id = d.endpoint_id JOIN webhook_events AS e ON e.id = d.event_id WHERE d.id = ?`
const FINISH = `UPDATE webhook_deliveries SET status = @status, next_attempt_at = @nextAttemptAt, lease_owner = NULL, lease_until = NULL,
    last_status_code = @statusCode, last_duration_ms = @durationMs, last_error = @error
  WHERE id = @id AND lease_owner = @owner AND attempts = @attempt`
const DISABLE = 'UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?'
// Public articles whose publication no event announced: scheduled ones whose time came (see migration 008).
const UNANNOUNCED = `FROM articles WHERE status = 'published' AND published_at > @since AND published_at <= @now
  AND NOT EXISTS (SELECT 1 FROM webhook_announced WHERE article_id = articles.id)`
const ANY_UNANNOUNCED = `SELECT id ${UNANNOUNCED} LIMIT 1`
const ANNOUNCE_EVENTS = `INSERT INTO webhook_events (type, article_id, article_slug, occurred_at)
  SELECT 'article.published', id, slug, published_at ${UNANNOUNCED} AND 'article.published' IN (SELECT type FROM webhook_subscriptions) ORDER BY published_at, id`
const ANNOUNCE_ROWS = `INSERT INTO webhook_announced (article_id, published_at) SELECT id, published_at ${UNANNOUNCED}`
/**
 * On PostgreSQL, announcing reads webhook_announced and then writes on that reading: another node may
 * be announcing the same articles. The commit-order lock (migrations/postgres/001) makes the nodes take
 * turns; one whose snapshot predates the other's commit then collides on webhook_announced's key, and its
 * transaction (events included) is rolled back and run again, when it finds nothing left to announce.
 * SQLite has one writer: the transaction is enough.
 */
const LOCK_COMMIT_ORDER = 'SELECT lock_commit_order()'
const PRUNE_DELIVERIES = "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < ?"
const PRUNE_EVENTS = 'DELETE FROM webhook_events WHERE occurred_at < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries WHERE event_id = webhook_events.id)'
const ANYTHING_TO_PRUNE =
  "SELECT 1 AS found FROM webhook_deliveries WHERE status <> 'pending' AND created_at < @cutoff UNION ALL SELECT 1 FROM webhook_events WHERE occurred_at < @cutoff LIMIT 1"

interface TargetRow extends Omit<EventRow, 'id'> {
  url: string
  secret: string
  previous_secret: string | null
  previous_secret_until: string | null
  event_id: number
}

export class WebhookRepository {
  constructor(private readonly db: Queries) {}

  /** A new endpoint; the returned secret is shown once. */
  async create(input: NewWebhookEndpoint, now: Date): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const secret = newSecret()
    const row = (await this.db.get<EndpointRow>(INSERT_ENDPOINT, { url: input.url, description: input.description ?? '', events: JSON.stringify(input.events), secret, now: now.toISOString() }))!
    return { endpoint: toEndpoint(row), secret }
  }

  async find(id: number): Promise<WebhookEndpoint | undefined> {
    const row = await this.db.get<EndpointRow>(ENDPOINT_BY_ID, [id])
    return row && toEndpoint(row)
  }

  async list(afterId: number, limit: number): Promise<WebhookEndpoint[]> {
    return (await this.db.all<EndpointRow>(ENDPOINTS_AFTER, [afterId, limit])).map(toEndpoint)
  }

  async update(id: number, changes: WebhookEndpointChanges, now: Date): Promise<WebhookEndpoint | undefined> {
    const row = await this.db.get<EndpointRow>(UPDATE_ENDPOINT, {
      id,
      url: changes.url ?? null,
      description: changes.description ?? null,
      events: changes.events ? JSON.stringify(changes.events) : null,
      enabled: changes.enabled === undefined ? null : Number(changes.enabled),
      now: now.toISOString(),
    })
    return row && toEndpoint(row)
  }

  async remove(id: number): Promise<boolean> {
    return (await this.db.run(DELETE_ENDPOINT, [id])) === 1
  }

  /** A new secret; the one it replaces keeps signing alongside it for 24 hours. */
  async rotate(id: number, now: Date): Promise<{ endpoint: WebhookEndpoint; secret: string } | undefined> {
    const secret = newSecret()
    const row = await this.db.get<EndpointRow>(ROTATE_SECRET, [secret, new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString(), now.toISOString(), id])
    return row && { endpoint: toEndpoint(row), secret }
  }

  /** The endpoint's deliveries, newest first; `limit + 1` rows are asked for by the pagination. */
  async deliveries(endpointId: number, beforeId: number | undefined, limit: number): Promise<WebhookDelivery[]> {
    return (await this.db.all<DeliveryRow>(DELIVERIES_BEFORE, [endpointId, beforeId ?? Number.MAX_SAFE_INTEGER, limit])).map(toDelivery)
  }

  /** A `webhook.test` event for this endpoint alone, due at once. */
  sendTest(endpointId: number, now: Date): Promise<WebhookDelivery> {
    const at = now.toISOString()
    return this.db.transaction(async (tx) => {
      const event = (await tx.get<{ id: number }>(INSERT_EVENT, [TEST_EVENT, at]))!
      const delivery = (await tx.get<{ id: number }>(INSERT_DELIVERY, [endpointId, event.id, at, at]))!
      return toDelivery((await tx.get<DeliveryRow>(DELIVERY_BY_ID, [endpointId, delivery.id]))!)
    })
  }

  /** The same event sent again, as a new delivery at the end of the endpoint's queue; undefined when there is no such delivery. */
  resend(endpointId: number, deliveryId: number, now: Date): Promise<WebhookDelivery | undefined> {
    return this.db.transaction(async (tx) => {
      const copy = await tx.get<{ id: number }>(COPY_DELIVERY, { now: now.toISOString(), endpointId, deliveryId })
      return copy && toDelivery((await tx.get<DeliveryRow>(DELIVERY_BY_ID, [endpointId, copy.id]))!)
    })
  }

  /** Announces the scheduled articles that became public since `since` (exclusive) and up to `now`: false when there were none. */
  async announceScheduled(since: string, now: string): Promise<boolean> {
    if (!(await this.db.get(ANY_UNANNOUNCED, { since, now }))) return false
    await this.db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.get(LOCK_COMMIT_ORDER)
      await tx.run(ANNOUNCE_EVENTS, { since, now })
      await tx.run(ANNOUNCE_ROWS, { since, now })
    })
    return true
  }

  /** Forgets finished deliveries made before `cutoff`, and events no delivery needs any more. */
  async prune(cutoff: Date): Promise<void> {
    const at = cutoff.toISOString()
    // Read first: an idle server (or one on a read-only file) never takes the write lock for nothing.
    if (!(await this.db.get(ANYTHING_TO_PRUNE, { cutoff: at }))) return
    await this.db.transaction(async (tx) => {
      await tx.run(PRUNE_DELIVERIES, [at])
      await tx.run(PRUNE_EVENTS, [at])
    })
  }

  /** Leases up to `limit` due deliveries, each the oldest pending one of its endpoint; reads first, so an idle worker never writes. */
  async claim(owner: string, now: Date, leaseMs: number, limit: number): Promise<Claim[]> {
    const at = now.toISOString()
    if (limit <= 0 || !(await this.db.get(DUE, { now: at }))) return []
    const rows = await this.db.all<{ id: number; endpoint_id: number; attempts: number }>(CLAIM_DUE, {
      now: at,
      owner,
      leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
      limit,
    })
    return rows.map((row) => ({ id: row.id, endpointId: row.endpoint_id, attempt: row.attempts }))
  }

  async target(deliveryId: number, now: Date): Promise<Target | undefined> {
    const row = await this.db.get<TargetRow>(TARGET_OF, [deliveryId])
    if (!row) return undefined
    const { url, secret, previous_secret: previous, previous_secret_until: previousUntil, event_id: id, ...event } = row
    const rotating = previous !== null && previousUntil !== null && previousUntil > now.toISOString()
    return { url, secrets: rotating ? [secret, previous] : [secret], event: { id, ...event } }
  }

  /** Records an attempt, if this worker still holds its lease; disables the endpoint when the outcome says so. */
  record(claim: Claim, owner: string, result: AttemptResult, outcome: Outcome, now: Date): Promise<void> {
    return this.db.transaction(async (tx) => {
      const changed = await tx.run(FINISH, {
        id: claim.id,
        owner,
        attempt: claim.attempt,
        status: outcome.status,
        nextAttemptAt: outcome.status === 'pending' ? outcome.nextAttemptAt : null,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        error: result.error,
      })
      if (changed === 1 && outcome.status === 'failed' && outcome.disable) await tx.run(DISABLE, [outcome.disable, now.toISOString(), claim.endpointId])
    })
  }
}

function toEndpoint(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as WebhookEndpoint['events'],
    enabled: row.enabled === 1,
    disabledReason: row.disabled_reason,
    secretRotatedUntil: row.previous_secret_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    eventId: row.event_id,
    webhookId: messageId(row.event_id),
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.created_at,
    lastAttemptAt: row.last_attempt_at,
    lastStatusCode: row.last_status_code,
    lastDurationMs: row.last_duration_ms,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
  }
}
