import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import t, { type Test } from 'tap'
import { openDatabase, type SqliteDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { readArticleFile, seedFiles } from '../../src/importer/files.js'

/** A PostgreSQL server this test may create and drop databases on (a superuser's URL). */
const SERVER_URL = process.env.TEST_POSTGRES_URL
const POSTGRES_MIGRATIONS = fileURLToPath(new URL('../../migrations/postgres/', import.meta.url))
const CHANGE_CHANNEL = 'spa_data_changed'

/** A database of its own on the test server, with migrations/postgres/*.sql applied in order, each file in one transaction. */
async function freshDatabase(t: Test): Promise<{ connect: () => Promise<pg.Client> }> {
  const admin = new pg.Client({ connectionString: SERVER_URL })
  await admin.connect()
  const name = `spa_schema_${randomBytes(6).toString('hex')}`
  await admin.query(`CREATE DATABASE ${name}`)
  const clients: pg.Client[] = []
  t.teardown(async () => {
    await Promise.all(clients.map((client) => client.end()))
    await admin.query(`DROP DATABASE ${name}`)
    await admin.end()
  })
  const url = new URL(SERVER_URL!)
  url.pathname = `/${name}`
  const connect = async () => {
    const client = new pg.Client({ connectionString: url.toString() })
    await client.connect()
    clients.push(client)
    return client
  }
  const db = await connect()
  for (const file of readdirSync(POSTGRES_MIGRATIONS).filter((file) => /^\d{3}_\w+\.sql$/.test(file)).sort()) {
    // No parameters: the simple query protocol runs a file's statements in one implicit transaction.
    await db.query(readFileSync(join(POSTGRES_MIGRATIONS, file), 'utf8'))
  }
  return { connect }
}

const literal = (text: string | null) => (text === null ? 'NULL' : `'${text.replaceAll("'", "''")}'`)

/** A times the database's clock wrote: the scenario's own times are all in 2020 or 2999. */
const CLOCK_TIME = /^20(2[1-9]|[3-9]\d)-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

function article(slug: string, title: string, status: string, publishedAt: string | null, sections: unknown): string {
  return `INSERT INTO articles (slug, title, summary, status, published_at, created_at, updated_at, word_count, reading_time_minutes, sections, author)
    VALUES (${literal(slug)}, ${literal(title)}, 'A summary.', ${literal(status)}, ${literal(publishedAt)}, '2020-01-01T08:00:00.000Z', '2020-01-01T08:00:00.000Z', 120, 1, ${literal(JSON.stringify(sections))}, 'Ana')`
}

function comment(articleId: number, parentId: number | null, status: string, at: string): string {
  return `INSERT INTO comments (article_id, parent_id, author_name, author_email, body, status, created_at, updated_at)
    VALUES (${articleId}, ${parentId ?? 'NULL'}, 'Reader', 'reader@example.com', 'Thanks!', ${literal(status)}, ${literal(at)}, ${literal(at)})`
}

const seed = readArticleFile(seedFiles()[0]!).article
const ACCENTED_SECTIONS = [
  { heading: 'Énergie et détente', slug: 'energie', blocks: [{ type: 'paragraph', text: 'Une séance de massage "suédois" relâche l\'épaule.' }] },
]

/**
 * One story of writes touching every trigger, in SQL both dialects read: webhook endpoints, articles
 * published, drafted and scheduled, list entries (one slug listed twice in one statement), publishing,
 * renaming, comments and replies through moderation and deletion, entries changed and removed,
 * unpublishing and deleting.
 */
const SCENARIO = [
  `INSERT INTO webhook_endpoints (url, events, secret, created_at, updated_at) VALUES
    ('https://hooks.example/all', '["article.published","article.updated","article.unpublished","article.deleted","comment.created","comment.approved","comment.deleted"]', 'whsec_a', '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z'),
    ('https://hooks.example/comments', '["comment.created"]', 'whsec_b', '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z')`,
  `INSERT INTO webhook_endpoints (url, events, enabled, secret, created_at, updated_at) VALUES
    ('https://hooks.example/off', '["article.published"]', 0, 'whsec_c', '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z')`,
  article(seed.slug, seed.title, 'published', '2020-01-02T09:00:00.000Z', seed.sections),
  article('energie', 'Énergie', 'draft', null, ACCENTED_SECTIONS),
  article('later', 'Later', 'published', '2999-01-01T00:00:00.000Z', ACCENTED_SECTIONS),
  `INSERT INTO article_entries (article_id, kind, position, slug, name, description) VALUES
    (1, 'techniques', 1, 'trigger-point', 'Trigger point therapy', 'Pressure on knots.'),
    (1, 'techniques', 2, 'trigger-point', 'Trigger points again', 'The same slug twice.'),
    (1, 'techniques', 3, 'friction', 'Friction', 'Across the fibres.'),
    (1, 'benefits', 1, 'relief', 'Relief', 'Less pain.'),
    (2, 'techniques', 1, 'friction', 'Friction', 'Across.'),
    (3, 'techniques', 1, 'trigger-point', 'Trigger point', 'Scheduled.')`,
  `UPDATE articles SET status = 'published', published_at = '2020-01-03T00:00:00.000Z', updated_at = '2020-01-03T00:00:00.000Z' WHERE id = 2`,
  `UPDATE articles SET slug = 'back-pain', title = 'Back pain', updated_at = '2020-01-04T00:00:00.000Z' WHERE id = 1`,
  `UPDATE articles SET summary = 'Only the summary.', updated_at = '2020-01-04T01:00:00.000Z' WHERE id = 1`,
  comment(1, null, 'approved', '2020-01-05T00:00:00.000Z'),
  comment(1, null, 'pending', '2020-01-05T01:00:00.000Z'),
  comment(1, 1, 'approved', '2020-01-05T02:00:00.000Z'),
  comment(1, 1, 'spam', '2020-01-05T03:00:00.000Z'),
  `UPDATE comments SET status = 'approved', updated_at = '2020-01-06T00:00:00.000Z' WHERE id = 2`,
  `UPDATE comments SET status = 'rejected', updated_at = '2020-01-06T01:00:00.000Z' WHERE id = 3`,
  `UPDATE comments SET status = 'approved', updated_at = '2020-01-06T02:00:00.000Z' WHERE id = 3`,
  `DELETE FROM comments WHERE id = 1`,
  `UPDATE article_entries SET name = 'Friction rub', slug = 'friction-rub' WHERE article_id = 1 AND kind = 'techniques' AND position = 3`,
  `DELETE FROM article_entries WHERE article_id = 1 AND kind = 'techniques' AND position = 1`,
  `UPDATE articles SET published_at = '2020-01-07T00:00:00.000Z', updated_at = '2020-01-07T00:00:00.000Z' WHERE id = 2`,
  `UPDATE articles SET status = 'draft', updated_at = '2020-01-08T00:00:00.000Z' WHERE id = 2`,
  comment(2, null, 'approved', '2020-01-08T01:00:00.000Z'),
  `DELETE FROM articles WHERE id = 2`,
  `UPDATE articles SET published_at = '2020-01-09T00:00:00.000Z', updated_at = '2020-01-09T00:00:00.000Z' WHERE id = 3`,
  `DELETE FROM articles WHERE id = 1`,
]

/** What the triggers keep, in an order both stores give (ids of search documents and seq numbers may differ in value, not in order). */
const SNAPSHOT: Record<string, string> = {
  articles: 'SELECT * FROM articles ORDER BY id',
  article_entries: 'SELECT * FROM article_entries ORDER BY article_id, kind, position',
  article_revisions: 'SELECT * FROM article_revisions ORDER BY id',
  catalog_occurrences: 'SELECT * FROM catalog_occurrences ORDER BY kind, slug, published_at, article_id, position',
  catalog_entries: 'SELECT * FROM catalog_entries ORDER BY kind, slug',
  search_documents: 'SELECT article_id, kind, position, slug, title, body FROM search_documents ORDER BY id',
  content_changes: 'SELECT article_id, slug, changed_at FROM content_changes ORDER BY seq',
  last_public_states: 'SELECT * FROM last_public_states ORDER BY article_id',
  comments: 'SELECT * FROM comments ORDER BY id',
  webhook_events: 'SELECT * FROM webhook_events ORDER BY id',
  webhook_deliveries: 'SELECT * FROM webhook_deliveries ORDER BY id',
  webhook_announced: 'SELECT * FROM webhook_announced ORDER BY article_id',
}

function maskClock(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([column, value]) => [column, typeof value === 'string' && CLOCK_TIME.test(value) ? '<clock>' : value])))
}

