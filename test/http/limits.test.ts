import { connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { createTestApp, TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { clientProblemViolations } from '../helpers/problems.js'
import { rawRequest } from '../helpers/raw.js'

// Each test starts a listening app; on a busy machine the file takes longer than tap's default minute.
t.setTimeout(5 * 60_000)

const SLUG = 'lower-back-pain-deep-tissue-massage'
// Small timeouts, so that these tests are quick; the defaults are in the README.
const QUICK = { REQUEST_TIMEOUT_MS: '1500', HEADERS_TIMEOUT_MS: '1000', KEEP_ALIVE_TIMEOUT_MS: '300' }

/** A raw connection that collects what the server sends and notes when the server closes it. */
function open(port: number) {
  const socket: Socket = connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('error', () => {})
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8'))))
  const connected = new Promise<void>((resolve) => socket.on('connect', () => resolve()))
  return { socket, closed, connected, received: () => Buffer.concat(chunks).toString('utf8') }
}

function parse(raw: string) {
  const [head = '', ...rest] = raw.split('\r\n\r\n')
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), contentType: /^content-type: *(.*)$/im.exec(head)?.[1]?.trim(), body: rest.join('\r\n\r\n') }
}

async function listening(t: Parameters<typeof createTestApp>[0], env: Record<string, string>) {
  const { app } = await createTestApp(t, { env })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}

/** Resolves with how the first settled: the promise's value, or 'timeout' after `ms`. */
const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, sleep(ms).then(() => 'timeout' as const)])

t.test('issue 15 row 4: a slow client gets a 408 problem, and the server keeps serving others meanwhile', async (t) => {
  const port = await listening(t, QUICK)
  const slow = open(port)
  await slow.connected
  slow.socket.write(`POST /v1/articles/${SLUG}/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n`)
  let dripping = true
  const drip = (async () => {
    while (dripping && !slow.socket.destroyed) {
      slow.socket.write('{')
      await sleep(200)
    }
  })()
  const others: number[] = []
  for (let n = 0; n < 3; n++) {
    others.push((await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).status)
    await sleep(100)
  }
  t.same(others, [200, 200, 200], 'others are answered while the slow client drips')
  const raw = await within(slow.closed, 20_000)
  dripping = false
  await drip
  t.not(raw, 'timeout', 'the server ended the slow request')
  const answer = parse(raw === 'timeout' ? '' : raw)
  t.equal(answer.status, 408)
  t.same(clientProblemViolations(answer), [], 'a 408 problem')
  t.match(JSON.parse(answer.body || '{}'), { type: '/problems/request-timeout' })
})

/** Writes `text` on a new connection and reads what comes until the server closes it (a failure when it does not within 20 s). */
async function answerUntilClosed(t: Parameters<typeof createTestApp>[0], port: number, text: string) {
  const client = open(port)
  await client.connected
  client.socket.write(text)
  const raw = await within(client.closed, 20_000)
  t.not(raw, 'timeout', 'the server closed the connection')
  return parse(raw === 'timeout' ? '' : raw)
}

t.test('issue 15 row 4: a client that never finishes its headers gets a 408 problem', async (t) => {
  const port = await listening(t, QUICK)
  t.equal((await answerUntilClosed(t, port, 'GET /v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\n')).status, 408)
})

