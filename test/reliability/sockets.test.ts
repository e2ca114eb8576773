import type { AddressInfo } from 'node:net'
import t from 'tap'
import { createTestApp, TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { tableDigest } from '../helpers/db.js'
import { clientProblemViolations } from '../helpers/problems.js'
import { rawRequest } from '../helpers/raw.js'
import { AUTO, SLUG } from '../comments/helpers.js'

/** Requests only a real socket can carry: Node's HTTP parser, not Fastify's router, sees them first. */
const request = (head: string, body = '') => `${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`

const CASES: [string, string][] = [
  ['headers over 16 KiB', `GET /v1/articles HTTP/1.1\r\nX-Padding: ${'a'.repeat(20_000)}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`],
  ['many headers over 16 KiB together', `GET /v1/articles HTTP/1.1\r\n${Array.from({ length: 500 }, (_, i) => `X-H${i}: ${'v'.repeat(40)}`).join('\r\n')}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`],
  ['a URL over 16 KiB', request(`GET /v1/articles/${'a'.repeat(20_000)} HTTP/1.1`)],
  ['an authorization header over 16 KiB', `GET /v1/comments HTTP/1.1\r\nAuthorization: Bearer ${'t'.repeat(20_000)}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`],
  ['garbage instead of a request line', 'GARBAGE\r\n\r\n'],
  ['binary junk', '\u0000\u0001\u0002\u00ff\r\n\r\n'],
  ['an unknown HTTP version', 'GET /v1/articles HTTP/9.9\r\nHost: x\r\n\r\n'],
  ['a header without a colon', 'GET /v1/articles HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n'],
  ['a NUL in a header value', 'GET /v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\u0000b\r\nConnection: close\r\n\r\n'],
  ['Content-Length and Transfer-Encoding together', `POST /v1/articles/${SLUG}/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`],
  ['two Content-Lengths', `POST /v1/articles/${SLUG}/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}`],
  ['a bad chunk size', `POST /v1/articles/${SLUG}/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
  ['CONNECT', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n'],
  ['TRACE', request('TRACE /v1/articles HTTP/1.1')],
  ['PROPFIND', request('PROPFIND /v1/articles HTTP/1.1')],
  ['a .. segment', request(`GET /v1/articles/${SLUG}/comments/.. HTTP/1.1`)],
  ['a %2e%2e segment', request('GET /v1/articles/%2e%2e/techniques HTTP/1.1')],
  ['.. up to the root', request('GET /v1/articles/../../../etc/passwd HTTP/1.1')],
  ['an encoded .. in a moderation id', `GET /v1/articles/${SLUG}/comments/%2e%2e HTTP/1.1\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`],
  ['an absolute URL to another host', request('GET http://evil.example/v1/articles/x%00 HTTP/1.1')],
  ['a comment body over 16 KiB', request(`POST /v1/articles/${SLUG}/comments HTTP/1.1\r\nContent-Type: application/json`, JSON.stringify({ authorName: 'A', authorEmail: 'a@example.com', body: 'x'.repeat(17_000) }))],
]

t.test('what Node parses before Fastify, and what inject would normalise, is still a 4xx problem', async (t) => {
  const { app, store } = await createTestApp(t, { env: AUTO })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const before = await tableDigest(store)
  const failures: string[] = []
  for (const [name, text] of CASES) {
    const answer = await rawRequest(port, text)
    const violations = clientProblemViolations(answer)
    if (violations.length > 0) failures.push(`${name}: ${violations.join('; ')} (${answer.raw.slice(0, 160)})`)
  }
  t.same(failures, [], `${CASES.length} requests over a socket, each a 4xx problem`)
  t.equal(await tableDigest(store), before, 'nothing was written')
  t.equal((await fetch(`http://127.0.0.1:${port}/v1/articles`)).status, 200, 'GET /v1/articles still answers 200')
})
