import { writeTransaction, type SqliteDatabase } from '../db/database.js'
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
  iif(d.status = 'pending', d.next_attempt_at, NULL) AS next_attempt_at`
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000

export class WebhookRepository {
  private readonly insertEndpoint
  private readonly endpointById
  private readonly endpointsAfter
  private readonly updateEndpoint
  private readonly deleteEndpoint
  private readonly rotateSecret
  private readonly deliveriesBefore
  private readonly deliveryById
  private readonly insertEvent
  private readonly insertDelivery
  private readonly copyDelivery
  private readonly due
  private readonly claimDue
  private readonly targetOf
  private readonly finish
  private readonly disable
  private readonly unannounced
  private readonly announceEvents
  private readonly announceRows
  private readonly pruneDeliveries
  private readonly pruneEvents
  private readonly anythingToPrune

  constructor(private readonly db: SqliteDatabase) {
    this.insertEndpoint = db.prepare<Record<string, unknown>, EndpointRow>(
      `INSERT INTO webhook_endpoints (url, description, events, secret, created_at, updated_at) VALUES (@url, @description, @events, @secret, @now, @now) RETURNING ${ENDPOINT_COLUMNS}`,
    )
    this.endpointById = db.prepare<[number], EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?`)
    this.endpointsAfter = db.prepare<[number, number], EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id > ? ORDER BY id LIMIT ?`)
    this.updateEndpoint = db.prepare<Record<string, unknown>, EndpointRow>(
      `UPDATE webhook_endpoints SET url = coalesce(@url, url), description = coalesce(@description, description), events = coalesce(@events, events),
         enabled = coalesce(@enabled, enabled), disabled_reason = iif(coalesce(@enabled, enabled) = 1, NULL, disabled_reason), updated_at = @now
       WHERE id = @id RETURNING ${ENDPOINT_COLUMNS}`,
    )
    this.deleteEndpoint = db.prepare<[number]>('DELETE FROM webhook_endpoints WHERE id = ?')
    this.rotateSecret = db.prepare<[string, string, string, number], EndpointRow>(
      `UPDATE webhook_endpoints SET previous_secret = secret, secret = ?, previous_secret_until = ?, updated_at = ? WHERE id = ? RETURNING ${ENDPOINT_COLUMNS}`,
    )
    this.deliveriesBefore = db.prepare<[number, number, number], DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries AS d JOIN webhook_events AS e ON e.id = d.event_id WHERE d.endpoint_id = ? AND d.id < ? ORDER BY d.id DESC LIMIT ?`,
    )
    this.deliveryById = db.prepare<[number, number], DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries AS d JOIN webhook_events AS e ON e.id = d.event_id WHERE d.endpoint_id = ? AND d.id = ?`,
    )
    this.insertEvent = db.prepare<[string, string], { id: number }>('INSERT INTO webhook_events (type, occurred_at) VALUES (?, ?) RETURNING id')
    this.insertDelivery = db.prepare<[number, number, string, string], { id: number }>(
      'INSERT INTO webhook_deliveries (endpoint_id, event_id, next_attempt_at, created_at) VALUES (?, ?, ?, ?) RETURNING id',
    )
    this.copyDelivery = db.prepare<[string, string, number, number], { id: number }>(
      'INSERT INTO webhook_deliveries (endpoint_id, event_id, next_attempt_at, created_at) SELECT endpoint_id, event_id, ?, ? FROM webhook_deliveries WHERE endpoint_id = ? AND id = ? RETURNING id',
    )
    // The head of each enabled endpoint's queue: a delivery waits for every earlier one of its endpoint (in order per endpoint).
    const heads = `SELECT head.id FROM (
        SELECT min(d.id) AS id FROM webhook_deliveries AS d JOIN webhook_endpoints AS endpoint ON endpoint.id = d.endpoint_id
        WHERE d.status = 'pending' AND endpoint.enabled = 1 GROUP BY d.endpoint_id
      ) AS head JOIN webhook_deliveries AS w ON w.id = head.id
      WHERE w.next_attempt_at <= @now AND (w.lease_until IS NULL OR w.lease_until <= @now)`
    this.due = db.prepare<{ now: string }, { id: number }>(`${heads} LIMIT 1`)
    // One UPDATE takes the lease: SQLite runs it under the write lock, so two processes never claim the same attempt.
    this.claimDue = db.prepare<{ now: string; owner: string; leaseUntil: string; limit: number }, { id: number; endpoint_id: number; attempts: number }>(
      `UPDATE webhook_deliveries SET lease_owner = @owner, lease_until = @leaseUntil, attempts = attempts + 1, last_attempt_at = @now
       WHERE id IN (${heads} LIMIT @limit) RETURNING id, endpoint_id, attempts`,
    )
    this.targetOf = db.prepare<[number], EndpointRow & { event: string }>(
      `SELECT ${ENDPOINT_COLUMNS.split(', ').map((column) => `endpoint.${column}`).join(', ')},
         json_object('id', e.id, 'type', e.type, 'article_id', e.article_id, 'article_slug', e.article_slug, 'previous_slug', e.previous_slug, 'comment_id', e.comment_id, 'occurred_at', e.occurred_at) AS event
       FROM webhook_deliveries AS d JOIN webhook_endpoints AS endpoint ON endpoint.id = d.endpoint_id JOIN webhook_events AS e ON e.id = d.event_id WHERE d.id = ?`,
    )
    this.finish = db.prepare<Record<string, unknown>>(
      `UPDATE webhook_deliveries SET status = @status, next_attempt_at = @nextAttemptAt, lease_owner = NULL, lease_until = NULL,
         last_status_code = @statusCode, last_duration_ms = @durationMs, last_error = @error
       WHERE id = @id AND lease_owner = @owner AND attempts = @attempt`,
    )
    this.disable = db.prepare<[string, string, number]>('UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?')
    // Public articles whose publication no event announced: scheduled ones whose time came (see migration 008).
    const unannounced = `FROM articles WHERE status = 'published' AND published_at > @since AND published_at <= @now
      AND NOT EXISTS (SELECT 1 FROM webhook_announced WHERE article_id = articles.id)`
    this.unannounced = db.prepare<{ since: string; now: string }, { id: number }>(`SELECT id ${unannounced} LIMIT 1`)
    this.announceEvents = db.prepare<{ since: string; now: string }>(
      `INSERT INTO webhook_events (type, article_id, article_slug, occurred_at)
       SELECT 'article.published', id, slug, published_at ${unannounced} AND 'article.published' IN webhook_subscriptions ORDER BY published_at, id`,
    )
    this.pruneDeliveries = db.prepare<[string]>("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < ?")
    this.pruneEvents = db.prepare<[string]>('DELETE FROM webhook_events WHERE occurred_at < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries WHERE event_id = webhook_events.id)')
    this.anythingToPrune = db.prepare<{ cutoff: string }, { found: number }>(
      "SELECT 1 AS found FROM webhook_deliveries WHERE status <> 'pending' AND created_at < @cutoff UNION ALL SELECT 1 FROM webhook_events WHERE occurred_at < @cutoff LIMIT 1",
    )
    this.announceRows = db.prepare<{ since: string; now: string }>(`INSERT INTO webhook_announced (article_id, published_at) SELECT id, published_at ${unannounced}`)
  }

  /** A new endpoint; the returned secret is shown once. */
  create(input: NewWebhookEndpoint, now: Date): { endpoint: WebhookEndpoint; secret: string } {
    const secret = newSecret()
    const row = this.insertEndpoint.get({ url: input.url, description: input.description ?? '', events: JSON.stringify(input.events), secret, now: now.toISOString() })!
    return { endpoint: toEndpoint(row), secret }
  }

  find(id: number): WebhookEndpoint | undefined {
    const row = this.endpointById.get(id)
    return row && toEndpoint(row)
  }

  list(afterId: number, limit: number): WebhookEndpoint[] {
    return this.endpointsAfter.all(afterId, limit).map(toEndpoint)
  }

  update(id: number, changes: WebhookEndpointChanges, now: Date): WebhookEndpoint | undefined {
    const row = this.updateEndpoint.get({
      id,
      url: changes.url ?? null,
      description: changes.description ?? null,
      events: changes.events ? JSON.stringify(changes.events) : null,
      enabled: changes.enabled === undefined ? null : Number(changes.enabled),
      now: now.toISOString(),
    })
    return row && toEndpoint(row)
  }

  remove(id: number): boolean {
    return this.deleteEndpoint.run(id).changes === 1
  }

  /** A new secret; the one it replaces keeps signing alongside it for 24 hours. */
  rotate(id: number, now: Date): { endpoint: WebhookEndpoint; secret: string } | undefined {
    const secret = newSecret()
    const row = this.rotateSecret.get(secret, new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString(), now.toISOString(), id)
    return row && { endpoint: toEndpoint(row), secret }
  }

  /** The endpoint's deliveries, newest first; `limit + 1` rows are asked for by the pagination. */
  deliveries(endpointId: number, beforeId: number | undefined, limit: number): WebhookDelivery[] {
    return this.deliveriesBefore.all(endpointId, beforeId ?? Number.MAX_SAFE_INTEGER, limit).map(toDelivery)
  }

  /** A `webhook.test` event for this endpoint alone, due at once. */
  sendTest(endpointId: number, now: Date): WebhookDelivery {
    const at = now.toISOString()
    return writeTransaction(this.db, () => {
      const event = this.insertEvent.get(TEST_EVENT, at)!
      const delivery = this.insertDelivery.get(endpointId, event.id, at, at)!
      return toDelivery(this.deliveryById.get(endpointId, delivery.id)!)
    })
  }

  /** The same event sent again, as a new delivery at the end of the endpoint's queue; undefined when there is no such delivery. */
  resend(endpointId: number, deliveryId: number, now: Date): WebhookDelivery | undefined {
    const at = now.toISOString()
    const copy = this.copyDelivery.get(at, at, endpointId, deliveryId)
    return copy && toDelivery(this.deliveryById.get(endpointId, copy.id)!)
  }

  /** Announces the scheduled articles that became public since `since` (exclusive) and up to `now`: false when there were none. */
  announceScheduled(since: string, now: string): boolean {
    if (!this.unannounced.get({ since, now })) return false
    writeTransaction(this.db, () => {
      this.announceEvents.run({ since, now })
      this.announceRows.run({ since, now })
    })
    return true
  }

  /** Forgets finished deliveries made before `cutoff`, and events no delivery needs any more. */
  prune(cutoff: Date): void {
    const at = cutoff.toISOString()
    // Read first: an idle server (or one on a read-only file) never takes the write lock for nothing.
    if (!this.anythingToPrune.get({ cutoff: at })) return
    writeTransaction(this.db, () => {
      this.pruneDeliveries.run(at)
      this.pruneEvents.run(at)
    })
  }

  /** Leases up to `limit` due deliveries, each the oldest pending one of its endpoint; reads first, so an idle worker never writes. */
  claim(owner: string, now: Date, leaseMs: number, limit: number): Claim[] {
    const at = now.toISOString()
    if (limit <= 0 || !this.due.get({ now: at })) return []
    const rows = this.claimDue.all({ now: at, owner, leaseUntil: new Date(now.getTime() + leaseMs).toISOString(), limit })
    return rows.map((row) => ({ id: row.id, endpointId: row.endpoint_id, attempt: row.attempts }))
  }

  target(deliveryId: number, now: Date): Target | undefined {
    const row = this.targetOf.get(deliveryId)
    if (!row) return undefined
    const rotating = row.previous_secret !== null && row.previous_secret_until !== null && row.previous_secret_until > now.toISOString()
    return { url: row.url, secrets: rotating ? [row.secret, row.previous_secret!] : [row.secret], event: JSON.parse(row.event) as EventRow }
  }

  /** Records an attempt, if this worker still holds its lease; disables the endpoint when the outcome says so. */
  record(claim: Claim, owner: string, result: AttemptResult, outcome: Outcome, now: Date): void {
    writeTransaction(this.db, () => {
      const changed = this.finish.run({
        id: claim.id,
        owner,
        attempt: claim.attempt,
        status: outcome.status,
        nextAttemptAt: outcome.status === 'pending' ? outcome.nextAttemptAt : null,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        error: result.error,
      }).changes
      if (changed === 1 && outcome.status === 'failed' && outcome.disable) this.disable.run(outcome.disable, now.toISOString(), claim.endpointId)
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
