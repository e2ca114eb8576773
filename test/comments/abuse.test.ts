import t from 'tap'
import { articleText, createTestApp, saveText } from '../helpers/app.js'
import { AUTO, HOUR, MINUTE, SLUG, admin, assertProblem, commentsUrl, failingFields, newComment, post, rowCount, testClock, value } from './helpers.js'

t.test('the rate limit refuses a client its third comment in a minute with a 429 problem', async (t) => {
  const { app, store } = await createTestApp(t, { env: { COMMENT_RATE_LIMIT_PER_MINUTE: '2' } })
  const client = { remoteAddress: '203.0.113.10' }
  for (let i = 1; i <= 2; i++) t.equal((await post(app, newComment(), client)).statusCode, 201, `comment ${i} of the minute`)

  const refused = await post(app, newComment(), client)
  assertProblem(t, refused, 429, '/problems/too-many-requests')
  t.match(refused.headers['retry-after'], /^\d+$/, 'Retry-After in seconds')
  t.ok(Number(refused.headers['retry-after']) > 0 && Number(refused.headers['retry-after']) <= 60, 'within the minute')
  t.equal(refused.headers['ratelimit-limit'], '2')
  t.equal(refused.headers['ratelimit-remaining'], '0')
  t.match(refused.headers['ratelimit-reset'], /^\d+$/)

  const spoofed = await post(app, newComment(), { ...client, headers: { 'x-forwarded-for': '198.51.100.1' } })
  t.equal(spoofed.statusCode, 429, 'X-Forwarded-For from an untrusted peer does not reset the limit')
  t.equal((await post(app, newComment(), { remoteAddress: '203.0.113.11' })).statusCode, 201, 'another client still posts')
  t.equal(await rowCount(store), 3, 'refused comments are not stored')
})

t.test('the default rate limit is 5 comments a minute', async (t) => {
  const { app } = await createTestApp(t)
  const statuses = []
  for (let i = 0; i < 6; i++) statuses.push((await post(app, newComment(), { remoteAddress: '203.0.113.20' })).statusCode)
  t.same(statuses, [201, 201, 201, 201, 201, 429])
})

t.test('COMMENT_RATE_LIMIT_PER_MINUTE=0 turns the limit off', async (t) => {
  const { app, store } = await createTestApp(t, { env: { COMMENT_RATE_LIMIT_PER_MINUTE: '0' } })
  const statuses = []
  for (let i = 0; i < 10; i++) {
    const res = await post(app, newComment(), { remoteAddress: '203.0.113.30' })
    statuses.push(res.statusCode)
    t.notOk(res.headers['ratelimit-limit'], `post ${i + 1}: no rate-limit headers`)
  }
  t.same(statuses, Array(10).fill(201))
  t.equal(await rowCount(store), 10)
})

t.test('an Idempotency-Key makes a retry answer the same without storing twice', async (t) => {
  const clock = testClock()
  const { app, store, articles } = await createTestApp(t, { env: AUTO, now: clock.now })
  const payload = newComment()
  const headers = { 'idempotency-key': 'retry-0001' }
  const first = await post(app, payload, { headers })
  t.equal(first.statusCode, 201)
  clock.advance(MINUTE)

  const retry = await post(app, payload, { headers })
  t.equal(retry.statusCode, first.statusCode, 'same status')
  t.equal(retry.body, first.body, 'same body bytes')
  t.equal(retry.headers.location, first.headers.location, 'same Location')
  t.match(retry.headers['content-type'], /^application\/json/)
  t.equal(await rowCount(store), 1, 'one row only')

  const reused = await post(app, { ...payload, body: 'A different comment under the same key.' }, { headers })
  assertProblem(t, reused, 422, '/problems/idempotency-key-reused', 'same key, different body')
  const otherSlug = (await saveText(articles, articleText('Neck Massage'))).slug
  assertProblem(t, await post(app, payload, { headers, slug: otherSlug }), 422, '/problems/idempotency-key-reused', 'same key and body, another article')
  t.equal(await rowCount(store), 1, 'still one row')

  const fresh = await post(app, { ...payload, body: 'Another comment, another key.' }, { headers: { 'idempotency-key': 'retry-0002' } })
  t.equal(fresh.statusCode, 201, 'a new key is a new request')
  t.equal(await rowCount(store), 2)
})

