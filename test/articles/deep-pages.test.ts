import t, { type Test } from 'tap'
import { ArticleRepository, type ArticleFilter, type ArticleSort } from '../../src/articles/repository.js'
import { textFor, type Dialect, type Sql, type Store } from '../../src/db/store.js'
import { articleText, saveText } from '../helpers/app.js'
import { createTestStore, POSTGRES_ONLY, SQLITE_ONLY } from '../helpers/store.js'

const SORTS: ArticleSort[] = ['-publishedAt', 'publishedAt', 'title', '-title']

/** A fresh migrated store of the kind under test, closed after the test. */
async function storeFor(t: Test) {
  const { store, sqlite } = await createTestStore(t)
  t.teardown(() => store.close())
  return { store, sqlite }
}

interface PlanCheck {
  /** The plan of the statement with these parameters, as text. */
  explain: (statement: string, params: Record<string, unknown>) => Promise<string>
  /** How the plan begins to read a page from the cursor: in the occurrences of one technique or benefit (`byEntry`), or in the articles. */
  seek: { byEntry: RegExp; articles: RegExp }
  /** What must not be in the plan: a walk of the articles or a sort. */
  walkOrSort: RegExp
}

/** Checks the plan of the statement the list uses for a page after a cursor, as the repository prepares it, for every sort and filter. */
async function checkDeepPagePlans(t: Test, store: Store, dialect: Dialect, check: PlanCheck) {
  const articles = new ArticleRepository(store)
  const pagedStatement = (filter: ArticleFilter) =>
    textFor((articles as unknown as { listStatement: (filter: ArticleFilter, paged: boolean, sections: boolean) => Sql }).listStatement(filter, true, false), dialect)
  const params = { now: '2026-03-01T00:00:00.000Z', limit: 21, key: 'M', id: 5, technique: 'friction', benefit: 'pain-relief', publishedAfter: '2020-01-01T00:00:00.000Z' }
  for (const sort of SORTS) {
    for (const filter of [{ sort }, { sort, technique: 'friction' }, { sort, benefit: 'pain-relief', publishedAfter: '2020-01-01T00:00:00.000Z' }] as ArticleFilter[]) {
      const plan = await check.explain(pagedStatement(filter), params)
      const name = JSON.stringify(filter)
      // By publication time, one technique's or benefit's articles are read from catalog_occurrences, in its key order.
      const byEntry = sort.endsWith('publishedAt') && (filter.technique ?? filter.benefit) !== undefined
      t.match(plan, byEntry ? check.seek.byEntry : check.seek.articles, `${name} seeks from the cursor:\n${plan}`)
      t.notMatch(plan, check.walkOrSort, `${name} neither walks nor sorts the articles before the cursor`)
    }
  }
}

