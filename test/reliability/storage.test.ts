import { join } from 'node:path'
import { SQLITE_ONLY, sqliteStore } from '../helpers/store.js'
import Database from 'better-sqlite3'
import pg from 'pg'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { ArticleRepository } from '../../src/articles/repository.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { SqliteStore } from '../../src/db/sqlite.js'
import { FAULT_MEMORY_MS, StorageMonitor, storageFault, type StorageFault } from '../../src/db/storage.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { createTestApp, TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { ADMIN, AUTO, SLUG, admin, commentsUrl, newComment, post } from '../comments/helpers.js'

/** A write refused for the storage's sake: 503 problem, Retry-After, the reason, no file path. */
function assertUnavailable(t: Test, res: LightMyRequestResponse, reason: RegExp, retryAfter: string) {
  t.equal(res.statusCode, 503, `503: ${res.body.slice(0, 160)}`)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { type: '/problems/service-unavailable', status: 503, title: 'Service Unavailable', detail: reason })
  t.equal(res.headers['retry-after'], retryAfter, 'Retry-After')
  t.notMatch(res.body, /\/tmp|\.db|sqlite_/i, 'no file name or SQLite internals')
}

async function assertReadsWork(t: Test, app: Awaited<ReturnType<typeof createTestApp>>['app']) {
  for (const url of ['/v1/articles', `/v1/articles/${SLUG}`, commentsUrl(), '/v1/techniques']) t.equal((await app.inject(url)).statusCode, 200, `GET ${url} still works`)
  t.equal((await app.inject('/healthz')).statusCode, 200, 'alive')
}

async function readiness(app: Awaited<ReturnType<typeof createTestApp>>['app']) {
  const res = await app.inject('/readyz')
  return { status: res.statusCode, detail: (res.json() as { detail?: string }).detail ?? '' }
}

t.test('a full disk: writes are 503 problems, reads work, /readyz says the database is full until a write succeeds', { skip: SQLITE_ONLY }, async (t) => {
  const { app, sqlite } = await createTestApp(t, { env: AUTO })
  const db = sqlite!
  const pages = db.pragma('page_count', { simple: true }) as number
  db.pragma(`max_page_count = ${pages}`)
  // Each comment is about a page of text, so the free space left in the last pages runs out within a few.
  const statuses: number[] = []
  let refused: LightMyRequestResponse | undefined
  for (let i = 0; i < 20 && !refused; i++) {
    const res = await post(app, newComment({ body: `${i} ${'Deep pressure helped. '.repeat(180)}` }))
    statuses.push(res.statusCode)
    if (res.statusCode !== 201) refused = res
  }
  t.ok(refused, `a write was refused after ${statuses.length - 1} that fit`)
  t.same(statuses.slice(0, -1), Array(statuses.length - 1).fill(201), 'only 201s before it')
  assertUnavailable(t, refused!, /disk holding the database is full/, '30')
  await assertReadsWork(t, app)
  t.match(await readiness(app), { status: 503, detail: /page limit \(full\)/ }, '/readyz: full')

  db.pragma('max_page_count = 1000000')
  t.match(await readiness(app), { status: 503, detail: /a write failed \d+ s ago: the disk holding the database is full \(SQLITE_FULL\)/ }, '/readyz remembers the failed write')
  t.equal((await post(app, newComment())).statusCode, 201, 'space again: the write works')
  t.match(await readiness(app), { status: 200 }, '/readyz: ready once a write succeeded')
})

t.test('a read-only connection (query_only): writes are 503 problems, reads work, /readyz says so', { skip: SQLITE_ONLY }, async (t) => {
  const { app, sqlite } = await createTestApp(t, { env: AUTO })
  const db = sqlite!
  const comment = (await post(app, newComment())).json() as { id: number }
  db.pragma('query_only = 1')
  assertUnavailable(t, await post(app, newComment()), /read-only/, '30')
  assertUnavailable(t, await admin(app, 'PATCH', `/v1/comments/${comment.id}`, { status: 'spam' }), /read-only/, '30')
  assertUnavailable(t, await admin(app, 'DELETE', `/v1/comments/${comment.id}`), /read-only/, '30')
  await assertReadsWork(t, app)
  t.equal((await admin(app, 'GET', '/v1/comments?status=approved')).statusCode, 200, 'moderators can still read')
  t.match(await readiness(app), { status: 503, detail: /open read-only/ })
  db.pragma('query_only = 0')
  t.equal((await post(app, newComment())).statusCode, 201, 'writable again')
  t.match(await readiness(app), { status: 200 })
})

