import { join } from 'node:path'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import Fastify from 'fastify'
import t from 'tap'
import type { Test } from 'tap'
import Type from 'typebox'
import { openDatabase } from '../../src/db/database.js'
import { SqliteStore } from '../../src/db/sqlite.js'
import { LISTENER_HEARTBEAT_MS, PostgresStore } from '../../src/db/postgres.js'
import type { DataGeneration, Queries, Store } from '../../src/db/store.js'
import { useHttpCaching } from '../../src/http/caching.js'
import { codingTag } from '../../src/http/conditional.js'
import { PREPARED_ROUTE, preferredCoding, usePreparedAnswers } from '../../src/http/prepared.js'
import { SECURITY_HEADERS } from '../../src/http/security-headers.js'
import { databaseOf, freezingProxy, listenerPort, otherNode, refuseConnections, serverAdmin, terminateListeners } from '../helpers/postgres.js'
import { createPostgresDatabase, createTestStore, ON_POSTGRES, POSTGRES_ONLY, SQLITE_ONLY } from '../helpers/store.js'

const PUBLIC = 'public, max-age=60, stale-while-revalidate=300'

/**
 * A real Fastify app on a real migrated store (the one under test: a SQLite file, or a PostgreSQL
 * database) with one route answering through the prepared answers, whose build counts its runs: what
 * is built once, what is rebuilt and when.
 */
async function preparedApp(t: Test, options: { maxBytes?: number; now?: () => Date } = {}) {
  const { store, env } = await createTestStore(t, ON_POSTGRES ? {} : { path: join(t.testdir({}), 'content.db') })
  return { ...(await preparedAppOn(t, store, options)), env }
}

/** The app of preparedApp on a store of the caller's; the store is closed after the test. */
async function preparedAppOn(t: Test, store: Store, options: { maxBytes?: number; now?: () => Date } = {}) {
  const app = Fastify()
  useHttpCaching(app, { maxAge: 60, staleWhileRevalidate: 300 })
  const generation = store.watchChanges(options.now ?? (() => new Date()))
  usePreparedAnswers(app, { generation, maxBytes: options.maxBytes ?? 1024 * 1024, cacheControl: PUBLIC, cors: false })
  const builds: string[] = []
  const query = Type.Object({ size: Type.Optional(Type.Integer()), limit: Type.Optional(Type.Integer()), word: Type.Optional(Type.String()) })
  app.get('/things/:name', { ...PREPARED_ROUTE, schema: { querystring: query } }, async (request, reply) =>
    reply.sendPrepared(async () => {
      builds.push(request.url)
      const { size = 1, word = 'x' } = request.query as { size?: number; word?: string }
      reply.header('last-modified', 'Thu, 15 Jan 2026 09:00:00 GMT')
      return { name: (request.params as { name: string }).name, text: word.repeat(size), articles: await store.get<{ n: number }>('SELECT count(*) AS n FROM articles') }
    }),
  )
  t.teardown(async () => {
    await app.close()
    await store.close()
  })
  await listening(generation)
  return { app, store, builds, generation }
}

/**
 * Waits until the generation stands still, as it does once the store watches for changes (on
 * PostgreSQL the listening connection starts after watchChanges returns; until then nothing is reused).
 */
async function listening(generation: DataGeneration): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const before = generation.current()
    await sleep(10)
    if (generation.current() === before) return
  }
  throw new Error('the data generation never stood still: the store does not watch for changes')
}

const insertArticle = (queries: Queries, slug: string, publishedAt = '2026-01-01T00:00:00.000Z') =>
  queries.run("INSERT INTO articles (slug, title, summary, status, published_at, created_at, updated_at, word_count, reading_time_minutes, sections) VALUES (?, 'T', 'S', 'published', ?, ?, ?, 1, 1, '[]')", [
    slug,
    publishedAt,
    publishedAt,
    publishedAt,
  ])

