import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { SqliteDatabase } from '../../src/db/database.js'
import { articleText, createTestApp, saveText } from '../helpers/app.js'
import { POSTGRES_ONLY, SQLITE_ONLY } from '../helpers/store.js'

const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'

interface Hit {
  type: string
  slug: string
  title: string
  articleSlug: string
  snippet: string
}

const search = async (app: { inject: (options: object) => Promise<LightMyRequestResponse> }, q: string, extra: Record<string, string> = {}) =>
  app.inject({ url: '/v1/search', query: { q, ...extra } })

const hits = async (app: Parameters<typeof search>[0], q: string): Promise<Hit[]> => {
  const res = await search(app, q, { limit: '100' })
  if (res.statusCode !== 200) throw new Error(`${q}: ${res.statusCode} ${res.body}`)
  return res.json().data
}

const keys = (found: Hit[]) => found.map((hit) => `${hit.type}:${hit.slug}`)

/** Throws unless the FTS index matches its content table exactly (SQLite's FTS5; PostgreSQL's tsvector is a generated column). */
const checkIndex = (db: SqliteDatabase | undefined) => db?.exec("INSERT INTO search_index (search_index) VALUES ('integrity-check')")

t.test('finds techniques, benefits and articles by word prefix, names before text', async (t) => {
  const { app } = await createTestApp(t)
  const res = await search(app, 'fric')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json()
  t.same(keys(body.data), ['technique:friction', `article:${SEED_SLUG}`], 'the technique named Friction first, the article that mentions it after')
  t.same(body.data[0], { type: 'technique', slug: 'friction', title: 'Friction', articleSlug: SEED_SLUG, snippet: '<mark>Friction</mark>' })
  t.equal(body.data[1].slug, body.data[1].articleSlug, 'an article hit\'s slug is the article\'s')
  t.equal(body.data[1].title, 'Lower Back Pain Deep Tissue Massage')
  t.same(body.meta, { limit: 20, nextCursor: null, truncated: false })

  const both = await hits(app, 'deep press')
  t.equal(keys(both)[0], 'technique:deep-pressure', 'every word must match; a name that has both ranks first')
  t.equal(both[0]!.snippet, '<mark>Deep</mark> <mark>Pressure</mark>')
  for (const hit of both) t.match(hit.snippet.toLowerCase(), /<mark>deep<\/mark>[\s\S]*|<mark>pressure<\/mark>/, `${hit.slug} marks a match`)
  t.notOk(keys(both).includes('benefit:pain-relief'), 'a hit has all the words')

  t.same(await hits(app, 'zebra'), [], 'no hit is an empty page')
})

t.test('a word in a title outranks the same word in the text', async (t) => {
  const { app, articles } = await createTestApp(t)
  await saveText(articles, articleText('Scalp Massage Explained'))
  await saveText(articles, [
    'Neck Tension Relief',
    '',
    'An introduction to neck tension and a short note on scalp work among other things we do for you.',
    '',
    'Conclusion',
    '',
    'Book a session and feel the difference for yourself.',
  ].join('\n'))
  t.same(keys(await hits(app, 'scalp')), ['article:scalp-massage-explained', 'article:neck-tension-relief'])
})

t.test('accents and case are ignored on both sides', async (t) => {
  const { app, articles } = await createTestApp(t)
  await saveText(articles, articleText('Crème Brûlée Facial Ritual', ['Café Compress']))
  t.same(keys(await hits(app, 'massagé')), keys(await hits(app, 'MASSAGE')), 'massagé finds what massage finds')
  t.ok((await hits(app, 'massagé')).length > 0)
  const found = await hits(app, 'creme brulee')
  t.same(keys(found), ['article:creme-brulee-facial-ritual'])
  t.equal(found[0]!.title, 'Crème Brûlée Facial Ritual', 'titles come back as written')
  t.same(keys(await hits(app, 'CAFÉ')), ['technique:cafe-compress', 'article:creme-brulee-facial-ritual'])
  t.same(keys(await hits(app, 'cafe\u0301')), keys(await hits(app, 'café')), 'a decomposed accent is the same word')
})

