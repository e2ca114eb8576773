import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { signature } from '../../src/webhooks/signing.js'
import { ADMIN, createEndpoint, receiver, typeOf, until, webhookApp } from './helpers.js'

const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'
const COMMENT = { authorName: 'Ana', authorEmail: 'ana.private@example.com', body: 'Does this help with sciatica?' }

t.test('every change is delivered once, in order, signed so that standardwebhooks verifies it', async (t) => {
  const hook = await receiver(t)
  const { app } = await webhookApp(t, { env: { PUBLIC_URL: 'https://api.spa.example', SITE_ARTICLE_URL: 'https://spa.example/blog/{slug}' } })
  const endpoint = await createEndpoint(app, hook.url)
  t.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/)
  const send = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = ADMIN) => app.inject({ method, url, headers, ...(payload ? { payload } : {}) })

  t.equal((await send('POST', '/v1/articles', { title: 'Neck Relief', status: 'published' })).statusCode, 201)
  t.equal((await send('PATCH', '/v1/articles/neck-relief', { title: 'Neck Relief, Revised', slug: 'neck-relief-revised' })).statusCode, 200)
  const comment = (await send('POST', `/v1/articles/${SEED_SLUG}/comments`, COMMENT, {})).json()
  t.equal((await send('PATCH', `/v1/comments/${comment.id}`, { status: 'approved' })).statusCode, 200)
  t.equal((await send('DELETE', `/v1/comments/${comment.id}`)).statusCode, 204)
  t.equal((await send('PATCH', '/v1/articles/neck-relief-revised', { status: 'draft' })).statusCode, 200)
  t.equal((await send('PATCH', '/v1/articles/neck-relief-revised', { title: 'Draft Edit Is No News' })).statusCode, 200)
  t.equal((await send('PATCH', '/v1/articles/neck-relief-revised', { status: 'published' })).statusCode, 200)
  t.equal((await send('DELETE', '/v1/articles/neck-relief-revised')).statusCode, 204)
  t.equal((await send('POST', '/v1/articles', { title: 'A Draft Nobody Hears Of' })).statusCode, 201)

  const expected = ['article.published', 'article.updated', 'comment.created', 'comment.approved', 'comment.deleted', 'article.unpublished', 'article.published', 'article.deleted']
  await until('eight deliveries', () => hook.received.length >= expected.length)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.same(hook.received.map(typeOf), expected, 'each change once, in the order of the changes; no event for drafts')

  const verifier = new Webhook(endpoint.secret)
  const ids = hook.received.map((delivery) => delivery.headers['webhook-id'])
  t.equal(new Set(ids).size, ids.length, 'a message id per event')
  for (const delivery of hook.received) {
    t.same(verifier.verify(delivery.body, delivery.headers), JSON.parse(delivery.body), `${typeOf(delivery)} verifies with standardwebhooks`)
    t.notMatch(delivery.body, /ana\.private|@example\.com/, 'never the commenter\'s email')
    t.equal(delivery.headers['content-type'], 'application/json')
  }
  const [published, updated, created] = hook.received.map((delivery) => JSON.parse(delivery.body))
  t.match(published, { type: 'article.published', timestamp: String, data: { slug: 'neck-relief', url: 'https://api.spa.example/v1/articles/neck-relief', siteUrl: 'https://spa.example/blog/neck-relief' } })
  t.match(updated.data, { slug: 'neck-relief-revised', previousSlug: 'neck-relief' })
  t.same(Object.keys(created.data).sort(), ['articleId', 'articleSlug', 'commentId', 'siteUrl', 'url'])
  t.equal(created.data.commentId, comment.id)

  // Forged: another body under the same headers; or signed with another secret.
  const first = hook.received[0]!
  t.throws(() => verifier.verify(first.body.replace('neck-relief', 'evil-relief'), first.headers), 'a changed body fails verification')
  t.throws(() => new Webhook(`whsec_${Buffer.from('not the secret at all, 32 bytes!').toString('base64')}`).verify(first.body, first.headers), 'another secret fails')
  // Replayed: the same message, signed as the server signs, but sent 10 minutes after its timestamp.
  const old = Math.floor(Date.now() / 1000) - 600
  const replay = { ...first.headers, 'webhook-timestamp': String(old), 'webhook-signature': signature(endpoint.secret, first.headers['webhook-id']!, old, first.body) }
  t.throws(() => verifier.verify(first.body, replay), /timestamp/i, 'a replay outside the tolerance fails')
  const fresh = Math.floor(Date.now() / 1000)
  t.ok(verifier.verify(first.body, { ...replay, 'webhook-timestamp': String(fresh), 'webhook-signature': signature(endpoint.secret, first.headers['webhook-id']!, fresh, first.body) }), 'the control: the same signing, fresh, verifies')

  const deliveries = (await app.inject({ url: `/v1/webhooks/endpoints/${endpoint.id}/deliveries`, headers: ADMIN })).json()
  t.equal(deliveries.data.length, expected.length)
  t.match(deliveries.data[0], { type: 'article.deleted', status: 'succeeded', attempts: 1, lastStatusCode: 204, lastDurationMs: Number, nextAttemptAt: null, webhookId: ids.at(-1) })
})

