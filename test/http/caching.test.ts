import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import type { AddressInfo } from 'node:net'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { Test } from 'tap'
import { codingTag, strongTag } from '../../src/http/conditional.js'
import { articleText, createTestApp, saveText } from '../helpers/app.js'
import { ADMIN, DEFAULT_CACHE_CONTROL, header, nextLink, NO_STORE, SEED_SLUG, tokens } from '../helpers/fixtures.js'

const ARTICLE = `/v1/articles/${SEED_SLUG}`
const SERVICE_DESC = /<\/openapi\.json>;\s*rel="service-desc"/
const SERVICE_DOC = /<\/docs>;\s*rel="service-doc"/
const STRONG_TAG = /^"[\w-]+"$/
/** Settings for tests that post comments: kept pending for a moderator, no rate limit. */
const COMMENTS = { COMMENT_MODERATION: 'manual', COMMENT_RATE_LIMIT_PER_MINUTE: '0' }

/** Every public GET the contract lists, each to carry a tag and public caching headers. */
const PUBLIC_GETS = [
  ARTICLE,
  '/v1/articles',
  '/v1/articles?limit=1',
  `${ARTICLE}/techniques`,
  `${ARTICLE}/benefits`,
  `${ARTICLE}/comments`,
  '/v1/techniques',
  '/v1/benefits',
  '/v1/techniques/friction',
  '/.well-known/api-catalog',
  '/openapi.json',
  '/openapi.yaml',
  '/docs',
]

const cond = (url: string, headers: Record<string, string>, method: 'GET' | 'HEAD' = 'GET') => ({ method, url, headers })

/** Asserts a 304 that repeats the validators and caching headers of the 200 it stands for. */
function assertNotModified(t: Test, res: LightMyRequestResponse, full: LightMyRequestResponse, message: string) {
  t.equal(res.statusCode, 304, `${message}: 304`)
  t.equal(res.body, '', `${message}: empty body`)
  t.equal(res.headers.etag, full.headers.etag, `${message}: repeats ETag`)
  t.equal(res.headers['cache-control'], full.headers['cache-control'], `${message}: repeats Cache-Control`)
  t.equal(res.headers.vary, full.headers.vary, `${message}: repeats Vary`)
  t.equal(res.headers['last-modified'], full.headers['last-modified'], `${message}: repeats Last-Modified (or its absence)`)
  t.notOk(res.headers['content-type'], `${message}: no content type`)
  t.notOk(res.headers['content-encoding'], `${message}: no content coding`)
}

t.test('every public GET has a strong ETag that is stable, public caching and Vary: Accept-Encoding', async (t) => {
  const { app } = await createTestApp(t)
  for (const url of PUBLIC_GETS) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 200, url)
    t.match(res.headers.etag, STRONG_TAG, `${url}: a strong tag`)
    t.equal(res.headers['cache-control'], DEFAULT_CACHE_CONTROL, `${url}: public, max-age=60, stale-while-revalidate=300`)
    t.ok(tokens(res, 'vary').includes('accept-encoding'), `${url}: Vary names Accept-Encoding`)
    const again = await app.inject(url)
    t.equal(again.headers.etag, res.headers.etag, `${url}: the same tag when nothing changed`)
    t.equal(again.body, res.body, `${url}: the same bytes`)
    if (url !== ARTICLE) t.equal(res.headers.etag, strongTag(res.rawPayload), `${url}: the tag is the digest of the bytes sent`)
  }
  const tags = await Promise.all(PUBLIC_GETS.map(async (url) => (await app.inject(url)).headers.etag))
  t.equal(new Set(tags).size, PUBLIC_GETS.length, 'each representation has a tag of its own')
})

t.test('Last-Modified on the article is its updatedAt as an HTTP date', async (t) => {
  const { app } = await createTestApp(t)
  const res = await app.inject(ARTICLE)
  t.equal(res.headers['last-modified'], 'Thu, 15 Jan 2026 09:00:00 GMT')
  t.equal(res.headers['last-modified'], new Date(res.json().updatedAt).toUTCString())
})

