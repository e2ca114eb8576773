import type { FastifyReply } from 'fastify'
import t, { type Test } from 'tap'
import Type from 'typebox'
import { createTestApp } from '../helpers/app.js'
import { Contract, type OpenApiDocument, type ReceivedResponse } from '../helpers/contract.js'

// The contract helper that createTestApp puts on every app: here it is shown to catch what it is for.

const SLUG = 'lower-back-pain-deep-tissue-massage'
const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}, type = 'application/json; charset=utf-8'): ReceivedResponse => ({
  statusCode,
  headers: { 'content-type': type, ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
})
const problem = (status: number, extra: Record<string, unknown> = {}) =>
  json(status, { type: '/problems/not-found', title: 'Not Found', status, detail: 'Nothing here.', ...extra }, {}, 'application/problem+json; charset=utf-8')

async function documentOf(t: Test): Promise<OpenApiDocument> {
  const { app } = await createTestApp(t)
  await app.ready()
  return app.swagger() as OpenApiDocument
}

t.test('a response that keeps the document passes; each kind of drift is named', async (t) => {
  const contract = new Contract(await documentOf(t))
  const health = json(200, { status: 'ok' })
  t.same(contract.check('GET', '/healthz', health), [], 'a documented answer')
  t.same(contract.check('get', '/healthz/?x=1', health), [], 'the method in any case, a trailing slash and a query')
  t.same(contract.check('HEAD', '/healthz', { ...health, body: '' }), [], 'HEAD is the GET without a body')
  t.same(contract.check('GET', `/v1/articles/${SLUG}`, problem(404)), [], 'a documented problem')

  t.match(contract.check('GET', '/healthz', json(418, { status: 'ok' })), [/GET \/healthz → 418 \(getHealth\): status 418 is not documented/])
  t.match(contract.check('GET', '/healthz', json(200, 'ok', {}, 'text/plain')), [/content type text\/plain is not documented/])
  t.match(contract.check('GET', '/healthz', json(200, { status: 'fine' })), [/body does not match the schema: body\/status must be equal to one of the allowed values/])
  t.match(contract.check('GET', '/healthz', json(200, '{not json')), [/does not parse/])
  t.match(contract.check('GET', `/v1/articles/${SLUG}`, problem(404, { status: 'x' })), [/body\/status must be integer/])
  t.match(contract.check('GET', '/v1/articles?limit=1', json(200, { data: [], meta: { limit: 1, nextCursor: null } }, { link: '</v1/articles?cursor=x>; rel="next"' })), [], 'a documented header')
  t.match(contract.check('GET', '/healthz', json(200, { status: 'ok' }, { location: '/healthz' })), [/header location is sent but not documented for this response/])
  t.match(contract.check('GET', '/v1/comments', { ...problem(401), headers: { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer' } }), [], 'WWW-Authenticate on a 401')
})

t.test('headers are checked against their schemas', async (t) => {
  const contract = new Contract(await documentOf(t))
  const url = `/v1/articles/${SLUG}/comments`
  const limited = (headers: Record<string, string>) => ({ ...problem(429), headers: { 'content-type': 'application/problem+json', ...headers } })
  t.same(contract.check('POST', url, limited({ 'retry-after': '30', 'ratelimit-limit': '5' })), [], 'integers sent as text')
  t.match(contract.check('POST', url, limited({ 'retry-after': 'soon' })), [/header Retry-After: "soon" value must be integer/])
})

t.test('a request outside the document must still be answered with a problem when it fails', async (t) => {
  const contract = new Contract(await documentOf(t))
  t.same(contract.check('GET', '/no/such/route', problem(404)), [], 'an unknown route: a 404 problem')
  t.same(contract.check('PUT', `/v1/articles/${SLUG}`, problem(404)), [], 'a method the path does not document: a 404 problem')
  t.same(contract.check('OPTIONS', '/v1/articles', { statusCode: 204, headers: {}, body: '' }), [], 'a CORS preflight')
  t.same(contract.check('GET', '/docs', json(200, '<html></html>', {}, 'text/html')), [], 'a route hidden from the document')
  t.match(contract.check('GET', '/no/such/route', json(404, 'Not Found', {}, 'text/plain')), [/not an operation of the document\): an error must be application\/problem\+json, not text\/plain/])
  t.match(contract.check('GET', '/no/such/route', problem(404, { title: 7 })), [/does not match Problem: body\/title must be string/])
})

t.test('createTestApp checks every injected response and fails the test that received a bad one', async (t) => {
  const failures: string[] = []
  const recorder = { teardown: (fn: () => unknown) => t.teardown(fn), fail: (message: string) => failures.push(message) } as unknown as Test
  const { app } = await createTestApp(recorder)
  // A route added by the test: its 200 is documented, the 418 it sends is not.
  app.get('/v1/drift-probe', { schema: { operationId: 'driftProbe', response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async (_request, reply) => (reply as unknown as FastifyReply).code(418).send({ ok: true }))

  t.equal((await app.inject('/healthz')).statusCode, 200)
  t.same(failures, [], 'a documented answer records nothing')
  t.equal((await app.inject({ method: 'GET', url: '/v1/drift-probe' })).statusCode, 418, 'the response is returned as it is')
  t.match(failures, [/^contract: GET \/v1\/drift-probe → 418 \(driftProbe\): status 418 is not documented/])

  const viaCallback = await new Promise((resolve, reject) => app.inject('/v1/drift-probe', (error, response) => (error ? reject(error) : resolve(response?.statusCode))))
  t.equal(viaCallback, 418, 'the callback form is checked too')
  t.equal(failures.length, 2)
  await app.inject().get('/healthz').end()
  t.match(failures[2], /chained form/, 'the chained form is refused, so that nothing goes unchecked')
})
