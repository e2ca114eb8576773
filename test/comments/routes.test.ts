import t from 'tap'
import { articleText, createTestApp, saveText } from '../helpers/app.js'
import { nextLink } from '../helpers/links.js'
import {
  AUTO,
  MANUAL,
  PUBLIC_KEYS,
  SLUG,
  allPages,
  assertProblem,
  commentsUrl,
  failingFields,
  newComment,
  post,
  postOk,
  rowCount,
  setStatus,
} from './helpers.js'

/** A valid address of exactly `length` characters: 64 in the local part, labels of at most 63. */
function emailOfLength(length: number): string {
  const domain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(length - 64 - 1 - 63 - 1 - 63 - 1 - 4)}.com`
  const email = `${'a'.repeat(64)}@${domain}`
  if (email.length !== length) throw new Error(`emailOfLength(${length}) is ${email.length} long`)
  return email
}

t.test('a valid comment is 201 with its status and a Location, and never the email', async (t) => {
  const { app } = await createTestApp(t, { env: MANUAL })
  const res = await post(app, newComment({ authorEmail: 'Maya.Private@Example.com', authorUrl: 'https://maya.example' }))
  t.equal(res.statusCode, 201)
  t.match(res.headers['content-type'], /^application\/json/)
  const { status, ...created } = res.json()
  t.equal(status, 'pending')
  t.same(Object.keys(created).sort(), PUBLIC_KEYS, 'the public fields plus status')
  t.match(created, { parentId: null, authorName: 'Maya R.', authorUrl: 'https://maya.example', replyCount: 0 })
  t.notMatch(res.body, /maya\.private@example\.com/i, 'the email appears nowhere in the answer')
  t.equal(res.headers.location, `/v1/articles/${SLUG}/comments/${created.id}`)

  const location = res.headers.location as string
  assertProblem(t, await app.inject(location), 404, '/problems/not-found', 'a pending comment is not public')
  await setStatus(t, app, created.id, 'approved')
  const shown = await app.inject(location)
  t.equal(shown.statusCode, 200, 'the Location answers once the comment is approved')
  t.same(shown.json(), created, 'the same comment, without status')
  t.notMatch(shown.body, /maya\.private@example\.com/i)

})

t.test('new comments are pending unless COMMENT_MODERATION=auto', async (t) => {
  const cases: { env: Record<string, string>; status: string }[] = [
    { env: { COMMENT_RATE_LIMIT_PER_MINUTE: '0' }, status: 'pending' },
    { env: MANUAL, status: 'pending' },
    { env: AUTO, status: 'approved' },
  ]
  for (const { env, status } of cases) {
    const { app } = await createTestApp(t, { env })
    const created = await postOk(t, app)
    t.equal(created.status, status, `COMMENT_MODERATION=${env.COMMENT_MODERATION ?? '(unset)'}`)
    const listed = (await app.inject(commentsUrl())).json().data
    t.equal(listed.length, status === 'approved' ? 1 : 0, 'only an approved comment is listed')
  }
})

t.test('invalid comments are 400 problems naming every failing field, and store nothing', async (t) => {
  const { app, store } = await createTestApp(t, { env: AUTO })
  const valid = { authorName: 'Maya R.', authorEmail: 'maya@example.com', body: 'Helpful.' }
  const cases: { name: string; payload: Record<string, unknown>; fields: string[] }[] = [
    { name: 'an empty object', payload: {}, fields: ['authorEmail', 'authorName', 'body'] },
    { name: 'only a name', payload: { authorName: 'Maya' }, fields: ['authorEmail', 'body'] },
    { name: 'a number for the name (no coercion)', payload: { ...valid, authorName: 123 }, fields: ['authorName'] },
    { name: 'wrong types everywhere', payload: { authorName: 123, authorEmail: true, body: ['x'], parentId: '1' }, fields: ['authorEmail', 'authorName', 'body', 'parentId'] },
    { name: 'unknown fields', payload: { ...valid, rating: 5, isAdmin: true }, fields: ['isAdmin', 'rating'] },
    { name: 'a status of its own', payload: { ...valid, status: 'approved' }, fields: ['status'] },
    { name: 'mixed faults', payload: { authorName: 123, authorEmail: 'nope', extra: 1 }, fields: ['authorEmail', 'authorName', 'body', 'extra'] },
    { name: 'an invalid email', payload: { ...valid, authorEmail: 'maya at example.com' }, fields: ['authorEmail'] },
    { name: 'an email of 255 characters', payload: { ...valid, authorEmail: emailOfLength(255) }, fields: ['authorEmail'] },
    { name: 'a javascript: URL', payload: { ...valid, authorUrl: 'javascript:alert(1)' }, fields: ['authorUrl'] },
    { name: 'an ftp URL', payload: { ...valid, authorUrl: 'ftp://x' }, fields: ['authorUrl'] },
    { name: 'a URL that is not one', payload: { ...valid, authorUrl: 'maya dot example' }, fields: ['authorUrl'] },
    { name: 'a zero parentId', payload: { ...valid, parentId: 0 }, fields: ['parentId'] },
    { name: 'a fractional parentId', payload: { ...valid, parentId: 1.5 }, fields: ['parentId'] },
    { name: 'a name of 101 characters', payload: { ...valid, authorName: 'n'.repeat(101) }, fields: ['authorName'] },
    { name: 'a body of 5001 characters', payload: { ...valid, body: 'b'.repeat(5001) }, fields: ['body'] },
    { name: 'an empty name', payload: { ...valid, authorName: '' }, fields: ['authorName'] },
    { name: 'a whitespace-only name', payload: { ...valid, authorName: ' \t\u00a0 ' }, fields: ['authorName'] },
    { name: 'a whitespace-only body', payload: { ...valid, body: ' \n\r\n\t ' }, fields: ['body'] },
    { name: 'a whitespace-only name and body', payload: { ...valid, authorName: '   ', body: '\n\n' }, fields: ['authorName', 'body'] },
    { name: 'a body of control characters only', payload: { ...valid, body: '\u0000\u0007\u202e' }, fields: ['body'] },
  ]
  for (const { name, payload, fields } of cases) {
    const res = await post(app, payload)
    assertProblem(t, res, 400, '/problems/validation-failed', name)
    t.same(failingFields(res), fields.map((field) => `body:${field}`), `${name}: names ${fields.join(', ')}`)
    for (const error of res.json().errors ?? []) t.type(error.detail, 'string', `${name}: ${error.name} has a detail`)
  }
  t.equal(await rowCount(store), 0, 'no invalid comment was stored')
})

t.test('comments at the limits are accepted', async (t) => {
  const { app } = await createTestApp(t, { env: AUTO })
  const cases: { name: string; overrides: Record<string, unknown> }[] = [
    { name: 'a name of 100 characters after trimming', overrides: { authorName: `  ${'n'.repeat(100)}  ` } },
    { name: 'a body of 5000 characters after trimming', overrides: { body: `\n ${'b'.repeat(5000)} \n` } },
    { name: 'an email of 254 characters', overrides: { authorEmail: emailOfLength(254) } },
    { name: 'an http URL', overrides: { authorUrl: 'http://maya.example/about' } },
    { name: 'an https URL', overrides: { authorUrl: 'https://maya.example' } },
  ]
  for (const { name, overrides } of cases) {
    const res = await post(app, newComment(overrides))
    t.equal(res.statusCode, 201, name)
  }
  const [longName, longBody] = (await app.inject(commentsUrl())).json().data
  t.equal(longName.authorName, 'n'.repeat(100), 'the name is stored trimmed')
  t.equal(longBody.body, 'b'.repeat(5000), 'the body is stored trimmed')
})

t.test('parentId must name an approved comment of the same article', async (t) => {
  const { app, articles } = await createTestApp(t, { env: MANUAL })
  const otherSlug = (await saveText(articles, articleText('Neck Massage'))).slug
  const approved = await postOk(t, app)
  await setStatus(t, app, approved.id, 'approved')
  const pending = await postOk(t, app)
  const rejected = await postOk(t, app)
  await setStatus(t, app, rejected.id, 'rejected')
  const elsewhere = await postOk(t, app, {}, { slug: otherSlug })
  await setStatus(t, app, elsewhere.id, 'approved')

  const refused = [
    { name: 'a pending parent', parentId: pending.id },
    { name: 'a rejected parent', parentId: rejected.id },
    { name: 'an approved comment of another article', parentId: elsewhere.id },
    { name: 'an unknown id', parentId: 999_999 },
  ]
  for (const { name, parentId } of refused) {
    const res = await post(app, newComment({ parentId }))
    assertProblem(t, res, 400, '/problems/validation-failed', name)
    t.same(failingFields(res), ['body:parentId'], `${name}: names parentId`)
  }
  const reply = await postOk(t, app, { parentId: approved.id })
  t.equal(reply.parentId, approved.id, 'a reply to an approved comment of the article is accepted')
})

t.test('comments of an unknown or draft article are 404 problems', async (t) => {
  const { app, articles } = await createTestApp(t, { env: AUTO })
  const draftSlug = (await saveText(articles, articleText('Hot Stone Draft'), { publish: false })).slug
  const comment = await postOk(t, app)
  for (const slug of ['no-such-article', draftSlug]) {
    assertProblem(t, await post(app, newComment(), { slug }), 404, '/problems/not-found', `POST on ${slug}`)
    assertProblem(t, await app.inject(commentsUrl(slug)), 404, '/problems/not-found', `GET list on ${slug}`)
    assertProblem(t, await app.inject(`${commentsUrl(slug)}/${comment.id}`), 404, '/problems/not-found', `GET comment under ${slug}`)
  }
})

t.test('a body over 16 KiB is a 413 problem', async (t) => {
  const { app, store } = await createTestApp(t, { env: AUTO })
  const res = await post(app, newComment({ body: 'x'.repeat(16 * 1024) }))
  assertProblem(t, res, 413, '/problems/payload-too-large')
  t.equal(await rowCount(store), 0)
})

t.test('text is stored as plain text: NFC, without control characters, markup verbatim', async (t) => {
  const { app, store } = await createTestApp(t, { env: AUTO })
  const cases: { name: string; sent: Record<string, string>; stored: Record<string, string> }[] = [
    { name: 'decomposed accents are composed (NFC)', sent: { authorName: 'Jose\u0301', body: 'Cafe\u0301 au lait' }, stored: { authorName: 'Jos\u00e9', body: 'Caf\u00e9 au lait' } },
    { name: 'NUL, BEL and bidi overrides are removed', sent: { body: 'a\u0000b\u0007c\u202ed' }, stored: { body: 'abcd' } },
    { name: 'control characters around the name are removed', sent: { authorName: '\u202eMaya\u0007' }, stored: { authorName: 'Maya' } },
    { name: 'markup is kept verbatim as text', sent: { body: '<script>alert(1)</script> & <b>bold</b>' }, stored: { body: '<script>alert(1)</script> & <b>bold</b>' } },
    { name: 'paragraphs survive', sent: { body: 'First.\r\n\r\nSecond.\nThird.' }, stored: { body: 'First.\n\nSecond.\nThird.' } },
    {
      name: 'the stored text is NFC even when a removed control character split an accent',
      sent: { body: 'Cafe\u0007\u0301' },
      stored: { body: 'Caf\u00e9' },
    },
  ]
  for (const { name, sent, stored } of cases) {
    const res = await post(app, newComment(sent))
    t.equal(res.statusCode, 201, name)
    const created = res.json()
    const row = (await store.get<Record<string, string>>('SELECT author_name AS "authorName", body FROM comments WHERE id = ?', [created.id]))!
    const shown = (await app.inject(res.headers.location as string)).json()
    for (const [field, value] of Object.entries(stored)) {
      t.equal(created[field], value, `${name}: ${field} in the 201`)
      t.equal(row[field], value, `${name}: ${field} in the database`)
      t.equal(shown[field], value, `${name}: ${field} when read back`)
    }
  }
  const markup = await app.inject(commentsUrl())
  t.match(markup.headers['content-type'], /^application\/json/, 'served as JSON, never as HTML')
  t.ok(markup.body.includes('<script>alert(1)</script>'), 'the markup is neither stripped nor escaped into entities')
  const names = await store.all<{ text: string }>('SELECT author_name || body AS text FROM comments')
  t.notOk(names.some(({ text }) => /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u.test(text)), 'no control character is stored')
})

t.test('the public list has approved comments only, oldest first, with exactly the public fields', async (t) => {
  const { app } = await createTestApp(t, { env: MANUAL })
  const ids: number[] = []
  for (const status of ['approved', 'pending', 'approved', 'rejected', 'spam', 'approved']) {
    const comment = await postOk(t, app, { authorEmail: 'listed.reader@example.com' })
    if (status !== 'pending') await setStatus(t, app, comment.id, status)
    if (status === 'approved') ids.push(comment.id)
  }
  const res = await app.inject(commentsUrl())
  t.equal(res.statusCode, 200)
  const { data, meta } = res.json()
  t.same(data.map((c: { id: number }) => c.id), ids, 'approved only, oldest first')
  t.same(meta, { limit: 20, nextCursor: null })
  for (const comment of data) t.same(Object.keys(comment).sort(), PUBLIC_KEYS, `comment ${comment.id} has exactly the public fields`)
  t.notMatch(res.body, /listed\.reader@example\.com|"status"|pending|clientHash|client_hash/)
  t.notOk(nextLink(res.headers), 'no next page')
})

t.test('the public list pages with a cursor and Link rel=next, without duplicates', async (t) => {
  const { app } = await createTestApp(t, { env: AUTO })
  const posted: number[] = []
  for (let i = 0; i < 25; i++) posted.push((await postOk(t, app)).id)
  const pages = await allPages(app, `${commentsUrl()}?limit=10`)
  t.same(pages.map((page) => page.data.length), [10, 10, 5])
  t.same(pages.map((page) => page.meta.limit), [10, 10, 10])
  t.ok(pages.slice(0, 2).every((page) => typeof page.meta.nextCursor === 'string' && page.link?.includes(`cursor=${encodeURIComponent(page.meta.nextCursor)}`)), 'Link rel=next carries the cursor')
  t.ok(pages.slice(0, 2).every((page) => page.link?.includes('limit=10')), 'Link rel=next keeps the limit')
  t.equal(pages[2]!.meta.nextCursor, null)
  t.equal(pages[2]!.link, undefined)
  t.same(pages.flatMap((page) => page.data.map((c) => c.id)), posted, 'every comment once, oldest first')

  const defaults = (await app.inject(commentsUrl())).json()
  t.equal(defaults.data.length, 20, 'default page size')
  for (const query of ['limit=0', 'limit=101', 'limit=ten', 'cursor=forged.cursor', 'page=2']) {
    const res = await app.inject(`${commentsUrl()}?${query}`)
    assertProblem(t, res, 400, '/problems/validation-failed', query)
    t.equal(res.json().errors[0].in, 'query', `${query}: a query problem`)
  }
  const otherListing = await app.inject(`/v1/articles?cursor=${encodeURIComponent(pages[0]!.meta.nextCursor!)}`)
  t.equal(otherListing.statusCode, 400, 'a comments cursor is refused by another listing')
})

t.test('the article shows the count of its approved comments', async (t) => {
  const { app } = await createTestApp(t, { env: MANUAL })
  const commentCount = async () => {
    const article = (await app.inject(`/v1/articles/${SLUG}`)).json()
    const summary = (await app.inject('/v1/articles')).json().data.find((a: { slug: string }) => a.slug === SLUG)
    t.equal(summary?.commentCount, article.commentCount, 'the list and the article agree')
    return article.commentCount
  }
  t.equal(await commentCount(), 0)
  const first = await postOk(t, app)
  await postOk(t, app)
  t.equal(await commentCount(), 0, 'pending comments are not counted')
  await setStatus(t, app, first.id, 'approved')
  t.equal(await commentCount(), 1, 'an approved comment is counted')
})

t.test('an auto-approved reply counts at once for the article and its parent', async (t) => {
  const { app } = await createTestApp(t, { env: AUTO })
  const parent = await postOk(t, app)
  const reply = await postOk(t, app, { parentId: parent.id })
  t.match(reply, { parentId: parent.id, status: 'approved' })
  t.equal((await app.inject(`${commentsUrl()}/${parent.id}`)).json().replyCount, 1, 'the parent counts its reply')
  t.equal((await app.inject(`/v1/articles/${SLUG}`)).json().commentCount, 2, 'the article counts both')
  const listed = (await app.inject(commentsUrl())).json().data
  t.same(listed.map((c: { id: number; parentId: number | null }) => [c.id, c.parentId]), [[parent.id, null], [reply.id, parent.id]], 'the reply points to its parent')
})
