import type { InjectOptions } from 'fastify'
import t from 'tap'
import { COMMENT_BODY_LIMIT } from '../../src/comments/routes.js'
import { createTestApp, TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { tableDigest } from '../helpers/db.js'
import { clientProblemViolations } from '../helpers/problems.js'
import { operationsOf, requestFor, type Operation } from '../helpers/routes.js'
import { AUTO, SLUG, commentsUrl, newComment, post } from '../comments/helpers.js'

const GLOBAL_BODY_LIMIT = 1024 * 1024

interface Case {
  name: string
  request: InjectOptions
}

/**
 * Values for a path parameter that no route may act on: traversal, injection, markup, encodings, sizes.
 * A bare `..` or `%2e%2e` segment is resolved by inject's URL parser before the server sees it (as a
 * browser would), so those are sent over a real socket in sockets.test.ts.
 */
const HOSTILE_PATH_VALUES = [
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2fsettings',
  '..%5c..%5cwindows',
  'a'.repeat(121),
  'a'.repeat(5000),
  "'%20OR%201=1%20--",
  '1%20OR%201%3D1',
  '%22',
  '*',
  'NEAR(',
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '%00',
  '%0d%0aSet-Cookie:%20x=1',
  '%ff%fe',
  '%ed%a0%80',
  '%E0%A4%A',
  '-1',
  '1e400',
  '99999999999999999999',
]

const HOSTILE_METHODS = ['PROPFIND', 'TRACE', 'CONNECT', 'SEARCH', 'LOCK', 'MKCOL', 'PUT']

/** Query strings no /v1 route accepts; `cursor` values are made per run (an edited, a forged, a re-signed one, one of another list). */
function hostileQueries(cursors: { edited: string; forged: string; foreign: string; resigned: string }): string[] {
  return [
    'limit=1&limit=2',
    'limit=-1',
    'limit=0',
    'limit=101',
    'limit=1e400',
    'limit=abc',
    'limit=99999999999999999999999',
    'limit[]=1',
    'limit=%ff',
    `cursor=${cursors.edited}`,
    `cursor=${cursors.forged}`,
    `cursor=${cursors.foreign}`,
    `cursor=${cursors.resigned}`,
    "cursor='%20OR%201=1%20--",
    'cursor=NEAR(%22*%22)',
    'cursor=%00',
    `cursor=${'a'.repeat(5000)}`,
    '__proto__[x]=1',
    'constructor[prototype][x]=1',
    Array.from({ length: 1000 }, (_, i) => `p${i}=${i}`).join('&'),
    `x=${'y'.repeat(100_000)}`,
    'status=approved%00',
    'unknown=%3Cscript%3E',
  ]
}

/** Bodies no JSON route accepts; `valid` is one it would accept, to be broken in small ways. */
function hostileBodies(valid: unknown, bodyLimit: number): { name: string; payload: string | Buffer; type?: string }[] {
  const text = JSON.stringify(valid)
  const withField = (extra: string) => `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}${extra}}`
  const firstString = (replacement: string) => text.replace(/:"[^"]*"/, `:"${replacement}"`)
  return [
    { name: 'malformed JSON', payload: '{"authorName": "a",' },
    { name: 'a single quote', payload: "{'a': 1}" },
    { name: 'truncated', payload: text.slice(0, Math.floor(text.length / 2)) },
    { name: 'empty', payload: '' },
    { name: 'null', payload: 'null' },
    { name: 'an array', payload: '[]' },
    { name: 'a string', payload: '"hello"' },
    { name: 'a number', payload: '42' },
    { name: 'text/plain', payload: text, type: 'text/plain' },
    { name: 'a form', payload: 'authorName=a&body=b', type: 'application/x-www-form-urlencoded' },
    { name: 'multipart', payload: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--', type: 'multipart/form-data; boundary=x' },
    { name: 'XML', payload: '<comment><body>hi</body></comment>', type: 'application/xml' },
    { name: 'merge-patch JSON', payload: text, type: 'application/merge-patch+json' },
    { name: 'no content type', payload: Buffer.from(text), type: '' },
    { name: 'over the route limit', payload: withField(`"pad":"${'x'.repeat(bodyLimit)}"`) },
    { name: 'over the global limit', payload: withField(`"pad":"${'x'.repeat(GLOBAL_BODY_LIMIT)}"`) },
    { name: 'deeply nested arrays', payload: `${'['.repeat(5000)}${']'.repeat(5000)}` },
    { name: 'deeply nested objects', payload: `${'{"a":'.repeat(1500)}1${'}'.repeat(1500)}` },
    { name: 'a __proto__ key', payload: withField('"__proto__":{"isAdmin":true}') },
    { name: 'a nested __proto__ key', payload: withField('"x":{"__proto__":{"isAdmin":true}}') },
    { name: 'constructor.prototype', payload: withField('"constructor":{"prototype":{"isAdmin":true}}') },
    { name: 'a constructor key', payload: withField('"constructor":"x"') },
    { name: 'a prototype key', payload: withField('"prototype":"x"') },
    { name: 'invalid UTF-8 bytes', payload: Buffer.concat([Buffer.from(firstString('ok').slice(0, text.indexOf(':"') + 2)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(firstString('ok').slice(text.indexOf(':"') + 2))]) },
    { name: 'an overlong UTF-8 slash', payload: Buffer.concat([Buffer.from(text.slice(0, text.indexOf(':"') + 2)), Buffer.from([0xc0, 0xaf]), Buffer.from(text.slice(text.indexOf(':"') + 2))]) },
    { name: 'a raw surrogate in UTF-8 bytes', payload: Buffer.concat([Buffer.from(text.slice(0, text.indexOf(':"') + 2)), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(text.slice(text.indexOf(':"') + 2))]) },
    { name: 'an escaped lone high surrogate', payload: firstString('a\\ud800b') },
    { name: 'an escaped lone low surrogate', payload: firstString('\\udfff') },
    { name: 'a lone surrogate in a key', payload: withField('"\\ud800":1') },
    { name: 'only NUL and control characters', payload: text.replace(/:"[^"]*"/g, ':"\\u0000\\u0007\\u001b\\u007f"') },
    { name: 'SQL in an unknown field', payload: withField(`"id":"1; DROP TABLE comments; --"`) },
    { name: 'every field with the wrong type', payload: text.replace(/:("[^"]*"|\d+)/g, ':[{"$gt":""}]') },
  ]
}

t.test('a corpus of hostile requests across every route: 4xx problems, nothing written, the service still answers', async (t) => {
  const { app, store } = await createTestApp(t, { env: AUTO })
  // Real ids to aim at: an approved comment and a reply.
  const parent = (await post(app, newComment())).json() as { id: number }
  await post(app, newComment({ parentId: parent.id }))
  // And an earlier version of the article, for the revision routes.
  const editor = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }
  await app.inject({ method: 'PATCH', url: `/v1/articles/${SLUG}`, headers: editor, payload: { title: 'Lower Back Pain Deep Tissue Massage, Revised' } })
  const revision = (await app.inject({ url: `/v1/articles/${SLUG}/revisions`, headers: editor })).json().data[0] as { id: number }
  // A webhook endpoint (disabled: nothing to send) and a draft's preview link, for their routes.
  await store.run("INSERT INTO webhook_endpoints (url, events, enabled, secret, created_at, updated_at) VALUES ('https://spa.example/hook', '[\"article.deleted\"]', 0, 'whsec_AAAA', '2026-01-15T09:00:00.000Z', '2026-01-15T09:00:00.000Z')")
  await app.inject({ method: 'POST', url: '/v1/articles', headers: editor, payload: { title: 'A Draft To Preview' } })
  const preview = (await app.inject({ method: 'POST', url: '/v1/articles/a-draft-to-preview/previews', headers: editor, payload: {} })).json() as { token: string }
  const operations = await operationsOf(app, { slugs: [SLUG, 'friction', 'pain-relief', preview.token], ids: [parent.id, revision.id] })
  t.ok(operations.length >= 15, `${operations.length} operations in the document`)

  for (const op of operations.filter((o) => o.method === 'GET')) {
    const res = await app.inject(requestFor(op, {}))
    t.ok(res.statusCode < 300, `the filled route GET ${op.path} answers (${res.statusCode}), so hostile variants reach its handler`)
  }

  const page = (await app.inject(`/v1/articles/${SLUG}/techniques?limit=1`)).json() as { meta: { nextCursor: string } }
  const [payload, mac] = page.meta.nextCursor.split('.') as [string, string]
  // A real cursor is only hostile on a list that did not issue it.
  const issued = new Map<string, string>()
  for (const list of [`/v1/articles/${SLUG}/benefits`, `/v1/articles/${SLUG}/techniques`]) issued.set(list, (await app.inject(`${list}?limit=1`)).json().meta.nextCursor as string)
  const foreignTo = (path: string) => [...issued].find(([list]) => list !== path)![1]
  const cursors = {
    edited: `${Buffer.from('[999]').toString('base64url')}.${mac}`,
    forged: `${Buffer.from('[1]').toString('base64url')}.${Buffer.alloc(16).toString('base64url')}`,
    // The right payload with the MAC's last character changed: only the canonical signature passes.
    resigned: `${payload}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`,
  }

  const cases: Case[] = []
  const add = (op: Operation, name: string, request: Partial<InjectOptions> & { headers?: Record<string, string> }) =>
    cases.push({ name: `${op.method} ${op.template}: ${name}`, request: requestFor(op, request) })
  const validBody = (op: Operation) => (op.body === undefined ? {} : { payload: JSON.stringify(op.template.endsWith('/comments') ? newComment() : op.body), headers: { 'content-type': 'application/json' } })

  for (const op of operations) {
    for (const param of op.pathParams) {
      for (const value of HOSTILE_PATH_VALUES) {
        const url = op.template.replace(/\{(\w+)\}/g, (_m, name: string) => (name === param ? value : op.path.split('/')[op.template.split('/').indexOf(`{${name}}`)]!))
        // A valid body: only the path is wrong, and a route that acted on it anyway would write.
        add(op, `path ${param}=${value.slice(0, 30)}`, { url, ...validBody(op) })
      }
    }
    if (op.template.startsWith('/v1/')) {
      for (const query of hostileQueries({ ...cursors, foreign: foreignTo(op.path) })) add(op, `query ${query.slice(0, 40)}`, { url: `${op.path}?${query}`, ...validBody(op) })
    }
    if (op.body !== undefined) {
      const limit = op.template.endsWith('/comments') ? COMMENT_BODY_LIMIT : GLOBAL_BODY_LIMIT
      for (const body of hostileBodies(op.template.endsWith('/comments') ? newComment() : op.body, limit)) {
        // An array is what a list-replacing route takes: not hostile there.
        if (body.name === 'an array' && Array.isArray(op.body)) continue
        const headers: Record<string, string> = body.type === '' ? {} : { 'content-type': body.type ?? 'application/json' }
        add(op, `body ${body.name}`, { payload: body.payload, headers })
      }
    }
    // A header whose schema takes any text has no hostile value: an If-None-Match or If-Match naming nothing current is just no match (a 200, a 412).
    for (const header of op.headerParams.filter(({ schema }) => ['pattern', 'enum', 'format', 'maxLength', 'minLength'].some((keyword) => schema?.[keyword] !== undefined))) {
      for (const value of ['k'.repeat(300), 'bad key', "' OR 1=1 --", 'cl\u00e9', '']) add(op, `header ${header.name}=${value.slice(0, 20)}`, { ...validBody(op), headers: { ...validBody(op).headers, [header.name]: value } })
    }
    if (op.secured) {
      const badAuth = ['', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${TEST_ADMIN_TOKEN}x`, `bearer ${TEST_ADMIN_TOKEN.toUpperCase()}`, `Bearer ${TEST_ADMIN_TOKEN} ${TEST_ADMIN_TOKEN}`, `Bearer ${'A'.repeat(10_000)}`, "Bearer ' OR 1=1 --", `Token ${TEST_ADMIN_TOKEN}`]
      for (const authorization of badAuth) {
        const request = requestFor(op, validBody(op))
        const headers = { ...(request.headers as Record<string, string>), authorization }
        if (authorization === '') delete (headers as Record<string, string | undefined>).authorization
        cases.push({ name: `${op.method} ${op.template}: authorization "${authorization.slice(0, 24)}"`, request: { ...request, headers } })
      }
      add(op, 'token in the query string', { url: `${op.path}?access_token=${TEST_ADMIN_TOKEN}`, headers: { authorization: '' }, ...validBody(op) })
    }
  }
  const paths = [...new Set(operations.map((op) => op.path))]
  for (const path of paths) {
    for (const method of HOSTILE_METHODS) {
      if (operations.some((op) => op.path === path && op.method === method)) continue
      cases.push({ name: `${method} ${path}`, request: { method: method as InjectOptions['method'], url: path, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } } })
    }
  }

  t.ok(cases.length >= 200, `${cases.length} hostile requests`)
  const failures: string[] = []
  for (const { name, request } of cases) {
    const before = await tableDigest(store)
    const res = await app.inject(request)
    const violations = clientProblemViolations({ status: res.statusCode, contentType: res.headers['content-type'] as string | undefined, body: res.body })
    if ((await tableDigest(store)) !== before) violations.push('the database changed')
    if (violations.length > 0) failures.push(`${name}: ${violations.join('; ')} (${res.body.slice(0, 120)})`)
  }
  t.same(failures, [], 'every hostile request is a 4xx problem that writes nothing')
  t.equal((await app.inject('/v1/articles')).statusCode, 200, 'GET /v1/articles still answers 200')
})

t.test('text that is only hostile-looking is a valid comment, stored as plain text and served as JSON', async (t) => {
  const { app } = await createTestApp(t, { env: AUTO })
  const body = `<script>alert("x")</script> <img src=x onerror=alert(1)> ' OR 1=1 -- NEAR( "*" \u0000\u0007\u202e end`
  const created = await post(app, newComment({ body, authorName: '<b>Robert"); DROP TABLE comments;--</b>' }))
  t.equal(created.statusCode, 201, 'accepted: a reader may write about <script> tags or SQL')
  const stored = '<script>alert("x")</script> <img src=x onerror=alert(1)> \' OR 1=1 -- NEAR( "*"  end'
  t.equal(created.json().body, stored, 'controls and bidi overrides removed, markup kept verbatim (not escaped: the API serves text, the renderer escapes)')
  const read = await app.inject(`${commentsUrl()}/${created.json().id}`)
  t.equal(read.json().body, stored, 'read back as stored')
  t.equal(read.json().authorName, '<b>Robert"); DROP TABLE comments;--</b>')
  t.match(read.headers['content-type'], /^application\/json/, 'served as JSON, never as HTML')
  t.equal(read.headers['x-content-type-options'], 'nosniff', 'and browsers may not sniff it into HTML')
  t.match(read.headers['content-security-policy'], /default-src 'self'/)
  t.equal((await app.inject(commentsUrl())).json().data.length, 1, 'the comments table is still there')
})
