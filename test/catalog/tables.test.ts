import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { ArticleRepository } from '../../src/articles/repository.js'
import { CATALOG_ENTRY, CATALOG_PAGE, CatalogRepository, FIRST_OCCURRENCES, OCCURRENCES_AFTER } from '../../src/catalog/repository.js'
import { openDatabase, type SqliteDatabase } from '../../src/db/database.js'
import type { Queries } from '../../src/db/store.js'
import { migrate } from '../../src/db/migrate.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { prng } from '../../src/synthetic/generate.js'
import { articleText, createTestApp, saveText } from '../helpers/app.js'
import { nextLink } from '../helpers/links.js'
import { olderCopy } from '../helpers/db.js'
import { createTestStore, ON_POSTGRES, POSTGRES_ONLY, SQLITE_ONLY, sqliteStore } from '../helpers/store.js'

type Kind = 'techniques' | 'benefits'
const KINDS: Kind[] = ['techniques', 'benefits']

/**
 * What the catalog was before migration 005, straight from the articles: the oracle the trigger-kept
 * tables must agree with at every write and at every clock time.
 */
function catalogByAggregate(db: Queries, kind: Kind, now: string) {
  return db.all<{ slug: string; articleCount: number; first: string }>(
    `SELECT e.slug AS slug, count(DISTINCT e.article_id) AS "articleCount", min(a.published_at) AS first
     FROM article_entries AS e JOIN articles AS a ON a.id = e.article_id AND a.status = 'published' AND a.published_at <= ?
     WHERE e.kind = ? GROUP BY e.slug ORDER BY e.slug`,
    [now, kind],
  )
}

function occurrencesByAggregate(db: Queries, kind: Kind, slug: string, now: string) {
  return db.all(
    `SELECT a.slug AS "articleSlug", e.position AS position, e.name AS name FROM article_entries AS e
     JOIN articles AS a ON a.id = e.article_id AND a.status = 'published' AND a.published_at <= ?
     WHERE e.kind = ? AND e.slug = ? ORDER BY a.published_at, a.id, e.position`,
    [now, kind, slug],
  )
}

async function assertCatalogsExact(t: Test, db: Queries, now: string, when: string) {
  const catalog = new CatalogRepository(db, () => new Date(now))
  for (const kind of KINDS) {
    const expected = await catalogByAggregate(db, kind, now)
    const listed = await catalog.list(kind, undefined, 1000)
    t.same(
      listed.map(({ slug, articleCount }) => ({ slug, articleCount })),
      expected.map(({ slug, articleCount }) => ({ slug, articleCount })),
      `${when}: ${kind} at ${now}`,
    )
    for (const { slug } of expected) {
      const all = await catalog.occurrences(kind, slug, undefined, 1000)
      t.same(
        all.map(({ articleSlug, position, name }) => ({ articleSlug, position, name })),
        await occurrencesByAggregate(db, kind, slug, now),
        `${when}: ${kind}/${slug}/articles at ${now}`,
      )
      t.equal(listed.find((entry) => entry.slug === slug)!.name, all[0]!.name, `${when}: ${kind}/${slug} is named by its earliest publication`)
    }
  }
}

const planOf = (db: SqliteDatabase, sql: string, params: Record<string, unknown>) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((row) => row.detail).join('\n')