t.test('an answer is built once and served again with every header, until the data changes', async (t) => {
  const { app, store, builds } = await preparedApp(t)
  const first = await app.inject('/things/a')
  t.equal(first.statusCode, 200)
  t.equal(first.headers['cache-control'], PUBLIC)
  t.equal(first.headers.vary, 'accept-encoding')
  t.match(first.headers.link, /rel="service-desc"/)
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) t.equal(first.headers[name], value, `${name} is helmet's`)
  const again = await app.inject('/things/a')
  t.equal(again.body, first.body)
  t.equal(again.headers.etag, first.headers.etag)
  t.same(builds, ['/things/a'], 'built once')

  const notModified = await app.inject({ url: '/things/a', headers: { 'if-none-match': first.headers.etag as string } })
  t.equal(notModified.statusCode, 304)
  t.equal((await app.inject({ url: '/things/a', headers: { 'if-modified-since': 'Thu, 15 Jan 2026 09:00:00 GMT' } })).statusCode, 304)
  t.same(builds, ['/things/a'], 'a revalidation builds nothing')

  await insertArticle(store, 'one')
  const changed = await app.inject({ url: '/things/a', headers: { 'if-none-match': first.headers.etag as string } })
  t.equal(changed.statusCode, 200, 'a commit through this store: the next request no longer validates the old tag')
  t.equal(changed.json().articles.n, 1)
  t.equal(builds.length, 2, 'rebuilt once')
})

t.test('a commit in a transaction of this store is seen by the very next request', async (t) => {
  const { app, store, builds, generation } = await preparedApp(t)
  const before = await app.inject('/things/a')
  await store.transaction(async (tx) => {
    await insertArticle(tx, 'in-a-transaction')
  })
  const after = await app.inject('/things/a')
  t.equal(after.json().articles.n, 1, 'the committed article is counted')
  t.not(after.headers.etag, before.headers.etag)
  t.equal(builds.length, 2)
  // On PostgreSQL the commit's own notification arrives afterwards and moves the generation once more.
  await listening(generation)
  await app.inject('/things/a')
  const settled = builds.length
  await store.transaction((tx) => tx.get('SELECT count(*) AS n FROM articles'))
  await app.inject('/things/a')
  t.equal(builds.length, settled, 'a transaction that only read changes nothing')
})

t.test('a commit by another connection is seen on the next turn of the event loop', { skip: SQLITE_ONLY }, async (t) => {
  const { app, env, builds } = await preparedApp(t)
  const before = await app.inject('/things/a')
  const other = new SqliteStore(openDatabase(env.DATABASE_PATH!))
  t.teardown(() => other.close())
  await insertArticle(other, 'from-elsewhere')
  await nextTurn()
  const after = await app.inject('/things/a')
  t.equal(after.json().articles.n, 1, 'the other connection\'s article is counted')
  t.not(after.headers.etag, before.headers.etag)
  t.equal(builds.length, 2)
})

/** Asks for /things/a until its count of articles is `count`; how many asks that took (at most `attempts`, 10 ms apart). */
async function untilCounted(app: Awaited<ReturnType<typeof preparedApp>>['app'], count: number, attempts = 300): Promise<number> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if ((await app.inject('/things/a')).json().articles.n === count) return attempt
    await sleep(10)
  }
  return Infinity
}

/**
 * Once the app listens again (one article counted so far): an answer is built once and reused, and
 * another node's commit is heard.
 */
async function listensAgain(t: Test, { app, builds, generation }: Pick<Awaited<ReturnType<typeof preparedAppOn>>, 'app' | 'builds' | 'generation'>, other: Queries) {
  await listening(generation)
  const standing = builds.length
  await app.inject('/things/a')
  await app.inject('/things/a')
  t.equal(builds.length, standing + 1, 'listening again: the answer is built once and reused')
  await insertArticle(other, 'heard-again')
  t.ok((await untilCounted(app, 2)) < Infinity, 'and a commit by another node is heard again')
}

t.test('PostgreSQL: a commit by another node is heard, and the next answer has it', { skip: POSTGRES_ONLY }, async (t) => {
  const { app, env, builds, generation } = await preparedApp(t)
  const before = await app.inject('/things/a')
  for (let n = 0; n < 5; n++) await app.inject('/things/a')
  t.equal(builds.length, 1, 'reused while nothing changes')
  const other = otherNode(t, env.DATABASE_URL!)
  await insertArticle(other, 'from-another-node')
  t.ok((await untilCounted(app, 1)) < Infinity, 'the other node\'s article is counted once its commit is heard')
  const after = await app.inject({ url: '/things/a', headers: { 'if-none-match': before.headers.etag as string } })
  t.equal(after.statusCode, 200, 'the old tag no longer validates')
  await other.transaction(async (tx) => {
    await insertArticle(tx, 'in-a-transaction-of-another-node')
  })
  t.ok((await untilCounted(app, 2)) < Infinity, 'a transaction of the other node too')
  await listening(generation)
  await app.inject('/things/a')
  const rebuilt = builds.length
  await other.transaction(async (tx) => {
    await insertArticle(tx, 'rolled-back')
    throw new Error('roll back')
  }).catch(() => {})
  await sleep(200)
  await app.inject('/things/a')
  t.equal(builds.length, rebuilt, 'a rolled-back transaction changes nothing')
})