t.test('issue 12 item 5: a deep page of the public list seeks its index from the cursor, for every sort and filter', { skip: SQLITE_ONLY }, async (t) => {
  const { store, sqlite } = await storeFor(t)
  await checkDeepPagePlans(t, store, 'sqlite', {
    explain: async (statement, params) => (sqlite!.prepare(`EXPLAIN QUERY PLAN ${statement}`).all(params) as { detail: string }[]).map((row) => row.detail).join('\n'),
    seek: {
      byEntry: /^SEARCH o USING PRIMARY KEY \(kind=\? AND slug=\? AND (\(published_at,article_id\)>\(\?,\?\)|published_at<\?)/,
      articles: /^SEARCH articles USING INDEX articles_published(_title)? \((published_at>\? AND )?(published_at|title)[<>]\?\)/,
    },
    walkOrSort: /SCAN articles|TEMP B-TREE/,
  })
})

t.test('on PostgreSQL too, a deep page of the public list seeks its index from the cursor and sorts nothing, for every sort and filter', { skip: POSTGRES_ONLY }, async (t) => {
  const { store } = await storeFor(t)
  await checkDeepPagePlans(t, store, 'postgres', {
    // The tables are empty, where a sequential scan is cheapest whatever the indexes; with it off, a plan
    // that still neither sorts nor scans shows that an index gives both the order and the seek.
    explain: (statement, params) =>
      store.transaction(async (tx) => {
        await tx.run('SET LOCAL enable_seqscan = off')
        return (await tx.all<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement}`, params)).map((row) => row['QUERY PLAN']).join('\n')
      }),
    seek: {
      byEntry: /Index Only Scan (Backward )?using catalog_occurrences_pkey on catalog_occurrences o [^\n]*\n\s+Index Cond: \(\(kind = .* AND \(ROW\(published_at, article_id\) [<>] ROW\(/,
      articles: /Index Scan (Backward )?using articles_published(_title)? on articles [^\n]*\n\s+Index Cond: \(.*(ROW\(published_at, id\) [<>] ROW\(|lower\(title\) [<>]= )/,
    },
    walkOrSort: /Sort|Seq Scan/,
  })
})

t.test('a technique or benefit filter by publication time lists each article once, whether the slug is common, rare or unknown', async (t) => {
  const { store } = await storeFor(t)
  const articles = new ArticleRepository(store, () => new Date('2026-03-01T00:00:00.000Z'))
  for (let i = 1; i <= 9; i++) {
    await saveText(articles, articleText(`Day ${i}`, i % 3 === 0 ? ['Rare Move', 'Common Move', 'Rare Move'] : ['Common Move'], ['Calm']), { at: `2026-02-0${i}T00:00:00.000Z` })
  }
  await saveText(articles, articleText('Day Later', ['Rare Move'], ['Calm']), { at: '2026-04-01T00:00:00.000Z' })
  const slugs = async (technique: string, sort: ArticleSort, limit: number) => {
    const seen: string[] = []
    let after
    for (;;) {
      const rows = await articles.listPublished({ sort, technique, benefit: 'calm' }, after, limit + 1)
      seen.push(...rows.slice(0, limit).map((row) => row.article.slug))
      if (rows.length <= limit) return seen
      after = rows[limit - 1]!.position
    }
  }
  t.same(await slugs('rare-move', '-publishedAt', 1), ['day-9', 'day-6', 'day-3'], 'listed twice in an article, listed once; the scheduled one not yet')
  t.same(await slugs('rare-move', 'publishedAt', 2), ['day-3', 'day-6', 'day-9'])
  t.same(await slugs('common-move', '-publishedAt', 4), ['day-9', 'day-8', 'day-7', 'day-6', 'day-5', 'day-4', 'day-3', 'day-2', 'day-1'])
  t.same(await slugs('no-such-move', '-publishedAt', 4), [])
  // By title, a slug few articles list is fetched whole and sorted rather than found by walking every title.
  t.same(await slugs('rare-move', 'title', 1), ['day-3', 'day-6', 'day-9'])
  t.same(await slugs('rare-move', '-title', 2), ['day-9', 'day-6', 'day-3'])
  t.same(await slugs('no-such-move', 'title', 4), [])
})

t.test('title pages, joined, are the single page, ties on a title included', async (t) => {
  const { store } = await storeFor(t)
  const articles = new ArticleRepository(store)
  for (const title of ['One', 'Two', 'Three', 'Four', 'Five', 'Six', 'Seven']) await saveText(articles, articleText(`${title} Massage`))
  // Titles equal but for case: the id decides, across page boundaries.
  await store.run("UPDATE articles SET title = CASE WHEN id % 2 = 0 THEN 'beta massage' ELSE 'Beta Massage' END")
  await store.run("UPDATE articles SET title = 'Alpha Massage' WHERE id < 3")
  for (const sort of ['title', '-title'] as const) {
    const single = (await articles.listPublished({ sort }, undefined, 100)).map((row) => row.article.id)
    const paged: number[] = []
    let after
    for (;;) {
      const rows = await articles.listPublished({ sort }, after, 3)
      paged.push(...rows.slice(0, 2).map((row) => row.article.id))
      if (rows.length < 3) break
      after = rows[1]!.position
    }
    t.same(paged, single, `${sort}: every article once, in order`)
    t.equal(single.length, 7)
  }
})