t.test('a database file opened read-only: writes are 503 problems, reads work, /readyz says so', { skip: SQLITE_ONLY }, async (t) => {
  const path = join(t.testdir({}), 'content.db')
  const writer = openDatabase(path)
  migrate(writer)
  await seedIfEmpty(new ArticleRepository(new SqliteStore(writer)), new Date('2026-01-15T09:00:00.000Z'))
  writer.close()
  const db = new Database(path, { readonly: true, fileMustExist: true })
  const app = await buildApp({ ...sqliteStore(db), config: loadConfig({ DATABASE_PATH: path, ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...AUTO }), logger: false })
  t.teardown(() => app.close())
  assertUnavailable(t, await post(app, newComment()), /read-only/, '30')
  await assertReadsWork(t, app)
  t.match(await readiness(app), { status: 503, detail: /open read-only/ })
})

t.test('a database locked by another writer for longer than the busy timeout: 503 with a short Retry-After; readiness is unaffected', { skip: SQLITE_ONLY }, async (t) => {
  const path = join(t.testdir({}), 'content.db')
  const db = openDatabase(path)
  migrate(db)
  await seedIfEmpty(new ArticleRepository(new SqliteStore(db)), new Date('2026-01-15T09:00:00.000Z'))
  // Short, so the test does not wait the service's 5 s.
  db.pragma('busy_timeout = 50')
  const app = await buildApp({ ...sqliteStore(db), config: loadConfig({ DATABASE_PATH: path, ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...AUTO }), logger: false })
  t.teardown(() => app.close())
  const other = new Database(path)
  t.teardown(() => other.close())
  other.exec('BEGIN IMMEDIATE')
  assertUnavailable(t, await post(app, newComment()), /busy/, '1')
  await assertReadsWork(t, app)
  t.match(await readiness(app), { status: 200 }, 'contention is not a broken store')
  other.exec('ROLLBACK')
  t.equal((await post(app, newComment())).statusCode, 201, 'the lock released, the write works')
})

t.test('I/O and open errors from SQLite are 503 problems too; other SQLite errors stay 500s', async (t) => {
  const { app } = await createTestApp(t)
  const errors: Record<string, string> = { ioerr: 'SQLITE_IOERR_WRITE', cantopen: 'SQLITE_CANTOPEN', readonly: 'SQLITE_READONLY_DBMOVED', constraint: 'SQLITE_CONSTRAINT_UNIQUE' }
  for (const [name, code] of Object.entries(errors)) {
    // Hidden: a probe of the error handler, not an operation of the API.
    app.post(`/probe/${name}`, { schema: { hide: true } }, async () => {
      throw new Database.SqliteError(`${code} at /srv/data/content.db`, code)
    })
  }
  assertUnavailable(t, await app.inject({ method: 'POST', url: '/probe/ioerr' }), /I\/O error/, '30')
  assertUnavailable(t, await app.inject({ method: 'POST', url: '/probe/cantopen' }), /cannot be opened/, '30')
  assertUnavailable(t, await app.inject({ method: 'POST', url: '/probe/readonly' }), /read-only/, '30')
  const constraint = await app.inject({ method: 'POST', url: '/probe/constraint' })
  t.equal(constraint.statusCode, 500, 'a constraint violation is a bug, not the storage')
  t.notMatch(constraint.body, /srv|content\.db/)
  t.match(await readiness(app), { status: 503, detail: /a write failed \d+ s ago: the database is read-only \(SQLITE_READONLY_DBMOVED\)/ }, 'the last storage failure')
})