t.test('If-None-Match: equal, in a list, weak or * gives a 304 that repeats the headers', async (t) => {
  const { app } = await createTestApp(t)
  for (const url of [ARTICLE, '/v1/articles', `${ARTICLE}/techniques`, '/v1/techniques', '/.well-known/api-catalog', '/openapi.json']) {
    const full = await app.inject(url)
    const tag = full.headers.etag as string
    const variants = [tag, `"nope", ${tag}`, `${tag},"other"`, ` "a" ,  ${tag} `, `W/${tag}`, `"x", W/${tag}`, '*']
    for (const value of variants) assertNotModified(t, await app.inject(cond(url, { 'if-none-match': value })), full, `${url} If-None-Match: ${value}`)
  }
})

t.test('If-None-Match with another tag gives the full 200', async (t) => {
  const { app } = await createTestApp(t)
  const full = await app.inject(ARTICLE)
  const tag = full.headers.etag as string
  const others = ['"other"', 'W/"other"', '"a", "b"', tag.slice(1, -1), `"${tag.slice(2)}`, `${tag.slice(0, -2)}"`, '""', strongTag('x')]
  for (const value of others) {
    const res = await app.inject(cond(ARTICLE, { 'if-none-match': value }))
    t.equal(res.statusCode, 200, `If-None-Match: ${value}`)
    t.equal(res.body, full.body, `If-None-Match: ${value}: the whole article`)
    t.equal(res.headers.etag, tag)
  }
  const list = await app.inject('/v1/articles')
  const wrong = await app.inject(cond('/v1/articles', { 'if-none-match': full.headers.etag as string }))
  t.equal(wrong.statusCode, 200, 'the article\'s tag does not validate the list')
  t.equal(wrong.body, list.body)
})

t.test('HEAD: the same headers as GET, conditional too', async (t) => {
  const { app } = await createTestApp(t)
  for (const url of [ARTICLE, '/v1/articles']) {
    const full = await app.inject(url)
    const head = await app.inject({ method: 'HEAD', url })
    t.equal(head.statusCode, 200, `HEAD ${url}`)
    t.equal(head.body, '', `HEAD ${url}: no body`)
    t.equal(head.headers.etag, full.headers.etag, `HEAD ${url}: the GET's tag`)
    t.equal(head.headers['cache-control'], DEFAULT_CACHE_CONTROL)
    assertNotModified(t, await app.inject(cond(url, { 'if-none-match': full.headers.etag as string }, 'HEAD')), full, `HEAD ${url} If-None-Match`)
    t.equal((await app.inject(cond(url, { 'if-none-match': '"other"' }, 'HEAD'))).statusCode, 200, `HEAD ${url} with another tag`)
  }
  const full = await app.inject(ARTICLE)
  assertNotModified(t, await app.inject(cond(ARTICLE, { 'if-modified-since': full.headers['last-modified'] as string }, 'HEAD')), full, 'HEAD If-Modified-Since')
})

t.test('If-Modified-Since against Last-Modified; If-None-Match wins over it', async (t) => {
  const { app } = await createTestApp(t)
  const full = await app.inject(ARTICLE)
  const lastModified = full.headers['last-modified'] as string
  const at = Date.parse(lastModified)
  const date = (ms: number) => new Date(ms).toUTCString()
  assertNotModified(t, await app.inject(cond(ARTICLE, { 'if-modified-since': lastModified })), full, 'equal')
  assertNotModified(t, await app.inject(cond(ARTICLE, { 'if-modified-since': date(at + 1000) })), full, 'a second later')
  assertNotModified(t, await app.inject(cond(ARTICLE, { 'if-modified-since': date(at + 86_400_000) })), full, 'a day later')
  for (const [value, why] of [
    [date(at - 1000), 'a second earlier'],
    [date(at - 86_400_000), 'a day earlier'],
    ['not a date', 'not a date'],
    ['', 'empty'],
  ]) {
    const res = await app.inject(cond(ARTICLE, { 'if-modified-since': value! }))
    t.equal(res.statusCode, 200, `If-Modified-Since ${why}: 200`)
    t.equal(res.body, full.body, `If-Modified-Since ${why}: the article`)
  }
  const mismatch = await app.inject(cond(ARTICLE, { 'if-none-match': '"other"', 'if-modified-since': date(at + 86_400_000) }))
  t.equal(mismatch.statusCode, 200, 'a non-matching If-None-Match wins over a fresh If-Modified-Since')
  t.equal(mismatch.body, full.body)
  assertNotModified(t, await app.inject(cond(ARTICLE, { 'if-none-match': full.headers.etag as string, 'if-modified-since': date(at - 86_400_000) })), full, 'a matching If-None-Match wins over a stale If-Modified-Since')

  const list = await app.inject('/v1/articles')
  t.notOk(list.headers['last-modified'], 'a list has no Last-Modified')
  const listIms = await app.inject(cond('/v1/articles', { 'if-modified-since': date(Date.now() + 86_400_000) }))
  t.equal(listIms.statusCode, 200, 'so If-Modified-Since alone does not make a list 304')
})