t.test('an Idempotency-Key is remembered for 24 hours', async (t) => {
  const clock = testClock()
  const { app, store } = await createTestApp(t, { env: AUTO, now: clock.now })
  const headers = { 'idempotency-key': 'day-long-key' }
  t.equal((await post(app, newComment(), { headers })).statusCode, 201)
  clock.advance(24 * HOUR - 1000)
  assertProblem(t, await post(app, newComment(), { headers }), 422, '/problems/idempotency-key-reused', 'a second before the 24 hours end')
  clock.advance(2000)
  const later = await post(app, newComment(), { headers })
  t.equal(later.statusCode, 201, '24 h + 1 s later the key is free again')
  t.equal(await rowCount(store), 2)
})

t.test('a malformed Idempotency-Key is a 400 problem', async (t) => {
  const { app, store } = await createTestApp(t, { env: AUTO })
  const malformed: [string, string][] = [
    ['a key with spaces', 'my key'],
    ['a key of 300 characters', 'k'.repeat(300)],
    ['an empty key', ''],
  ]
  for (const [name, key] of malformed) {
    const res = await post(app, newComment(), { headers: { 'idempotency-key': key } })
    assertProblem(t, res, 400, '/problems/validation-failed', name)
    t.same(failingFields(res), ['header:idempotency-key'], `${name}: names the header`)
  }
  t.equal((await post(app, newComment(), { headers: { 'idempotency-key': 'k'.repeat(255) } })).statusCode, 201, 'a key of 255 characters is fine')
  t.equal(await rowCount(store), 1)
})

t.test('a filled honeypot is accepted but stored as spam', async (t) => {
  const { app, store } = await createTestApp(t, { env: AUTO })
  const bot = await post(app, newComment({ website: 'https://cheap-pills.example', body: 'Buy now!' }))
  t.equal(bot.statusCode, 201)
  t.equal(bot.json().status, 'approved', 'the bot is told what a person would be told')
  t.equal(await value(store, 'SELECT status FROM comments WHERE id = ?', [bot.json().id]), 'spam', 'stored as spam even with auto-approval')
  const person = await post(app, newComment({ website: '' }))
  t.equal(person.json().status, 'approved', 'an empty honeypot is a person')

  const publicIds = (await app.inject(commentsUrl())).json().data.map((c: { id: number }) => c.id)
  t.same(publicIds, [person.json().id], 'the spam is not public')
  assertProblem(t, await app.inject(bot.headers.location as string), 404, '/problems/not-found', 'its Location is not public')
  const spam = (await admin(app, 'GET', '/v1/comments?status=spam')).json().data
  t.match(spam, [{ id: bot.json().id, body: 'Buy now!', status: 'spam' }], 'moderators find it under spam')
  t.equal((await app.inject(`/v1/articles/${SLUG}`)).json().commentCount, 1, 'spam is not counted')
})

t.test('the same author posting the same text on the same article within 10 minutes is a 409 problem', async (t) => {
  const clock = testClock()
  const { app, articles, store } = await createTestApp(t, { env: AUTO, now: clock.now })
  const otherSlug = (await saveText(articles, articleText('Neck Massage'))).slug
  const text = 'Deep pressure did wonders for me.'
  const original = { authorName: 'Maya R.', authorEmail: 'maya@example.com', body: text }
  t.equal((await post(app, original)).statusCode, 201)

  const duplicates = [
    { name: 'the same request', payload: original },
    { name: 'the email in other case', payload: { ...original, authorEmail: 'MAYA@Example.COM' } },
    { name: 'another name, same email', payload: { ...original, authorName: 'M.' } },
    { name: 'the text with extra surrounding whitespace', payload: { ...original, body: `  ${text}\n` } },
  ]
  for (const { name, payload } of duplicates) assertProblem(t, await post(app, payload), 409, '/problems/conflict', name)
  const allowed = [
    { name: 'a different text', payload: { ...original, body: 'And friction too.' }, slug: SLUG },
    { name: 'another author', payload: { ...original, authorEmail: 'sam@example.com' }, slug: SLUG },
    { name: 'another article', payload: original, slug: otherSlug },
  ]
  for (const { name, payload, slug } of allowed) t.equal((await post(app, payload, { slug })).statusCode, 201, name)

  clock.advance(10 * MINUTE - 1000)
  assertProblem(t, await post(app, original), 409, '/problems/conflict', 'a second before the 10 minutes end')
  clock.advance(2000)
  t.equal((await post(app, original)).statusCode, 201, 'after 10 minutes')
  t.equal(await rowCount(store, 'body = ?', text), 4, 'the original, another author\'s, the other article\'s and the later one')
})
