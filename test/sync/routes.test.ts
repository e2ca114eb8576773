import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { articleText, createTestApp, saveText, TEST_ADMIN_TOKEN, type TestApp } from '../helpers/app.js'

const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'

interface Change {
  type: 'article' | 'tombstone'
  article?: { id: number; slug: string; title: string; status: string; commentCount: number }
  id?: number
  slug?: string
  removedAt?: string
}

interface Sync {
  changes: Change[]
  token: string
  pages: LightMyRequestResponse[]
}

/** One whole sync, following the cursors to the last page, as an app would. */
async function sync(app: TestApp['app'], token?: string, limit = 100): Promise<Sync> {
  const changes: Change[] = []
  const pages: LightMyRequestResponse[] = []
  let cursor: string | undefined
  for (;;) {
    const res = await app.inject({ url: '/v1/sync', query: { limit: String(limit), ...(token ? { token } : {}), ...(cursor ? { cursor } : {}) } })
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
    pages.push(res)
    const { data, meta } = res.json()
    changes.push(...data)
    if (meta.nextCursor === null) return { changes, token: meta.nextSyncToken, pages }
    if (meta.nextSyncToken !== null) throw new Error('a token before the last page')
    cursor = meta.nextCursor
  }
}

const summary = (changes: Change[]) => changes.map((change) => (change.type === 'article' ? `article:${change.article!.slug}` : `tombstone:${change.slug}`))
const idOf = async (store: TestApp['store'], slug: string) => (await store.get<{ id: number }>('SELECT id FROM articles WHERE slug = ?', [slug]))!.id

t.test('a first sync is every public article, whole, as GET /v1/articles/{slug} answers', async (t) => {
  const { app, articles } = await createTestApp(t, { now: () => new Date('2026-03-01T00:00:00.000Z') })
  await saveText(articles, articleText('Hot Stone Basics', ['Stone Placement'], ['Warmth']))
  await saveText(articles, articleText('Secret Draft'), { publish: false })
  await saveText(articles, articleText('Spring Preview'), { at: '2026-04-01T00:00:00.000Z' })

  const first = await sync(app)
  t.same(summary(first.changes), [`article:${SEED_SLUG}`, 'article:hot-stone-basics'], 'no draft, nothing scheduled; in id order')
  for (const change of first.changes) {
    const single = (await app.inject(`/v1/articles/${change.article!.slug}`)).json()
    t.same(change.article, single, `${change.article!.slug} is the whole article`)
  }
  t.type(first.token, 'string')
  t.match(first.pages[0]!.headers['content-type'], /^application\/json/)
})

t.test('a sync pages with cursors; only the last page has the token', async (t) => {
  const { app, articles } = await createTestApp(t)
  for (let n = 1; n <= 4; n++) await saveText(articles, articleText(`Pocket Guide ${n}`))
  const paged = await sync(app, undefined, 2)
  t.equal(paged.pages.length, 3)
  t.same(summary(paged.changes), summary((await sync(app)).changes), 'the pages, joined, are the single page')
  const [page1, , page3] = paged.pages
  t.match(page1!.headers.link, /^<\/v1\/sync\?limit=2&cursor=[\w-]+\.[\w-]+>; rel="next"/)
  t.equal(page1!.json().meta.nextSyncToken, null)
  t.notOk(page3!.headers.link?.toString().includes('rel="next"'), 'no next link on the last page')
  t.type(page3!.json().meta.nextSyncToken, 'string')
})

