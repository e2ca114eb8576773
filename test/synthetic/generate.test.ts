import { mkdtempSync, rmSync } from 'node:fs'
import { createPostgresDatabase, createTestStore, ON_POSTGRES, type TestStore } from '../helpers/store.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import type { Test } from 'tap'
import { openDatabase } from '../../src/db/database.js'
import { PostgresStore } from '../../src/db/postgres.js'
import type { Queries } from '../../src/db/store.js'
import { runSyntheticCli } from '../../src/synthetic/cli.js'
import { generateSynthetic, prng } from '../../src/synthetic/generate.js'

/** The store's triggers, as `name` lines: the same after a load as on a fresh database. */
const TRIGGERS = {
  sqlite: "SELECT name || ' enabled' AS name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name",
  postgres: "SELECT tgrelid::regclass::text || '.' || tgname || CASE WHEN tgenabled = 'D' THEN ' disabled' ELSE ' enabled' END AS name FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
}
const triggers = async (store: Queries) => (await store.all<{ name: string }>(TRIGGERS)).map((row) => row.name)

const CONTENT = [
  'SELECT id, slug, title, summary, status, published_at, word_count, reading_time_minutes, comment_count, sections FROM articles ORDER BY id',
  'SELECT * FROM article_entries ORDER BY article_id, kind, position',
  'SELECT * FROM comments ORDER BY id',
]

function dump(store: Queries): Promise<unknown[][]> {
  return Promise.all(CONTENT.map((sql) => store.all(sql)))
}

/** A fresh store of the kind under test, filled; the test closes it. */
async function generated(t: Test, options: { articles: number; comments: number; seed?: number }, closedBy: 'test' | 'app' = 'test'): Promise<TestStore & { result: Awaited<ReturnType<typeof generateSynthetic>> }> {
  const made = await createTestStore(t)
  if (closedBy === 'test') t.teardown(() => made.store.close())
  return { ...made, result: await generateSynthetic(made.store, options) }
}

t.test('the PRNG is deterministic and spread over [0, 1)', async (t) => {
  const a = prng(7)
  const b = prng(7)
  const values = Array.from({ length: 1000 }, () => a())
  t.same(values, Array.from({ length: 1000 }, () => b()))
  t.ok(values.every((value) => value >= 0 && value < 1))
  t.not(prng(8)(), prng(7)())
})

t.test('the same options give the same rows; another seed gives others', async (t) => {
  const first = await generated(t, { articles: 30, comments: 400, seed: 3 })
  const second = await generated(t, { articles: 30, comments: 400, seed: 3 })
  const other = await generated(t, { articles: 30, comments: 400, seed: 4 })
  t.same(await dump(first.store), await dump(second.store))
  t.same(first.result, second.result)
  t.notSame((await dump(first.store))[2], (await dump(other.store))[2])
})

t.test('counts, shapes and the counters the triggers would keep', async (t) => {
  const fresh = await createTestStore(t)
  const before = await triggers(fresh.store)
  await fresh.store.close()
  const { store, result } = await generated(t, { articles: 40, comments: 1000 })
  const count = async (sql: string) => (await store.get<{ n: number }>(sql))!.n
  t.equal(await count('SELECT count(*) AS n FROM articles'), 40)
  t.equal(await count("SELECT count(*) AS n FROM articles WHERE status = 'published'"), result.published)
  t.equal(await count('SELECT count(*) AS n FROM comments'), 1000)
  t.equal(await count("SELECT count(*) AS n FROM comments WHERE status = 'approved'"), result.approved)
  t.equal(await count("SELECT count(*) AS n FROM comments WHERE status = 'approved' AND parent_id IS NOT NULL"), result.replies)
  t.ok(result.replies > 0, 'some comments are replies')
  t.ok(result.hotArticleComments >= 30, 'the newest article has many comments')
  t.same(await triggers(store), before, 'the counting triggers are back (and enabled)')
  t.equal(await count("SELECT count(*) AS n FROM articles AS a WHERE comment_count <> (SELECT count(*) FROM comments WHERE article_id = a.id AND status = 'approved')"), 0)
  t.equal(await count("SELECT count(*) AS n FROM comments AS c WHERE reply_count <> (SELECT count(*) FROM comments WHERE parent_id = c.id AND status = 'approved')"), 0)
  t.equal(await count("SELECT count(*) AS n FROM comments AS c JOIN comments AS p ON p.id = c.parent_id WHERE p.status <> 'approved' OR p.article_id <> c.article_id"), 0, 'replies answer approved comments of the same article')
  const words = (await store.get<{ low: number; high: number }>('SELECT min(word_count) AS low, max(word_count) AS high FROM articles'))!
  t.ok(words.low > 300 && words.high < 2000, `article sizes like the seed's (${words.low}–${words.high} words)`)
  t.ok((await count("SELECT count(DISTINCT slug) AS n FROM article_entries WHERE kind = 'techniques'") ) > 10, 'techniques recur across articles')
})

