import t, { type Test } from 'tap'
import Type from 'typebox'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { loggerOptions } from '../../src/logging.js'
import { createTestApp, TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { captureLogs } from '../helpers/logs.js'
import { createTestStore } from '../helpers/store.js'

/** The real app with the service's logger writing into an array, plus routes that fail on purpose. */
async function appWithProbes(t: Test) {
  const { lines, stream } = captureLogs()
  const { store, migrations, env } = await createTestStore(t)
  const app = await buildApp({ store, migrations, config: loadConfig(env), logger: { ...(loggerOptions('info') as object), stream } })
  app.get('/probe/crash', async () => {
    throw new Error('secret internals at /srv/app.js:42')
  })
  app.get('/probe/teapot', async () => {
    throw Object.assign(new Error('short and stout'), { statusCode: 418 })
  })
  app.post('/probe/body', { schema: { body: Type.Object({ name: Type.String(), count: Type.Integer() }, { additionalProperties: false }) } }, async (request) => request.body)
  t.teardown(() => app.close())
  return { app, lines }
}

t.test('a server fault is a 500 problem that tells nothing and is logged with the request id', async (t) => {
  const { app, lines } = await appWithProbes(t)
  const res = await app.inject({ url: '/probe/crash', headers: { 'x-request-id': 'trace-500' } })
  t.equal(res.statusCode, 500)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.same(Object.keys(res.json()).sort(), ['detail', 'requestId', 'status', 'title', 'type'])
  t.match(res.json(), { type: '/problems/internal-error', status: 500, requestId: 'trace-500' })
  t.notMatch(res.body, /secret internals|\.js:\d+|at /)
  const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.level === 50)
  t.match(logged, { reqId: 'trace-500', msg: 'request failed', err: { message: 'secret internals at /srv/app.js:42' } })
})

t.test('client errors without a problem type of their own are about:blank problems', async (t) => {
  const { app } = await appWithProbes(t)
  const res = await app.inject('/probe/teapot')
  t.equal(res.statusCode, 418)
  t.match(res.json(), { type: 'about:blank', title: "I'm a Teapot", status: 418, detail: 'short and stout' })
})

t.test('JSON bodies are validated without coercion and every failing field is named', async (t) => {
  const { app } = await appWithProbes(t)
  const res = await app.inject({ method: 'POST', url: '/probe/body', payload: { name: 123, extra: true } })
  t.equal(res.statusCode, 400)
  const problem = res.json()
  t.equal(problem.type, '/problems/validation-failed')
  t.same(
    problem.errors.map((e: { in: string; name: string }) => `${e.in}:${e.name}`).sort(),
    ['body:count', 'body:extra', 'body:name'],
  )
  const ok = await app.inject({ method: 'POST', url: '/probe/body', payload: { name: 'a', count: 2 } })
  t.same(ok.json(), { name: 'a', count: 2 })
})