t.test('a delta has what was created, changed, deleted and unpublished since the token, once each', async (t) => {
  const { app, store, articles } = await createTestApp(t)
  await saveText(articles, articleText('To Be Deleted'))
  await saveText(articles, articleText('To Be Unpublished'))
  const { token } = await sync(app)

  const quiet = await sync(app, token)
  t.same(quiet.changes, [], 'nothing changed, nothing sent')
  t.type(quiet.token, 'string')

  await saveText(articles, articleText('Brand New', ['Fresh Move']))
  await saveText(articles, articleText('Lower Back Pain Deep Tissue Massage', ['Rewritten Stroke']))
  const deletedId = await idOf(store, 'to-be-deleted')
  await store.run('DELETE FROM articles WHERE slug = ?', ['to-be-deleted'])
  await store.run("UPDATE articles SET status = 'draft' WHERE slug = ?", ['to-be-unpublished'])
  await saveText(articles, articleText('Quiet Draft'), { publish: false })

  const delta = await sync(app, token)
  t.same(summary(delta.changes), [
    `article:${SEED_SLUG}`,
    'tombstone:to-be-deleted',
    'tombstone:to-be-unpublished',
    'article:brand-new',
  ], 'in article id order; a new draft the public never saw is not named')
  const seed = delta.changes[0]!.article!
  t.same(seed, (await app.inject(`/v1/articles/${SEED_SLUG}`)).json(), 'the changed article whole, as it is now')
  t.match(JSON.stringify(seed), 'Rewritten Stroke')
  t.match(delta.changes[1], { type: 'tombstone', id: deletedId, slug: 'to-be-deleted' })
  t.ok(Date.parse(delta.changes[1]!.removedAt!) > 0, 'when it was removed')

  t.same((await sync(app, delta.token)).changes, [], 'the next token has seen it all')
  t.same(summary((await sync(app, token)).changes), summary(delta.changes), 'an old token can be used again')
})

t.test('an approved comment changes the article\'s commentCount, so the article is sent again', async (t) => {
  const { app, store } = await createTestApp(t)
  const { token } = await sync(app)
  await store.run(
    "INSERT INTO comments (article_id, author_name, author_email, body, status, created_at, updated_at) VALUES (?, 'Maya', 'maya@example.com', 'Lovely', 'approved', ?, ?)",
    [await idOf(store, SEED_SLUG), '2026-02-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
  )
  const delta = await sync(app, token)
  t.same(summary(delta.changes), [`article:${SEED_SLUG}`])
  t.equal(delta.changes[0]!.article!.commentCount, 1)
})

t.test('a scheduled article arrives when its time comes, with no write', async (t) => {
  let clock = new Date('2026-03-01T00:00:00.000Z')
  const { app, articles } = await createTestApp(t, { now: () => clock })
  await saveText(articles, articleText('Spring Preview'), { at: '2026-04-01T00:00:00.000Z' })
  const first = await sync(app)
  t.same(summary(first.changes), [`article:${SEED_SLUG}`])

  clock = new Date('2026-03-31T23:59:59.999Z')
  const early = await sync(app, first.token)
  t.same(early.changes, [], 'not before its time')

  clock = new Date('2026-04-01T00:00:00.000Z')
  const onTime = await sync(app, early.token)
  t.same(summary(onTime.changes), ['article:spring-preview'])
  t.equal(onTime.changes[0]!.article!.status, 'published')

  clock = new Date('2026-04-02T00:00:00.000Z')
  t.same((await sync(app, onTime.token)).changes, [], 'and only once')
})

t.test('a change made while an app pages is in its next sync', async (t) => {
  const { app, articles } = await createTestApp(t)
  await saveText(articles, articleText('Second Article'))
  const res = await app.inject('/v1/sync?limit=1')
  t.same(summary(res.json().data), [`article:${SEED_SLUG}`])
  await saveText(articles, articleText('Lower Back Pain Deep Tissue Massage', ['Late Edit']))
  const rest = await app.inject({ url: '/v1/sync', query: { limit: '1', cursor: res.json().meta.nextCursor } })
  t.same(summary(rest.json().data), ['article:second-article'])
  const next = await sync(app, rest.json().meta.nextSyncToken)
  t.same(summary(next.changes), [`article:${SEED_SLUG}`], 'the edit to a page already read')
  t.match(JSON.stringify(next.changes[0]), 'Late Edit')
})

t.test('a garbled, forged or misplaced token or cursor is a 400 problem', async (t) => {
  const { app } = await createTestApp(t)
  const other = await createTestApp(t)
  await saveText(other.articles, articleText('Elsewhere'))
  const { token } = await sync(app)
  const cursor = (await app.inject('/v1/sync?limit=1')).json().meta.nextCursor
  const [payload, mac] = token.split('.')
  const forged = `${Buffer.from(JSON.stringify({ seq: 0, at: '2000-01-01T00:00:00.000Z' })).toString('base64url')}.${mac}`
  const searchCursor = (await app.inject('/v1/search?q=massage&limit=1')).json().meta.nextCursor
  const cases: [Record<string, string>, string][] = [
    [{ token: 'garbage' }, 'token'],
    [{ token: `${payload}.AAAAAAAAAAAAAAAAAAAAAA` }, 'token'],
    [{ token: forged }, 'token'],
    [{ token: `${token}x` }, 'token'],
    [{ token: cursor }, 'token'],
    [{ token: (await sync(other.app)).token }, 'token'],
    [{ token: '' }, 'token'],
    [{ cursor: token }, 'cursor'],
    [{ cursor: searchCursor }, 'cursor'],
    [{ cursor: 'x.y' }, 'cursor'],
    [{ since: '2026-01-01' }, 'since'],
  ]
  for (const [query, name] of cases) {
    const res = await app.inject({ url: '/v1/sync', query })
    t.equal(res.statusCode, 400, JSON.stringify(query))
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { type: '/problems/validation-failed', errors: [{ in: 'query', name }] }, JSON.stringify(query))
  }
})