t.test('tags change exactly when the representation does: new article, same text again', async (t) => {
  const { app, articles } = await createTestApp(t)
  const urls = ['/v1/articles', '/v1/techniques', '/v1/benefits', ARTICLE]
  const before = new Map(await Promise.all(urls.map(async (url) => [url, (await app.inject(url)).headers.etag] as const)))

  const text = articleText('Cupping Therapy Basics', ['Silicone Cupping'], ['Looser Fascia'])
  await saveText(articles, text, { at: '2026-02-01T00:00:00.000Z' })
  const after = new Map(await Promise.all(urls.map(async (url) => [url, (await app.inject(url)).headers.etag] as const)))
  for (const url of ['/v1/articles', '/v1/techniques', '/v1/benefits']) t.not(after.get(url), before.get(url), `${url}: a new article changes the tag`)
  t.equal(after.get(ARTICLE), before.get(ARTICLE), 'another article\'s tag stays')
  const stale = await app.inject(cond('/v1/articles', { 'if-none-match': before.get('/v1/articles')! }))
  t.equal(stale.statusCode, 200, 'the old list tag no longer validates')
  t.ok(stale.json().data.some((a: { slug: string }) => a.slug === 'cupping-therapy-basics'))
  t.equal((await app.inject(cond('/v1/articles', { 'if-none-match': after.get('/v1/articles')! }))).statusCode, 304, 'the new one does')

  await saveText(articles, text, { at: '2026-03-01T00:00:00.000Z' })
  for (const url of urls) t.equal((await app.inject(url)).headers.etag, after.get(url), `${url}: saving the same text again changes nothing`)
  const created = await app.inject('/v1/articles/cupping-therapy-basics')
  t.equal(created.headers['last-modified'], 'Sun, 01 Feb 2026 00:00:00 GMT', 'an unchanged save keeps Last-Modified')

  await saveText(articles, text.replace('feel the difference', 'notice the difference'), { at: '2026-03-01T00:00:00.000Z' })
  const changed = await app.inject('/v1/articles/cupping-therapy-basics')
  t.not(changed.headers.etag, created.headers.etag, 'a changed body changes the article\'s tag')
  t.equal(changed.headers['last-modified'], 'Sun, 01 Mar 2026 00:00:00 GMT', 'and its Last-Modified')
  t.equal((await app.inject(cond('/v1/articles/cupping-therapy-basics', { 'if-modified-since': created.headers['last-modified'] as string }))).statusCode, 200, 'an If-Modified-Since from before the change is a 200')
})

