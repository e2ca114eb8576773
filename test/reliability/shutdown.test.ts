import { connect, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { createTestApp } from '../helpers/app.js'
import { acknowledged, commentStream, LOAD_ENV, SEED_SLUG, until, type Outcome } from '../helpers/load.js'
import { clientProblemViolations } from '../helpers/problems.js'
import { spawnServer, waitForExit, waitUntilReady } from '../helpers/server.js'
import { AUTO, rowCount } from '../comments/helpers.js'
import { createTestStore, ON_POSTGRES } from '../helpers/store.js'

const COMMENT = JSON.stringify({ authorName: 'Slow Reader', authorEmail: 'slow@example.com', body: 'Sent slowly, across the shutdown.' })
const POST_HEAD = `POST /v1/articles/${SEED_SLUG}/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(COMMENT)}\r\n\r\n`

/** A connection that has sent a request's headers and half its body: a request in flight. */
function requestInFlight(port: number) {
  const socket = connect(port, '127.0.0.1')
  let received = ''
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk))
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)))
  socket.write(POST_HEAD + COMMENT.slice(0, 20))
  return { finish: (more = '') => socket.write(COMMENT.slice(20) + more), closed }
}

// Spawned servers under a shared, loaded machine: more than tap's default 60 s per file.
t.setTimeout(180_000)

t.test('while the app closes, a request in flight is answered (connection closed after it) and one still arriving gets a 503 problem', async (t) => {
  const { app, store } = await createTestApp(t, { env: AUTO })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const inFlight = requestInFlight(port)
  // A request whose headers are still arriving when shutdown begins.
  const arriving = connect(port, '127.0.0.1')
  let late = ''
  arriving.setEncoding('utf8').on('data', (chunk: string) => (late += chunk))
  const lateClosed = new Promise((resolve) => arriving.on('close', resolve))
  arriving.write('GET /v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\n')
  // Time for the server to read what was sent.
  await sleep(50)
  t.equal(await rowCount(store), 0, 'nothing stored yet')
  const closing = app.close()
  await until(() => !app.server.listening)

  arriving.write('\r\n')
  await lateClosed
  const [head = '', body = ''] = late.split('\r\n\r\n')
  t.same(clientProblemViolations({ status: Number(head.slice(9, 12)), contentType: /content-type: (.*)/i.exec(head)?.[1], body }).filter((v) => !v.startsWith('status')), [], 'the late request gets a problem')
  t.match(head, /^HTTP\/1\.1 503 /)
  t.match(head, /\r\nretry-after: 1\r\n/i)

  inFlight.finish()
  const answer = await inFlight.closed
  t.match(answer, /^HTTP\/1\.1 201 /, 'the request in flight is answered 201')
  t.match(answer, /\r\nconnection: close\r\n/i, 'with Connection: close, so that an idle kept-alive connection cannot hold the shutdown')
  await closing
})

t.test('SIGTERM under load: requests in flight finish, new connections are refused, the process exits 0 within 10 s', async (t) => {
  const path = join(t.testdir({}), 'content.db')
  // The store the server uses, read after it exits (on PostgreSQL a database of this test's own).
  const { store, sqlite, env } = await createTestStore(t, ON_POSTGRES ? {} : { path })
  t.teardown(() => store.close())
  const server = await spawnServer(t, path, { ...LOAD_ENV, ...env })
  await waitUntilReady(server)

  let stopping = false
  const outcomes: Outcome[] = []
  const load = commentStream(server.url, 'shutdown', 4, outcomes, () => stopping)
  const reads = (async () => {
    const statuses: (number | string)[] = []
    while (!stopping) statuses.push(await fetch(`${server.url}/v1/articles`).then((r) => r.status, () => 'network-error'))
    return statuses
  })()
  await until(() => acknowledged(outcomes).length >= 20)

  const inFlight = requestInFlight(server.port)
  await sleep(50)
  const signalledAt = outcomes.length
  server.child.kill('SIGTERM')
  await until(() => server.stdout().includes('shutting down'))
  let refused: string | undefined
  try {
    await fetch(`${server.url}/readyz`, { headers: { connection: 'close' } })
  } catch (error) {
    refused = String((error as Error & { cause?: { code?: string } }).cause?.code)
  }
  t.equal(refused, 'ECONNREFUSED', 'a new connection is refused once shutdown began')
  inFlight.finish()
  t.match(await inFlight.closed, /^HTTP\/1\.1 201 /, 'the request in flight when SIGTERM came is answered 201')
  stopping = true
  const exit = await waitForExit(server)
  t.same(exit, { code: 0, signal: null }, 'exit code 0 within 10 s')
  await load
  const statuses = await reads

  const answered = outcomes.filter((o) => o.status !== 'network-error')
  const wrong = answered.filter((o) => o.status !== 201 && !(o.status === 503 && clientProblemViolations({ status: 503, contentType: o.contentType ?? undefined, body: JSON.stringify(o.problem) }).length === 1))
  t.same(wrong, [], 'every answer is a 201 or a 503 problem')
  t.ok(outcomes.slice(0, signalledAt).every((o) => o.status === 201), 'all before SIGTERM were 201')
  t.ok(statuses.every((s) => s === 200 || s === 503 || s === 'network-error'), 'reads were 200 until the end')
  const stored = new Set((await store.all<{ body: string }>("SELECT body FROM comments WHERE body LIKE 'shutdown-%'")).map((row) => row.body))
  t.same(acknowledged(outcomes).filter((o) => !stored.has(o.body)).map((o) => o.body), [], `all ${acknowledged(outcomes).length} acknowledged comments are stored`)
  t.equal((await store.get<{ count: number }>('SELECT count(*) AS count FROM comments WHERE body = ?', [JSON.parse(COMMENT).body]))!.count, 1, 'and the one in flight')
  if (sqlite) t.equal(sqlite.pragma('integrity_check', { simple: true }), 'ok')
})