t.test('snippets are HTML: the text escaped, only the matches marked', async (t) => {
  const { app, articles } = await createTestApp(t)
  await saveText(articles, [
    'Markup In Text',
    '',
    'Writers paste <b>bold</b> & "quotes" by stretching.',
    '',
    'Conclusion',
    '',
    'Book a session and feel the difference for yourself.',
  ].join('\n'))
  const [hit] = await hits(app, 'stretching')
  t.match(hit!.snippet, 'paste &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot; by <mark>stretching</mark>.')
  t.notMatch(hit!.snippet.replace(/<\/?mark>/g, ''), /[<>"]/, 'no markup but the marks')
})

t.test('hostile and odd queries give hits or a 400 problem, never a server error', async (t) => {
  const { app } = await createTestApp(t)
  const answered: [string, number][] = [
    ['"', 400],
    ['*', 400],
    ['-', 400],
    ['()', 400],
    ['"massage', 200],
    ['massage"', 200],
    ['mass*', 200],
    ['NEAR(massage deep)', 200],
    ['NEAR', 200],
    ['massage OR', 200],
    ['OR massage', 200],
    ['AND', 200],
    ['NOT deep', 200],
    ['-deep', 200],
    ['title:massage', 200],
    ['{title body}: massage', 200],
    ['^massage', 200],
    ['massage + deep', 200],
    ['a\u0000massage', 200],
    ['massage\u0002\u0003', 200],
    ['массаж', 200],
    ['按摩', 200],
    ['𞤀𞤁', 200],
    ['😀 massage', 200],
    ['😀', 400],
    ['x'.repeat(200), 200],
    ['deep '.repeat(40).trim(), 200],
  ]
  for (const [q, status] of answered) {
    const res = await search(app, q)
    t.equal(res.statusCode, status, JSON.stringify(q))
    if (status === 400) t.match(res.json(), { type: '/problems/validation-failed', errors: [{ in: 'query', name: 'q' }] }, JSON.stringify(q))
  }
  t.match((await search(app, ' " * ')).json().errors, [{ detail: 'has nothing to search for: it needs a letter or digit' }])
  t.same(await hits(app, 'massage OR zzzz'), [], 'OR is a word to find, not an operator')
  t.ok((await hits(app, 'massage -deep')).some((hit) => /<mark>deep<\/mark>/i.test(hit.snippet)), '- does not exclude')
  t.same(keys(await hits(app, '"friction"')), keys(await hits(app, 'friction')), 'quotes are ignored')
})

t.test('an empty, blank, missing, repeated or too long query is a validation problem', async (t) => {
  const { app } = await createTestApp(t)
  for (const url of ['/v1/search', '/v1/search?q=', '/v1/search?q=%20%20%09', `/v1/search?q=${'x'.repeat(201)}`, '/v1/search?q=a&q=b', '/v1/search?q=a&sort=rank']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 400, url)
    t.match(res.headers['content-type'], /^application\/problem\+json/, url)
    t.equal(res.json().type, '/problems/validation-failed', url)
  }
})

t.test('pages through hits with cursors and Link headers, in the order of a single page', async (t) => {
  const { app, articles } = await createTestApp(t)
  for (let n = 1; n <= 4; n++) await saveText(articles, articleText(`Massage Routine ${n}`, [`Kneading Style ${n}`], [`Calm Mind ${n}`]))
  const all = keys(await hits(app, 'massage'))
  t.ok(all.length > 10, 'enough hits for several pages')

  const seen: string[] = []
  let url: string | undefined = '/v1/search?q=massage&limit=3'
  let pages = 0
  while (url) {
    const res: LightMyRequestResponse = await app.inject(url)
    t.equal(res.statusCode, 200)
    const page = res.json()
    seen.push(...keys(page.data))
    pages++
    url = /<([^>]+)>; rel="next"/.exec((res.headers.link as string | undefined) ?? '')?.[1]
    t.equal(url === undefined, page.meta.nextCursor === null, 'a Link exactly when there is a next cursor')
  }
  t.same(seen, all, 'the pages, joined, are the single page')
  t.equal(pages, Math.ceil(all.length / 3))

  const first = (await search(app, 'massage', { limit: '3' })).json()
  const other = await search(app, 'routine', { cursor: first.meta.nextCursor })
  t.equal(other.statusCode, 400, 'a cursor works only for the search that issued it')
  t.match(other.json(), { errors: [{ in: 'query', name: 'cursor' }] })
  t.equal((await search(app, 'massage', { cursor: 'garbage' })).statusCode, 400)
})

t.test('the index follows every write: create, update, delete', async (t) => {
  const { app, store, sqlite, articles } = await createTestApp(t)
  await saveText(articles, articleText('Bamboo Massage', ['Bamboo Rolling'], ['Deep Warmth']))
  t.same(keys(await hits(app, 'bamboo')), ['technique:bamboo-rolling', 'article:bamboo-massage'])

  await saveText(articles, articleText('Bamboo Massage', ['Bamboo Tapping'], ['Deep Warmth']))
  t.same(keys(await hits(app, 'rolling')), [], 'the old technique is gone')
  t.same(keys(await hits(app, 'tapping')), ['technique:bamboo-tapping', 'article:bamboo-massage'], 'the new one is found, in the article too')
  checkIndex(sqlite)

  const { id } = (await store.get<{ id: number }>('SELECT id FROM articles WHERE slug = ?', ['bamboo-massage']))!
  await store.run('DELETE FROM articles WHERE slug = ?', ['bamboo-massage'])
  t.same(await hits(app, 'bamboo'), [])
  t.equal((await store.get<{ n: number }>('SELECT count(*) AS n FROM article_entries WHERE article_id = ?', [id]))!.n, 0, 'the entries cascaded')
  t.equal((await store.get<{ n: number }>('SELECT count(*) AS n FROM search_documents WHERE article_id = ?', [id]))!.n, 0, 'no document is left')
  checkIndex(sqlite)

  await store.run("UPDATE articles SET title = 'Lumbar Relief Guide' WHERE slug = ?", [SEED_SLUG])
  t.same(keys(await hits(app, 'lumbar')), [`article:${SEED_SLUG}`], 'an update by hand is indexed too')
})

t.test('deleting an article clears its documents even without foreign keys enforced', { skip: SQLITE_ONLY }, async (t) => {
  const { app, sqlite, articles } = await createTestApp(t)
  const db = sqlite!
  await saveText(articles, articleText('Orphan Check', ['Lonely Stroke']))
  db.pragma('foreign_keys = OFF')
  db.prepare('DELETE FROM articles WHERE slug = ?').run('orphan-check')
  db.pragma('foreign_keys = ON')
  t.same(await hits(app, 'lonely'), [])
  // The article's id is given to the next article; the old entries must not turn up under it.
  await saveText(articles, articleText('Newcomer'))
  t.same(await hits(app, 'lonely'), [])
  checkIndex(db)
})

t.test('only public articles are found: no drafts, scheduled ones from their time', async (t) => {
  let clock = new Date('2026-05-01T00:00:00.000Z')
  const { app, articles } = await createTestApp(t, { now: () => clock })
  await saveText(articles, articleText('Secret Draft Ritual', ['Hidden Stroke']), { publish: false })
  await saveText(articles, articleText('Summer Ritual', ['Sunny Stroke']), { at: '2026-06-01T08:00:00.000Z' })
  t.same(await hits(app, 'ritual'), [], 'neither the draft nor the scheduled article')
  t.same(await hits(app, 'hidden'), [], 'nor their techniques')
  t.same(await hits(app, 'sunny'), [])
  clock = new Date('2026-06-01T08:00:00.000Z')
  t.same(keys(await hits(app, 'ritual')), ['article:summer-ritual'], 'public at its time, with no write')
  t.same(keys(await hits(app, 'sunny')), ['technique:sunny-stroke', 'article:summer-ritual'])
  t.same(await hits(app, 'hidden'), [], 'a draft never')
})

t.test('PostgreSQL: accents, prefixes and snippets through its own full-text search', { skip: POSTGRES_ONLY }, async (t) => {
  const { app, store, articles } = await createTestApp(t)
  await saveText(articles, [
    'Masáž Pro Záda',
    '',
    'Writers paste <script>alert(1)</script> in a <b>hot-stone</b> ritual for the Crème Brûlée crowd, with more words after it.',
    '',
    'Conclusion',
    '',
    'Book a session and feel the difference for yourself.',
  ].join('\n'))
  const vector = await store.get<{ used: boolean }>(
    "SELECT count(*) > 0 AS used FROM search_documents WHERE search_vector @@ to_tsquery('spa_search', 'masaz')",
  )
  t.equal(vector!.used, true, 'the stored tsvector folds accents (unaccent in spa_search)')

  t.same(keys(await hits(app, 'masaz zada')), ['article:masaz-pro-zada'], 'an accent-free query finds accented words')
  t.same(keys(await hits(app, 'MASÁŽ')), ['article:masaz-pro-zada'], 'and the other way round, in any case')
  const [accented] = await hits(app, 'masaz')
  t.equal(accented!.snippet, '<mark>Masáž</mark> Pro Záda', 'the title is the snippet, the accented word marked as written')

  t.same(keys(await hits(app, 'brul')), ['article:masaz-pro-zada'], 'a prefix of an accented word')
  t.same(keys(await hits(app, 'ritu hot')), ['article:masaz-pro-zada'], 'every word a prefix, in any order')
  t.same(await hits(app, 'ritualistic'), [], 'a word longer than the text\'s is no match')
  t.same(await hits(app, 'r'), [], 'a one-letter word is a whole word, not a prefix')

  const [hit] = await hits(app, 'ritual')
  t.match(hit!.snippet, '<mark>ritual</mark>')
  t.notMatch(hit!.snippet.replace(/<\/?mark>/g, ''), /[<>"]/, 'no markup but the marks')
  t.match(hit!.snippet, '&lt;b&gt;hot-stone&lt;/b&gt; <mark>ritual</mark>', 'the writer\'s tags are shown escaped, not dropped as ts_headline drops tags')
  t.match(hit!.snippet, /^….*…$/s, 'an ellipsis where the text was cut, at both ends')
  const [pasted] = await hits(app, 'paste')
  t.match(pasted!.snippet, '<mark>paste</mark> &lt;script&gt;alert(1)&lt;/script&gt;', 'a script element in the text is text')
  t.notMatch(pasted!.snippet.replace(/<\/?mark>/g, ''), /[<>]/, 'no markup from content')
})
