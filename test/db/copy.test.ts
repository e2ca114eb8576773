import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import t, { type Test } from 'tap'
import { buildApp, type App } from '../../src/app.js'
import { ArticleRepository } from '../../src/articles/repository.js'
import { loadConfig } from '../../src/config.js'
import { copySqliteToPostgres } from '../../src/db/copy.js'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { PostgresStore } from '../../src/db/postgres.js'
import { POSTGRES_MIGRATIONS_DIR } from '../../src/db/postgres-migrate.js'
import { readMigrations } from '../../src/db/migrate.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { ADMIN, AUTO, SLUG, commentsUrl, newComment, post } from '../comments/helpers.js'
import { articleText, TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { PROJECT_DIR } from '../helpers/server.js'
import { createPostgresDatabase, POSTGRES_ONLY, sqliteStore } from '../helpers/store.js'

const NOW = () => new Date('2026-03-01T12:00:00.000Z')
const COPY_CLI = join(PROJECT_DIR, 'src', 'db', 'copy-cli.ts')

/** `npm run db:copy -- ...` without npm or a build: the CLI's source through tsx. */
async function runCopy(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', COPY_CLI, ...args], { cwd: PROJECT_DIR })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

const config = (env: Record<string, string>) => loadConfig({ ...env, ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...AUTO })

/** A SQLite file as a site that ran a while has it: the seed and another article, an edit (a revision), comments and a reply, a webhook endpoint. */
async function filledSqliteFile(t: Test): Promise<string> {
  const path = join(t.testdir({}), 'content.db')
  const db = openDatabase(path)
  migrate(db)
  const { store, migrations } = sqliteStore(db)
  await seedIfEmpty(new ArticleRepository(store), new Date('2026-01-15T09:00:00.000Z'))
  const app = await buildApp({ store, migrations, config: config({ DATABASE_PATH: path }), logger: false, now: NOW })
  const editor = { ...ADMIN, 'content-type': 'text/plain; charset=utf-8' }
  t.equal((await app.inject({ method: 'POST', url: '/v1/imports?publish=true', headers: editor, payload: articleText('Hot Stone Basics', ['Stone Placement', 'Deep Pressure'], ['Warmth', 'Pain Relief']) })).statusCode, 201)
  t.equal((await app.inject({ method: 'PATCH', url: '/v1/articles/hot-stone-basics', headers: ADMIN, payload: { title: 'Hot Stone Basics, Revised' } })).statusCode, 200, 'an edit keeps a revision')
  const question = (await post(app, newComment())).json() as { id: number }
  t.equal((await post(app, newComment({ parentId: question.id }))).statusCode, 201)
  t.equal((await post(app, newComment(), { slug: 'hot-stone-basics' })).statusCode, 201)
  await store.run('INSERT INTO webhook_endpoints (url, description, events, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', [
    'https://hooks.spa.example/content',
    'the website',
    '["article.published","article.updated"]',
    'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    '2026-02-01T00:00:00.000Z',
    '2026-02-01T00:00:00.000Z',
  ])
  await app.close()
  return path
}

t.test('db:copy moves a SQLite file into PostgreSQL, which then serves the same answers (bodies and ETags)', { skip: POSTGRES_ONLY }, async (t) => {
  const path = await filledSqliteFile(t)
  const url = await createPostgresDatabase(t)

  const copied = await runCopy(['--from', path, '--to', url])
  t.equal(copied.code, 0, copied.stderr)
  t.match(copied.stdout, /^articles\s+2 ->\s+2$/m, 'the count of each table, both sides')
  t.match(copied.stdout, /^comments\s+3 ->\s+3$/m)
  t.match(copied.stdout, /^article_revisions\s+\d+ ->\s+\d+$/m)
  t.match(copied.stdout, /^webhook_endpoints\s+1 ->\s+1$/m)
  t.match(copied.stdout, /the counts match/)
  t.notMatch(copied.stdout + copied.stderr, /:pw@|password/, 'no password in the output')

  const source = await buildApp({ ...sqliteStore(openDatabase(path)), config: config({ DATABASE_PATH: path }), logger: false, now: NOW })
  t.teardown(() => source.close())
  const store = new PostgresStore({ url, poolSize: 2, statementTimeoutMs: 10_000, connectTimeoutMs: 10_000 })
  const target = await buildApp({ store, migrations: readMigrations(POSTGRES_MIGRATIONS_DIR), config: config({ DATABASE_URL: url }), logger: false, now: NOW })
  t.teardown(() => target.close())

  const answer = async (app: App, url: string, admin: boolean) => {
    const res = await app.inject({ method: 'GET', url, headers: admin ? ADMIN : {} })
    return { status: res.statusCode, etag: res.headers.etag, body: res.json() as unknown }
  }
  const urls: [string, boolean][] = [
    ['/v1/articles', false],
    ['/v1/articles?limit=1', false],
    [`/v1/articles/${SLUG}`, false],
    ['/v1/articles/hot-stone-basics', false],
    [`/v1/articles/${SLUG}/techniques`, false],
    [commentsUrl(), false],
    [commentsUrl('hot-stone-basics'), false],
    ['/v1/techniques', false],
    ['/v1/benefits/pain-relief', false],
    ['/v1/articles/hot-stone-basics/revisions', true],
    ['/v1/comments?status=approved', true],
    ['/v1/webhooks/endpoints', true],
  ]
  for (const [url, admin] of urls) {
    const [fromSqlite, fromPostgres] = [await answer(source, url, admin), await answer(target, url, admin)]
    t.equal(fromSqlite.status, 200, `${url} on SQLite`)
    t.same(fromPostgres, fromSqlite, `${url}: the same status, ETag and body from PostgreSQL`)
  }
  // Search: the same hits in the same order. The snippet is each engine's own choice of passage (SQLite's FTS5
  // snippet(), PostgreSQL's ts_headline), the next page's cursor holds each engine's own score (bm25, ts_rank), and
  // the ETag is made from both: not the copy's to make equal.
  const withoutSnippets = (answer: { status: number; body: unknown }) => {
    const { data, meta } = answer.body as { data: Record<string, unknown>[]; meta: { nextCursor: string | null } }
    return { status: answer.status, hits: data.map(({ snippet: _snippet, ...hit }) => hit), more: meta.nextCursor !== null }
  }
  for (const url of ['/v1/search?q=massage', '/v1/search?q=stone', '/v1/search?q=pressure&limit=2']) {
    const [fromSqlite, fromPostgres] = [await answer(source, url, false), await answer(target, url, false)]
    t.equal(fromSqlite.status, 200, `${url} on SQLite`)
    t.ok((fromSqlite.body as { data: unknown[] }).data.length > 0, `${url} finds something`)
    t.same(withoutSnippets(fromPostgres), withoutSnippets(fromSqlite), `${url}: the same hits from PostgreSQL`)
  }
  const cursor = ((await answer(source, '/v1/articles?limit=1', false)).body as { meta: { nextCursor: string } }).meta.nextCursor
  t.same(await answer(target, `/v1/articles?limit=1&cursor=${cursor}`, false), await answer(source, `/v1/articles?limit=1&cursor=${cursor}`, false), 'a cursor from SQLite pages on PostgreSQL (the secret came along)')

  const largest = (await store.get<{ id: number }>('SELECT max(id) AS id FROM comments'))!.id
  const added = await post(target, newComment())
  t.equal(added.statusCode, 201, 'PostgreSQL takes new comments')
  t.ok((added.json() as { id: number }).id > largest, 'with ids after the copied ones')

  const again = await runCopy(['--from', path, '--to', url])
  t.equal(again.code, 1, 'a second copy into the same database is refused')
  t.match(again.stderr, /the target is not empty \(.*articles.*\)/)
})

t.test('db:copy refuses what it cannot copy and copies nothing then', { skip: POSTGRES_ONLY }, async (t) => {
  t.match(await runCopy([]), { code: 2, stderr: /usage: npm run db:copy -- --from <sqlite file> --to <postgres url>/ })
  t.match(await runCopy(['--from', 'x.db', '--to', 'mysql://x']), { code: 2 })
  t.match(await runCopy(['--from', 'x.db', '--to', 'postgres://x', '--bogus']), { code: 2 })

  const url = await createPostgresDatabase(t)
  t.match(await runCopy(['--from', join(t.testdir({}), 'missing.db'), '--to', url]), { code: 1, stderr: /nothing was copied/ }, 'a missing source')

  const old = join(t.testdir({}), 'old.db')
  const db = openDatabase(old)
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)')
  db.close()
  t.match(await runCopy(['--from', old, '--to', url]), { code: 1, stderr: /not at this code's schema .*npm run migrate/ }, 'a source whose migrations are not all applied')

  // A count check that fails rolls everything back: a source whose row disappears from the target (a row the target drops on insert).
  const path = await filledSqliteFile(t)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query(`CREATE FUNCTION drop_rows() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`)
  // ALWAYS: fires even with session_replication_role = replica, as the copy runs.
  await client.query('CREATE TRIGGER drop_comments BEFORE INSERT ON comments FOR EACH ROW EXECUTE FUNCTION drop_rows()')
  await client.query('ALTER TABLE comments ENABLE ALWAYS TRIGGER drop_comments')
  await t.rejects(copySqliteToPostgres(path, url), /row counts differ, nothing was copied: comments 3 in the source, 0 in the target/)
  const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM articles')
  t.equal(Number(rows[0]!.n), 0, 'nothing was copied')
  await client.end()
})