t.test('issue 12 item 5 / issue 15 row 3: catalogs read the trigger-kept tables, never an aggregate over article_entries', { skip: SQLITE_ONLY }, async (t) => {
  const db = openDatabase(':memory:')
  t.teardown(() => db.close())
  migrate(db)
  await seedIfEmpty(new ArticleRepository(sqliteStore(db).store), new Date('2026-01-15T09:00:00.000Z'))
  const now = '2026-03-01T00:00:00.000Z'
  const plans = {
    page: planOf(db, CATALOG_PAGE, { now, kind: 'techniques', after: '', limit: 21 }),
    one: planOf(db, CATALOG_ENTRY, { now, kind: 'techniques', slug: 'friction' }),
    firstOccurrences: planOf(db, FIRST_OCCURRENCES, { now, kind: 'techniques', slug: 'friction', limit: 21 }),
    occurrencesAfter: planOf(db, OCCURRENCES_AFTER, { now, kind: 'techniques', slug: 'friction', limit: 21, publishedAt: now, articleId: 1, position: 1 }),
  }
  for (const [name, plan] of Object.entries(plans)) {
    t.notMatch(plan, /article_entries/, `${name} does not read article_entries:\n${plan}`)
    t.notMatch(plan, /\bSCAN\b/, `${name} scans no table:\n${plan}`)
    // count(DISTINCT) of the scheduled articles has its temp b-tree, over the future rows only.
    t.notMatch(plan, /TEMP B-TREE FOR (ORDER|GROUP) BY/, `${name} sorts nothing:\n${plan}`)
  }
  t.match(plans.page, /SEARCH c USING PRIMARY KEY \(kind=\? AND slug>\?\)/, 'a catalog page seeks catalog_entries from its cursor')
  t.match(plans.occurrencesAfter, /SEARCH o USING PRIMARY KEY \(kind=\? AND slug=\? AND \(published_at,article_id,position\)>\(\?,\?,\?\)/, 'an entry\'s page of articles seeks from its cursor')
})

t.test('on PostgreSQL too, catalogs read the trigger-kept tables, never article_entries, and a page seeks its key', { skip: POSTGRES_ONLY }, async (t) => {
  const { store } = await createTestStore(t)
  t.teardown(() => store.close())
  await seedIfEmpty(new ArticleRepository(store), new Date('2026-01-15T09:00:00.000Z'))
  await store.run('ANALYZE')
  const now = '2026-03-01T00:00:00.000Z'
  const planOf = async (sql: string, params: Record<string, unknown>) =>
    (await store.all<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).map((row) => row['QUERY PLAN']).join('\n')
  const plans = {
    page: await planOf(CATALOG_PAGE, { now, kind: 'techniques', after: '', limit: 21 }),
    one: await planOf(CATALOG_ENTRY, { now, kind: 'techniques', slug: 'friction' }),
    firstOccurrences: await planOf(FIRST_OCCURRENCES, { now, kind: 'techniques', slug: 'friction', limit: 21 }),
    occurrencesAfter: await planOf(OCCURRENCES_AFTER, { now, kind: 'techniques', slug: 'friction', limit: 21, publishedAt: now, articleId: 1, position: 1 }),
  }
  for (const [name, plan] of Object.entries(plans)) {
    t.notMatch(plan, /article_entries/, `${name} does not read article_entries:\n${plan}`)
    t.notMatch(plan, /HashAggregate|GroupAggregate/, `${name} groups no rows of a table:\n${plan}`)
  }
})

t.test('the catalog tables agree with the articles after every kind of write, at every clock time', async (t) => {
  const { store: db, sqlite } = await createTestStore(t)
  t.teardown(() => db.close())
  const articles = new ArticleRepository(db)
  const times = ['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z']
  const check = async (when: string) => {
    for (const now of times) await assertCatalogsExact(t, db, now, when)
  }
  const random = prng(7)
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!
  const names = ['Friction', 'Kneading', 'Stripping', 'Cupping', 'Rocking']
  for (let i = 1; i <= 12; i++) {
    const techniques = names.filter(() => random() < 0.5)
    // An article may list one technique twice: it counts once.
    if (i % 4 === 0 && techniques.length > 0) techniques.push(techniques[0]!)
    await saveText(articles, articleText(`Article ${i}`, techniques, [pick(['Calm', 'Sleep'])]), { publish: i % 5 !== 0, at: pick(times.slice(0, 3)) })
  }
  await check('after creating articles, drafts among them')

  const ids = async () => (await db.all<{ id: number }>('SELECT id FROM articles ORDER BY id')).map((row) => row.id)
  await db.run("UPDATE articles SET published_at = '2026-03-15T00:00:00.000Z' WHERE id = ?", [(await ids())[0]!])
  await check('after scheduling a published article later')
  await db.run("UPDATE articles SET status = 'published', published_at = '2026-01-20T00:00:00.000Z' WHERE status = 'draft'")
  await check('after publishing the drafts')
  await db.run("UPDATE articles SET status = 'draft' WHERE id = ?", [(await ids())[1]!])
  await check('after unpublishing one')
  await db.run("UPDATE article_entries SET slug = 'kneading', name = 'Kneading' WHERE slug = 'friction' AND article_id = ?", [(await ids())[2]!])
  await check('after changing an entry in place')
  await db.run('DELETE FROM article_entries WHERE article_id = ? AND kind = ?', [(await ids())[3]!, 'techniques'])
  await check('after deleting entries')
  // SQLite may run without foreign keys (a database opened by hand): the triggers alone keep the catalogs.
  if (sqlite) {
    sqlite.pragma('foreign_keys = OFF')
    sqlite.prepare('DELETE FROM articles WHERE id = ?').run((await ids())[4]!)
    sqlite.pragma('foreign_keys = ON')
    await check('after deleting an article without foreign keys enforced')
  }
  await db.run('DELETE FROM articles WHERE id = ?', [(await ids())[ON_POSTGRES ? 4 : 5]!])
  await check('after deleting an article')
  const stored = await db.all('SELECT kind, slug, article_count FROM catalog_entries ORDER BY kind, slug')
  const recount = await db.all('SELECT kind, slug, count(DISTINCT article_id) AS article_count FROM catalog_occurrences GROUP BY kind, slug ORDER BY kind, slug')
  t.same(stored, recount, 'the stored counts are the counts of the occurrences, and no entry is left at 0')
})

t.test('migration 005 fills the catalog tables from the articles that were there before it', { skip: SQLITE_ONLY }, async (t) => {
  const current = openDatabase(':memory:')
  t.teardown(() => current.close())
  migrate(current)
  const articles = new ArticleRepository(sqliteStore(current).store)
  await seedIfEmpty(articles, new Date('2026-01-15T09:00:00.000Z'))
  await saveText(articles, articleText('Later One', ['Friction', 'Cupping'], ['Calm']), { at: '2026-03-10T00:00:00.000Z' })
  await saveText(articles, articleText('Draft One', ['Friction', 'Secret']), { publish: false })
  const db = olderCopy(current, 5, ['articles', 'article_entries'])
  t.teardown(() => db.close())
  migrate(db)
  for (const now of ['2026-02-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z']) await assertCatalogsExact(t, sqliteStore(db).store, now, 'after migrating')
})

t.test('a scheduled article joins the catalogs and their pages at its time, with no write', async (t) => {
  let now = new Date('2026-02-01T00:00:00.000Z')
  const { app, articles } = await createTestApp(t, { now: () => now })
  await saveText(articles, articleText('Spring Ritual', ['Friction', 'Spring Stroke'], ['Pain Relief']), { at: '2026-03-01T00:00:00.000Z' })
  const friction = async () => (await app.inject('/v1/techniques/friction')).json()
  t.equal((await friction()).articleCount, 1, 'before its time it does not count')
  t.equal((await app.inject('/v1/techniques/spring-stroke')).statusCode, 404)
  t.notOk((await app.inject('/v1/techniques?limit=100')).json().data.some((e: { slug: string }) => e.slug === 'spring-stroke'))
  now = new Date('2026-03-01T00:00:00.000Z')
  t.equal((await friction()).articleCount, 2, 'at its time it counts')
  t.same((await friction()).articles.map((a: { articleSlug: string }) => a.articleSlug), ['lower-back-pain-deep-tissue-massage', 'spring-ritual'])
  t.match((await app.inject('/v1/techniques/spring-stroke')).json(), { name: 'Spring Stroke', articleCount: 1 })
  t.match((await app.inject('/v1/techniques/spring-stroke/articles')).json(), { data: [{ articleSlug: 'spring-ritual', position: 2 }], meta: { nextCursor: null } })
})

t.test('issue 12 item 5: the articles that list an entry are paged with cursors and Link headers', async (t) => {
  const { app, articles } = await createTestApp(t)
  for (let i = 1; i <= 5; i++) await saveText(articles, articleText(`Friction Day ${i}`, ['Friction']), { at: `2026-02-0${i}T00:00:00.000Z` })
  const seen: string[] = []
  let url: string | undefined = '/v1/techniques/friction/articles?limit=2'
  let cursor: string | null = null
  while (url) {
    const res: LightMyRequestResponse = await app.inject(url)
    t.equal(res.statusCode, 200, url)
    const page = res.json() as { data: { articleSlug: string }[]; meta: { limit: number; nextCursor: string | null } }
    t.equal(page.meta.limit, 2)
    t.ok(page.data.length <= 2)
    seen.push(...page.data.map((a) => a.articleSlug))
    cursor = page.meta.nextCursor ?? cursor
    url = nextLink(res.headers)
    t.equal(Boolean(url), Boolean(page.meta.nextCursor), 'Link rel=next exactly when there is a next cursor')
  }
  t.same(seen, ['lower-back-pain-deep-tissue-massage', 'friction-day-1', 'friction-day-2', 'friction-day-3', 'friction-day-4', 'friction-day-5'], 'oldest first, each once')
  const detail = (await app.inject('/v1/techniques/friction')).json()
  t.same(detail.articles.map((a: { articleSlug: string }) => a.articleSlug), seen, 'the entry holds the first page')

  const elsewhere = await app.inject({ url: '/v1/techniques/deep-pressure/articles', query: { cursor: cursor! } })
  t.equal(elsewhere.statusCode, 400, 'a cursor of one entry is refused by another')
  t.match(elsewhere.json().errors, [{ in: 'query', name: 'cursor' }])
  const unknown = await app.inject('/v1/benefits/friction/articles')
  t.equal(unknown.statusCode, 404)
  t.match(unknown.json(), { type: '/problems/not-found' })
})
