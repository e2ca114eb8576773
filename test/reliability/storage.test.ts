import { join } from 'node:path'
import { sqliteStore } from '../helpers/store.js'
import Database from 'better-sqlite3'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { ArticleRepository } from '../../src/articles/repository.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { FAULT_MEMORY_MS, StorageMonitor, storageFault } from '../../src/db/storage.js'
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

t.test('a full disk: writes are 503 problems, reads work, /readyz says the database is full until a write succeeds', async (t) => {
  const { app, db } = await createTestApp(t, { env: AUTO })
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

t.test('a read-only connection (query_only): writes are 503 problems, reads work, /readyz says so', async (t) => {
  const { app, db } = await createTestApp(t, { env: AUTO })
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

t.test('a database file opened read-only: writes are 503 problems, reads work, /readyz says so', async (t) => {
  const path = join(t.testdir({}), 'content.db')
  const writer = openDatabase(path)
  migrate(writer)
  seedIfEmpty(new ArticleRepository(writer), new Date('2026-01-15T09:00:00.000Z'))
  writer.close()
  const db = new Database(path, { readonly: true, fileMustExist: true })
  const app = await buildApp({ ...sqliteStore(db), config: loadConfig({ DATABASE_PATH: path, ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...AUTO }), logger: false })
  t.teardown(() => app.close())
  assertUnavailable(t, await post(app, newComment()), /read-only/, '30')
  await assertReadsWork(t, app)
  t.match(await readiness(app), { status: 503, detail: /open read-only/ })
})

t.test('a database locked by another writer for longer than the busy timeout: 503 with a short Retry-After; readiness is unaffected', async (t) => {
  const path = join(t.testdir({}), 'content.db')
  const db = openDatabase(path)
  migrate(db)
  seedIfEmpty(new ArticleRepository(db), new Date('2026-01-15T09:00:00.000Z'))
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

t.test('readiness forgets a failed write after a while, so an instance out of rotation (getting no writes) comes back', async (t) => {
  const db = openDatabase(':memory:')
  t.teardown(() => db.close())
  let now = 1_000_000
  const monitor = new StorageMonitor(db, () => now)
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
