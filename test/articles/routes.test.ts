import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { articleText, createTestApp, saveText } from '../helpers/app.js'
import { nextLink } from '../helpers/links.js'

const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'

t.test('GET /v1/articles/:slug serves the seeded article with its sections, techniques and benefits', async (t) => {
  const { app } = await createTestApp(t)
  const res = await app.inject(`/v1/articles/${SEED_SLUG}`)
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const article = res.json()
  t.equal(article.title, 'Lower Back Pain Deep Tissue Massage')
  t.equal(article.status, 'published')
  t.equal(article.publishedAt, '2026-01-15T09:00:00.000Z')
  t.ok(article.summary.startsWith('Lower back pain can be debilitating'))
  t.same(
    article.sections.filter((s: { heading?: string }) => s.heading).map((s: { heading: string }) => s.heading),
    [
      'Understanding Lower Back Pain',
      'Back Pain Deep Tissue Massage: A Targeted Approach',
      'Techniques Used in Deep Tissue Massage',
      'The Science Behind Deep Tissue Massage: How It Works',
      'Benefits of Deep Tissue Massage for Lower Back Pain',
      'Conclusion',
    ],
  )
  t.equal(article.sections[0].slug, 'introduction')
  t.notOk('heading' in article.sections[0], 'the introduction has no heading')
  const lists = article.sections.flatMap((s: { blocks: { type: string }[] }) => s.blocks).filter((b: { type: string }) => b.type === 'list')
  t.same(lists.map((l: { kind: string }) => l.kind), ['techniques', 'benefits'])
  t.ok(article.wordCount > 900)
  t.equal(article.readingTimeMinutes, Math.ceil(article.wordCount / 200))
  t.notMatch(res.body, /Recommended Posts|Add a Comment|Your email address/)
})

t.test('article techniques and benefits are ordered lists', async (t) => {
  const { app } = await createTestApp(t)
  const techniques = (await app.inject(`/v1/articles/${SEED_SLUG}/techniques`)).json()
  t.same(
    techniques.data.map((e: { position: number; name: string; slug: string }) => [e.position, e.name, e.slug]),
    [
      [1, 'Deep Pressure', 'deep-pressure'],
      [2, 'Friction', 'friction'],
      [3, 'Stripping', 'stripping'],
      [4, 'Trigger Point Therapy', 'trigger-point-therapy'],
    ],
  )
  t.same(techniques.meta, { limit: 20, nextCursor: null })
  const benefits = (await app.inject(`/v1/articles/${SEED_SLUG}/benefits`)).json()
  t.same(benefits.data.map((e: { name: string }) => e.name), [
    'Pain Relief',
    'Improved Blood Circulation',
    'Increased Flexibility and Range of Motion',
    'Stress Reduction',
    'Injury Rehabilitation',
  ])
  t.match(benefits.data[0].description, /^Deep tissue massage targets the underlying causes/)
})

t.test('an article\'s entries page with a cursor and a Link header', async (t) => {
  const { app } = await createTestApp(t)
  const first = await app.inject(`/v1/articles/${SEED_SLUG}/benefits?limit=2`)
  const page1 = first.json()
  t.equal(page1.data.length, 2)
  t.type(page1.meta.nextCursor, 'string')
  t.equal(nextLink(first.headers), `/v1/articles/${SEED_SLUG}/benefits?limit=2&cursor=${page1.meta.nextCursor}`)
  const names: string[] = page1.data.map((e: { name: string }) => e.name)
  let cursor = page1.meta.nextCursor
  while (cursor) {
    const res = await app.inject({ url: `/v1/articles/${SEED_SLUG}/benefits`, query: { limit: '2', cursor } })
    const page = res.json()
    names.push(...page.data.map((e: { name: string }) => e.name))
    cursor = page.meta.nextCursor
    if (!cursor) t.notOk(nextLink(res.headers), 'the last page has no next link')
  }
  t.equal(names.length, 5)
  t.equal(new Set(names).size, 5)
})

t.test('GET /v1/articles lists published articles newest first and pages through all of them', async (t) => {
  const { app, articles } = await createTestApp(t)
  for (let day = 1; day <= 7; day++) await saveText(articles, articleText(`Massage Story Number ${day}`), { at: `2026-03-0${day}T10:00:00.000Z` })
  await saveText(articles, articleText('Same Time One'), { at: '2026-04-01T00:00:00.000Z' })
  await saveText(articles, articleText('Same Time Two'), { at: '2026-04-01T00:00:00.000Z' })
  await saveText(articles, articleText('Unpublished Draft'), { publish: false })

  const first = await app.inject('/v1/articles?limit=3')
  t.equal(first.statusCode, 200)
  const page = first.json()
  t.same(page.data.map((a: { title: string }) => a.title), ['Same Time Two', 'Same Time One', 'Massage Story Number 7'])
  t.notOk('sections' in page.data[0], 'lists are lean')
  t.match(nextLink(first.headers), /^\/v1\/articles\?limit=3&cursor=[\w-]+\.[\w-]+$/)

  const seen: string[] = []
  let url: string | undefined = '/v1/articles?limit=3'
  while (url) {
    const res: LightMyRequestResponse = await app.inject(url)
    seen.push(...res.json().data.map((a: { slug: string }) => a.slug))
    url = nextLink(res.headers)
  }
  t.equal(seen.length, 10, 'nine new articles and the seed, the draft excluded')
  t.equal(new Set(seen).size, 10, 'no article twice across pages')
  t.notOk(seen.includes('unpublished-draft'))
  t.equal(seen.at(-1), SEED_SLUG, 'the oldest last')
})