t.test('tags change when a scheduled article\'s time comes, and not before', async (t) => {
  let clock = Date.parse('2026-06-01T12:00:00.000Z')
  const { app, articles } = await createTestApp(t, { now: () => new Date(clock) })
  const before = await app.inject('/v1/articles')
  await saveText(articles, articleText('Scheduled Stretching Guide', ['Assisted Reach']), { at: '2026-06-02T12:00:00.000Z' })
  const waiting = await app.inject('/v1/articles')
  t.equal(waiting.headers.etag, before.headers.etag, 'a scheduled article changes no public tag')
  t.equal((await app.inject('/v1/articles/scheduled-stretching-guide')).statusCode, 404)
  t.equal((await app.inject(cond('/v1/articles', { 'if-none-match': before.headers.etag as string }))).statusCode, 304)

  clock = Date.parse('2026-06-02T12:00:01.000Z')
  const published = await app.inject(cond('/v1/articles', { 'if-none-match': before.headers.etag as string }))
  t.equal(published.statusCode, 200, 'once its time has come the old tag no longer validates')
  t.not(published.headers.etag, before.headers.etag)
  t.equal(published.json().data[0].slug, 'scheduled-stretching-guide')
  const article = await app.inject('/v1/articles/scheduled-stretching-guide')
  t.equal(article.statusCode, 200)
  t.match(article.headers.etag, STRONG_TAG)
})

t.test('tags change when a comment is approved, and not when one is only posted', async (t) => {
  const { app } = await createTestApp(t, { env: COMMENTS })
  const urls = [ARTICLE, `${ARTICLE}/comments`, '/v1/articles']
  const tagsOf = async () => Promise.all(urls.map(async (url) => (await app.inject(url)).headers.etag as string))
  const before = await tagsOf()

  const posted = await app.inject({ method: 'POST', url: `${ARTICLE}/comments`, payload: { authorName: 'Ana', authorEmail: 'ana@example.com', body: 'The friction part helped my back a lot.' } })
  t.equal(posted.statusCode, 201)
  t.equal(posted.json().status, 'pending')
  t.same(await tagsOf(), before, 'a pending comment changes nothing public')

  const approved = await app.inject({ method: 'PATCH', url: `/v1/comments/${posted.json().id}`, headers: ADMIN, payload: { status: 'approved' } })
  t.equal(approved.statusCode, 200)
  const after = await tagsOf()
  urls.forEach((url, index) => t.not(after[index], before[index], `${url}: an approved comment changes the tag`))
  const comments = await app.inject(cond(`${ARTICLE}/comments`, { 'if-none-match': before[1]! }))
  t.equal(comments.statusCode, 200)
  t.equal(comments.json().data.length, 1, 'the old tag gets the list with the comment')
  t.equal((await app.inject(cond(ARTICLE, { 'if-none-match': before[0]! }))).json().commentCount, 1, 'and the article with its new count')
  t.same(await tagsOf(), after, 'and then stays')
})

t.test('approving a comment changes the article (commentCount) and its Last-Modified, so If-Modified-Since gets a 200', async (t) => {
  // The comment triggers of migration 002 update articles.comment_count but not updated_at, and the
  // article's Last-Modified is updatedAt (src/articles/routes.ts), while its ETag does change.
  const { app } = await createTestApp(t, { env: COMMENTS })
  const before = await app.inject(ARTICLE)
  t.equal(before.json().commentCount, 0)
  const posted = await app.inject({ method: 'POST', url: `${ARTICLE}/comments`, payload: { authorName: 'Ana', authorEmail: 'ana@example.com', body: 'Deep pressure worked for me.' } })
  const approved = await app.inject({ method: 'PATCH', url: `/v1/comments/${posted.json().id}`, headers: ADMIN, payload: { status: 'approved' } })
  t.equal(approved.statusCode, 200)
  const after = await app.inject(ARTICLE)
  t.equal(after.json().commentCount, 1)
  t.not(after.headers.etag, before.headers.etag, 'the tag changed')
  const revalidated = await app.inject(cond(ARTICLE, { 'if-modified-since': before.headers['last-modified'] as string }))
  t.equal(revalidated.statusCode, 200, 'a client revalidating by date must get the new representation')
  t.not(after.headers['last-modified'], before.headers['last-modified'], 'Last-Modified moves when the representation changes')
})

