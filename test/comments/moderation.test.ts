import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { App } from '../../src/app.js'
import { TEST_ADMIN_TOKEN, createTestApp } from '../helpers/app.js'
import { ADMIN, MANUAL, SLUG, admin, allPages, assertProblem, commentsUrl, failingFields, postOk, rowCount, setStatus, testClock } from './helpers.js'

const MODERATION_KEYS = ['articleSlug', 'authorEmail', 'authorName', 'authorUrl', 'body', 'createdAt', 'id', 'parentId', 'replyCount', 'status', 'updatedAt']

/** One request per moderation route, on comment `id`. */
const routes = (id: number) =>
  [
    ['GET', '/v1/comments'],
    ['GET', '/v1/comments?status=approved'],
    ['PATCH', `/v1/comments/${id}`, { status: 'approved' }],
    ['DELETE', `/v1/comments/${id}`],
  ] as const

function assertNoStore(t: Test, res: LightMyRequestResponse, message: string) {
  t.equal(res.headers['cache-control'], 'private, no-store', `${message}: cache-control`)
}

function assertUnauthorized(t: Test, res: LightMyRequestResponse, message: string) {
  assertProblem(t, res, 401, '/problems/unauthorized', message)
  t.match(res.headers['www-authenticate'], /^Bearer /, `${message}: WWW-Authenticate: Bearer`)
  assertNoStore(t, res, message)
}

