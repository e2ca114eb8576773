import t from 'tap'
import { createTestApp } from '../helpers/app.js'
import { admin, AUTO, commentsUrl, newComment, post, postOk, rowCount, setStatus } from './helpers.js'

t.test('an idempotent retry is recognised whatever its key order, spacing or email case', async (t) => {
  const { app, store } = await createTestApp(t, { env: AUTO })
  const headers = { 'idempotency-key': 'retry-1' }
  const first = await post(app, { authorName: 'Maya', authorEmail: 'maya@example.com', body: 'Same words.' }, { headers })
  t.equal(first.statusCode, 201)
  const retry = await post(app, { body: '  Same words.  ', authorEmail: 'Maya@Example.COM', authorName: 'Maya ' }, { headers })
  t.equal(retry.statusCode, 201)
  t.equal(retry.body, first.body)
  t.equal(await rowCount(store), 1)
})

t.test('a deleted comment\'s id is never given to another', async (t) => {
  const { app } = await createTestApp(t, { env: AUTO })
  const { id } = await postOk(t, app)
  t.equal((await admin(app, 'DELETE', `/v1/comments/${id}`)).statusCode, 204)
  const next = await postOk(t, app)
  t.ok(next.id > id)
})

t.test('limits count characters, not UTF-16 units', async (t) => {
  const { app } = await createTestApp(t, { env: AUTO })
  t.equal((await post(app, newComment({ body: '😀'.repeat(3000) }))).statusCode, 201, '3000 emoji are 3000 characters (6000 UTF-16 units)')
  t.equal((await post(app, newComment({ authorName: '😀'.repeat(100) }))).statusCode, 201, '100 emoji are a name of 100 characters')
  t.equal((await post(app, newComment({ authorName: '😀'.repeat(101) }))).statusCode, 400)
})

t.test('every failing field is named at once, trimmed rules included', async (t) => {
  const { app } = await createTestApp(t, { env: AUTO })
  const res = await post(app, { authorName: '   ', authorEmail: 'nope', body: ' \u0007 ' })
  t.equal(res.statusCode, 400)
  t.same(res.json().errors.map((e: { name: string }) => e.name).sort(), ['authorEmail', 'authorName', 'body'])
})

t.test('an author URL needs a host', async (t) => {
  const { app } = await createTestApp(t, { env: AUTO })
  for (const authorUrl of ['http://', 'https:///path', 'http://@host']) {
    const res = await post(app, newComment({ authorUrl }))
    t.equal(res.statusCode, 400, authorUrl)
    t.match(res.json().errors, [{ name: 'authorUrl' }])
  }
  t.equal((await post(app, newComment({ authorUrl: 'https://maya.example/blog' }))).statusCode, 201)
})

t.test('finding 10 (issue 15): an author URL is read as a browser reads it, and one with user:password@ is a 400 naming authorUrl', async (t) => {
  const { app, store } = await createTestApp(t, { env: AUTO })
  const disguised = [
    'https://trusted.example:80@evil.example/',
    'https://trusted.example@evil.example',
    'http://user:secret@maya.example/blog',
  ]
  for (const authorUrl of disguised) {
    const res = await post(app, newComment({ authorUrl }))
    t.equal(res.statusCode, 400, authorUrl)
    t.match(res.json(), { type: '/problems/validation-failed', errors: [{ in: 'body', name: 'authorUrl', detail: /user name or password/ }] }, `${authorUrl}: names the field and why`)
  }
  t.equal(await rowCount(store), 0, 'none was stored')
  for (const authorUrl of ['https://maya.example', 'http://maya.example:8080/about?x=1#top', 'https://xn--mya-sna.example/']) {
    t.equal((await post(app, newComment({ authorUrl }))).statusCode, 201, `${authorUrl} is fine`)
  }
})

t.test('ids out of range are 400s, not 404s', async (t) => {
  const { app } = await createTestApp(t, { env: AUTO })
  for (const id of ['1e400', '99999999999999999999', '0', '-1', 'NaN']) {
    const res = await app.inject(`${commentsUrl()}/${id}`)
    t.equal(res.statusCode, 400, id)
  }
})

t.test('readers do not see a reply\'s parent once the parent is no longer public', async (t) => {
  const { app } = await createTestApp(t, { env: AUTO })
  const parent = await postOk(t, app)
  const reply = await postOk(t, app, { parentId: parent.id })
  await setStatus(t, app, parent.id, 'spam')
  const shown = (await app.inject(`${commentsUrl()}/${reply.id}`)).json()
  t.equal(shown.parentId, null)
  const listed = (await app.inject(commentsUrl())).json().data
  t.same(listed.map((c: { id: number; parentId: number | null }) => [c.id, c.parentId]), [[reply.id, null]])
})

t.test('CORS lets a configured origin moderate from a browser', async (t) => {
  const { app } = await createTestApp(t, { env: { CORS_ORIGINS: 'https://admin.spa.example' } })
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/comments/1',
    headers: { origin: 'https://admin.spa.example', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization,content-type' },
  })
  t.equal(preflight.statusCode, 204)
  t.match(preflight.headers['access-control-allow-methods'], /PATCH/)
  t.match(preflight.headers['access-control-allow-headers'], /Authorization/i)
  const other = await app.inject({ url: '/v1/articles', headers: { origin: 'https://evil.example' } })
  t.notOk(other.headers['access-control-allow-origin'])
  const allowed = await app.inject({ url: '/v1/articles', headers: { origin: 'https://admin.spa.example' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://admin.spa.example')
  t.match(allowed.headers['access-control-expose-headers'], /RateLimit-Remaining/)
})