t.test('changing the title changes the tags; the write\'s ETag is the default view\'s', async (t) => {
  let clock = Date.parse('2026-05-05T05:05:05.500Z')
  const { app } = await createTestApp(t, { now: () => new Date(clock) })
  const before = await app.inject(ARTICLE)
  const listBefore = await app.inject('/v1/articles')

  clock += 60_000
  const patched = await app.inject({ method: 'PATCH', url: ARTICLE, headers: { ...ADMIN, 'if-match': before.headers.etag as string }, payload: { title: 'Lower Back Pain: Deep Tissue Massage' } })
  t.equal(patched.statusCode, 200, 'the read tag is the If-Match the write accepts')
  t.equal(patched.headers['cache-control'], NO_STORE, 'a write is not stored')

  const after = await app.inject(ARTICLE)
  t.equal(after.json().title, 'Lower Back Pain: Deep Tissue Massage')
  t.not(after.headers.etag, before.headers.etag, 'the article\'s tag changes')
  t.equal(after.headers.etag, patched.headers.etag, 'and is the tag the write returned')
  t.equal(after.headers['last-modified'], 'Tue, 05 May 2026 05:06:05 GMT', 'Last-Modified is the time of the change')
  t.not((await app.inject('/v1/articles')).headers.etag, listBefore.headers.etag, 'the list\'s tag changes')
  t.equal((await app.inject(cond(ARTICLE, { 'if-none-match': before.headers.etag as string }))).statusCode, 200, 'the old tag gets the new article')
  t.equal((await app.inject(cond(ARTICLE, { 'if-none-match': after.headers.etag as string }))).statusCode, 304)
  t.equal((await app.inject(cond(ARTICLE, { 'if-modified-since': before.headers['last-modified'] as string }))).statusCode, 200, 'If-Modified-Since from before the change is a 200')

  const html = await app.inject(`${ARTICLE}?format=html`)
  t.not(html.headers.etag, after.headers.etag, 'each format has a tag of its own')
  t.equal((await app.inject(cond(`${ARTICLE}?format=html`, { 'if-none-match': after.headers.etag as string }))).statusCode, 200, 'the blocks tag does not validate the HTML')
  t.equal((await app.inject(cond(`${ARTICLE}?format=html`, { 'if-none-match': html.headers.etag as string }))).statusCode, 304)
  const narrow = await app.inject(`${ARTICLE}?fields=title`)
  t.not(narrow.headers.etag, after.headers.etag, 'a sparse fieldset has a tag of its own')
})

t.test('CACHE_MAX_AGE and CACHE_STALE_WHILE_REVALIDATE set Cache-Control, on 304s too', async (t) => {
  const { app } = await createTestApp(t, { env: { CACHE_MAX_AGE: '7', CACHE_STALE_WHILE_REVALIDATE: '0' } })
  for (const url of [ARTICLE, '/v1/articles', '/.well-known/api-catalog']) {
    const res = await app.inject(url)
    t.equal(res.headers['cache-control'], 'public, max-age=7, stale-while-revalidate=0', url)
    t.equal((await app.inject(cond(url, { 'if-none-match': res.headers.etag as string }))).headers['cache-control'], 'public, max-age=7, stale-while-revalidate=0', `${url}: 304`)
  }
  const { app: other } = await createTestApp(t, { env: { CACHE_MAX_AGE: '3600' } })
  t.equal((await other.inject(ARTICLE)).headers['cache-control'], 'public, max-age=3600, stale-while-revalidate=300', 'only max-age changed')
})

t.test('errors, authenticated answers and probes are private, no-store, without a tag', async (t) => {
  const { app } = await createTestApp(t)
  const cases: [string, Record<string, string>, number][] = [
    ['/v1/articles/no-such-article', {}, 404],
    ['/v1/no-such-route', {}, 404],
    ['/v1/articles?limit=0', {}, 400],
    ['/v1/articles?sort=bad', {}, 400],
    [`${ARTICLE}?format=bad`, {}, 400],
    [`${ARTICLE}?fields=nope`, {}, 400],
    [ARTICLE, { authorization: 'Bearer wrong-token' }, 401],
    ['/v1/comments', {}, 401],
    [ARTICLE, ADMIN, 200],
    ['/v1/comments', ADMIN, 200],
    ['/healthz', {}, 200],
    ['/readyz', {}, 200],
  ]
  for (const [url, headers, status] of cases) {
    const res = await app.inject({ url, headers })
    t.equal(res.statusCode, status, `${url} ${JSON.stringify(headers)}`)
    t.equal(res.headers['cache-control'], NO_STORE, `${url}: private, no-store`)
    if (status >= 400) {
      t.notOk(res.headers.etag, `${url}: an error has no tag`)
      t.match(res.headers['content-type'], /^application\/problem\+json/)
    }
  }
  const miss = await app.inject(cond('/v1/articles/no-such-article', { 'if-none-match': '*' }))
  t.equal(miss.statusCode, 404, 'If-None-Match: * does not turn a 404 into a 304')
  const editor = await app.inject({ url: ARTICLE, headers: ADMIN })
  t.equal(editor.body, (await app.inject(ARTICLE)).body, 'an editor reads the same published article')
})