t.test('issue 15 row 2: sync never names a draft or scheduled article the public never saw', async (t) => {
  const { app } = await createTestApp(t)
  const editor = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, payload, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
  const inAYear = new Date(Date.now() + 365 * 24 * 3600_000).toISOString()
  const before = await sync(app)

  t.equal((await editor('POST', '/v1/articles', { title: 'Layoffs Planned For March' })).statusCode, 201)
  t.equal((await editor('PATCH', '/v1/articles/layoffs-planned-for-march', { title: 'Layoffs Planned For March (final)' })).statusCode, 200)
  t.equal((await editor('POST', '/v1/articles', { title: 'Layoffs Planned For April', status: 'scheduled', publishedAt: inAYear })).statusCode, 201)
  t.equal((await editor('PATCH', '/v1/articles/layoffs-planned-for-april', { title: 'Layoffs, April' })).statusCode, 200)
  t.equal((await editor('POST', '/v1/articles', { title: 'Layoffs Planned For June', status: 'scheduled', publishedAt: inAYear })).statusCode, 201)
  const middle = await sync(app, before.token)
  t.equal((await editor('PATCH', '/v1/articles/layoffs-planned-for-june', { status: 'draft' })).statusCode, 200, 'a scheduled article unpublished')
  t.equal((await editor('DELETE', '/v1/articles/layoffs-planned-for-march')).statusCode, 204, 'a draft deleted')
  t.equal((await editor('DELETE', '/v1/articles/layoffs-planned-for-april')).statusCode, 204, 'a scheduled article deleted')

  // A public article renamed while it is a draft is dropped under the slug the public knew.
  t.equal((await editor('POST', '/v1/articles', { title: 'Spring Menu', status: 'published' })).statusCode, 201)
  const published = await sync(app, middle.token)
  t.same(summary(published.changes), ['article:spring-menu'])
  t.equal((await editor('PATCH', '/v1/articles/spring-menu', { status: 'draft', slug: 'layoffs-planned-for-may' })).statusCode, 200)

  for (const [name, token] of [['the first token', before.token], ['a token taken between the writes', middle.token], ['the token that saw it public', published.token]]) {
    const delta = await sync(app, token)
    t.notMatch(JSON.stringify(delta.changes), /layoffs/i, `${name}: no slug or title of an article the public never saw`)
    t.same(summary(delta.changes), ['tombstone:spring-menu'], `${name}: only the article that was public is dropped, under its public slug`)
  }
  const after = await sync(app, published.token)
  t.same((await sync(app, after.token)).changes, [], 'what was unpublished before a token is not told again')
  t.equal((await editor('PATCH', '/v1/articles/layoffs-planned-for-may', { title: 'Layoffs, May' })).statusCode, 200)
  t.same((await sync(app, after.token)).changes, [], 'an edit to a draft that was public before the token names nothing')
})
