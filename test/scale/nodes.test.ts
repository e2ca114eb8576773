import t, { type Test } from 'tap'
import { TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { SEED_SLUG, spawnServer, waitUntilReady, type Server } from '../helpers/server.js'
import { createPostgresDatabase, POSTGRES_ONLY, withClient } from '../helpers/store.js'
import { receiver, typeOf, until } from '../webhooks/helpers.js'

/** Several stateless API processes on one PostgreSQL database, as behind a load balancer. */

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }
const COMMENTS = `/v1/articles/${SEED_SLUG}/comments`

async function nodes(t: Test, count: number, env: Record<string, string> = {}) {
  const url = await createPostgresDatabase(t)
  const nodeEnv = { DATABASE_URL: url, ADMIN_TOKEN: TEST_ADMIN_TOKEN, WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', LOG_LEVEL: 'warn', ...env }
  // Started at the same moment: they migrate and seed one database once between them.
  const servers = await Promise.all(Array.from({ length: count }, () => spawnServer(t, 'unused.db', nodeEnv)))
  await Promise.all(servers.map((server) => waitUntilReady(server)))
  return { url, servers }
}

async function request(server: Server, path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, init)
  return { status: response.status, headers: response.headers, body: await response.text() }
}

t.test('nodes started together migrate and seed once', { skip: POSTGRES_ONLY }, async (t) => {
  const { url, servers } = await nodes(t, 3)
  const ledger = await withClient(url, (client) => client.query<{ version: number; count: number }>('SELECT version, count(*)::int AS count FROM schema_migrations GROUP BY version'))
  t.ok(ledger.rows.length > 0 && ledger.rows.every((row) => row.count === 1), 'each migration recorded once')
  const articles = await withClient(url, (client) => client.query<{ count: number }>('SELECT count(*)::int AS count FROM articles'))
  t.equal(articles.rows[0]!.count, 1, 'the seed article imported once')
  for (const server of servers) t.equal((await request(server, `/v1/articles/${SEED_SLUG}`)).status, 200)
})

t.test('a write on one node is in the next answer of every other node', { skip: POSTGRES_ONLY }, async (t) => {
  const { servers } = await nodes(t, 2)
  const [a, b] = servers as [Server, Server]
  // B holds prepared answers of the list and the article before the write.
  const listBefore = await request(b, '/v1/articles')
  const articleBefore = await request(b, `/v1/articles/${SEED_SLUG}`)
  t.equal(listBefore.status, 200)
  for (let n = 1; n <= 5; n++) {
    const created = await request(a, '/v1/articles', { method: 'POST', headers: ADMIN, body: JSON.stringify({ title: `Node Write ${n}`, status: 'published' }) })
    t.equal(created.status, 201, `created on A (${n})`)
    const list = await request(b, '/v1/articles?limit=100')
    t.ok((JSON.parse(list.body) as { data: { slug: string }[] }).data.some((article) => article.slug === `node-write-${n}`), `B's next list answer has write ${n}`)
    const one = await request(b, `/v1/articles/node-write-${n}`)
    t.equal(one.status, 200, `B serves article ${n} at once`)
  }
  const patched = await request(a, `/v1/articles/${SEED_SLUG}`, { method: 'PATCH', headers: ADMIN, body: JSON.stringify({ title: 'Retitled On Node A' }) })
  t.equal(patched.status, 200)
  const articleAfter = await request(b, `/v1/articles/${SEED_SLUG}`)
  t.equal((JSON.parse(articleAfter.body) as { title: string }).title, 'Retitled On Node A', 'B serves the changed article at once')
  t.not(articleAfter.headers.get('etag'), articleBefore.headers.get('etag'), 'under a new ETag')
  const revalidated = await request(b, `/v1/articles/${SEED_SLUG}`, { headers: { 'if-none-match': articleBefore.headers.get('etag')! } })
  t.equal(revalidated.status, 200, 'the old ETag no longer revalidates on B')
  // Both nodes build the same bytes for the same content: a cache in front may mix their answers.
  const fromA = await request(a, `/v1/articles/${SEED_SLUG}`)
  t.equal(fromA.headers.get('etag'), articleAfter.headers.get('etag'), 'the same ETag from either node')
  t.equal(fromA.body, articleAfter.body, 'the same body from either node')
})