t.test('a database that has articles is refused', async (t) => {
  const { store } = await generated(t, { articles: 2, comments: 0 })
  await t.rejects(generateSynthetic(store, { articles: 2, comments: 0 }), /already has articles/)
})

t.test('the app reads the generated rows: lists, the article, its comments, a deep cursor', async (t) => {
  const { store, migrations, env, result } = await generated(t, { articles: 25, comments: 600 }, 'app')
  const app = await buildApp({ store, migrations, config: loadConfig(env), logger: false })
  t.teardown(() => app.close())
  const list = await app.inject('/v1/articles?limit=10')
  t.equal(list.statusCode, 200)
  t.equal(list.json().data[0].slug, result.hotArticleSlug, 'the newest article comes first')
  const next = await app.inject(`/v1/articles?limit=10&cursor=${list.json().meta.nextCursor}`)
  t.equal(next.statusCode, 200)
  t.equal(next.json().data.length, 10)
  const article = await app.inject(`/v1/articles/${result.hotArticleSlug}`)
  t.equal(article.statusCode, 200)
  t.ok(article.json().sections.length >= 5)
  for (const kind of ['techniques', 'benefits']) t.ok((await app.inject(`/v1/articles/${result.hotArticleSlug}/${kind}`)).json().data.length >= 4)
  const technique = (await app.inject('/v1/techniques?limit=1')).json().data[0].slug
  t.equal((await app.inject(`/v1/techniques/${technique}`)).statusCode, 200)
  let url = `/v1/articles/${result.hotArticleSlug}/comments?limit=5`
  let seen = 0
  for (let page = 0; page < 100 && url; page++) {
    const response = await app.inject(url)
    t.equal(response.statusCode, 200)
    seen += response.json().data.length
    url = response.json().meta.nextCursor && `/v1/articles/${result.hotArticleSlug}/comments?limit=5&cursor=${response.json().meta.nextCursor}`
  }
  t.equal(seen, article.json().commentCount, 'every approved comment is reached through the cursors')
})

t.test('the command line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'synthetic-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const run = async (argv: string[]) => {
    const out: string[] = []
    const err: string[] = []
    const code = await runSyntheticCli(argv, { stdout: (text) => out.push(text), stderr: (text) => err.push(text) })
    return { code, out: out.join('\n'), err: err.join('\n') }
  }
  const database = ON_POSTGRES ? await createPostgresDatabase(t) : join(dir, 'synthetic.db')
  const made = await run(['--articles', '5', '--comments', '50', '--database', database, '--seed', '2'])
  t.equal(made.code, 0, made.err)
  t.match(made.out, /5 articles .* 50 comments/)
  t.notMatch(made.out, /:pw@|password/, 'no password in the output')
  if (ON_POSTGRES) {
    const store = new PostgresStore({ url: database, poolSize: 1, statementTimeoutMs: 10_000, connectTimeoutMs: 10_000 })
    t.equal((await store.get<{ n: number }>('SELECT count(*) AS n FROM comments'))!.n, 50)
    await store.close()
  } else {
    const db = openDatabase(database)
    t.equal((db.prepare('SELECT count(*) AS n FROM comments').get() as { n: number }).n, 50)
    t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
    db.close()
  }
  t.equal((await run(['--articles', '5', '--database', database])).code, 1, 'a filled database is refused')
  t.match((await run(['--articles', '5', '--database', database])).err, /already has articles/)
  t.equal((await run(['--help'])).code, 0)
  t.match((await run(['--articles', 'many', '--comments=-1'])).err, /--articles must be a whole number/)
  t.match((await run(['--articles', '0', '--database', database])).err, /at least 1/)
  t.match((await run([])).err, /--database is required/)
  t.equal((await run(['--bogus'])).code, 2)
})
