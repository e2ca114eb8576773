import { join } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import Database from 'better-sqlite3'
import Fastify from 'fastify'
import t from 'tap'
import type { Test } from 'tap'
import Type from 'typebox'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { useHttpCaching } from '../../src/http/caching.js'
import { codingTag } from '../../src/http/conditional.js'
import { SqliteDataGeneration } from '../../src/db/sqlite-generation.js'
import { PREPARED_ROUTE, preferredCoding, usePreparedAnswers } from '../../src/http/prepared.js'
import { SECURITY_HEADERS } from '../../src/http/security-headers.js'

const PUBLIC = 'public, max-age=60, stale-while-revalidate=300'

/**
 * A real Fastify app on a real migrated SQLite file with one route answering through the prepared
 * answers, whose build counts its runs: what is built once, what is rebuilt and when.
 */
async function preparedApp(t: Test, options: { maxBytes?: number; now?: () => Date } = {}) {
  const path = join(t.testdir({}), 'content.db')
  const db = openDatabase(path)
  migrate(db)
  const app = Fastify()
  useHttpCaching(app, { maxAge: 60, staleWhileRevalidate: 300 })
  usePreparedAnswers(app, { generation: new SqliteDataGeneration(db, options.now ?? (() => new Date())), maxBytes: options.maxBytes ?? 1024 * 1024, cacheControl: PUBLIC, cors: false })
  const builds: string[] = []
  const query = Type.Object({ size: Type.Optional(Type.Integer()), limit: Type.Optional(Type.Integer()), word: Type.Optional(Type.String()) })
  app.get('/things/:name', { ...PREPARED_ROUTE, schema: { querystring: query } }, async (request, reply) =>
    reply.sendPrepared(() => {
      builds.push(request.url)
      const { size = 1, word = 'x' } = request.query as { size?: number; word?: string }
      reply.header('last-modified', 'Thu, 15 Jan 2026 09:00:00 GMT')
      return { name: (request.params as { name: string }).name, text: word.repeat(size), articles: db.prepare('SELECT count(*) AS n FROM articles').get() }
    }),
  )
  t.teardown(async () => {
    await app.close()
    db.close()
  })
  return { app, db, path, builds }
}

const insertArticle = (db: Database.Database, slug: string, publishedAt = '2026-01-01T00:00:00.000Z') =>
  db
    .prepare("INSERT INTO articles (slug, title, summary, status, published_at, created_at, updated_at, word_count, reading_time_minutes, sections) VALUES (?, 'T', 'S', 'published', ?, ?, ?, 1, 1, '[]')")
    .run(slug, publishedAt, publishedAt, publishedAt)

t.test('an answer is built once and served again with every header, until the data changes', async (t) => {
  const { app, db, builds } = await preparedApp(t)
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

  insertArticle(db, 'one')
  const changed = await app.inject({ url: '/things/a', headers: { 'if-none-match': first.headers.etag as string } })
  t.equal(changed.statusCode, 200, 'a commit on this connection: the old tag no longer validates')
  t.equal(changed.json().articles.n, 1)
  t.equal(builds.length, 2, 'rebuilt once')
})

t.test('a commit by another connection is seen on the next turn of the event loop', async (t) => {
  const { app, path, builds } = await preparedApp(t)
  const before = await app.inject('/things/a')
  const other = new Database(path)
  t.teardown(() => other.close())
  insertArticle(other, 'from-elsewhere')
  await nextTurn()
  const after = await app.inject('/things/a')
  t.equal(after.json().articles.n, 1, 'the other connection\'s article is counted')
  t.not(after.headers.etag, before.headers.etag)
  t.equal(builds.length, 2)
})

t.test('the instant a scheduled article becomes public every answer is rebuilt, and not before', async (t) => {
  let clock = Date.parse('2026-06-01T00:00:00.000Z')
  const { app, db, builds } = await preparedApp(t, { now: () => new Date(clock) })
  insertArticle(db, 'scheduled', '2026-06-02T00:00:00.000Z')
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
