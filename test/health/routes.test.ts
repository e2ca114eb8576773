import t from 'tap'
import { SQLITE_ONLY, sqliteStore } from '../helpers/store.js'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { READY_RETRY_AFTER_SECONDS } from '../../src/health/routes.js'
import { loggerOptions } from '../../src/logging.js'
import { checkResponsesAgainstDocument, createTestApp } from '../helpers/app.js'
import { captureLogs } from '../helpers/logs.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

t.test('GET /healthz answers 200 ok', async (t) => {
  const { app } = await createTestApp(t, { seed: false })
  const res = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  t.same(res.json(), { status: 'ok' })
})

t.test('GET /readyz answers 200 on a migrated database', async (t) => {
  const { app } = await createTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok' })
})

t.test('GET /readyz answers 503 when the database has a migration the code does not know', async (t) => {
  const { app, store } = await createTestApp(t, { seed: false })
  await store.run('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)', [999, 'from_the_future', 'f'.repeat(64), '2030-01-01T00:00:00.000Z'])
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(res.statusCode, 503)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  const body = res.json()
  t.equal(body.type, '/problems/service-unavailable')
  t.equal(body.status, 503)
  t.equal(body.title, 'Service Unavailable')
  t.match(body.detail, /\b999\b/)
  t.match(body.detail, /from_the_future/)
  t.equal(body.requestId, res.headers['x-request-id'], 'the problem carries the request id')

  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'liveness is unaffected')
})

t.test('GET /readyz answers 503 when a migration is pending', async (t) => {
  const { app, store } = await createTestApp(t, { seed: false })
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready before')
  t.equal(await store.run('DELETE FROM schema_migrations WHERE version = 1'), 1)
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(res.statusCode, 503)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  const body = res.json()
  t.equal(body.type, '/problems/service-unavailable')
  t.match(body.detail, /1 migration\(s\) not applied/)
})

t.test('every response carries an x-request-id', async (t) => {
  const { app, store } = await createTestApp(t, { seed: false })
  const ids = new Set<string>()
  for (const url of ['/healthz', '/readyz', '/no/such/route', '/v1/articles?limit=abc']) {
    const res = await app.inject({ method: 'GET', url })
    const id = res.headers['x-request-id']
    t.type(id, 'string', `${url} (${res.statusCode}) has an x-request-id`)
    t.match(id, UUID, 'a generated id is a UUID')
    ids.add(String(id))
  }
  t.equal(ids.size, 4, 'each request gets its own id')

  await store.run("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, 'x', 'x', 'x')")
  const failing = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(failing.statusCode, 503)
  t.match(failing.headers['x-request-id'], UUID, 'a 503 has one too')
})

t.test("a client's safe x-request-id is echoed back", async (t) => {
  const { app } = await createTestApp(t, { seed: false })
  const res = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } })
  t.equal(res.headers['x-request-id'], 'abc-123')

  const missing = await app.inject({ method: 'GET', url: '/no/such/route', headers: { 'x-request-id': 'trace.id:42_ok' } })
  t.equal(missing.statusCode, 404)
  t.equal(missing.headers['x-request-id'], 'trace.id:42_ok')
  t.equal(missing.json().requestId, 'trace.id:42_ok', 'and used in problem bodies')

  const longest = 'a'.repeat(128)
  t.equal((await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': longest } })).headers['x-request-id'], longest, '128 characters is allowed')
})

t.test("an unsafe x-request-id is replaced by a generated one", async (t) => {
  const { app } = await createTestApp(t, { seed: false })
  for (const unsafe of ['bad id with spaces', 'x'.repeat(300), 'a'.repeat(129), '<script>', 'a/b', 'ünïcode', 'line\tbreak']) {
    const res = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': unsafe } })
    t.equal(res.statusCode, 200)
    const id = res.headers['x-request-id']
    t.not(id, unsafe, `${JSON.stringify(unsafe.slice(0, 20))} is not echoed`)
    t.match(id, UUID, 'a generated one is sent instead')
  }
  const missing = await app.inject({ method: 'GET', url: '/no/such/route', headers: { 'x-request-id': 'bad id with spaces' } })
  t.match(missing.json().requestId, UUID)
  t.equal(missing.json().requestId, missing.headers['x-request-id'])
})

t.test('issue 15 row 11: /readyz 503 (disk full) has Retry-After, and logs one warn line per change of state, no stack', { skip: SQLITE_ONLY }, async (t) => {
  const { lines, stream } = captureLogs()
  const db = openDatabase(':memory:')
  migrate(db)
  const app = await buildApp({ ...sqliteStore(db), config: loadConfig({ DATABASE_PATH: ':memory:' }), logger: { ...(loggerOptions('info') as object), stream } })
  t.teardown(() => app.close())
  checkResponsesAgainstDocument(t, app)
  const probe = async () => {
    const res = await app.inject('/readyz')
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], type: res.headers['content-type'] }
  }
  t.match(await probe(), { status: 200, retryAfter: undefined })

  // A full disk, as the storage tests make one: the page limit is the pages there are.
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`)
  for (let n = 0; n < 5; n++) t.match(await probe(), { status: 503, retryAfter: String(READY_RETRY_AFTER_SECONDS), type: /^application\/problem\+json/ }, `probe ${n + 1}`)
  db.pragma('max_page_count = 1000000')
  for (let n = 0; n < 3; n++) t.match(await probe(), { status: 200 }, `ready again, probe ${n + 1}`)

  const records = lines.map((line) => JSON.parse(line) as { level: number; msg: string; reason?: string; err?: unknown })
  const aboutReadiness = records.filter((record) => record.level >= 40)
  t.same(
    aboutReadiness.map((record) => [record.level, record.msg]),
    [
      [40, 'not ready'],
      [40, 'ready again'],
    ],
    'one warn line when it turns unready, one when it is ready again; nothing at error level',
  )
  t.match(aboutReadiness[0], { reason: /page limit \(full\)/ })
  t.notOk(records.some((record) => record.err !== undefined), 'no error object (stack) in any line')
})