/** The scenario after each statement, table by table. */
async function run(execute: (sql: string) => Promise<void>, read: (sql: string) => Promise<Record<string, unknown>[]>): Promise<Record<string, Record<string, unknown>[]>[]> {
  const states = []
  for (const statement of SCENARIO) {
    await execute(statement)
    const state: Record<string, Record<string, unknown>[]> = {}
    for (const [table, query] of Object.entries(SNAPSHOT)) state[table] = maskClock(await read(query))
    states.push(state)
  }
  return states
}

function sqlite(): SqliteDatabase {
  const db = openDatabase(':memory:')
  migrate(db)
  return db
}

t.test('PostgreSQL schema (migrations/postgres)', { skip: SERVER_URL ? false : 'TEST_POSTGRES_URL is not set: no PostgreSQL server to create databases on' }, async (t) => {
  t.test('applies to a fresh database: every table, and the two secrets as 64 random hex characters', async (t) => {
    const db = await (await freshDatabase(t)).connect()
    const tables = await db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name")
    const sqliteTables = sqlite()
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_index%' AND name <> 'schema_migrations' ORDER BY name")
      .pluck()
      .all()
    t.same(
      tables.rows.map((row) => row.table_name),
      sqliteTables,
      "SQLite's tables, without its FTS5 index (search_documents.search_vector) and the runner's ledger",
    )
    const secrets = await db.query<{ name: string; value: string }>('SELECT name, value FROM settings ORDER BY name')
    t.same(
      secrets.rows.map((row) => row.name),
      ['client_key_secret', 'cursor_secret'],
    )
    for (const { name, value } of secrets.rows) t.match(value, /^[0-9a-f]{64}$/, name)
    t.not(secrets.rows[0]!.value, secrets.rows[1]!.value)
  })

  t.test('every trigger has the effect it has on SQLite, statement by statement', async (t) => {
    const db = await (await freshDatabase(t)).connect()
    const lite = sqlite()
    const expected = await run(
      async (sql) => void lite.exec(sql),
      async (sql) => lite.prepare(sql).all() as Record<string, unknown>[],
    )
    const actual = await run(
      async (sql) => void (await db.query(sql)),
      async (sql) => (await db.query(sql)).rows,
    )
    for (const [index, statement] of SCENARIO.entries()) {
      for (const table of Object.keys(SNAPSHOT)) {
        if (!t.same(actual[index]![table], expected[index]![table], `${table} after statement ${index + 1}`)) {
          t.comment(statement)
          return
        }
      }
    }
    // The story is worth comparing: it moved what each trigger keeps.
    const middle = actual[SCENARIO.indexOf(`DELETE FROM comments WHERE id = 1`)]!
    t.same(
      middle.articles!.map((row) => [row.slug, row.version, row.comment_count]),
      [
        ['back-pain', 2, 2],
        ['energie', 2, 0],
        ['later', 1, 0],
      ],
    )
    t.same(
      middle.catalog_entries!.map((row) => [row.kind, row.slug, row.article_count]),
      [
        ['benefits', 'relief', 1],
        ['techniques', 'friction', 2],
        ['techniques', 'trigger-point', 2],
      ],
      'an article listing a slug twice counts once; a scheduled one counts',
    )
    t.same(
      middle.comments!.map((row) => [row.id, row.parent_id, row.reply_count]),
      [
        [2, null, 0],
        [3, null, 0],
        [4, null, 0],
      ],
    )
    t.same(
      middle.webhook_events!.map((row) => row.type),
      ['article.published', 'article.published', 'article.updated', 'comment.created', 'comment.approved', 'comment.created', 'comment.created', 'comment.approved', 'comment.approved', 'comment.approved', 'comment.deleted'],
    )
    t.ok(
      middle.webhook_events!.some((row) => row.type === 'article.updated' && row.previous_slug === seed.slug),
      'a rename names the previous slug',
    )
    const end = actual.at(-1)!
    t.same(
      end.content_changes!.map((row) => row.article_id),
      [2, 3, 1],
      'one change per article, in the order of their last changes',
    )
    t.same(end.last_public_states!.map((row) => [row.article_id, row.slug]), [
      [1, 'back-pain'],
      [2, 'energie'],
    ])
    t.same(end.search_documents!.map((row) => [row.article_id, row.kind]), [[3, 'article'], [3, 'techniques']])
  })

  t.test('search: title and body weighted, a prefix word and an accent-free word match', async (t) => {
    const db = await (await freshDatabase(t)).connect()
    await db.query(article(seed.slug, seed.title, 'published', '2020-01-02T09:00:00.000Z', seed.sections))
    await db.query(article('energie', 'Énergie', 'published', '2020-01-03T00:00:00.000Z', ACCENTED_SECTIONS))
    const search = async (query: string) =>
      (
        await db.query<{ title: string; rank: number; snippet: string }>(
          `SELECT title, ts_rank('{0, 0, 0.1, 1}', search_vector, query) AS rank,
             ts_headline('spa_search', body, query, 'StartSel=[, StopSel=], HighlightAll=true') AS snippet
           FROM search_documents, to_tsquery('spa_search', $1) AS query
           WHERE search_vector @@ query ORDER BY rank DESC, id`,
          [query],
        )
      ).rows
    const accentFree = await search('energie & seance & suedois')
    t.same(
      accentFree.map((hit) => hit.title),
      ['Énergie'],
    )
    t.match(accentFree[0]!.snippet, '[Énergie] et détente\nUne [séance] de massage "[suédois]"', 'the accented words are marked')
    t.same((await search('ÉNERGIE')).length, 1, 'case and accents of the query are folded too')
    t.same((await search('energ')).length, 0, 'a word is whole unless asked as a prefix')
    const prefix = await search('mass:*')
    t.ok(prefix.length >= 2, 'a prefix finds longer words in both articles')
    await db.query(article('massage-basics', 'Massage', 'published', '2020-01-04T00:00:00.000Z', [{ heading: 'Basics', slug: 'basics', blocks: [{ type: 'paragraph', text: 'Short.' }] }]))
    const ranks = new Map((await search('massage')).map((hit) => [hit.title, hit.rank]))
    t.ok(ranks.get('Massage')! > ranks.get('Énergie')!, 'a word once in the title ranks above the same word once in a body')
    const plan = await db.query<{ 'QUERY PLAN': string }>("SET enable_seqscan = off; EXPLAIN SELECT id FROM search_documents WHERE search_vector @@ to_tsquery('spa_search', 'mass:*')")
    t.match(JSON.stringify(plan), 'search_documents_search', 'the GIN index answers a prefix query')
  })

  t.test('change and outbox numbers are given in commit order under concurrent writers', async (t) => {
    const database = await freshDatabase(t)
    const [first, second] = [await database.connect(), await database.connect()]
    await first.query(SCENARIO[0]!)
    await first.query(article('one', 'One', 'published', '2020-01-02T00:00:00.000Z', ACCENTED_SECTIONS))
    await first.query(article('two', 'Two', 'published', '2020-01-02T00:00:00.000Z', ACCENTED_SECTIONS))
    await first.query('BEGIN')
    await first.query("UPDATE articles SET title = 'One, first', updated_at = '2020-01-03T00:00:00.000Z' WHERE slug = 'one'")
    await second.query('BEGIN')
    let secondDone = false
    const secondWrite = second.query("UPDATE articles SET title = 'Two, second', updated_at = '2020-01-03T00:00:00.000Z' WHERE slug = 'two'").then(() => {
      secondDone = true
    })
    await sleep(300)
    t.notOk(secondDone, 'the second writer waits for the first to commit before it takes a number')
    await first.query('COMMIT')
    await secondWrite
    await second.query('COMMIT')
    const changes = await first.query<{ slug: string }>('SELECT slug FROM content_changes ORDER BY seq')
    t.same(
      changes.rows.map((row) => row.slug),
      ['one', 'two'],
    )
    const events = await first.query<{ article_slug: string; type: string }>("SELECT article_slug, type FROM webhook_events WHERE type = 'article.updated' ORDER BY id")
    t.same(
      events.rows.map((row) => row.article_slug),
      ['one', 'two'],
    )
    const deliveries = await first.query<{ article_slug: string }>(
      "SELECT e.article_slug FROM webhook_deliveries AS d JOIN webhook_events AS e ON e.id = d.event_id WHERE d.endpoint_id = 1 AND e.type = 'article.updated' ORDER BY d.id",
    )
    t.same(
      deliveries.rows.map((row) => row.article_slug),
      ['one', 'two'],
    )
  })

  t.test('moderating a comment while another transaction replies to it waits instead of deadlocking', async (t) => {
    const database = await freshDatabase(t)
    const [moderator, commenter] = [await database.connect(), await database.connect()]
    await moderator.query(article('one', 'One', 'published', '2020-01-02T00:00:00.000Z', ACCENTED_SECTIONS))
    await moderator.query(comment(1, null, 'approved', '2020-01-03T00:00:00.000Z'))
    // As the comments' group commit does: several comments in one transaction, a reply to comment 1 among them.
    await commenter.query('BEGIN')
    await commenter.query(comment(1, null, 'approved', '2020-01-04T00:00:00.000Z'))
    await moderator.query('BEGIN')
    const moderation = moderator.query("UPDATE comments SET status = 'rejected', updated_at = '2020-01-04T00:00:01.000Z' WHERE id = 1")
    await sleep(100)
    await commenter.query(comment(1, 1, 'approved', '2020-01-04T00:00:02.000Z'))
    await commenter.query('COMMIT')
    await moderation
    await moderator.query('COMMIT')
    const counts = await moderator.query<{ comment_count: number; reply_count: number }>(
      'SELECT comment_count, (SELECT reply_count FROM comments WHERE id = 1) AS reply_count FROM articles WHERE id = 1',
    )
    t.same(counts.rows, [{ comment_count: 2, reply_count: 1 }], 'both committed, counts exact')
  })

  t.test("a LISTENing client hears 'spa_data_changed' at COMMIT, never for a ROLLBACK", async (t) => {
    const database = await freshDatabase(t)
    const [listener, writer] = [await database.connect(), await database.connect()]
    const heard: string[] = []
    listener.on('notification', (message) => heard.push(message.channel))
    await listener.query(`LISTEN ${CHANGE_CHANNEL}`)
    const settle = () => sleep(200)

    await writer.query('BEGIN')
    await writer.query(article('one', 'One', 'published', '2020-01-02T00:00:00.000Z', ACCENTED_SECTIONS))
    await settle()
    t.same(heard, [], 'nothing before the commit')
    await writer.query('ROLLBACK')
    await settle()
    t.same(heard, [], 'nothing for a rollback')

    await writer.query('BEGIN')
    await writer.query(article('one', 'One', 'published', '2020-01-02T00:00:00.000Z', ACCENTED_SECTIONS))
    await writer.query("INSERT INTO article_entries (article_id, kind, position, slug, name, description) VALUES (2, 'benefits', 1, 'calm', 'Calm', 'Rest.')")
    await settle()
    t.same(heard, [], 'nothing before the commit')
    await writer.query('COMMIT')
    await settle()
    t.same(heard, [CHANGE_CHANNEL], 'one notification for the transaction, at its commit')

    for (const [statement, what] of [
      [comment(2, null, 'pending', '2020-01-05T00:00:00.000Z'), 'a comment'],
      ["INSERT INTO article_previews (article_id, digest, created_at, expires_at) VALUES (2, 'digest', '2020-01-05T00:00:00.000Z', '2020-01-06T00:00:00.000Z')", 'a preview link'],
      ['DELETE FROM article_entries', 'entries (and the catalog and search rows they keep)'],
    ] as const) {
      heard.length = 0
      await writer.query(statement)
      await settle()
      t.same(heard, [CHANGE_CHANNEL], what)
    }

    heard.length = 0
    await writer.query("INSERT INTO rate_limits (scope, client, window_started_ms, hits) VALUES ('comments', 'c', 1700000000000, 1)")
    await writer.query("INSERT INTO api_keys (name, digest, scopes, created_at) VALUES ('k', 'd', '[]', '2020-01-01T00:00:00.000Z')")
    await settle()
    t.same(heard, [], 'tables no public answer reads do not notify')
  })
})
