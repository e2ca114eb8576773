import t from 'tap'
import { loggedPath } from '../../src/logging.js'
import { HOUR, NO_STORE, SEED_SLUG, articleBody, assertProblem, createArticle, editorApp, makeKey, patchArticle } from '../articles/helpers.js'

const DRAFT = articleBody('Hot Stone Draft', { intro: 'Not for the public yet.' })

async function withDraft(t: Parameters<typeof editorApp>[0]) {
  const editor = await editorApp(t)
  await createArticle(t, editor, DRAFT)
  const res = await editor.send('POST', '/v1/articles/hot-stone-draft/previews', {})
  t.equal(res.statusCode, 201, `preview made: ${res.body.slice(0, 200)}`)
  return { editor, created: res.json() as { id: number; token: string; url: string; expiresAt: string; createdAt: string }, res }
}

t.test('a preview link reads one draft, read-only and never cached, until it expires', async (t) => {
  const { editor, created, res } = await withDraft(t)
  t.match(created.token, /^prv_[A-Za-z0-9_-]{43}$/)
  t.equal(created.url, `/v1/previews/${created.token}`)
  t.equal(res.headers.location, `/v1/articles/hot-stone-draft/previews/${created.id}`)
  t.equal(Date.parse(created.expiresAt) - Date.parse(created.createdAt), HOUR, 'one hour unless asked')
  t.equal(res.headers['cache-control'], NO_STORE)
  const stored = (await editor.store.all<{ digest: string }>('SELECT digest FROM article_previews')).map((row) => row.digest)
  t.equal(stored.length, 1)
  t.notOk(stored.some((digest) => digest.includes(created.token)), 'only a digest is stored')

  const read = await editor.publicGet(created.url)
  t.equal(read.statusCode, 200)
  t.match(read.json(), { slug: 'hot-stone-draft', status: 'draft', title: 'Hot Stone Draft' })
  t.equal(read.headers['cache-control'], NO_STORE, 'private, no-store')
  t.equal(read.headers['x-robots-tag'], 'noindex')
  t.notOk(read.headers.etag, 'nothing to revalidate: never stored')
  t.match((await editor.publicGet(`${created.url}?format=html&fields=title,html`)).json(), { title: 'Hot Stone Draft', html: /Not for the public yet/ })

  // An edit shows at once: the preview is the article as it is.
  await patchArticle(t, editor, 'hot-stone-draft', { title: 'Hot Stone, Revised' })
  t.equal((await editor.publicGet(created.url)).json().title, 'Hot Stone, Revised')

  editor.clock.advance(HOUR - 1)
  t.equal((await editor.publicGet(created.url)).statusCode, 200, 'works until its expiry')
  editor.clock.advance(1)
  assertProblem(t, await editor.publicGet(created.url), 404, '/problems/not-found', 'expired')
})

t.test('the token opens nothing else', async (t) => {
  const { editor, created } = await withDraft(t)
  const asBearer = { authorization: `Bearer ${created.token}` }
  assertProblem(t, await editor.app.inject({ url: '/v1/articles/hot-stone-draft', headers: asBearer }), 401, '/problems/unauthorized', 'not a key')
  assertProblem(t, await editor.publicGet('/v1/articles/hot-stone-draft'), 404, '/problems/not-found', 'the draft stays hidden')
  assertProblem(t, await editor.app.inject({ method: 'POST', url: '/v1/articles/hot-stone-draft/previews', headers: asBearer, payload: {} }), 401, '/problems/unauthorized', 'cannot make previews')
  const forged = created.token.slice(0, -1) + (created.token.endsWith('A') ? 'B' : 'A')
  assertProblem(t, await editor.publicGet(`/v1/previews/${forged}`), 404, '/problems/not-found', 'a changed token')
  assertProblem(t, await editor.publicGet('/v1/previews/not-a-token'), 400, '/problems/validation-failed', 'not token-shaped')
  for (const method of ['PATCH', 'DELETE', 'PUT', 'POST'] as const) {
    const res = await editor.app.inject({ method, url: created.url, payload: {} })
    t.ok([404, 405].includes(res.statusCode), `${method} through the preview: ${res.statusCode}`)
  }
  t.equal((await editor.publicGet(created.url)).json().title, 'Hot Stone Draft', 'unchanged')
  t.same(loggedPath(created.url), '/v1/previews/[redacted]', 'never logged')
})

t.test('previews are made, listed and revoked with content:write only', async (t) => {
  const { editor, created } = await withDraft(t)
  const moderator = (await makeKey(editor.store, ['comments:moderate'])).headers
  assertProblem(t, await editor.app.inject({ method: 'POST', url: '/v1/articles/hot-stone-draft/previews', payload: {} }), 401, '/problems/unauthorized', 'no key')
  assertProblem(t, await editor.send('POST', '/v1/articles/hot-stone-draft/previews', {}, moderator), 403, '/problems/forbidden', 'moderator')
  assertProblem(t, await editor.send('POST', `/v1/articles/${SEED_SLUG}/previews`, {}), 409, '/problems/conflict', 'a public article')
  assertProblem(t, await editor.send('POST', '/v1/articles/nothing-here/previews', {}), 404, '/problems/not-found', 'no article')
  for (const expiresInSeconds of [59, 7 * 24 * 3600 + 1]) {
    assertProblem(t, await editor.send('POST', '/v1/articles/hot-stone-draft/previews', { expiresInSeconds }), 400, '/problems/validation-failed', `expiresInSeconds ${expiresInSeconds}`)
  }
  const week = (await editor.send('POST', '/v1/articles/hot-stone-draft/previews', { expiresInSeconds: 7 * 24 * 3600 })).json()
  t.equal(Date.parse(week.expiresAt) - Date.parse(week.createdAt), 7 * 24 * HOUR, 'at most seven days')

  const listed = await editor.send('GET', '/v1/articles/hot-stone-draft/previews')
  t.same(listed.json(), { data: [{ id: created.id, createdAt: created.createdAt, expiresAt: created.expiresAt }, { id: week.id, createdAt: week.createdAt, expiresAt: week.expiresAt }], meta: { limit: 20, nextCursor: null } }, 'without tokens')

  assertProblem(t, await editor.send('DELETE', `/v1/articles/hot-stone-draft/previews/${created.id}`, undefined, moderator), 403, '/problems/forbidden', 'revoke needs content:write')
  t.equal((await editor.send('DELETE', `/v1/articles/hot-stone-draft/previews/${created.id}`)).statusCode, 204)
  assertProblem(t, await editor.publicGet(created.url), 404, '/problems/not-found', 'revoked')
  assertProblem(t, await editor.send('DELETE', `/v1/articles/hot-stone-draft/previews/${created.id}`), 404, '/problems/not-found', 'revoked twice')
  t.equal((await editor.publicGet(`/v1/previews/${week.token}`)).statusCode, 200, 'the other still works')

  const scheduled = await createArticle(t, editor, { ...articleBody('Later'), status: 'scheduled', publishedAt: editor.clock.in(HOUR) })
  t.equal((await editor.send('POST', `/v1/articles/${scheduled.slug}/previews`, {})).statusCode, 201, 'a scheduled article too')
  t.equal((await editor.send('DELETE', '/v1/articles/hot-stone-draft')).statusCode, 204)
  assertProblem(t, await editor.publicGet(`/v1/previews/${week.token}`), 404, '/problems/not-found', 'the article is gone')
})
