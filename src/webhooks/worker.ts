import { randomUUID } from 'node:crypto'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { FastifyBaseLogger } from 'fastify'
import { guardedLookup, literalRefused } from './destination.js'
import { eventPayload, type EventLinks } from './events.js'
import type { AttemptResult, Claim, Outcome, WebhookRepository } from './repository.js'
import { messageId, signature } from './signing.js'

/**
 * When attempt n + 1 follows a failed attempt n (before jitter): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
 * 10 h. Eight attempts over about 27.6 hours; a delivery that fails the last one disables its endpoint.
 */
export const RETRY_DELAYS_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 10 * 3_600_000]
/** Each delay is stretched or shrunk by up to this fraction at random, so that failed endpoints do not retry in step. */
const JITTER = 0.2
const RESPONSE_BODY_CAP = 1024
/** Finished deliveries are kept this long, for the deliveries API; pruned once an hour. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 3_600_000
const PRUNE_EVERY_MS = 3_600_000
const ERROR_EXCERPT = 200

export interface WorkerOptions {
  repository: WebhookRepository
  links: EventLinks
  allowPrivateNetworks: boolean
  now: () => Date
  log: FastifyBaseLogger
  /** An attempt that has not been answered in this time fails. */
  timeoutMs?: number
  pollIntervalMs?: number
  /** Deliveries in flight at once (each to a different endpoint). */
  concurrency?: number
  retryDelaysMs?: number[]
}

/**
 * Sends the outbox: every poll it announces scheduled articles whose time came, leases the due
 * deliveries (the oldest pending one of each endpoint) and POSTs them, signed. A lease outlives the
 * timeout, so an attempt cut short by a crash is made again once the lease expires: at least once.
 */
export class DeliveryWorker {
  private readonly owner = randomUUID()
  private readonly inFlight = new Map<number, AbortController>()
  private readonly timeoutMs
  private readonly leaseMs
  private readonly concurrency
  private readonly retryDelaysMs
  private timer: NodeJS.Timeout | undefined
  private ticking: Promise<void> | undefined
  private stopped = false
  private readonly delivering = new Set<Promise<void>>()
  /** Where the last scan for scheduled articles stopped; the first scan of a process reads them all. */
  private announcedUntil = ''
  private prunedAt = 0

  constructor(private readonly options: WorkerOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000
    this.leaseMs = this.timeoutMs + 30_000
    this.concurrency = options.concurrency ?? 8
    this.retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS
  }

  start(pollIntervalMs = this.options.pollIntervalMs ?? 1000): void {
    this.timer = setInterval(() => void this.tick(), pollIntervalMs)
    this.timer.unref()
    void this.tick()
  }