t.test('readiness forgets a failed write after a while, so an instance out of rotation (getting no writes) comes back', { skip: SQLITE_ONLY }, async (t) => {
  const db = openDatabase(':memory:')
  t.teardown(() => db.close())
  let now = 1_000_000
  const monitor = new StorageMonitor(new SqliteStore(db), () => now)
  t.equal(monitor.writeProblem(), undefined)
  monitor.failed(storageFault(new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_FSYNC'))!)
  t.match(monitor.writeProblem(), /I\/O error \(SQLITE_IOERR_FSYNC\)/)
  now += FAULT_MEMORY_MS - 1
  t.ok(monitor.writeProblem(), 'remembered within the window')
  now += 2
  t.equal(monitor.writeProblem(), undefined, 'forgotten after it')
  monitor.failed(storageFault(new Database.SqliteError('database is locked', 'SQLITE_BUSY'))!)
  t.equal(monitor.writeProblem(), undefined, 'a busy lock never makes the instance unready')
  t.equal(storageFault(new Error('SQLITE_FULL')), undefined, 'only SQLite errors are storage faults')
  t.equal(storageFault(Object.assign(new Error('x'), { code: 'SQLITE_FULL' })), undefined)
})

t.test("PostgreSQL's and its connection's faults are 503 problems with Retry-After; only storage faults make readiness remember them", async (t) => {
  const serverError = (code: string, message: string) => Object.assign(new pg.DatabaseError(message, 0, 'error'), { code })
  const socketError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.5:5432`), { code, syscall: 'connect' })
  const cases: [Error, RegExp, number, StorageFault['kind']][] = [
    [serverError('57P01', 'terminating connection due to administrator command'), /shutting down or restarting/, 5, 'connection'],
    [serverError('57P03', 'the database system is starting up'), /shutting down or restarting/, 5, 'connection'],
    [serverError('08006', 'connection failure'), /connection to the database server failed/, 5, 'connection'],
    [serverError('53300', 'sorry, too many clients already'), /too many connections/, 5, 'connection'],
    [serverError('57014', 'canceling statement due to statement timeout'), /statement timeout/, 1, 'contention'],
    [serverError('40001', 'could not serialize access'), /busy/, 1, 'contention'],
    [serverError('53100', 'could not extend file: No space left on device'), /disk holding the database is full/, 30, 'storage'],
    [serverError('25006', 'cannot execute INSERT in a read-only transaction'), /read-only/, 30, 'storage'],
    [socketError('ECONNREFUSED'), /cannot be reached/, 5, 'connection'],
    [socketError('ECONNRESET'), /cannot be reached/, 5, 'connection'],
    [new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')]), /cannot be reached/, 5, 'connection'],
    [new Error('Connection terminated unexpectedly'), /connection to the database server was lost/, 5, 'connection'],
    [new Error('timeout exceeded when trying to connect'), /do(es)? not accept connections in time/, 5, 'connection'],
  ]
  for (const [error, reason, retryAfterSeconds, kind] of cases) {
    t.match(storageFault(error), { reason, retryAfterSeconds, kind }, `${(error as { code?: string }).code ?? error.message}`)
  }
  for (const bug of [serverError('23505', 'duplicate key value violates unique constraint'), serverError('42P01', 'relation "x" does not exist'), new Error('Connection was fine'), Object.assign(new Error('x'), { code: 'FST_ERR_VALIDATION' })]) {
    t.equal(storageFault(bug), undefined, `not a storage fault: ${bug.message}`)
  }

  const { app } = await createTestApp(t)
  const thrown: Record<string, Error> = { restart: cases[0]![0], refused: cases[8]![0], timeout: cases[4]![0], unique: serverError('23505', 'duplicate key value violates unique constraint "articles_slug_key" at db.internal') }
  for (const [name, error] of Object.entries(thrown)) {
    app.post(`/probe/${name}`, { schema: { hide: true } }, async () => {
      throw error
    })
  }
  assertUnavailable(t, await app.inject({ method: 'POST', url: '/probe/restart' }), /shutting down or restarting/, '5')
  assertUnavailable(t, await app.inject({ method: 'POST', url: '/probe/refused' }), /cannot be reached/, '5')
  t.notMatch((await app.inject({ method: 'POST', url: '/probe/refused' })).body, /10\.0\.0\.5|5432/, 'no address of the database server')
  assertUnavailable(t, await app.inject({ method: 'POST', url: '/probe/timeout' }), /statement timeout/, '1')
  const unique = await app.inject({ method: 'POST', url: '/probe/unique' })
  t.equal(unique.statusCode, 500, 'a constraint violation is a bug, not the storage')
  t.notMatch(unique.body, /db\.internal|articles_slug_key/)
  t.match(await readiness(app), { status: 200 }, 'a lost connection or a timeout is not remembered: readiness pings the store itself')
})
