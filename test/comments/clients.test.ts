import { createHash } from 'node:crypto'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { loggerOptions } from '../../src/logging.js'
import { createTestApp } from '../helpers/app.js'
import { captureLogs } from '../helpers/logs.js'
import { AUTO, MINUTE, appOn, assertProblem, column, newComment, openAgain, post, rowCount, seededStore, testClock, value } from './helpers.js'

const FIRST = '203.0.113.1'
const SECOND = '203.0.113.2'
const THIRD = '203.0.113.3'

/** Two apps, as two processes or nodes would be, each with its own connection(s) to one database (a SQLite file, or PostgreSQL). */
async function twoAppsOnOneDatabase(t: Test, settings: Record<string, string>) {
  const first = await seededStore(t, { path: join(t.testdir({}), 'content.db') })
  return [await appOn(t, first, settings), await appOn(t, await openAgain(first.env), settings)] as const
}

t.test('finding 9 (issue 15): an Idempotency-Key is scoped to the client that sent it', async (t) => {
  const { app, store } = await createTestApp(t, { env: AUTO })
  const headers = { 'idempotency-key': 'comment-form-1' }
  const firstBody = newComment({ authorEmail: 'first@example.com' })
  const first = await post(app, firstBody, { headers, remoteAddress: FIRST })
  t.equal(first.statusCode, 201)

  const second = await post(app, newComment({ authorEmail: 'second@example.com' }), { headers, remoteAddress: SECOND })
  t.equal(second.statusCode, 201, 'a second client reusing the key with another body has its comment stored, not a 422')
  t.not(second.json().id, first.json().id)

  const third = await post(app, firstBody, { headers, remoteAddress: THIRD })
  t.not(third.body, first.body, "a third client sending the first's body does not receive the first client's answer")
  assertProblem(t, third, 409, '/problems/conflict', 'it is a request of its own: the same author and text again')
  t.equal(await rowCount(store), 2, 'each client stored its own comment once')

  const replay = await post(app, firstBody, { headers, remoteAddress: FIRST })
  t.equal(replay.body, first.body, 'the first client still gets its own answer back')
  assertProblem(t, await post(app, newComment(), { headers, remoteAddress: FIRST }), 422, '/problems/idempotency-key-reused', 'and its own key with another body is still a 422')

  const v6 = { 'idempotency-key': 'comment-form-v6' }
  const fromV6 = newComment()
  const original = await post(app, fromV6, { headers: v6, remoteAddress: '2001:db8:1:2::10' })
  t.equal(original.statusCode, 201)
  t.equal((await post(app, fromV6, { headers: v6, remoteAddress: '2001:db8:1:2:ffff::99' })).body, original.body, 'an IPv6 client is its /64')
  t.equal((await post(app, newComment(), { headers: v6, remoteAddress: '2001:db8:1:3::10' })).statusCode, 201, 'another /64 is another client')

  const stored = JSON.stringify(await store.all('SELECT * FROM idempotency_keys'))
  for (const address of [FIRST, SECOND, THIRD, '2001:db8:1:2::10']) {
    t.notOk(stored.includes(address), `${address} is not stored`)
    t.notOk(stored.includes(createHash('sha256').update(address).digest('hex')), `nor its plain hash`)
  }
})

t.test('finding 9 (issue 15): behind a trusted proxy the client is the forwarded address', async (t) => {
  const { app, store } = await createTestApp(t, { env: { ...AUTO, TRUST_PROXY: '1' } })
  const proxy = '10.0.0.5'
  const headers = (client: string) => ({ 'idempotency-key': 'shared-form-key', 'x-forwarded-for': client })
  t.equal((await post(app, newComment(), { headers: headers(FIRST), remoteAddress: proxy })).statusCode, 201)
  t.equal((await post(app, newComment(), { headers: headers(SECOND), remoteAddress: proxy })).statusCode, 201, 'two readers behind one proxy are two clients')
  t.equal(await rowCount(store), 2)
})

t.test('finding 13 (issue 15): forwarded headers while TRUST_PROXY is off log one warning, without an address', async (t) => {
  const run = async (env: Record<string, string>, forwarded: Record<string, string>[]) => {
    const { lines, stream } = captureLogs()
    const app = await appOn(t, await seededStore(t), { ...AUTO, ...env }, { ...(loggerOptions('info') as object), stream })
    for (const headers of forwarded) t.equal((await post(app, newComment(), { headers, remoteAddress: '10.0.0.5' })).statusCode, 201)
    return lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level === 40 && /TRUST_PROXY/.test(line.msg))
  }
  const behindProxy: Record<string, string>[] = [{ 'x-forwarded-for': FIRST }, { 'x-forwarded-for': SECOND }, { forwarded: `for=${THIRD}` }]
  const warnings = await run({}, behindProxy)
  t.equal(warnings.length, 1, 'one warning for three requests')
  t.match(warnings[0]!.msg, /X-Forwarded-For or Forwarded.*TRUST_PROXY/)
  t.notOk([FIRST, SECOND, THIRD, '10.0.0.5'].some((address) => JSON.stringify(warnings).includes(address)), 'no address in it')
  t.same(await run({ TRUST_PROXY: '1' }, behindProxy), [], 'none when the proxy is trusted')
  t.same(await run({}, [{}, {}]), [], 'none without forwarded headers')
})

