import { join } from 'node:path'
import t, { type Test } from 'tap'
import { ArticleRepository } from '../../src/articles/repository.js'
import { loadConfig } from '../../src/config.js'
import { openStore } from '../../src/db/open.js'
import type { Store } from '../../src/db/store.js'
import { WebhookRepository, type Claim } from '../../src/webhooks/repository.js'
import { articleText, saveText } from '../helpers/app.js'
import { createTestStore } from '../helpers/store.js'
import { createEndpoint, receiver, until, webhookApp, type Received } from './helpers.js'

/**
 * Several nodes sending one outbox: on PostgreSQL, stores on one database (each its own pool), as
 * server processes behind a load balancer have; on SQLite, connections to one file.
 */

/** `count` stores on one new database, each with its own connections; closed after the test. */
async function storesOnOneDatabase(t: Test, count: number): Promise<Store[]> {
  const first = await createTestStore(t, { path: join(t.testdir({}), 'content.db') })
  t.teardown(() => first.store.close())
  const others = await Promise.all(Array.from({ length: count - 1 }, () => openStore(loadConfig(first.env))))
  for (const { store } of others) t.teardown(() => store.close())
  return [first.store, ...others.map(({ store }) => store)]
}

const succeeded = { status: 'succeeded' } as const
const noAnswer = { statusCode: 204, durationMs: 1, error: null }

t.test('claims racing from several workers give each attempt to exactly one, in order per endpoint', async (t) => {
  const stores = await storesOnOneDatabase(t, 4)
  const repositories = stores.map((store) => new WebhookRepository(store))
  const now = new Date()
  const endpoints = await Promise.all(['a', 'b', 'c'].map(async (name) => (await repositories[0]!.create({ url: `https://${name}.spa.example/hook`, events: ['article.published'] }, now)).endpoint.id))
  const perEndpoint = 12
  const queued = new Map<number, number[]>(endpoints.map((id) => [id, []]))
  for (let n = 0; n < perEndpoint; n++) for (const id of endpoints) queued.get(id)!.push((await repositories[0]!.sendTest(id, now)).id)

  const claimedBy = new Map<number, string>()
  const sent = new Map<number, number[]>(endpoints.map((id) => [id, []]))
  const due = new Date(now.getTime() + 1000)
  for (let round = 0; round < perEndpoint * 3 && claimedBy.size < endpoints.length * perEndpoint; round++) {
    // Every worker asks at the same moment, each on its own connection, for as many as it may take.
    const claims = await Promise.all(repositories.map((repository, worker) => repository.claim(`worker-${worker}`, due, 60_000, 8).then((taken) => taken.map((claim) => ({ worker, claim })))))
    for (const { worker, claim } of claims.flat()) {
      t.notOk(claimedBy.has(claim.id), `delivery ${claim.id} claimed once (worker ${worker}${claimedBy.has(claim.id) ? `, and before by ${claimedBy.get(claim.id)}` : ''})`)
      claimedBy.set(claim.id, `worker-${worker}`)
      t.equal(claim.attempt, 1, `delivery ${claim.id}: its first attempt`)
      sent.get(claim.endpointId)!.push(claim.id)
    }
    // Each worker records what it sent; the next of each endpoint's queue becomes its head.
    await Promise.all(claims.flat().map(({ worker, claim }: { worker: number; claim: Claim }) => repositories[worker]!.record(claim, `worker-${worker}`, noAnswer, succeeded, due)))
  }
  for (const id of endpoints) t.same(sent.get(id), queued.get(id), `endpoint ${id}: every delivery sent once, in order`)
  t.same(await stores[0]!.all("SELECT DISTINCT attempts, status FROM webhook_deliveries"), [{ attempts: 1, status: 'succeeded' }], 'one attempt each, all recorded')
})