t.test('PostgreSQL: while the listening connection is down nothing is reused; once it is back, answers are reused again', { skip: POSTGRES_ONLY }, async (t) => {
  const { app, env, builds, generation } = await preparedApp(t)
  const url = env.DATABASE_URL!
  await app.inject('/things/a')
  await app.inject('/things/a')
  t.equal(builds.length, 1, 'reused while listening')
  const other = otherNode(t, url)
  await other.get('SELECT 1')
  const admin = await serverAdmin(t)
  const database = databaseOf(url)
  const allowConnections = await refuseConnections(t, admin, database)
  t.equal(await terminateListeners(admin, database), 1, 'one listening connection, ended by the server')
  let asked = 0
  for (; asked < 300 && builds.length === 1; asked++) {
    await sleep(10)
    await app.inject('/things/a')
  }
  t.ok(builds.length > 1, `an answer is built again once the connection is known to be down (after ${asked} asks)`)

  const down = builds.length
  await insertArticle(other, 'unheard')
  const unheard = await app.inject('/things/a')
  t.equal(unheard.json().articles.n, 1, 'a commit no one could hear is in the very next answer')
  await app.inject('/things/a')
  await app.inject('/things/a')
  t.equal(builds.length, down + 3, 'every answer is built again while no one listens')

  await allowConnections()
  await listensAgain(t, { app, builds, generation }, other)
})

t.test('PostgreSQL: a listening connection cut without a word (a partition) is given up within two heartbeats, and nothing stale is served after', { skip: POSTGRES_ONLY }, async (t) => {
  const url = await createPostgresDatabase(t)
  const proxy = await freezingProxy(t, url)
  const { app, builds, generation } = await preparedAppOn(t, new PostgresStore({ url: proxy.url, poolSize: 2, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000 }))
  await app.inject('/things/a')
  await app.inject('/things/a')
  t.equal(builds.length, 1, 'reused while listening')
  const admin = await serverAdmin(t)
  const port = await listenerPort(admin, databaseOf(url))
  t.ok(port !== undefined && proxy.freeze(port), 'the listening connection is frozen: open at both ends, no bytes flow')
  const other = otherNode(t, url)
  await insertArticle(other, 'unheard-in-the-partition')
  const started = Date.now()
  const fresh = (await untilCounted(app, 1, 1000)) < Infinity
  t.ok(fresh, 'the commit is in an answer once the frozen connection is given up')
  if (fresh) t.comment(`fresh after ${Date.now() - started} ms (heartbeat every ${LISTENER_HEARTBEAT_MS} ms)`)
  await listensAgain(t, { app, builds, generation }, other)
})

t.test('the instant a scheduled article becomes public every answer is rebuilt, and not before', async (t) => {
  let clock = Date.parse('2026-06-01T00:00:00.000Z')
  const { app, store, builds, generation } = await preparedApp(t, { now: () => new Date(clock) })
  await insertArticle(store, 'scheduled', '2026-06-02T00:00:00.000Z')
  // On PostgreSQL the next publication is read after the write, off the request path; until it is known nothing is reused.
  await listening(generation)
  await app.inject('/things/a')
  clock = Date.parse('2026-06-01T23:59:59.999Z')
  await app.inject('/things/a')
  t.equal(builds.length, 1, 'a millisecond before, the answer stands')
  clock = Date.parse('2026-06-02T00:00:00.000Z')
  await app.inject('/things/a')
  t.equal(builds.length, 2, 'at the instant it is rebuilt')
  await app.inject('/things/a')
  t.equal(builds.length, 2, 'and then stands again')
})

