import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { articleText, createTestApp, saveText } from '../helpers/app.js'
import { nextLink } from '../helpers/links.js'

t.test('the technique catalog lists each slug once across articles', async (t) => {
  const { app, articles } = await createTestApp(t)
  await saveText(articles, articleText('Sports Massage Basics', ['Friction', 'Cross Fiber'], ['Pain Relief']), { at: '2026-02-01T00:00:00.000Z' })
  await saveText(articles, articleText('Draft With Secrets', ['Friction', 'Secret Move']), { publish: false })

  const list = (await app.inject('/v1/techniques')).json()
  t.same(
    list.data.map((e: { slug: string; articleCount: number }) => [e.slug, e.articleCount]),
    [
      ['cross-fiber', 1],
      ['deep-pressure', 1],
      ['friction', 2],
      ['stripping', 1],
      ['trigger-point-therapy', 1],
    ],
    'slug order; drafts neither add entries nor count',
  )
  const friction = list.data.find((e: { slug: string }) => e.slug === 'friction')
  t.match(friction.description, /^Deep tissue massage can break down scar tissue/, 'wording of the earliest published article')

  const detail = (await app.inject('/v1/techniques/friction')).json()
  t.equal(detail.name, 'Friction')
  t.equal(detail.articleCount, 2)
  t.same(
    detail.articles.map((a: { articleSlug: string; position: number }) => [a.articleSlug, a.position]),
    [
      ['lower-back-pain-deep-tissue-massage', 2],
      ['sports-massage-basics', 1],
    ],
  )
  t.equal(detail.articles[1].description, 'What friction does for the body.')
})

t.test('the benefit catalog and its detail', async (t) => {
  const { app } = await createTestApp(t)
  const list = (await app.inject('/v1/benefits')).json()
  t.same(list.data.map((e: { slug: string }) => e.slug), [
    'improved-blood-circulation',
    'increased-flexibility-and-range-of-motion',
    'injury-rehabilitation',
    'pain-relief',
    'stress-reduction',
  ])
  const detail = await app.inject('/v1/benefits/stress-reduction')
  t.equal(detail.statusCode, 200)
  t.match(detail.json(), { slug: 'stress-reduction', name: 'Stress Reduction', articleCount: 1, articles: [{ articleTitle: 'Lower Back Pain Deep Tissue Massage', position: 4 }] })
})

t.test('catalog pages follow cursors to the end', async (t) => {
  const { app } = await createTestApp(t)
  const slugs: string[] = []
  let cursor: string | null = null
  do {
    const res: LightMyRequestResponse = await app.inject({ url: '/v1/techniques', query: { limit: '3', ...(cursor ? { cursor } : {}) } })
    t.equal(res.statusCode, 200)
    const page: { data: { slug: string }[]; meta: { nextCursor: string | null } } = res.json()
    slugs.push(...page.data.map((e: { slug: string }) => e.slug))
    cursor = page.meta.nextCursor
    t.equal(Boolean(nextLink(res.headers)), Boolean(cursor))
  } while (cursor)
  t.same(slugs, ['deep-pressure', 'friction', 'stripping', 'trigger-point-therapy'])
})

t.test('a cursor works only on the list that issued it', async (t) => {
  const { app } = await createTestApp(t)
  const cursor = (await app.inject('/v1/techniques?limit=1')).json().meta.nextCursor
  const res = await app.inject({ url: '/v1/benefits', query: { cursor } })
  t.equal(res.statusCode, 400)
  t.match(res.json().errors, [{ in: 'query', name: 'cursor' }])
})

t.test('unknown catalog slugs are 404 problems', async (t) => {
  const { app } = await createTestApp(t)
  for (const url of ['/v1/techniques/hot-stones', '/v1/benefits/deep-pressure']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 404, url)
    t.match(res.json(), { type: '/problems/not-found', status: 404 })
  }
})
