import t from 'tap'
import { createTestApp } from '../helpers/app.js'
import { ADMIN, AUTO_COMMENTS, HOUR, articleBody, assertProblem, entry, inject, testClock } from './helpers.js'

const DAY = 24 * HOUR

/** The app on the store under test, with an injected clock; articles are written with the admin token. */
async function relatedApp(t: Parameters<typeof createTestApp>[0]) {
  const clock = testClock()
  const { app } = await createTestApp(t, { now: clock.now, env: AUTO_COMMENTS, seed: false })
  const create = async (body: Record<string, unknown>) => {
    const res = await inject(app, 'POST', '/v1/articles', body, ADMIN)
    t.equal(res.statusCode, 201, `created ${String(body.title)}: ${res.statusCode === 201 ? '' : res.body.slice(0, 300)}`)
  }
  return { app, clock, create, publicGet: (url: string) => app.inject({ method: 'GET', url }) }
}
type Editor = Awaited<ReturnType<typeof relatedApp>>

/** The subject and articles sharing 3, 1, 1 and 0 of its techniques and benefits, plus a draft and a scheduled one that share everything. */
async function library(t: Parameters<typeof createTestApp>[0]) {
  const editor = await relatedApp(t)
  const publish = (title: string, techniques: string[], benefits: string[], daysAgo: number, extra: Record<string, unknown> = {}) =>
    editor.create({
      ...articleBody(title, { techniques: techniques.map(entry), benefits: benefits.map(entry) }),
      status: 'published',
      publishedAt: new Date(editor.clock.now().getTime() - daysAgo * DAY).toISOString(),
      ...extra,
    })
  await publish('Subject', ['Alpha', 'Beta', 'Gamma'], ['Calm'], 10)
  await publish('Shares Three', ['Alpha', 'Beta', 'Other'], ['Calm'], 9)
  await publish('Shares Gamma', ['Gamma'], [], 1)
  await publish('Shares Alpha', ['Alpha', 'Alpha Two'], ['Sleep'], 1)
  await publish('Recent Stranger', ['Zeta'], ['Sleep'], 2)
  await publish('Old Stranger', [], [], 5)
  await editor.create({ ...articleBody('Draft Twin', { techniques: ['Alpha', 'Beta', 'Gamma'].map(entry), benefits: [entry('Calm')] }) })
  await editor.create({
    ...articleBody('Scheduled Twin', { techniques: ['Alpha', 'Beta', 'Gamma'].map(entry), benefits: [entry('Calm')] }),
    status: 'scheduled',
    publishedAt: editor.clock.in(HOUR),
  })
  return editor
}

const slugsOf = (editor: Editor, url: string) => editor.publicGet(url).then((res) => (res.json() as { data: { slug: string }[] }).data.map((item) => item.slug))

t.test('related articles: most shared techniques and benefits first, then the newest, id breaking ties', async (t) => {
  const editor = await library(t)
  const res = await editor.publicGet('/v1/articles/subject/related')
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.same(
    body.data.map((item: { slug: string }) => item.slug),
    ['shares-three', 'shares-alpha', 'shares-gamma', 'recent-stranger'],
    'default limit 4: shared 3, then the two sharing 1 (same time: the higher id first), then the newest stranger',
  )
  t.same(body.meta, { limit: 4, nextCursor: null })
  t.same(Object.keys(body.data[0]).sort(), ['commentCount', 'id', 'publishedAt', 'readingTimeMinutes', 'slug', 'status', 'summary', 'title', 'updatedAt', 'wordCount'], 'list items as GET /v1/articles gives them')
  t.same(await slugsOf(editor, '/v1/articles/subject/related?limit=20'), ['shares-three', 'shares-alpha', 'shares-gamma', 'recent-stranger', 'old-stranger'], 'all public ones; never itself, the draft or the scheduled one')
  t.same(await slugsOf(editor, '/v1/articles/subject/related?limit=1'), ['shares-three'])
  t.same(await slugsOf(editor, '/v1/articles/old-stranger/related?limit=20'), ['shares-alpha', 'shares-gamma', 'recent-stranger', 'shares-three', 'subject'], 'sharing nothing: newest first')

  editor.clock.advance(2 * HOUR)
  t.same((await slugsOf(editor, '/v1/articles/subject/related'))[0], 'scheduled-twin', 'a scheduled article counts once its time has come (the injected clock)')
})

t.test('related articles are a cacheable public read', async (t) => {
  const editor = await library(t)
  const first = await editor.publicGet('/v1/articles/subject/related')
  t.match(first.headers['cache-control'], /^public, max-age=\d+/)
  t.ok(first.headers.etag)
  const again = await editor.app.inject({ url: '/v1/articles/subject/related', headers: { 'if-none-match': String(first.headers.etag) } })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')
  const other = await editor.publicGet('/v1/articles/subject/related?limit=2')
  t.not(other.headers.etag, first.headers.etag, 'another page, another tag')
})

t.test('related articles: 404 for an unknown, draft or scheduled article; 400 for a limit out of range', async (t) => {
  const editor = await library(t)
  assertProblem(t, await editor.publicGet('/v1/articles/no-such-article/related'), 404, '/problems/not-found', 'unknown')
  assertProblem(t, await editor.publicGet('/v1/articles/draft-twin/related'), 404, '/problems/not-found', 'draft')
  assertProblem(t, await editor.publicGet('/v1/articles/scheduled-twin/related'), 404, '/problems/not-found', 'scheduled')
  for (const limit of ['0', '21', 'x']) assertProblem(t, await editor.publicGet(`/v1/articles/subject/related?limit=${limit}`), 400, '/problems/validation-failed', `limit=${limit}`)
  assertProblem(t, await editor.publicGet('/v1/articles/subject/related?cursor=abc'), 400, '/problems/validation-failed', 'no cursor')
})