t.test('moderation needs Authorization: Bearer with the admin token', async (t) => {
  const { app, store } = await createTestApp(t, { env: MANUAL })
  const comment = await postOk(t, app, { authorEmail: 'hidden@example.com' })
  const wrongCredentials: [string, Record<string, string>][] = [
    ['no Authorization', {}],
    ['an empty Authorization', { authorization: '' }],
    ['Bearer and nothing', { authorization: 'Bearer ' }],
    ['a wrong token', { authorization: 'Bearer wrong-token-0123456789abcdef0123456789' }],
    ['the token with a suffix', { authorization: `Bearer ${TEST_ADMIN_TOKEN}x` }],
    ['a prefix of the token', { authorization: `Bearer ${TEST_ADMIN_TOKEN.slice(0, -1)}` }],
    ['the Basic scheme', { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}` }],
    ['the token without a scheme', { authorization: TEST_ADMIN_TOKEN }],
    ['the token in another header', { 'x-admin-token': TEST_ADMIN_TOKEN }],
  ]
  for (const [name, headers] of wrongCredentials) {
    for (const [method, url, payload] of routes(comment.id)) {
      const res = await admin(app, method, url, payload, headers)
      assertUnauthorized(t, res, `${name}: ${method} ${url}`)
      t.notMatch(res.body, /hidden@example\.com/, `${name}: ${method} ${url} tells nothing`)
    }
  }
  t.match(await store.get('SELECT status FROM comments WHERE id = ?', [comment.id]), { status: 'pending' }, 'nothing was changed or deleted')
  const allowed = await admin(app, 'GET', '/v1/comments')
  t.equal(allowed.statusCode, 200, 'the admin token is let in')
  assertNoStore(t, allowed, 'an authorised answer')
})

t.test('with ADMIN_TOKEN unset (or empty) every moderation route answers 401', async (t) => {
  const { app } = await createTestApp(t, { env: { ...MANUAL, ADMIN_TOKEN: '' } })
  const comment = await postOk(t, app)
  const guesses = [`Bearer ${TEST_ADMIN_TOKEN}`, 'Bearer x', 'Bearer undefined', 'Bearer null', 'Bearer ', '']
  for (const authorization of guesses) {
    for (const [method, url, payload] of routes(comment.id)) {
      assertUnauthorized(t, await admin(app, method, url, payload, { authorization }), `${JSON.stringify(authorization)}: ${method} ${url}`)
    }
  }
})

t.test('authentication is decided before the request is validated', async (t) => {
  const { app } = await createTestApp(t, { env: MANUAL })
  const invalid = [
    ['GET', '/v1/comments?status=nonsense'],
    ['GET', '/v1/comments?limit=1000'],
    ['PATCH', '/v1/comments/abc', { status: 'nonsense' }],
    ['DELETE', '/v1/comments/0'],
  ] as const
  for (const [method, url, payload] of invalid) {
    const res = await admin(app, method, url, payload, {})
    t.equal(res.statusCode, 401, `${method} ${url} without a token`)
  }
})

t.test('GET /v1/comments lists comments by status, emails included, paginated', async (t) => {
  const { app } = await createTestApp(t, { env: MANUAL })
  const byStatus: Record<string, number[]> = { pending: [], approved: [], spam: [], rejected: [] }
  for (const [i, status] of ['pending', 'approved', 'spam', 'rejected', 'pending', 'approved', 'pending', 'pending', 'pending'].entries()) {
    const comment = await postOk(t, app, { authorEmail: `reader${i}@example.com` })
    if (status !== 'pending') await setStatus(t, app, comment.id, status)
    byStatus[status]!.push(comment.id)
  }

  const pendingByDefault = await admin(app, 'GET', '/v1/comments')
  t.same(pendingByDefault.json().data.map((c: { id: number }) => c.id), byStatus.pending, 'pending by default, oldest first')
  for (const [status, ids] of Object.entries(byStatus)) {
    const res = await admin(app, 'GET', `/v1/comments?status=${status}`)
    t.equal(res.statusCode, 200)
    const { data } = res.json()
    t.same(data.map((c: { id: number }) => c.id), ids, `status=${status}`)
    t.ok(data.every((c: { status: string }) => c.status === status), `status=${status}: each item has that status`)
    for (const comment of data) t.same(Object.keys(comment).sort(), MODERATION_KEYS, `comment ${comment.id}: the moderation fields`)
    t.same(data.map((c: { authorEmail: string }) => c.authorEmail), ids.map((id) => `reader${id - 1}@example.com`), `status=${status}: emails included`)
    t.ok(data.every((c: { articleSlug: string }) => c.articleSlug === SLUG), `status=${status}: the article is named`)
  }

  const pages = await allPages(app, '/v1/comments?status=pending&limit=2', ADMIN)
  t.same(pages.map((page) => page.data.length), [2, 2, 1])
  t.ok(pages.slice(0, -1).every((page) => page.link?.includes('status=pending')), 'Link rel=next keeps the status')
  t.same(pages.flatMap((page) => page.data.map((c) => c.id)), byStatus.pending, 'paged through without duplicates')
  const spamCursor = pages[0]!.meta.nextCursor!
  assertProblem(t, await admin(app, 'GET', `/v1/comments?status=approved&cursor=${encodeURIComponent(spamCursor)}`), 400, '/problems/validation-failed', 'a cursor works only for its status')

  for (const query of ['status=nonsense', 'status=', 'status=PENDING', 'limit=0', 'foo=1']) {
    const res = await admin(app, 'GET', `/v1/comments?${query}`)
    assertProblem(t, res, 400, '/problems/validation-failed', query)
    t.equal(res.json().errors[0].in, 'query', `${query}: a query problem`)
    assertNoStore(t, res, query)
  }
  t.same(failingFields(await admin(app, 'GET', '/v1/comments?status=nonsense')), ['query:status'])
})

t.test('PATCH /v1/comments/:id sets the status', async (t) => {
  const clock = testClock()
  const { app } = await createTestApp(t, { env: MANUAL, now: clock.now })
  const comment = await postOk(t, app)
  clock.advance(60_000)
  const res = await admin(app, 'PATCH', `/v1/comments/${comment.id}`, { status: 'approved' })
  t.equal(res.statusCode, 200)
  assertNoStore(t, res, 'PATCH')
  t.match(res.json(), { id: comment.id, status: 'approved', createdAt: '2026-03-01T12:00:00.000Z', updatedAt: '2026-03-01T12:01:00.000Z', authorEmail: 'maya@example.com' })

  for (const status of ['rejected', 'spam', 'pending', 'approved']) {
    t.equal((await setStatus(t, app, comment.id, status)).status, status, `to ${status}`)
  }
  const refused: [string, string, unknown, number, string[]][] = [
    ['an unknown id', '/v1/comments/999999', { status: 'approved' }, 404, []],
    ['an invalid status', `/v1/comments/${comment.id}`, { status: 'deleted' }, 400, ['body:status']],
    ['no status', `/v1/comments/${comment.id}`, {}, 400, ['body:status']],
    ['another field', `/v1/comments/${comment.id}`, { status: 'approved', body: 'edited' }, 400, ['body:body']],
    ['an id that is no number', '/v1/comments/abc', { status: 'approved' }, 400, ['path:id']],
  ]
  for (const [name, url, payload, status, fields] of refused) {
    const res = await admin(app, 'PATCH', url, payload)
    assertProblem(t, res, status, status === 404 ? '/problems/not-found' : '/problems/validation-failed', name)
    if (fields.length) t.same(failingFields(res), fields, `${name}: names ${fields.join(', ')}`)
    assertNoStore(t, res, name)
  }
  t.equal((await app.inject(`${commentsUrl()}/${comment.id}`)).json().body, comment.body, 'the comment is unchanged by refused requests')
})

t.test('DELETE /v1/comments/:id deletes for good', async (t) => {
  const { app, store } = await createTestApp(t, { env: MANUAL })
  const comment = await postOk(t, app)
  await setStatus(t, app, comment.id, 'approved')
  const res = await admin(app, 'DELETE', `/v1/comments/${comment.id}`)
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  assertNoStore(t, res, 'DELETE')
  t.equal(await rowCount(store), 0)
  assertProblem(t, await admin(app, 'DELETE', `/v1/comments/${comment.id}`), 404, '/problems/not-found', 'deleting again')
  assertProblem(t, await admin(app, 'PATCH', `/v1/comments/${comment.id}`, { status: 'approved' }), 404, '/problems/not-found', 'approving a deleted comment')
  assertProblem(t, await app.inject(`${commentsUrl()}/${comment.id}`), 404, '/problems/not-found', 'reading a deleted comment')
  assertProblem(t, await admin(app, 'DELETE', '/v1/comments/abc'), 400, '/problems/validation-failed', 'a malformed id')
})

/** The article's commentCount and each comment's public replyCount (undefined when not public). */
async function counts(app: App, ...ids: number[]) {
  const commentCount = (await app.inject(`/v1/articles/${SLUG}`)).json().commentCount as number
  const replyCounts = await Promise.all(ids.map(async (id) => (await app.inject(`${commentsUrl()}/${id}`)).json().replyCount as number | undefined))
  const listed = (await app.inject(`${commentsUrl()}?limit=100`)).json().data.length as number
  return { commentCount, listed, replyCounts }
}

t.test('moderation keeps commentCount and replyCount exact at once', async (t) => {
  const { app } = await createTestApp(t, { env: MANUAL })
  const parent = await postOk(t, app)
  await setStatus(t, app, parent.id, 'approved')
  const reply = await postOk(t, app, { parentId: parent.id })
  t.same(await counts(app, parent.id), { commentCount: 1, listed: 1, replyCounts: [0] }, 'a pending reply counts for nothing')

  const steps: [string, () => Promise<unknown>, { commentCount: number; replyCount: number }][] = [
    ['approve the reply', () => setStatus(t, app, reply.id, 'approved'), { commentCount: 2, replyCount: 1 }],
    ['approve it again', () => setStatus(t, app, reply.id, 'approved'), { commentCount: 2, replyCount: 1 }],
    ['reject the reply', () => setStatus(t, app, reply.id, 'rejected'), { commentCount: 1, replyCount: 0 }],
    ['approve it back', () => setStatus(t, app, reply.id, 'approved'), { commentCount: 2, replyCount: 1 }],
    ['mark it spam', () => setStatus(t, app, reply.id, 'spam'), { commentCount: 1, replyCount: 0 }],
    ['put it back to pending', () => setStatus(t, app, reply.id, 'pending'), { commentCount: 1, replyCount: 0 }],
    ['approve it once more', () => setStatus(t, app, reply.id, 'approved'), { commentCount: 2, replyCount: 1 }],
    ['delete the approved reply', () => admin(app, 'DELETE', `/v1/comments/${reply.id}`), { commentCount: 1, replyCount: 0 }],
  ]
  for (const [name, step, { commentCount, replyCount }] of steps) {
    await step()
    t.same(await counts(app, parent.id), { commentCount, listed: commentCount, replyCounts: [replyCount] }, name)
  }

  const secondReply = await postOk(t, app, { parentId: parent.id })
  await setStatus(t, app, secondReply.id, 'approved')
  t.same(await counts(app, parent.id), { commentCount: 2, listed: 2, replyCounts: [1] })
  t.equal((await admin(app, 'DELETE', `/v1/comments/${parent.id}`)).statusCode, 204, 'delete the parent')
  const orphan = (await app.inject(`${commentsUrl()}/${secondReply.id}`)).json()
  t.match(orphan, { id: secondReply.id, parentId: null }, 'the reply stays, as a top-level comment')
  t.same(await counts(app, secondReply.id), { commentCount: 1, listed: 1, replyCounts: [0] }, 'the deleted parent no longer counts')
  t.equal((await admin(app, 'GET', '/v1/comments?status=approved')).json().data[0].parentId, null, 'moderators see it top-level too')
})
