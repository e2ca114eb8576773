import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { ApiKeyRepository } from '../../src/auth/keys.js'
import { isPrivateAddress } from '../../src/webhooks/destination.js'
import { WebhookRepository } from '../../src/webhooks/repository.js'
import { ADMIN, createEndpoint, receiver, typeOf, until, webhookApp } from './helpers.js'

t.test('endpoints are managed with webhooks:manage; the secret is shown once', async (t) => {
  const hook = await receiver(t)
  const { app, store } = await webhookApp(t)
  const keys = new ApiKeyRepository(store)
  const manager = { authorization: `Bearer ${(await keys.create('hooks', ['webhooks:manage'], new Date())).secret}` }
  const writer = { authorization: `Bearer ${(await keys.create('writer', ['content:write'], new Date())).secret}` }
  const body = { url: hook.url, events: ['article.published'], description: 'Rebuild the site' }
  t.equal((await app.inject({ method: 'POST', url: '/v1/webhooks/endpoints', payload: body })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/v1/webhooks/endpoints', headers: writer, payload: body })).statusCode, 403)
  const created = await app.inject({ method: 'POST', url: '/v1/webhooks/endpoints', headers: manager, payload: body })
  t.equal(created.statusCode, 201)
  const endpoint = created.json()
  t.equal(created.headers.location, `/v1/webhooks/endpoints/${endpoint.id}`)
  t.equal(created.headers['cache-control'], 'private, no-store')
  t.match(endpoint, { url: hook.url, events: ['article.published'], description: 'Rebuild the site', enabled: true, disabledReason: null, secretRotatedUntil: null, secret: /^whsec_/ })

  const read = (await app.inject({ url: `/v1/webhooks/endpoints/${endpoint.id}`, headers: manager })).json()
  t.notOk('secret' in read, 'never shown again')
  t.same((await app.inject({ url: '/v1/webhooks/endpoints', headers: manager })).json().data, [read])
  const changed = await app.inject({ method: 'PATCH', url: `/v1/webhooks/endpoints/${endpoint.id}`, headers: manager, payload: { events: ['article.published', 'article.deleted'], enabled: false } })
  t.match(changed.json(), { events: ['article.published', 'article.deleted'], enabled: false })
  t.equal((await app.inject({ method: 'PATCH', url: `/v1/webhooks/endpoints/${endpoint.id}`, headers: manager, payload: { events: ['article.exploded'] } })).statusCode, 400)
  t.equal((await app.inject({ method: 'PATCH', url: `/v1/webhooks/endpoints/${endpoint.id}`, headers: manager, payload: { enabled: true } })).json().enabled, true)

  // Rotation: for 24 h both secrets sign, so a receiver holding either verifies.
  const rotated = (await app.inject({ method: 'POST', url: `/v1/webhooks/endpoints/${endpoint.id}/rotate-secret`, headers: manager })).json()
  t.not(rotated.secret, endpoint.secret)
  t.ok(Date.parse(rotated.secretRotatedUntil) - Date.now() > 23.9 * 3600_000, 'the old secret signs for 24 hours')
  const test = await app.inject({ method: 'POST', url: `/v1/webhooks/endpoints/${endpoint.id}/test`, headers: manager })
  t.equal(test.statusCode, 202)
  t.match(test.json(), { type: 'webhook.test', status: 'pending' })
  await until('the test event', () => hook.received.length >= 1)
  const delivery = hook.received[0]!
  t.equal(typeOf(delivery), 'webhook.test')
  t.equal(delivery.headers['webhook-signature']!.split(' ').length, 2, 'two signatures')
  for (const secret of [endpoint.secret, rotated.secret]) t.ok(new Webhook(secret).verify(delivery.body, delivery.headers), 'verifies with either secret')
  t.same(JSON.parse(delivery.body).data, { endpointId: endpoint.id })

  t.equal((await app.inject({ method: 'DELETE', url: `/v1/webhooks/endpoints/${endpoint.id}`, headers: manager })).statusCode, 204)
  t.equal((await app.inject({ url: `/v1/webhooks/endpoints/${endpoint.id}`, headers: manager })).statusCode, 404)
  t.same(await store.get('SELECT count(*) AS deliveries FROM webhook_deliveries'), { deliveries: 0 }, 'its deliveries went with it')
})

t.test('destinations in private networks are refused unless the setting allows them', async (t) => {
  const { app } = await webhookApp(t, { env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false' } })
  const refused = ['http://127.0.0.1/hook', 'http://localhost:8080/hook', 'http://[::1]/hook', 'http://169.254.169.254/latest/meta-data', 'http://10.1.2.3/', 'http://192.168.1.10/', 'http://[fd00:ec2::254]/', 'http://0.0.0.0/', 'http://[::ffff:127.0.0.1]/']
  for (const url of [...refused, 'ftp://example.com/hook', 'file:///etc/passwd', 'http://user:pw@example.com/hook', 'not a url']) {
    const res = await app.inject({ method: 'POST', url: '/v1/webhooks/endpoints', headers: ADMIN, payload: { url, events: ['article.published'] } })
    t.equal(res.statusCode, 400, `${url}: refused`)
    t.match(res.json(), { type: '/problems/validation-failed', errors: [{ in: 'body', name: 'url' }] })
  }
  for (const address of ['8.8.8.8', '2606:4700:4700::1111']) t.notOk(isPrivateAddress(address), `${address} is public`)
  for (const address of ['127.0.0.1', '169.254.169.254', '100.64.0.1', 'fe80::1', '::1']) t.ok(isPrivateAddress(address), `${address} is not`)
})

t.test('with private networks refused, the worker does not send to one either (a URL stored earlier)', async (t) => {
  const hook = await receiver(t)
  const { app, store } = await webhookApp(t, { env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false' }, webhooks: { retryDelaysMs: [] } })
  await store.run("INSERT INTO webhook_endpoints (url, events, secret, created_at, updated_at) VALUES (?, '[\"article.published\"]', 'whsec_AAAA', 'x', 'x')", [hook.url])
  await app.inject({ method: 'POST', url: '/v1/articles', headers: ADMIN, payload: { title: 'Internal', status: 'published' } })
  const failed = async () => (await store.get<{ failed: number }>("SELECT count(*) AS failed FROM webhook_deliveries WHERE status = 'failed'"))!.failed
  await until('the attempt is recorded', async () => (await failed()) === 1)
  t.equal(hook.received.length, 0, 'nothing reached the loopback receiver')
  t.match(await store.get('SELECT last_error FROM webhook_deliveries'), { last_error: /refused/ })
})

t.test('finished deliveries are forgotten after 30 days, pending ones never', async (t) => {
  const { store } = await webhookApp(t, { webhooks: { pollIntervalMs: 60_000 } })
  const repository = new WebhookRepository(store)
  const endpoint = (await store.get<{ id: number }>("INSERT INTO webhook_endpoints (url, events, secret, created_at, updated_at) VALUES ('https://spa.example/hook', '[]', 'whsec_AAAA', 'x', 'x') RETURNING id"))!
  const event = async (at: string) => (await store.get<{ id: number }>("INSERT INTO webhook_events (type, occurred_at) VALUES ('webhook.test', ?) RETURNING id", [at]))!.id
  const delivery = (eventId: number, status: string, at: string) =>
    store.run('INSERT INTO webhook_deliveries (endpoint_id, event_id, status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)', [endpoint.id, eventId, status, '2099-01-01T00:00:00.000Z', at])
  const old = '2026-01-01T00:00:00.000Z'
  const recent = '2026-03-01T00:00:00.000Z'
  await delivery(await event(old), 'succeeded', old)
  await delivery(await event(old), 'failed', old)
  await delivery(await event(old), 'pending', old)
  await delivery(await event(recent), 'succeeded', recent)
  await repository.prune(new Date('2026-02-01T00:00:00.000Z'))
  t.same(await store.all('SELECT status, created_at FROM webhook_deliveries ORDER BY id'), [{ status: 'pending', created_at: old }, { status: 'succeeded', created_at: recent }])
  t.same(await store.get('SELECT count(*) AS events FROM webhook_events'), { events: 2 }, 'the events still needed stay')
})
