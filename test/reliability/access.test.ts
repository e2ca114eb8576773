import type { LightMyRequestResponse } from 'fastify'
import { createTestStore } from '../helpers/store.js'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { ArticleRepository } from '../../src/articles/repository.js'
import { loadConfig } from '../../src/config.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { loggerOptions } from '../../src/logging.js'
import { createTestApp, TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { captureLogs } from '../helpers/logs.js'
import { clientProblemViolations } from '../helpers/problems.js'
import { findSecrets } from '../helpers/secrets.js'
import { ADMIN, SLUG, admin, commentsUrl, newComment, post } from '../comments/helpers.js'

const PROXY = '10.20.30.40'
const READER = '203.0.113.50'
const OTHER_READER = '2001:db8::50'
const THIRD_READER = '198.51.100.7'
const ALLOWED = 'https://spa.example'
const problem = (res: LightMyRequestResponse) => clientProblemViolations({ status: res.statusCode, contentType: res.headers['content-type'] as string, body: res.body })

t.test('the logs of a representative run hold no email, token, key or IP address', async (t) => {
  const { lines, stream } = captureLogs()
  const { store, migrations, env, sqlite } = await createTestStore(t)
  await seedIfEmpty(new ArticleRepository(store), new Date('2026-01-15T09:00:00.000Z'))
  const config = loadConfig({ ...env, ADMIN_TOKEN: TEST_ADMIN_TOKEN, TRUST_PROXY: '1', COMMENT_RATE_LIMIT_PER_MINUTE: '3', CORS_ORIGINS: ALLOWED })
  const app = await buildApp({ store, migrations, config, logger: { ...(loggerOptions('trace') as object), stream } })
  app.get('/probe/crash', async () => {
    throw new Error('an unexpected fault')
  })
  t.teardown(() => app.close())

  const viaProxy = (client: string) => ({ remoteAddress: PROXY, headers: { 'x-forwarded-for': client, origin: ALLOWED, 'idempotency-key': `key-${client}-${Math.random()}` } })
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await post(app, newComment({ authorEmail: `reader${i}@private.example`, authorUrl: 'https://reader.example' }), viaProxy(READER))).statusCode)
  statuses.push((await post(app, newComment({ authorEmail: 'ipv6.reader@private.example' }), viaProxy(OTHER_READER))).statusCode)
  t.same(statuses, [201, 201, 201, 429, 201], 'posts through the proxy, one over the limit')
  const pending = (await admin(app, 'GET', '/v1/comments')).json().data as { id: number }[]
  t.equal((await admin(app, 'PATCH', `/v1/comments/${pending[0]!.id}`, { status: 'approved' })).statusCode, 200)
  t.equal((await admin(app, 'DELETE', `/v1/comments/${pending[1]!.id}`)).statusCode, 204)
  const refusals: [number, Promise<LightMyRequestResponse>][] = [
    [401, admin(app, 'GET', '/v1/comments', undefined, { authorization: 'Bearer stolen-key-0123456789abcdef0123456789' })],
    [400, app.inject({ url: '/v1/articles?email=leak@private.example', remoteAddress: READER })],
    [400, post(app, { authorEmail: 'not-an-email@', body: 'x', authorName: 'x' }, viaProxy(OTHER_READER))],
    [400, app.inject({ url: '/v1/articles/someone@private.example/comments', remoteAddress: READER })],
    [400, app.inject({ url: '/v1/articles/someone%40private.example/', remoteAddress: READER })],
    [404, app.inject({ url: `/v1/readers/${READER}/someone@private.example`, remoteAddress: READER })],
    [413, post(app, newComment({ body: 'x'.repeat(20_000), authorEmail: 'big@private.example' }), viaProxy(THIRD_READER))],
  ]
  for (const [status, sent] of refusals) t.equal((await sent).statusCode, status)
  t.equal((await app.inject({ url: '/probe/crash', remoteAddress: READER })).statusCode, 500)
  // A storage fault's log line too (SQLite's read-only switch; PostgreSQL's faults have no such switch: see postgres-outage.test.ts).
  sqlite?.pragma('query_only = 1')
  if (sqlite) t.equal((await post(app, newComment({ authorEmail: 'readonly@private.example' }), viaProxy(THIRD_READER))).statusCode, 503)

  t.ok(lines.length >= 30, `${lines.length} log lines`)
  t.ok(lines.some((line) => line.includes('"level":50')) && (!sqlite || lines.some((line) => line.includes('storage unavailable'))), 'the errors were logged')
  t.same(findSecrets(lines.join('\n'), [TEST_ADMIN_TOKEN, 'stolen-key-0123456789abcdef0123456789']), [], 'no email, token, key or IP address in any line')
})