t.test('malformed, mistyped and oversized bodies are 4xx problems', async (t) => {
  const { app } = await appWithProbes(t)
  const cases = [
    { payload: '{"name": "a",', type: 'application/json', status: 400, problem: '/problems/bad-request' },
    { payload: '', type: 'application/json', status: 400, problem: '/problems/bad-request' },
    { payload: 'name=a', type: 'application/x-www-form-urlencoded', status: 415, problem: '/problems/unsupported-media-type' },
    { payload: JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10), count: 1 }), type: 'application/json', status: 413, problem: '/problems/payload-too-large' },
  ]
  for (const { payload, type, status, problem } of cases) {
    const res = await app.inject({ method: 'POST', url: '/probe/body', payload, headers: { 'content-type': type } })
    t.equal(res.statusCode, status, `${type} ${payload.slice(0, 20)}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { type: problem, status })
  }
  t.equal((await app.inject('/healthz')).statusCode, 200, 'the service answers normally afterwards')
})

t.test('unknown routes are 404 problems', async (t) => {
  const { app } = await appWithProbes(t)
  for (const [method, url] of [['GET', '/nowhere'], ['DELETE', '/v1/nowhere'], ['GET', '/v2/articles'], ['GET', '/v1/articles/a/b/c']] as const) {
    const res = await app.inject({ method, url })
    t.equal(res.statusCode, 404, `${method} ${url}`)
    t.equal(res.headers.allow, undefined, 'no Allow: nothing is there')
    t.match(res.json(), { type: '/problems/not-found', status: 404, detail: new RegExp(`${method} ${url}`) })
  }
})

t.test('a method a path does not answer is a 405 problem whose Allow lists the methods it does', async (t) => {
  const { app } = await appWithProbes(t)
  const cases = [
    ['DELETE', '/v1/articles', 'GET, HEAD, POST'],
    ['PUT', '/v1/articles/lower-back-pain-deep-tissue-massage', 'DELETE, GET, HEAD, PATCH'],
    ['POST', '/v1/techniques/friction/', 'GET, HEAD'],
    ['DELETE', '/healthz?x=1', 'GET, HEAD'],
  ] as const
  for (const [method, url, allow] of cases) {
    const res = await app.inject({ method, url })
    t.equal(res.statusCode, 405, `${method} ${url}`)
    t.equal(res.headers.allow, allow)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { type: '/problems/method-not-allowed', status: 405, detail: new RegExp(`does not answer ${method}; it answers ${allow}`) })
  }
})

t.test('a 415 names the media types the route reads', async (t) => {
  const { app } = await appWithProbes(t)
  const json = await app.inject({ method: 'POST', url: '/probe/body', payload: '<a/>', headers: { 'content-type': 'text/xml; charset=utf-8' } })
  t.equal(json.statusCode, 415)
  t.equal(json.json().detail, 'This route does not read text/xml; send the body as application/json.')
  // Fastify reads text/plain on every route: a JSON route still answers it with a 415, not a schema error.
  const text = await app.inject({ method: 'POST', url: '/probe/body', payload: '{"name": "a", "count": 2}', headers: { 'content-type': 'text/plain; charset=utf-8' } })
  t.equal(text.statusCode, 415)
  t.equal(text.json().detail, 'This route does not read text/plain; send the body as application/json.')
  const { app: api } = await createTestApp(t)
  const imported = await api.inject({ method: 'POST', url: '/v1/imports', payload: { title: 'x' }, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
  t.equal(imported.statusCode, 415, 'and a text route refuses JSON')
  t.equal(imported.json().detail, 'This route does not read application/json; send the body as text/plain.')
})

t.test('a value outside an enum is a 400 that lists the allowed values', async (t) => {
  const { app } = await appWithProbes(t)
  const res = await app.inject('/v1/articles?sort=newest')
  t.equal(res.statusCode, 400)
  t.same(res.json().errors, [{ in: 'query', name: 'sort', detail: 'must be one of: "publishedAt", "-publishedAt", "title", "-title"' }])
})

t.test('request log lines carry the request id and method but no client address or credentials', async (t) => {
  const { app, lines } = await appWithProbes(t)
  await app.inject({ url: '/v1/articles?authorEmail=maya%40example.com', headers: { authorization: 'Bearer very-secret-token', 'x-request-id': 'trace-log' }, remoteAddress: '203.0.113.9' })
  const entries = lines.map((line) => JSON.parse(line)).filter((entry) => entry.reqId === 'trace-log')
  t.ok(entries.length >= 2, 'incoming and completed lines')
  t.match(entries[0], { req: { method: 'GET', path: '/v1/articles' } })
  const text = lines.join('\n')
  t.notMatch(text, /203\.0\.113\.9|remoteAddress|very-secret-token|maya|example\.com/)
})

t.test('a URL Fastify cannot decode is a problem too', async (t) => {
  const { app } = await appWithProbes(t)
  const res = await app.inject('/v1/articles/%E0%A4%A')
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { type: '/problems/bad-request', status: 400 })
  t.ok(res.headers['x-request-id'])
})