  /**
   * Stops polling and abandons attempts in flight: their leases expire and they are made again.
   * Resolves once nothing of the worker uses the store any more, so that the store can close.
   */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    for (const controller of this.inFlight.values()) controller.abort()
    await Promise.all([this.ticking, ...this.delivering])
  }

  /** One poll; a poll still running when the next is due makes the next one nothing. */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    this.ticking ??= this.poll().finally(() => (this.ticking = undefined))
    return this.ticking
  }

  private async poll(): Promise<void> {
    try {
      const { repository } = this.options
      const now = this.options.now()
      const at = now.toISOString()
      // A minute back: a write committed late by another process, with an earlier time, is still seen.
      await repository.announceScheduled(this.announcedUntil, at)
      this.announcedUntil = new Date(now.getTime() - 60_000).toISOString()
      if (now.getTime() - this.prunedAt >= PRUNE_EVERY_MS) {
        this.prunedAt = now.getTime()
        await repository.prune(new Date(now.getTime() - DELIVERY_RETENTION_MS))
      }
      const claims = await repository.claim(this.owner, now, this.leaseMs, this.concurrency - this.inFlight.size)
      // Stopped meanwhile: the leases just taken expire, and those attempts are made later (at least once).
      if (this.stopped) return
      for (const claim of claims) {
        const delivering = this.deliver(claim).finally(() => this.delivering.delete(delivering))
        this.delivering.add(delivering)
      }
    } catch (error) {
      // A busy or failing database: the next poll tries again.
      this.options.log.warn({ err: error }, 'webhook worker: poll failed')
    }
  }

  private async deliver(claim: Claim): Promise<void> {
    const controller = new AbortController()
    this.inFlight.set(claim.id, controller)
    try {
      const { repository, now } = this.options
      const target = await repository.target(claim.id, now())
      if (!target || controller.signal.aborted) return
      const body = JSON.stringify(eventPayload(target.event, this.options.links, claim.endpointId))
      const id = messageId(target.event.id)
      const timestamp = Math.floor(now().getTime() / 1000)
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'spa-content-api-webhooks/1',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': target.secrets.map((secret) => signature(secret, id, timestamp, body)).join(' '),
      }
      const result = await this.post(target.url, headers, body, controller.signal)
      if (controller.signal.aborted) return
      await repository.record(claim, this.owner, result, this.outcome(claim, result), now())
      this.options.log.info({ delivery: claim.id, attempt: claim.attempt, statusCode: result.statusCode, durationMs: result.durationMs }, 'webhook delivery attempt')
    } catch (error) {
      this.options.log.error({ err: error, delivery: claim.id }, 'webhook worker: delivery failed to record')
    } finally {
      this.inFlight.delete(claim.id)
    }
  }

  private outcome(claim: Claim, result: AttemptResult): Outcome {
    const code = result.statusCode
    if (code !== null && code >= 200 && code < 300) return { status: 'succeeded' }
    if (code === 410) return { status: 'failed', disable: `The endpoint answered 410 Gone to delivery ${claim.id}; it was disabled.` }
    const delay = this.retryDelaysMs[claim.attempt - 1]
    if (delay === undefined) {
      return { status: 'failed', disable: `Delivery ${claim.id} failed all ${claim.attempt} attempts of the retry schedule (last: ${result.error ?? code}); the endpoint was disabled.` }
    }
    const jittered = delay * (1 - JITTER + 2 * JITTER * Math.random())
    return { status: 'pending', nextAttemptAt: new Date(this.options.now().getTime() + jittered).toISOString() }
  }

  /** One POST: no redirect followed, the answer's body read to a small cap, private destinations refused when they must be. */
  private post(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<AttemptResult> {
    const started = performance.now()
    const elapsed = () => Math.round(performance.now() - started)
    const allowPrivate = this.options.allowPrivateNetworks
    return new Promise((resolve) => {
      let settled = false
      let timer: NodeJS.Timeout | undefined
      const done = (statusCode: number | null, error: string | null) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve({ statusCode, durationMs: elapsed(), error: error && error.slice(0, ERROR_EXCERPT) })
      }
      if (!allowPrivate && literalRefused(url)) return done(null, 'refused: the URL points to a private, loopback or link-local address')
      const send = url.startsWith('https:') ? httpsRequest : httpRequest
      const outgoing = send(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal, ...(allowPrivate ? {} : { lookup: guardedLookup }) })
      timer = setTimeout(() => {
        done(null, `timed out after ${this.timeoutMs / 1000} s`)
        outgoing.destroy()
      }, this.timeoutMs)
      outgoing.on('error', (error: NodeJS.ErrnoException) => done(null, error.code === 'EPRIVATE' || !error.code ? error.message : `${error.code}: ${error.message}`))
      outgoing.on('response', (response: IncomingMessage) => {
        const code = response.statusCode ?? 0
        let excerpt = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          excerpt += chunk
          if (excerpt.length >= RESPONSE_BODY_CAP) response.destroy()
        })
        const finish = () => done(code, code >= 200 && code < 300 ? null : `HTTP ${code}${excerpt ? `: ${excerpt.replace(/\s+/g, ' ').slice(0, ERROR_EXCERPT)}` : ''}`)
        response.on('end', finish)
        response.on('close', finish)
        response.on('error', finish)
      })
      outgoing.end(body)
    })
  }
}