t.test('behind a trusted proxy each forwarded client has its own rate limit; a 429 is a problem with Retry-After', async (t) => {
  const { app, store } = await createTestApp(t, { env: { TRUST_PROXY: '1', COMMENT_RATE_LIMIT_PER_MINUTE: '2' } })
  const from = (client: string) => ({ remoteAddress: PROXY, headers: { 'x-forwarded-for': client } })
  t.same([await post(app, newComment(), from(READER)), await post(app, newComment(), from(READER))].map((r) => r.statusCode), [201, 201])
  const limited = await post(app, newComment(), from(READER))
  t.same(problem(limited), [], 'a problem')
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['retry-after'], /^\d+$/)
  t.equal((await post(app, newComment(), from(OTHER_READER))).statusCode, 201, 'another client behind the same proxy is not limited')
  t.equal((await post(app, newComment(), { remoteAddress: PROXY, headers: { 'x-forwarded-for': `${OTHER_READER}, ${READER}` } })).statusCode, 429, 'only the hop the proxy added counts: a client cannot prepend an address')
  t.equal((await store.get<{ n: number }>('SELECT count(*) AS n FROM comments'))!.n, 3)
})

t.test('over 1 MiB on any JSON route is a 413 problem', async (t) => {
  const { app } = await createTestApp(t)
  const res = await app.inject({ method: 'PATCH', url: '/v1/comments/1', headers: { ...ADMIN, 'content-type': 'application/json' }, payload: JSON.stringify({ status: 'approved', pad: 'x'.repeat(1024 * 1024) }) })
  t.equal(res.statusCode, 413)
  t.same(problem(res), [])
  t.equal(res.json().type, '/problems/payload-too-large')
})

t.test('CORS grants only the configured origins, on preflights, answers and problems alike', async (t) => {
  const { app } = await createTestApp(t, { env: { CORS_ORIGINS: ALLOWED, COMMENT_RATE_LIMIT_PER_MINUTE: '1' } })
  const preflight = (origin: string) =>
    app.inject({ method: 'OPTIONS', url: commentsUrl(), headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,idempotency-key' } })
  const granted = await preflight(ALLOWED)
  t.equal(granted.headers['access-control-allow-origin'], ALLOWED)
  t.match(granted.headers['access-control-allow-methods'], /POST/)
  t.match(granted.headers['access-control-allow-headers'], /Idempotency-Key/i)
  for (const origin of ['https://evil.example', 'https://spa.example.evil.example', 'http://spa.example', 'null']) {
    t.notOk((await preflight(origin)).headers['access-control-allow-origin'], `no grant to ${origin} on a preflight`)
  }
  const answers: [string, (origin: string) => Promise<LightMyRequestResponse>][] = [
    ['a 200', (origin) => app.inject({ url: '/v1/articles', headers: { origin } })],
    ['a 404 problem', (origin) => app.inject({ url: '/v1/articles/nothing-here', headers: { origin } })],
    ['a 400 problem', (origin) => app.inject({ url: '/v1/articles?limit=0', headers: { origin } })],
    ['a 401 problem', (origin) => app.inject({ url: '/v1/comments', headers: { origin } })],
    ['a 413 problem', (origin) => post(app, newComment({ body: 'x'.repeat(20_000) }), { headers: { origin }, remoteAddress: '192.0.2.9' })],
  ]
  for (const [name, send] of answers) {
    const allowed = await send(ALLOWED)
    t.equal(allowed.headers['access-control-allow-origin'], ALLOWED, `${name} (${allowed.statusCode}) is readable by the configured origin`)
    t.match(allowed.headers.vary, /Origin/i)
    t.notOk((await send('https://evil.example')).headers['access-control-allow-origin'], `${name}: not by another`)
  }
  t.equal((await post(app, newComment(), { headers: { origin: ALLOWED } })).statusCode, 201)
  const limited = await post(app, newComment(), { headers: { origin: ALLOWED } })
  t.equal(limited.statusCode, 429)
  t.equal(limited.headers['access-control-allow-origin'], ALLOWED, 'a 429 is readable by the configured origin')
  t.match(limited.headers['access-control-expose-headers'], /Retry-After/, 'and it may read Retry-After')
  t.equal((await app.inject(`/v1/articles/${SLUG}`)).headers['access-control-allow-origin'], undefined, 'no grant without an Origin')
})

t.test('without CORS_ORIGINS no origin is granted', async (t) => {
  const { app } = await createTestApp(t)
  const res = await app.inject({ method: 'OPTIONS', url: '/v1/articles', headers: { origin: ALLOWED, 'access-control-request-method': 'GET' } })
  t.notOk(res.headers['access-control-allow-origin'])
  t.notOk((await app.inject({ url: '/v1/articles', headers: { origin: ALLOWED } })).headers['access-control-allow-origin'])
})