t.test('compression: br and gzip above the threshold decode to the identity bytes, each under a tag of its own', async (t) => {
  const { app } = await createTestApp(t)
  for (const url of [ARTICLE, '/openapi.json']) {
    const identity = await app.inject(cond(url, { 'accept-encoding': 'identity' }))
    t.notOk(identity.headers['content-encoding'], `${url}: identity is not encoded`)
    t.ok(identity.rawPayload.length > 1024, `${url}: large enough to compress`)
    for (const [encoding, decode] of [
      ['br', brotliDecompressSync],
      ['gzip', gunzipSync],
    ] as const) {
      const res = await app.inject(cond(url, { 'accept-encoding': encoding }))
      t.equal(res.statusCode, 200)
      t.equal(res.headers['content-encoding'], encoding, `${url}: ${encoding}`)
      t.ok(res.rawPayload.length < identity.rawPayload.length, `${url} ${encoding}: smaller`)
      const decoded = decode(res.rawPayload).toString('utf8')
      t.equal(decoded, identity.body, `${url} ${encoding}: decodes to the same bytes`)
      t.same(JSON.parse(decoded), identity.json(), `${url} ${encoding}: the same JSON`)
      t.equal(res.headers.etag, codingTag(identity.headers.etag as string, encoding), `${url} ${encoding}: a strong tag of its own (RFC 9110 8.8.3), derived from the identity tag`)
      t.not(res.headers.etag, identity.headers.etag, `${url} ${encoding}: not the identity bytes' tag`)
      t.ok(tokens(res, 'vary').includes('accept-encoding'), `${url} ${encoding}: Vary: Accept-Encoding`)
      t.equal(tokens(res, 'vary').filter((value) => value === 'accept-encoding').length, 1, `${url} ${encoding}: named once`)
      assertNotModified(t, await app.inject(cond(url, { 'accept-encoding': encoding, 'if-none-match': res.headers.etag as string })), res, `${url} ${encoding} conditional`)
      assertNotModified(t, await app.inject(cond(url, { 'accept-encoding': encoding, 'if-none-match': identity.headers.etag as string })), identity, `${url} ${encoding}: the identity copy a client holds is still current`)
    }
    const preferred = await app.inject(cond(url, { 'accept-encoding': 'gzip;q=0.5, br;q=1' }))
    t.ok(['br', 'gzip'].includes(preferred.headers['content-encoding'] as string), `${url}: a list of codings gets one of them`)
  }
})

t.test('compression: a response below 1024 bytes is sent as it is', async (t) => {
  const { app } = await createTestApp(t)
  for (const url of [`${ARTICLE}/techniques?limit=1`, '/.well-known/api-catalog', '/healthz']) {
    const identity = await app.inject(url)
    t.ok(identity.rawPayload.length < 1024, `${url}: small (${identity.rawPayload.length} bytes)`)
    for (const encoding of ['br', 'gzip']) {
      const res = await app.inject(cond(url, { 'accept-encoding': encoding }))
      t.notOk(res.headers['content-encoding'], `${url} ${encoding}: not encoded`)
      t.equal(res.body, identity.body, `${url} ${encoding}: the same bytes`)
    }
  }
  const small = await app.inject(cond(`${ARTICLE}/techniques?limit=1`, { 'accept-encoding': 'br' }))
  t.ok(tokens(small, 'vary').includes('accept-encoding'), 'a cacheable small answer still varies on Accept-Encoding: a bigger page of it may be encoded')
})

