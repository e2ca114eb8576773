import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import pg from 'pg'
import t, { type Test } from 'tap'
import { ON_POSTGRES } from './helpers/store.js'
import { logLines, SERVER, spawnServer, stop, waitForExit, waitUntilReady } from './helpers/server.js'

const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'

async function getJson(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers })
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> }
}

/** On PostgreSQL, a new empty database on TEST_POSTGRES_URL's server (dropped after the test): the server must migrate it itself. */
async function emptyPostgresDatabase(t: Test): Promise<string> {
  const server = process.env.TEST_POSTGRES_URL!
  const name = `server_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server })
    await client.connect()
    await client.query(sql).finally(() => client.end())
  }
  await admin(`CREATE DATABASE ${name}`)
  t.teardown(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  const url = new URL(server)
  url.pathname = `/${name}`
  return url.toString()
}

interface ArticleBody {
  id: number
  updatedAt: string
  sections: { heading?: string }[]
}

t.test('the compiled server', async (t) => {
  t.ok(existsSync(SERVER), 'dist/server.js exists (npm run -s build)')
  const dir = t.testdir({})
  const databasePath = join(dir, 'data', 'content.db')
  // On PostgreSQL DATABASE_URL is set too, and wins: the SQLite file is never made.
  const postgresUrl = ON_POSTGRES ? await emptyPostgresDatabase(t) : undefined
  const env: Record<string, string> = postgresUrl ? { DATABASE_URL: postgresUrl } : {}
  let firstArticle: ArticleBody | undefined

  await t.test('on a fresh database it migrates, seeds and serves the seed article', async (t) => {
    const server = await spawnServer(t, databasePath, env)
    await waitUntilReady(server)
    if (postgresUrl) t.notOk(existsSync(databasePath), 'DATABASE_URL is used, not DATABASE_PATH')
    else t.ok(existsSync(databasePath), 'the database file is created where DATABASE_PATH says')

    const article = await getJson(`${server.url}/v1/articles/${SEED_SLUG}`, { 'x-request-id': 'server-test-article' })
    t.equal(article.status, 200)
    t.equal(article.headers.get('x-request-id'), 'server-test-article')
    const body = article.body as unknown as ArticleBody & { slug: string; status: string }
    t.equal(body.slug, SEED_SLUG)
    t.equal(body.status, 'published')
    t.equal(body.sections.filter((section) => section.heading !== undefined).length, 6, 'six headed sections')
    firstArticle = body

    const techniques = await getJson(`${server.url}/v1/articles/${SEED_SLUG}/techniques`)
    t.equal(techniques.status, 200)
    t.same(
      (techniques.body.data as { name: string }[]).map((entry) => entry.name),
      ['Deep Pressure', 'Friction', 'Stripping', 'Trigger Point Therapy'],
    )
    const benefits = await getJson(`${server.url}/v1/articles/${SEED_SLUG}/benefits`)
    t.equal(benefits.status, 200)
    t.equal((benefits.body.data as unknown[]).length, 5)

    const missing = await getJson(`${server.url}/v1/articles/no-such-article`)
    t.equal(missing.status, 404)

    await stop(t, server)

    const lines = logLines(server.stdout())
    t.ok(lines.length > 0, 'the server logs to stdout')
    t.ok(lines.every((line) => typeof line.level === 'number' && typeof line.msg === 'string'), 'every stdout line is a JSON log record')
    t.match(lines.find((line) => line.msg === 'database ready'), { migrations: [1], seeded: [SEED_SLUG] })

    const requestLines = lines.filter((line) => 'req' in line || 'res' in line)
    t.ok(requestLines.length >= 2, 'requests are logged')
    t.ok(requestLines.every((line) => typeof line.reqId === 'string' && line.reqId !== ''), 'every request line carries the request id')
    const forArticle = requestLines.filter((line) => line.reqId === 'server-test-article')
    t.ok(forArticle.some((line) => line.msg === 'incoming request'), "the client's x-request-id is the logged request id")
    t.ok(forArticle.some((line) => line.msg === 'request completed'))
    t.match(
      forArticle.find((line) => line.msg === 'incoming request'),
      { req: { method: 'GET', path: `/v1/articles/${SEED_SLUG}` } },
    )
    t.notOk(server.stdout().includes('remoteAddress'), 'no remoteAddress field is logged')
    t.notOk(server.stdout().includes('remotePort'), 'no remotePort field is logged')
    t.notOk(
      requestLines.some((line) => JSON.stringify(line).includes('127.0.0.1')),
      "no request line holds the client's address",
    )
    t.ok(lines.some((line) => line.msg === 'shutting down: finishing in-flight requests' && line.signal === 'SIGTERM'))
  })

  await t.test('a restart on the same database does not import the seed again', async (t) => {
    t.ok(firstArticle, 'the first start served the article')
    const server = await spawnServer(t, databasePath, env)
    await waitUntilReady(server)
    const article = await getJson(`${server.url}/v1/articles/${SEED_SLUG}`)
    t.equal(article.status, 200)
    t.equal(article.body.id, firstArticle?.id, 'the same article id')
    t.equal(article.body.updatedAt, firstArticle?.updatedAt, 'the same updatedAt')
    const list = await getJson(`${server.url}/v1/articles`)
    t.equal((list.body.data as unknown[]).length, 1, 'still one article')
    await stop(t, server)
    t.match(
      logLines(server.stdout()).find((line) => line.msg === 'database ready'),
      { migrations: [], seeded: [] },
    )
  })

  await t.test('it refuses a database with a migration it does not know', async (t) => {
    const future = [999, 'from_the_future', 'f'.repeat(64), '2030-01-01T00:00:00.000Z']
    if (postgresUrl) {
      const client = new pg.Client({ connectionString: postgresUrl })
      await client.connect()
      await client.query('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)', future).finally(() => client.end())
    } else {
      const db = new Database(databasePath, { fileMustExist: true })
      db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(...future)
      db.close()
    }

    const server = await spawnServer(t, databasePath, env)
    const exit = await waitForExit(server)
    t.ok(exit, 'the process exits on its own')
    t.not(exit?.code, 0, 'with a non-zero exit code')
    t.equal(exit?.signal, null)
    t.match(server.stderr(), /refusing/)
    t.match(server.stderr(), /999/)
    t.notOk(logLines(server.stdout()).some((line) => typeof line.msg === 'string' && line.msg.startsWith('Server listening')), 'it never listens')
  })
})

t.test('an invalid PORT stops the server before it starts', async (t) => {
  const dir = t.testdir({})
  const databasePath = join(dir, 'content.db')
  const server = await spawnServer(t, databasePath, { PORT: 'abc' })
  const exit = await waitForExit(server)
  t.ok(exit, 'the process exits on its own')
  t.not(exit?.code, 0, 'with a non-zero exit code')
  t.equal(exit?.signal, null)
  t.match(server.stderr(), /PORT/)
  t.match(server.stderr(), /invalid configuration/)
  t.notOk(existsSync(databasePath), 'no database is created')
})
