import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { matchExpression, queryWords } from '../../src/search/query.js'
import { SEARCH_SQL } from '../../src/search/repository.js'
import { MAX_QUERY_WORDS, MAX_RANKED_CANDIDATES } from '../../src/search/schemas.js'
import { createTestApp } from '../helpers/app.js'
import { nextLink } from '../helpers/links.js'
import { POSTGRES_ONLY, SQLITE_ONLY } from '../helpers/store.js'

t.test('issue 15 row 1: repeated words count once, and a one-letter word is no prefix scan', async (t) => {
  const hundredTs = Array.from({ length: 100 }, () => 't').join(' ')
  t.same(queryWords(hundredTs), ['t'], '100 times "t" is one word')
  t.same(queryWords(Array.from({ length: 100 }, () => 't').join('.')), ['t'], 'so is t.t.t…, which FTS5 would cut into 100 tokens')
  t.same(queryWords('Massage MASSAGE massagé massage'), ['Massage'], 'case and accents make no other word')
  t.same(queryWords('deep-pressure "friction" OR *'), ['deep', 'pressure', 'friction', 'OR'], 'cut where the tokenizer cuts; no syntax survives')
  t.same(queryWords(' " * \u0000 😀 '), [], 'nothing to search for')
  t.equal(matchExpression(queryWords(hundredTs)), '"t"', 'a one-letter word is a whole word, not every term starting with t')
  t.equal(matchExpression(['mass', 'de', 'é']), '"mass"* "de"* "é"', 'longer words are prefixes')
})

t.test(`issue 15 row 1: a query of more than ${MAX_QUERY_WORDS} different words is a clear 400, 100 repeated ones are answered`, async (t) => {
  const { app } = await createTestApp(t)
  const tooMany = Array.from({ length: MAX_QUERY_WORDS + 1 }, (_, i) => `word${i}`).join(' ')
  const refused = await app.inject({ url: '/v1/search', query: { q: tooMany } })
  t.equal(refused.statusCode, 400)
  t.match(refused.json(), {
    type: '/problems/validation-failed',
    errors: [{ in: 'query', name: 'q', detail: `has ${MAX_QUERY_WORDS + 1} different words; a search takes at most ${MAX_QUERY_WORDS}` }],
  })
  const atLimit = await app.inject({ url: '/v1/search', query: { q: Array.from({ length: MAX_QUERY_WORDS }, () => 'massage deep').join(' ') } })
  t.equal(atLimit.statusCode, 200, 'repeats do not count against the limit')
  for (const q of [Array.from({ length: 100 }, () => 't').join(' '), Array.from({ length: 100 }, () => 't').join('.')]) {
    const res = await app.inject({ url: '/v1/search', query: { q } })
    t.equal(res.statusCode, 200, `${q.slice(0, 10)}… is answered`)
    t.same(res.json().meta, { limit: 20, nextCursor: null, truncated: false })
  }
})

t.test('issue 12 item 5: a word in every document ranks only the newest matches, walked in index order, and says so', async (t) => {
  const { app, store, sqlite } = await createTestApp(t)
  const count = MAX_RANKED_CANDIDATES + 5
  await store.run(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO articles (slug, title, summary, status, published_at, created_at, updated_at, word_count, reading_time_minutes, sections)
     SELECT 'zen-garden-' || i, 'Zen Garden ' || i, 'Quiet.', 'published', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 2, 1,
       '[{"slug":"introduction","blocks":[{"type":"paragraph","text":"Quiet zen."}]}]'
     FROM n`,
    [count],
  )

  const found: string[] = []
  let url: string | undefined = '/v1/search?q=zen&limit=100'
  while (url) {
    const res: LightMyRequestResponse = await app.inject(url)
    t.equal(res.statusCode, 200)
    t.equal(res.json().meta.truncated, true, 'every page says that matches were left out')
    found.push(...res.json().data.map((hit: { slug: string }) => hit.slug))
    url = nextLink(res.headers)
  }
  t.equal(found.length, MAX_RANKED_CANDIDATES, 'as many hits as are ranked')
  t.equal(new Set(found).size, found.length, 'none twice')
  t.notOk(found.includes('zen-garden-1'), 'the oldest matches are the ones left out')
  t.ok(found.includes(`zen-garden-${count}`), 'the newest are in')

  const narrow = (await app.inject({ url: '/v1/search', query: { q: `zen ${count}` } })).json()
  t.same(narrow.data.map((hit: { slug: string }) => hit.slug), [`zen-garden-${count}`])
  t.equal(narrow.meta.truncated, false, 'a narrow search ranks every match')

  t.test('on SQLite, FTS5 walks the matches newest first and cuts the snippets of a page in one pass', { skip: SQLITE_ONLY }, async (t) => {
    const db = sqlite!
    const planOf = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ match: '"zen"*', now: '2026-03-01T00:00:00.000Z', ids: '[1, 2]', first: 1, last: 2 }) as { detail: string }[])
        .map((row) => row.detail)
        .join('\n')
    const candidates = planOf(SEARCH_SQL.sqlite.candidates)
    t.match(candidates, /^SCAN search_index VIRTUAL TABLE/, `the index drives the query:\n${candidates}`)
    t.notMatch(candidates, /TEMP B-TREE/, 'the matches are not sorted: FTS5 walks them newest first and stops at the cap')
    const snippets = planOf(SEARCH_SQL.sqlite.hits)
    t.match(snippets, /^SCAN search_index VIRTUAL TABLE INDEX \d+:M\d+></, `the snippets of a page are cut in one pass over a rowid range, not one MATCH per hit:\n${snippets}`)
  })

  t.test('on PostgreSQL, the GIN index finds a narrow search\'s matches and only the newest are ranked', { skip: POSTGRES_ONLY }, async (t) => {
    await store.run('ANALYZE articles, search_documents')
    const match = `'zen':* & '${count}':*`
    // A thousand rows are read faster in one pass (or walking the ids backwards) than through the GIN
    // index: the planner is told to use neither, to show that the statement is one the index answers.
    const rows = await store.transaction(async (tx) => {
      await tx.run('SET LOCAL enable_seqscan = off')
      await tx.run('SET LOCAL enable_indexscan = off')
      return tx.all<{ 'QUERY PLAN': string }>(`EXPLAIN ${SEARCH_SQL.postgres.candidates}`, { match, now: '2026-03-01T00:00:00.000Z' })
    })
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n')
    t.match(plan, /search_documents_search/, `the GIN index finds the matches:\n${plan}`)
    t.match(plan, /Limit/, 'the ranking reads a bounded number of them')
  })
})