t.test('issue 15 row 4: an idle kept-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS', async (t) => {
  const port = await listening(t, QUICK)
  t.equal((await answerUntilClosed(t, port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).status, 200, 'after answering the request')
})

t.test('issue 15 row 4: connections over MAX_CONNECTIONS are closed at once, the others served', async (t) => {
  const port = await listening(t, { ...QUICK, HEADERS_TIMEOUT_MS: '10000', REQUEST_TIMEOUT_MS: '10000', MAX_CONNECTIONS: '2' })
  const held = [open(port), open(port)]
  await Promise.all(held.map((c) => c.connected))
  await sleep(100)
  const extra = open(port)
  const raw = await within(extra.closed, 5_000)
  t.equal(raw, '', 'the third connection is closed without an answer')
  held[0]!.socket.end('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
  t.equal(parse(await held[0]!.closed).status, 200, 'a held connection is served')
  t.equal((await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).status, 200, 'a new one is accepted once there is room')
  held[1]!.socket.destroy()
})

t.test('issue 15 row 4: the timeouts and the cap are settings, validated', async (t) => {
  const defaults = loadConfig({})
  t.match(defaults, { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000, maxConnections: 1024, bodyLimitBytes: 1024 * 1024 })
  t.match(loadConfig({ ...QUICK, MAX_CONNECTIONS: '10', BODY_LIMIT_BYTES: '65536' }), { requestTimeoutMs: 1500, headersTimeoutMs: 1000, keepAliveTimeoutMs: 300, maxConnections: 10, bodyLimitBytes: 65536 })
  for (const [env, message] of [
    [{ REQUEST_TIMEOUT_MS: '0' }, /REQUEST_TIMEOUT_MS must be at least 100/],
    [{ KEEP_ALIVE_TIMEOUT_MS: '0' }, /KEEP_ALIVE_TIMEOUT_MS must be at least 100/],
    [{ HEADERS_TIMEOUT_MS: 'soon' }, /HEADERS_TIMEOUT_MS/],
    [{ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '2000' }, /HEADERS_TIMEOUT_MS must not be larger than REQUEST_TIMEOUT_MS/],
    [{ MAX_CONNECTIONS: '0' }, /MAX_CONNECTIONS must be at least 1/],
    [{ MAX_CONNECTIONS: '-5' }, /MAX_CONNECTIONS/],
    [{ BODY_LIMIT_BYTES: '100' }, /BODY_LIMIT_BYTES must be at least 16384/],
  ] as const) {
    t.throws(() => loadConfig(env), { name: ConfigError.name, message }, JSON.stringify(env))
  }
})

t.test('issue 15 row 5: a Content-Length over the limit is a 413 problem before the body is sent', async (t) => {
  const port = await listening(t, { ...QUICK, REQUEST_TIMEOUT_MS: '30000', HEADERS_TIMEOUT_MS: '10000', BODY_LIMIT_BYTES: '65536' })
  const routes = [
    { name: 'an editor route, with a key', head: `POST /v1/articles HTTP/1.1\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}`, length: 65537 },
    { name: 'an editor route, without a key', head: 'POST /v1/articles HTTP/1.1', length: 100_000_000 },
    { name: 'the comment route (its own, smaller limit)', head: `POST /v1/articles/${SLUG}/comments HTTP/1.1`, length: 16 * 1024 + 1 },
  ]
  for (const route of routes) {
    const client = open(port)
    await client.connected
    // Only the headers: the answer must come without the body being sent.
    client.socket.write(`${route.head}\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${route.length}\r\n\r\n`)
    const raw = await within(
      (async () => {
        while (!/\r\n\r\n[\s\S]*\}/.test(client.received()) && !client.socket.destroyed) await sleep(20)
        return client.received()
      })(),
      10_000,
    )
    client.socket.destroy()
    t.not(raw, 'timeout', `${route.name}: answered before the body`)
    const answer = parse(raw === 'timeout' ? '' : raw)
    t.equal(answer.status, route.name.includes('without a key') ? 401 : 413, route.name)
    t.same(clientProblemViolations(answer), [], `${route.name}: a problem`)
  }
})

t.test('issue 15 row 5: 500,000 wrong array items, or arrays nested 500,000 deep, on an editor route get a short problem before they are parsed', async (t) => {
  const { app } = await createTestApp(t)
  const bodies = [
    { name: '500,000 wrong items', payload: `[${Array.from({ length: 500_000 }, () => '1').join(',')}]`, detail: /holds more than 10000 values/ },
    { name: 'arrays nested 500,000 deep', payload: `${'['.repeat(500_000)}${']'.repeat(500_000)}`, detail: /is nested deeper than 32 levels/ },
  ]
  for (const body of bodies) {
    t.ok(body.payload.length < 1024 * 1024, `${body.name}: within the default body limit`)
    const res = await app.inject({
      method: 'PUT',
      url: `/v1/articles/${SLUG}/techniques`,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      payload: body.payload,
    })
    t.equal(res.statusCode, 400, body.name)
    t.ok(res.body.length < 4096, `${body.name}: a short answer (${res.body.length} bytes)`)
    t.match(res.json(), { type: '/problems/bad-request', detail: body.detail }, body.name)
  }
  // Just under the bounds: parsed, then validated, stopping at the first failure.
  const res = await app.inject({
    method: 'PUT',
    url: `/v1/articles/${SLUG}/techniques`,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    payload: `[${Array.from({ length: 10_000 }, () => '1').join(',')}]`,
  })
  t.equal(res.statusCode, 400)
  const problem = res.json() as { type: string; errors: unknown[] }
  t.equal(problem.type, '/problems/validation-failed')
  t.ok(problem.errors.length >= 1 && problem.errors.length <= 20, `${problem.errors.length} error(s) listed`)
  t.ok(res.body.length < 4096, `a short answer (${res.body.length} bytes)`)
})

t.test('issue 15 row 5: a validation problem lists at most 20 errors and says how many more there are', async (t) => {
  const { app } = await createTestApp(t)
  const query = Array.from({ length: 300 }, (_, i) => `p${i}=${i}`).join('&')
  const res = await app.inject(`/v1/articles?${query}`)
  t.equal(res.statusCode, 400)
  const problem = res.json() as { errors: { in: string; name: string }[]; detail: string }
  t.equal(problem.errors.length, 20)
  t.same(problem.errors[0], { in: 'query', name: 'p0', detail: 'is not a parameter this operation accepts' })
  t.match(problem.detail, /and 280 more/)
})
