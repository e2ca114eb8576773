import { join } from 'node:path'
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { spawnServer, waitForExit, waitUntilReady } from '../helpers/server.js'
import { createTestStore } from '../helpers/store.js'
import { receiver, until } from './helpers.js'

/** The compiled server: run `npm run -s build` before running this file alone. */
const ENV = { ADMIN_TOKEN: TEST_ADMIN_TOKEN, WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', LOG_LEVEL: 'warn' }
const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }

t.test('deliveries survive a kill -9 of the server between a change and its delivery', async (t) => {
  let down = true
  const hook = await receiver(t, () => ({ status: down ? 503 : 204 }))
  const path = join(t.testdir({}), 'content.db')
  // The database the servers share: this SQLite file, or on PostgreSQL a database of its own (DATABASE_URL).
  const { store, env } = await createTestStore(t, { path })
  await store.close()
  const serverEnv = { ...ENV, ...env }
  const first = await spawnServer(t, path, serverEnv)
  await waitUntilReady(first)
  const created = await fetch(`${first.url}/v1/webhooks/endpoints`, { method: 'POST', headers: auth, body: JSON.stringify({ url: hook.url, events: ['article.published'] }) })
  t.equal(created.status, 201)
  const endpoint = (await created.json()) as { id: number; secret: string }
  const publish = (url: string, title: string) => fetch(`${url}/v1/articles`, { method: 'POST', headers: auth, body: JSON.stringify({ title, status: 'published' }) })

  t.equal((await publish(first.url, 'Before The Crash')).status, 201)
  await until('the first attempt (answered 503)', () => hook.received.length >= 1)
  // Committed, and killed before the worker's next poll could send it.
  t.equal((await publish(first.url, 'Just Before The Crash')).status, 201)
  first.child.kill('SIGKILL')
  t.match(await waitForExit(first), { signal: 'SIGKILL' })
  t.equal(hook.received.length, 1, 'the second change was not sent before the crash: it waits behind the first')
  down = false

  const second = await spawnServer(t, path, serverEnv)
  await waitUntilReady(second)
  await until('both delivered after the restart', () => hook.received.length >= 3, 30_000)
  const verifier = new Webhook(endpoint.secret)
  const slugs = hook.received.map((delivery) => (verifier.verify(delivery.body, delivery.headers) as { data: { slug: string } }).data.slug)
  t.same(slugs, ['before-the-crash', 'before-the-crash', 'just-before-the-crash'], 'the failed attempt, its retry after the restart, then the second; each verifies')
  t.equal(hook.received[1]!.headers['webhook-id'], hook.received[0]!.headers['webhook-id'], 'the retry is the same message')
  const deliveries = (await (await fetch(`${second.url}/v1/webhooks/endpoints/${endpoint.id}/deliveries`, { headers: auth })).json()) as { data: { status: string; attempts: number }[] }
  t.match(deliveries.data, [{ status: 'succeeded' }, { status: 'succeeded', attempts: 2 }], 'the first took two attempts across the crash')
})