t.test('entries are keyed by route, parameters and normalized query', async (t) => {
  const { app, builds } = await preparedApp(t)
  await app.inject('/things/a?limit=1&size=2')
  await app.inject('/things/a?size=2&limit=1')
  t.equal(builds.length, 1, 'the same query in another order is the same entry')
  await app.inject('/things/a?limit=2&size=2')
  await app.inject('/things/b?limit=1&size=2')
  t.equal(builds.length, 3, 'another limit, another parameter: entries of their own')
})

t.test('every coding is made once, has its own strong tag, and decodes to the identity bytes', async (t) => {
  const { app, builds } = await preparedApp(t)
  const url = `/things/a?word=${encodeURIComponent('massage ')}&size=400`
  const identity = await app.inject(url)
  t.ok(identity.rawPayload.length > 1024)
  for (const [coding, decode] of [
    ['br', brotliDecompressSync],
    ['gzip', gunzipSync],
  ] as const) {
    const coded = await app.inject({ url, headers: { 'accept-encoding': coding } })
    t.equal(coded.headers['content-encoding'], coding)
    t.equal(coded.headers['content-length'], String(coded.rawPayload.length))
    t.equal(decode(coded.rawPayload).toString(), identity.body)
    t.equal(coded.headers.etag, codingTag(identity.headers.etag as string, coding))
    const again = await app.inject({ url, headers: { 'accept-encoding': coding } })
    t.ok(again.rawPayload.equals(coded.rawPayload), `${coding}: the same bytes again`)
    const revalidated = await app.inject({ url, headers: { 'accept-encoding': coding, 'if-none-match': coded.headers.etag as string } })
    t.equal(revalidated.statusCode, 304)
    t.equal(revalidated.headers.etag, coded.headers.etag, `${coding}: the 304 names the coding's tag`)
  }
  t.equal(builds.length, 1)
})

t.test('Accept-Encoding: q-values decide, br wins a tie, q=0 refuses', async (t) => {
  t.equal(preferredCoding('gzip, deflate, br'), 'br')
  t.equal(preferredCoding('gzip;q=1, br;q=0.5'), 'gzip')
  t.equal(preferredCoding('br;q=0, gzip'), 'gzip')
  t.equal(preferredCoding('identity'), undefined)
  t.equal(preferredCoding('*'), 'br')
  t.equal(preferredCoding('*;q=0, gzip'), 'gzip')
  t.equal(preferredCoding('deflate'), undefined)
  t.equal(preferredCoding('GZIP'), 'gzip')
})

t.test('memory stays within the bound: the least recently used entry goes first', async (t) => {
  const size = 200
  // Each entry is a little over 2 KiB of bookkeeping plus its ~210-byte body; five fit, not six.
  const { app, builds } = await preparedApp(t, { maxBytes: 5 * 2300 })
  for (const name of ['a', 'b', 'c', 'd', 'e']) await app.inject(`/things/${name}?size=${size}`)
  await app.inject(`/things/a?size=${size}`)
  t.equal(builds.length, 5, 'five entries fit')
  await app.inject(`/things/f?size=${size}`)
  await app.inject(`/things/a?size=${size}`)
  t.equal(builds.length, 6, 'a was used recently: it stayed')
  await app.inject(`/things/b?size=${size}`)
  t.equal(builds.length, 7, 'b was the least recently used: it went')

  const { app: none, builds: every } = await preparedApp(t, { maxBytes: 0 })
  await none.inject('/things/a')
  await none.inject('/things/a')
  t.equal(every.length, 2, 'RESPONSE_CACHE_BYTES=0 keeps nothing')
})

t.test('a request with credentials neither reads nor fills an entry, and is private', async (t) => {
  const { app, builds } = await preparedApp(t)
  const publicAnswer = await app.inject('/things/a')
  const privateAnswer = await app.inject({ url: '/things/a', headers: { authorization: 'Bearer x' } })
  t.equal(privateAnswer.statusCode, 200)
  t.equal(privateAnswer.headers['cache-control'], 'private, no-store')
  t.equal(builds.length, 2, 'built for the caller')
  const withTag = await app.inject({ url: '/things/a', headers: { authorization: 'Bearer x', 'if-none-match': publicAnswer.headers.etag as string } })
  t.equal(withTag.statusCode, 200, 'not answered from the shared validators')
  t.equal((await app.inject('/things/a')).headers['cache-control'], PUBLIC)
  t.equal(builds.length, 3, 'the public entry stayed')
})