t.test('a scheduled article whose time came is announced once, however many workers notice at once', async (t) => {
  const stores = await storesOnOneDatabase(t, 4)
  const repositories = stores.map((store) => new WebhookRepository(store))
  const clock = new Date()
  await repositories[0]!.create({ url: 'https://spa.example/hook', events: ['article.published'] }, clock)
  const later = new Date(clock.getTime() + 3_600_000)
  await saveText(new ArticleRepository(stores[0]!), articleText('Scheduled For Later'), { publish: true, at: later.toISOString() })
  t.same(await stores[0]!.all("SELECT type FROM webhook_events WHERE type = 'article.published'"), [], 'not announced before its time')

  const noticed = new Date(later.getTime() + 1000).toISOString()
  const announced = await Promise.all(repositories.map((repository) => repository.announceScheduled('', noticed)))
  t.ok(announced.some(Boolean), 'one of them announced it')
  t.same(await stores[0]!.all("SELECT type, article_slug, occurred_at FROM webhook_events WHERE type = 'article.published'"), [
    { type: 'article.published', article_slug: 'scheduled-for-later', occurred_at: later.toISOString() },
  ], 'one event, at its publication time')
  t.same(await stores[0]!.all('SELECT count(*) AS deliveries FROM webhook_deliveries'), [{ deliveries: 1 }], 'one delivery')
  t.same(await Promise.all(repositories.map((repository) => repository.announceScheduled('', noticed))), [false, false, false, false], 'nothing left to announce')
})

t.test('three servers on one database: a counting receiver gets every delivery exactly once, in order, retries included', async (t) => {
  const steady = await receiver(t, () => ({ status: 200, delayMs: 3 }))
  // The second endpoint fails its first attempts: its retries are claimed again, by any of the servers.
  const flaky = await receiver(t, (n) => ({ status: n % 3 === 0 ? 503 : 200 }))
  const webhooks = { retryDelaysMs: [20, 20, 20, 20], concurrency: 4 }
  const one = await webhookApp(t, { path: join(t.testdir({}), 'content.db'), webhooks })
  await webhookApp(t, { sameDatabaseAs: one, webhooks })
  await webhookApp(t, { sameDatabaseAs: one, webhooks })
  await createEndpoint(one.app, steady.url, ['article.published'])
  await createEndpoint(one.app, flaky.url, ['article.published'])

  const { store: importer } = await openStore(loadConfig(one.env))
  t.teardown(() => importer.close())
  const count = 25
  for (let n = 1; n <= count; n++) await saveText(new ArticleRepository(importer), articleText(`Busy Day ${n}`), { publish: true, at: '2026-02-01T00:00:00.000Z' })

  const answered = (received: Received[], ok: (n: number) => boolean) => received.filter((_, n) => ok(n))
  await until('every delivery answered 2xx', () => steady.received.length >= count && answered(flaky.received, (n) => n % 3 !== 0).length >= count, 60_000)
  await new Promise((resolve) => setTimeout(resolve, 500))
  const ids = (received: Received[]) => received.map((delivery) => Number(delivery.headers['webhook-id']!.slice(4)))
  const events = (await one.store.all<{ id: number }>("SELECT id FROM webhook_events WHERE type = 'article.published' ORDER BY id")).map((row) => row.id)
  t.equal(events.length, count)
  t.same(ids(steady.received), events, 'the steady endpoint: each event once, in order, nothing twice')
  const flakyOk = ids(answered(flaky.received, (n) => n % 3 !== 0))
  t.same(flakyOk, events, 'the flaky endpoint: each event accepted once, in order')
  const all = ids(flaky.received)
  for (let n = 0; n + 1 < all.length; n += 3) t.equal(all[n + 1], all[n], `attempt ${n + 2} retries the event refused by attempt ${n + 1}`)
  const attempts = await one.store.all<{ endpoint_id: number; attempts: number }>('SELECT endpoint_id, sum(attempts) AS attempts FROM webhook_deliveries GROUP BY endpoint_id ORDER BY endpoint_id')
  t.same(attempts.map((row) => row.attempts), [steady.received.length, flaky.received.length], 'every attempt the servers recorded reached the receiver, and no other')
})