t.test('CORS: allowed origins get the headers on answers and problems; others and the default get none', async (t) => {
  const { app } = await createTestApp(t, { env: { CORS_ORIGINS: 'https://spa.example, http://localhost:5173' } })
  for (const origin of ['https://spa.example', 'http://localhost:5173']) {
    for (const [url, status] of [
      [ARTICLE, 200],
      ['/v1/articles/no-such-article', 404],
      ['/v1/articles?limit=0', 400],
      ['/v1/nothing-here', 404],
    ] as const) {
      const res = await app.inject({ url, headers: { origin } })
      t.equal(res.statusCode, status, `${origin} ${url}`)
      t.equal(res.headers['access-control-allow-origin'], origin, `${origin} ${url}: allowed`)
      t.ok(tokens(res, 'vary').includes('origin'), `${url}: Vary: Origin`)
      const exposed = tokens(res, 'access-control-expose-headers')
      for (const name of ['etag', 'link', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) t.ok(exposed.includes(name), `${url}: exposes ${name}`)
    }
  }
  const full = await app.inject({ url: ARTICLE, headers: { origin: 'https://spa.example' } })
  const notModified = await app.inject(cond(ARTICLE, { origin: 'https://spa.example', 'if-none-match': full.headers.etag as string }))
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.headers['access-control-allow-origin'], 'https://spa.example', 'a 304 is readable cross-origin too')

  const preflight = await app.inject({ method: 'OPTIONS', url: ARTICLE, headers: { origin: 'https://spa.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' } })
  t.ok(preflight.statusCode === 204 || preflight.statusCode === 200, 'a preflight is answered')
  t.equal(preflight.headers['access-control-allow-origin'], 'https://spa.example')
  t.ok(tokens(preflight, 'access-control-allow-headers').includes('if-none-match'), 'a conditional GET may be sent cross-origin')

  for (const origin of ['https://evil.example', 'https://spa.example.evil.example', 'http://spa.example', 'null']) {
    for (const url of [ARTICLE, '/v1/articles/no-such-article']) {
      const res = await app.inject({ url, headers: { origin } })
      t.notOk(res.headers['access-control-allow-origin'], `${origin} ${url}: not allowed`)
    }
  }

  const { app: closed } = await createTestApp(t)
  for (const url of [ARTICLE, '/v1/articles/no-such-article']) {
    const res = await closed.inject({ url, headers: { origin: 'https://spa.example' } })
    t.notOk(res.headers['access-control-allow-origin'], `no CORS_ORIGINS: ${url} allows no origin`)
  }
})

