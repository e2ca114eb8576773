import { join } from 'node:path'
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { ArticleRepository } from '../../src/articles/repository.js'
import { loadConfig } from '../../src/config.js'
import { openStore } from '../../src/db/open.js'
import { articleText, saveText } from '../helpers/app.js'
import { ADMIN, createEndpoint, receiver, typeOf, until, webhookApp } from './helpers.js'

t.test('two server processes on one database never send the same attempt twice, and keep the order', async (t) => {
  const hook = await receiver(t, () => ({ status: 200, delayMs: 5 }))
  const path = join(t.testdir({}), 'content.db')
  const one = await webhookApp(t, { path })
  const two = await webhookApp(t, { sameDatabaseAs: one })
  const endpoint = await createEndpoint(one.app, hook.url, ['article.published'])
  // The importer's path (no API), on a connection of its own: the triggers write the outbox all the same.
  const { store: importer } = await openStore(loadConfig(one.env))
  t.teardown(() => importer.close())
  const articles = new ArticleRepository(importer)
  const count = 30
  for (let n = 1; n <= count; n++) await saveText(articles, articleText(`Imported Article ${n}`), { publish: true, at: '2026-02-01T00:00:00.000Z' })
  await until(`${count} deliveries`, () => hook.received.length >= count, 30_000)
  await new Promise((resolve) => setTimeout(resolve, 500))
  const ids = hook.received.map((delivery) => delivery.headers['webhook-id'])
  t.equal(hook.received.length, count, 'each event sent once, no attempt twice')
  t.same(ids, [...ids].sort((a, b) => Number(a!.slice(4)) - Number(b!.slice(4))), 'in the order of the events')
  const verifier = new Webhook(endpoint.secret)
  for (const delivery of hook.received) verifier.verify(delivery.body, delivery.headers)
  t.same(hook.received.map((delivery) => JSON.parse(delivery.body).data.slug), Array.from({ length: count }, (_, n) => `imported-article-${n + 1}`))
  t.same(await one.store.get("SELECT sum(attempts) AS attempts FROM webhook_deliveries WHERE status = 'succeeded'"), { attempts: count }, 'one attempt each')
  void two
})

t.test('a scheduled article is announced when its time comes, once, by whichever process notices', async (t) => {
  const hook = await receiver(t)
  const path = join(t.testdir({}), 'content.db')
  const one = await webhookApp(t, { path })
  await webhookApp(t, { sameDatabaseAs: one })
  await createEndpoint(one.app, hook.url, ['article.published', 'article.updated'])
  const publishedAt = new Date(Date.now() + 1500).toISOString()
  const created = await one.app.inject({ method: 'POST', url: '/v1/articles', headers: ADMIN, payload: { title: 'Later Today', status: 'scheduled', publishedAt } })
  t.equal(created.statusCode, 201)
  // Edited while scheduled: nothing public changed, so no event.
  await one.app.inject({ method: 'PATCH', url: '/v1/articles/later-today', headers: ADMIN, payload: { title: 'Later Today, Edited' } })
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.equal(hook.received.length, 0, 'nothing before its time')
  await until('announced', () => hook.received.length >= 1)
  t.ok(Date.now() >= Date.parse(publishedAt), 'not early')
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.same(hook.received.map(typeOf), ['article.published'], 'once, by one of the two processes')
  t.match(JSON.parse(hook.received[0]!.body), { timestamp: publishedAt, data: { slug: 'later-today' } })
})