t.test('a change that rolls back sends nothing; the importer\'s writes are announced like the API\'s', async (t) => {
  const hook = await receiver(t)
  const { app, store } = await webhookApp(t)
  await createEndpoint(app, hook.url, ['article.published', 'article.deleted'])
  const insert = "INSERT INTO articles (slug, title, summary, status, published_at, created_at, updated_at, word_count, reading_time_minutes, sections) VALUES (?, 'T', 's', 'published', '2026-01-01T00:00:00.000Z', 'x', 'x', 1, 1, '[]')"
  await t.rejects(
    store.transaction(async (tx) => {
      await tx.run(insert, ['rolled-back'])
      throw new Error('abort')
    }),
    /abort/,
  )
  await store.run(insert, ['committed'])
  await until('one delivery', () => hook.received.length >= 1)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.same(hook.received.map((delivery) => JSON.parse(delivery.body).data.slug), ['committed'], 'only the committed change')
  t.same(await store.get('SELECT count(*) AS events FROM webhook_events'), { events: 1 })
})

t.test('a failing endpoint is retried with backoff, in order; the whole schedule failing disables it', async (t) => {
  const flaky = await receiver(t, (n) => ({ status: n < 2 ? 500 : 200, body: 'x'.repeat(100_000) }))
  const down = await receiver(t, () => ({ status: 503, body: 'maintenance' }))
  const { app } = await webhookApp(t, { webhooks: { retryDelaysMs: [150, 150] } })
  const flakyEndpoint = await createEndpoint(app, flaky.url, ['article.published'])
  const downEndpoint = await createEndpoint(app, down.url, ['article.published'])
  for (const title of ['First', 'Second']) await app.inject({ method: 'POST', url: '/v1/articles', headers: ADMIN, payload: { title, status: 'published' } })

  await until('flaky: both delivered', () => flaky.received.length >= 4)
  t.same(flaky.received.map((delivery) => JSON.parse(delivery.body).data.slug), ['first', 'first', 'first', 'second'], 'the second waits until the first got through')
  const gaps = [flaky.received[1]!.at - flaky.received[0]!.at, flaky.received[2]!.at - flaky.received[1]!.at]
  for (const gap of gaps) t.ok(gap >= 150 * 0.8 - 10, `retried after the backoff (${gap} ms)`)
  const flakyDeliveries = (await app.inject({ url: `/v1/webhooks/endpoints/${flakyEndpoint.id}/deliveries`, headers: ADMIN })).json().data
  t.match(flakyDeliveries[1], { status: 'succeeded', attempts: 3, lastStatusCode: 200, lastError: null })

  await until('down: disabled', () => down.received.length >= 3)
  await new Promise((resolve) => setTimeout(resolve, 400))
  t.equal(down.received.length, 3, 'three attempts (the schedule has two retries), then nothing more')
  const disabled = (await app.inject({ url: `/v1/webhooks/endpoints/${downEndpoint.id}`, headers: ADMIN })).json()
  t.match(disabled, { enabled: false, disabledReason: /failed all 3 attempts/ })
  const downDeliveries = (await app.inject({ url: `/v1/webhooks/endpoints/${downEndpoint.id}/deliveries`, headers: ADMIN })).json().data
  t.match(downDeliveries, [{ status: 'pending', attempts: 0 }, { status: 'failed', attempts: 3, lastStatusCode: 503, lastError: 'HTTP 503: maintenance' }])

  // Enabled again, its pending delivery resumes; a hand re-send of the failed one goes after it.
  const answerNow = await receiver(t)
  await app.inject({ method: 'PATCH', url: `/v1/webhooks/endpoints/${downEndpoint.id}`, headers: ADMIN, payload: { url: answerNow.url, enabled: true } })
  const resent = await app.inject({ method: 'POST', url: `/v1/webhooks/endpoints/${downEndpoint.id}/deliveries/${downDeliveries[1].id}/resend`, headers: ADMIN })
  t.equal(resent.statusCode, 202)
  await until('resumed', () => answerNow.received.length >= 2)
  t.same(answerNow.received.map((delivery) => JSON.parse(delivery.body).data.slug), ['second', 'first'])
  t.equal(answerNow.received[1]!.headers['webhook-id'], down.received[0]!.headers['webhook-id'], 'a re-send keeps the message id')
})