t.test('finding 13 (issue 15), issue 16: two processes or nodes on one database share the comment rate limit and the Idempotency-Keys', async (t) => {
  const [one, two] = await twoAppsOnOneDatabase(t, { COMMENT_MODERATION: 'auto', COMMENT_RATE_LIMIT_PER_MINUTE: '3' })
  const client = { remoteAddress: FIRST }
  const keyed = { ...client, headers: { 'idempotency-key': 'across-processes' } }
  const payload = newComment()
  const first = await post(one, payload, keyed)
  t.equal(first.statusCode, 201)
  t.equal(first.headers['ratelimit-remaining'], '2')
  const replay = await post(two, payload, keyed)
  t.equal(replay.body, first.body, 'the other process replays the answer')
  t.equal((await post(two, newComment(), client)).headers['ratelimit-remaining'], '1', 'the other process counts on from the first')
  t.equal((await post(one, newComment(), client)).statusCode, 201)
  assertProblem(t, await post(two, newComment(), client), 429, '/problems/too-many-requests', 'the limit is reached across both processes')
  assertProblem(t, await post(one, newComment(), client), 429, '/problems/too-many-requests', 'on either')
  t.equal((await post(one, newComment(), { remoteAddress: SECOND })).statusCode, 201, 'another client still posts')
})

t.test('issue 13 §4: a comment POST that stores nothing (an idempotent replay, a 4xx) does not use up the rate limit', async (t) => {
  const { app, store } = await createTestApp(t, { env: { COMMENT_MODERATION: 'auto', COMMENT_RATE_LIMIT_PER_MINUTE: '2' } })
  const client = { remoteAddress: FIRST }
  const keyed = { ...client, headers: { 'idempotency-key': 'counted-once' } }
  const payload = newComment()
  const stored = await post(app, payload, keyed)
  t.equal(stored.statusCode, 201)
  t.equal(stored.headers['ratelimit-remaining'], '1', 'a stored comment counts')

  const nothingStored: [string, number, () => ReturnType<typeof post>][] = [
    ['an idempotent replay', 201, () => post(app, payload, keyed)],
    ['the key with another body', 422, () => post(app, newComment(), keyed)],
    ['an invalid body', 400, () => post(app, { authorName: '', authorEmail: 'nope', body: 'x' }, client)],
    ['an author URL with a password', 400, () => post(app, newComment({ authorUrl: 'https://a:b@maya.example' }), client)],
    ['a reply to no comment', 400, () => post(app, newComment({ parentId: 999 }), client)],
    ['a duplicate', 409, () => post(app, { ...payload }, client)],
    ['an unknown article', 404, () => post(app, newComment(), { ...client, slug: 'no-such-article' })],
    ['a body too large', 413, () => post(app, newComment({ body: 'x'.repeat(20_000) }), client)],
  ]
  for (const [name, status, send] of nothingStored) {
    const res = await send()
    t.equal(res.statusCode, status, name)
    t.equal(res.headers['ratelimit-remaining'], '1', `${name}: the limit is untouched`)
  }
  t.equal(await rowCount(store), 1)

  const last = await post(app, newComment(), client)
  t.equal(last.statusCode, 201, 'the second comment of the minute is still allowed')
  t.equal(last.headers['ratelimit-remaining'], '0')
  assertProblem(t, await post(app, newComment(), client), 429, '/problems/too-many-requests', 'the third is refused')
  t.equal((await post(app, payload, keyed)).body, stored.body, 'a replay is still answered once the limit is used up: it stores nothing')
  t.equal(await rowCount(store), 2)
})

t.test('the rate limit window restarts after a minute, and rows of ended windows are pruned', async (t) => {
  const clock = testClock()
  const { app, store } = await createTestApp(t, { env: { COMMENT_MODERATION: 'auto', COMMENT_RATE_LIMIT_PER_MINUTE: '1' }, now: clock.now })
  const first = await post(app, newComment(), { remoteAddress: FIRST })
  t.equal(first.headers['ratelimit-reset'], '60')
  clock.advance(30_000)
  const refused = await post(app, newComment(), { remoteAddress: FIRST })
  assertProblem(t, refused, 429, '/problems/too-many-requests')
  t.equal(refused.headers['retry-after'], '30', 'Retry-After counts down to the end of the window')
  t.equal(refused.headers['ratelimit-reset'], '30')
  clock.advance(MINUTE - 30_000)
  t.equal((await post(app, newComment(), { remoteAddress: SECOND })).statusCode, 201)
  t.equal(await value(store, 'SELECT count(*) AS n FROM rate_limits'), 1, "the first client's ended window was pruned by the next write")
  t.equal((await post(app, newComment(), { remoteAddress: FIRST })).statusCode, 201, 'a new window for the first client')
  t.same(await column(store, 'SELECT hits FROM rate_limits ORDER BY hits'), [1, 1])
  const stored = JSON.stringify(await store.all('SELECT * FROM rate_limits'))
  t.notOk([FIRST, SECOND].some((address) => stored.includes(address)), 'no address in the rate limit table')
})