t.test('the comment rate limit counts a client across nodes', { skip: POSTGRES_ONLY }, async (t) => {
  const { servers } = await nodes(t, 2, { COMMENT_RATE_LIMIT_PER_MINUTE: '3', COMMENT_MODERATION: 'auto' })
  const [a, b] = servers as [Server, Server]
  const post = (server: Server, n: number) =>
    request(server, COMMENTS, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ authorName: 'Ada', authorEmail: 'ada@example.com', body: `Shared limit comment ${n}` }) })
  t.equal((await post(a, 1)).status, 201)
  t.equal((await post(b, 2)).status, 201)
  t.equal((await post(a, 3)).status, 201)
  const refused = await post(b, 4)
  t.equal(refused.status, 429, 'the fourth, on the other node, is refused')
  t.ok(Number(refused.headers.get('retry-after')) > 0, 'with Retry-After')
  t.match(refused.headers.get('content-type'), /^application\/problem\+json/, 'as a problem')
  t.equal((await post(a, 5)).status, 429, 'and on the first node too')
})

t.test('each webhook event is delivered once, whichever node sends it', { skip: POSTGRES_ONLY }, async (t) => {
  const hook = await receiver(t)
  const { servers } = await nodes(t, 2)
  const [a, b] = servers as [Server, Server]
  const endpoint = await request(a, '/v1/webhooks/endpoints', { method: 'POST', headers: ADMIN, body: JSON.stringify({ url: hook.url, events: ['article.published'] }) })
  t.equal(endpoint.status, 201, endpoint.body)
  const count = 20
  for (let n = 1; n <= count; n++) {
    const node = n % 2 === 0 ? a : b
    const created = await request(node, '/v1/articles', { method: 'POST', headers: ADMIN, body: JSON.stringify({ title: `Announced ${n}`, status: 'published' }) })
    t.equal(created.status, 201)
  }
  await until(`${count} deliveries`, () => hook.received.length >= count, 30_000)
  // Time for a duplicate to arrive, were one to be sent.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const ids = hook.received.map((delivery) => delivery.headers['webhook-id'])
  t.equal(hook.received.length, count, 'no event twice')
  t.equal(new Set(ids).size, count, 'every delivery a different event')
  t.ok(hook.received.every((delivery) => typeOf(delivery) === 'article.published'))
})

t.test('kill -9 of one node loses nothing it acknowledged, and the other goes on', { skip: POSTGRES_ONLY }, async (t) => {
  const { url, servers } = await nodes(t, 2, { COMMENT_RATE_LIMIT_PER_MINUTE: '0', COMMENT_MODERATION: 'auto' })
  const [a, b] = servers as [Server, Server]
  const acknowledged: number[] = []
  let sent = 0
  const writer = async (server: Server, stopAt: number) => {
    while (Date.now() < stopAt) {
      const n = ++sent
      try {
        const response = await request(server, COMMENTS, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ authorName: 'Load', authorEmail: 'load@example.com', body: `Crash comment number ${n}` }),
        })
        if (response.status === 201) acknowledged.push((JSON.parse(response.body) as { id: number }).id)
      } catch {
        // the killed node's connections fail: not acknowledged
      }
    }
  }
  const until = Date.now() + 1500
  const writers = [...Array.from({ length: 8 }, () => writer(a, until)), ...Array.from({ length: 4 }, () => writer(b, until))]
  await new Promise((resolve) => setTimeout(resolve, 600))
  a.child.kill('SIGKILL')
  await Promise.all(writers)
  t.ok(acknowledged.length > 20, `writes were acknowledged (${acknowledged.length})`)
  const stored = await withClient(url, (client) => client.query<{ id: number }>('SELECT id FROM comments WHERE id = ANY($1::int[])', [acknowledged]))
  t.equal(stored.rowCount, acknowledged.length, 'every acknowledged comment is stored')
  const after = await request(b, COMMENTS, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ authorName: 'After', authorEmail: 'after@example.com', body: 'Written after the other node died' }),
  })
  t.equal(after.status, 201, 'the surviving node still writes')
  t.equal((await request(b, '/readyz')).status, 200, 'and is ready')
})