t.test('a slow endpoint times out; 410 disables at once; redirects are not followed; bodies are read to a cap', async (t) => {
  const slow = await receiver(t, () => ({ status: 200, delayMs: 3000 }))
  const gone = await receiver(t, () => ({ status: 410 }))
  const elsewhere = await receiver(t)
  const redirecting = await receiver(t, () => ({ status: 307, headers: { location: elsewhere.url } }))
  const chatty = await receiver(t, () => ({ status: 500, body: 'y'.repeat(2_000_000) }))
  const { app } = await webhookApp(t, { webhooks: { timeoutMs: 400, retryDelaysMs: [60_000] } })
  const ids = {
    slow: (await createEndpoint(app, slow.url, ['article.published'])).id,
    gone: (await createEndpoint(app, gone.url, ['article.published'])).id,
    redirecting: (await createEndpoint(app, redirecting.url, ['article.published'])).id,
    chatty: (await createEndpoint(app, chatty.url, ['article.published'])).id,
  }
  for (const title of ['One', 'Two']) await app.inject({ method: 'POST', url: '/v1/articles', headers: ADMIN, payload: { title, status: 'published' } })
  const latest = async (id: number) => (await app.inject({ url: `/v1/webhooks/endpoints/${id}/deliveries`, headers: ADMIN })).json().data.at(-1)
  await until('all four tried', () => slow.received.length >= 1 && gone.received.length >= 1 && redirecting.received.length >= 1 && chatty.received.length >= 1)
  await new Promise((resolve) => setTimeout(resolve, 800))
  t.match(await latest(ids.slow), { status: 'pending', attempts: 1, lastStatusCode: null, lastError: 'timed out after 0.4 s' })
  t.ok((await latest(ids.slow)).lastDurationMs >= 380, 'gave up at the timeout')
  t.match(await latest(ids.gone), { status: 'failed', attempts: 1, lastStatusCode: 410 })
  t.match((await app.inject({ url: `/v1/webhooks/endpoints/${ids.gone}`, headers: ADMIN })).json(), { enabled: false, disabledReason: /410/ })
  t.equal(gone.received.length, 1, 'nothing more after a 410')
  t.match(await latest(ids.redirecting), { status: 'pending', lastStatusCode: 307 })
  t.equal(elsewhere.received.length, 0, 'the redirect was not followed')
  const chattyDelivery = await latest(ids.chatty)
  t.equal(chattyDelivery.lastStatusCode, 500)
  t.ok(chattyDelivery.lastError.length <= 200, `an excerpt of the body is kept (${chattyDelivery.lastError.length} characters)`)
})