t.test('security headers on answers, problems and /docs; the docs page still works under its CSP', async (t) => {
  const { app } = await createTestApp(t)
  for (const url of [ARTICLE, '/v1/articles/no-such-article', '/openapi.json', '/docs']) {
    const res = await app.inject(url)
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`)
    t.match(res.headers['x-frame-options'], /^(DENY|SAMEORIGIN)$/, `${url}: framing policy`)
    t.ok(res.headers['referrer-policy'], `${url}: referrer policy`)
    t.match(res.headers['content-security-policy'], /default-src 'self'/, `${url}: a CSP`)
  }
  const docs = await app.inject('/docs')
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-type'], /^text\/html/)
  const csp = header(docs, 'content-security-policy')!
  const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? /default-src ([^;]*)/.exec(csp)![1]!
  t.match(scriptSrc, "'self'", 'scripts from the same origin may run')
  const scripts = [...docs.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
  t.ok(scripts.length > 0, 'the page has scripts')
  for (const [, attributes, inline] of scripts) {
    const src = /src="([^"]+)"/.exec(attributes!)?.[1]
    if (!src) {
      // An inline script runs only when the CSP allows it by hash, nonce or 'unsafe-inline'.
      t.ok(/'unsafe-inline'|'sha256-|'nonce-/.test(scriptSrc), `an inline script is allowed: ${inline!.slice(0, 40)}`)
      continue
    }
    t.ok(src.startsWith('/') && !src.startsWith('//'), `${src}: same origin`)
    const script = await app.inject(src)
    t.equal(script.statusCode, 200, `${src} loads`)
    t.match(script.headers['content-type'], /javascript/, `${src} is JavaScript`)
  }
  for (const [, href] of docs.body.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)) {
    t.equal((await app.inject(href!)).statusCode, 200, `${href} loads`)
  }
})

t.test('Link: service-desc and service-doc on answers and problems, next alongside on a paged list', async (t) => {
  const { app } = await createTestApp(t)
  for (const url of [ARTICLE, '/v1/articles', '/v1/articles/no-such-article', '/v1/articles?limit=0', '/healthz', '/.well-known/api-catalog']) {
    const res = await app.inject(url)
    const link = header(res, 'link') ?? ''
    t.match(link, SERVICE_DESC, `${url}: service-desc`)
    t.match(link, SERVICE_DOC, `${url}: service-doc`)
    t.equal(link.match(/rel="service-desc"/g)?.length, 1, `${url}: once`)
  }
  const paged = await app.inject(`${ARTICLE}/benefits?limit=2`)
  const link = header(paged, 'link')!
  const next = nextLink(link)
  t.ok(next, 'a next link')
  t.equal(next, `${ARTICLE}/benefits?limit=2&cursor=${paged.json().meta.nextCursor}`)
  t.match(link, SERVICE_DESC)
  t.match(link, SERVICE_DOC)
  const links = link.split(/,\s*(?=<)/)
  t.equal(links.length, 3, 'three links, comma-separated')
  t.same(links.map((value) => /rel="([^"]+)"/.exec(value)?.[1]), ['next', 'service-desc', 'service-doc'])
  t.equal((await app.inject(next!)).statusCode, 200, 'the next link is followable')
  const notModified = await app.inject(cond(`${ARTICLE}/benefits?limit=2`, { 'if-none-match': paged.headers.etag as string }))
  t.equal(notModified.statusCode, 304)
  for (const target of ['/openapi.json', '/docs']) t.equal((await app.inject(target)).statusCode, 200, `${target} resolves`)
})

t.test('over a real port, Node\'s fetch: a conditional GET and compressed GETs', async (t) => {
  const { app } = await createTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}${ARTICLE}`

  const first = await fetch(url, { headers: { 'accept-encoding': 'identity' } })
  t.equal(first.status, 200)
  const tag = first.headers.get('etag')!
  t.match(tag, STRONG_TAG)
  t.equal(first.headers.get('content-encoding'), null)
  const identity = await first.text()

  const again = await fetch(url, { headers: { 'if-none-match': tag } })
  t.equal(again.status, 304, 'fetch sees the 304')
  t.equal(await again.text(), '', 'with no body')
  t.equal(again.headers.get('etag'), tag)
  t.equal(again.headers.get('cache-control'), DEFAULT_CACHE_CONTROL)
  t.match(again.headers.get('vary'), /accept-encoding/i)

  const since = await fetch(url, { headers: { 'if-modified-since': first.headers.get('last-modified')! } })
  t.equal(since.status, 304, 'If-Modified-Since over the wire')
  await since.text()

  for (const encoding of ['br', 'gzip'] as const) {
    const res = await fetch(url, { headers: { 'accept-encoding': encoding } })
    t.equal(res.status, 200)
    t.equal(res.headers.get('content-encoding'), encoding, `${encoding} over the wire`)
    t.equal(res.headers.get('etag'), codingTag(tag, encoding), `${encoding}: its own tag`)
    t.equal(await res.text(), identity, `${encoding}: fetch decodes it to the same bytes`)
  }
  const plain = await fetch(url)
  t.ok(plain.headers.get('content-encoding'), `fetch's default Accept-Encoding gets a coding (${plain.headers.get('content-encoding')})`)
  t.same(await plain.json(), JSON.parse(identity))

  const missing = await fetch(`http://127.0.0.1:${port}/v1/articles/no-such-article`, { headers: { 'if-none-match': '*' } })
  t.equal(missing.status, 404)
  t.equal(missing.headers.get('cache-control'), NO_STORE)
  await missing.text()
})