t.test('drafts are not public', async (t) => {
  const { app, articles } = await createTestApp(t)
  await saveText(articles, articleText('Secret Draft', ['Hidden Stroke']), { publish: false })
  t.equal((await app.inject('/v1/articles/secret-draft')).statusCode, 404)
  t.equal((await app.inject('/v1/articles/secret-draft/techniques')).statusCode, 404)
  t.equal((await app.inject('/v1/techniques/hidden-stroke')).statusCode, 404)
})

t.test('unknown slugs are 404 problems', async (t) => {
  const { app } = await createTestApp(t)
  for (const url of ['/v1/articles/no-such-article', '/v1/articles/no-such-article/techniques', '/v1/articles/no-such-article/benefits']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 404, url)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { type: '/problems/not-found', title: 'Not Found', status: 404, detail: /no-such-article/ })
  }
})

t.test('bad parameters are 400 problems that name the parameter', async (t) => {
  const { app } = await createTestApp(t)
  const page = (await app.inject('/v1/articles/lower-back-pain-deep-tissue-massage/techniques?limit=1')).json()
  const cases: [string, string][] = [
    ['/v1/articles?limit=0', 'limit'],
    ['/v1/articles?limit=1000', 'limit'],
    ['/v1/articles?limit=abc', 'limit'],
    ['/v1/articles?limit=1&limit=2', 'limit'],
    ['/v1/articles?cursor=garbage', 'cursor'],
    ['/v1/articles?cursor=eyJpZCI6MX0.AAAAAAAAAAAAAAAAAAAAAA', 'cursor'],
    [`/v1/articles?cursor=${page.meta.nextCursor}`, 'cursor'],
    [`/v1/articles/lower-back-pain-deep-tissue-massage/benefits?cursor=${page.meta.nextCursor}`, 'cursor'],
    ['/v1/articles?cursor=', 'cursor'],
    ['/v1/articles?sort=newest', 'sort'],
    ['/v1/techniques?page=2', 'page'],
    ['/v1/articles/Not_A_Slug', 'slug'],
    [`/v1/articles/${'a'.repeat(150)}`, 'slug'],
    [`/v1/articles/${SEED_SLUG}?foo=1`, 'foo'],
    ['/v1/techniques/friction?expand=articles', 'expand'],
  ]
  for (const [url, name] of cases) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 400, url)
    t.match(res.headers['content-type'], /^application\/problem\+json/, url)
    const problem = res.json()
    t.match(problem, { type: '/problems/validation-failed', status: 400, title: 'Validation Failed' }, url)
    t.ok(problem.errors.some((e: { name: string }) => e.name === name), `${url} names ${name}`)
    t.match(problem.detail, name)
  }
})

// The same content gives the same ETags on SQLite and PostgreSQL: each run tests one store, so the
// seed's tags are pinned here, and both runs must meet the same literals. (A page with a next cursor
// is left out: the cursor is signed with the database's own secret, so its tag is the database's too.)
const SEED_TAGS: [string, string][] = [
  [`/v1/articles/${SEED_SLUG}`, '"VeRx_5o0m2cK12DvVYRdjY1zVmT"'],
  [`/v1/articles/${SEED_SLUG}?format=markdown`, '"VeRx_5o0m2cK12DvVYRdjY1zVmT.VF8pTXJWW4vFTmMSax5lhsuRVTm"'],
  ['/v1/articles', '"KNzAItYHSy0_SDNHXPzm3E2A7Us"'],
  [`/v1/articles/${SEED_SLUG}/techniques`, '"7QHcHJyKgi37OGhVsn7mximrwQ5"'],
]

t.test('the seed article has the same ETags on every store', async (t) => {
  const { app } = await createTestApp(t)
  for (const [url, etag] of SEED_TAGS) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 200, url)
    t.equal(res.headers.etag, etag, `${url}: the pinned ETag`)
    const again = await app.inject({ url, headers: { 'if-none-match': etag } })
    t.equal(again.statusCode, 304, `${url}: the pinned ETag revalidates`)
  }
})
