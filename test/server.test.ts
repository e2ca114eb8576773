import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'

// The compiled server: `npm test` builds dist/ first (pretest); run `npm run -s build` before running this file alone.
const PROJECT_DIR = fileURLToPath(new URL('../', import.meta.url))
const SERVER = join(PROJECT_DIR, 'dist', 'server.js')
const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'
const READY_ATTEMPTS = 100
const READY_PAUSE_MS = 100
const EXIT_WAIT_MS = 10_000

interface Server {
  child: ChildProcess
  port: number
  url: string
  stdout: () => string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** A port that was free a moment ago: listen on port 0, note the port, close. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** Spawns `node dist/server.js`; the process is killed after the test if it is still alive. */
async function spawnServer(t: Test, databasePath: string, env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort()
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_PATH: databasePath, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }
  delete childEnv.ADMIN_TOKEN
  delete childEnv.CORS_ORIGINS
  const child = spawn(process.execPath, [SERVER], { cwd: PROJECT_DIR, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return { child, port, url: `http://127.0.0.1:${port}`, stdout: () => stdout, stderr: () => stderr, exited }
}

function hasExited(server: Server): boolean {
  return server.child.exitCode !== null || server.child.signalCode !== null
}

/** Polls GET /readyz until it answers 200; fails after READY_ATTEMPTS tries or when the process exits. */
async function waitUntilReady(server: Server): Promise<void> {
  for (let attempt = 0; attempt < READY_ATTEMPTS; attempt++) {
    if (hasExited(server)) throw new Error(`the server exited before it was ready:\n${server.stderr()}`)
    try {
      const response = await fetch(`${server.url}/readyz`)
      if (response.status === 200) return
    } catch {
      // not listening yet
    }
    await sleep(READY_PAUSE_MS)
  }
  throw new Error(`the server was not ready after ${READY_ATTEMPTS} attempts:\n${server.stderr()}`)
}

/** Waits for the process to end, at most EXIT_WAIT_MS; undefined when it did not. */
async function waitForExit(server: Server) {
  const timeout = sleep(EXIT_WAIT_MS).then(() => undefined)
  return Promise.race([server.exited, timeout])
}

async function stop(t: Test, server: Server): Promise<void> {
  server.child.kill('SIGTERM')
  const exit = await waitForExit(server)
  t.same(exit, { code: 0, signal: null }, 'SIGTERM ends the process with exit code 0')
}

function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

async function getJson(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers })
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> }
}

interface ArticleBody {
  id: number
  updatedAt: string
  sections: { heading?: string }[]
}

t.test('the compiled server', async (t) => {
  t.ok(existsSync(SERVER), 'dist/server.js exists (npm run -s build)')
  const dir = t.testdir({})
  const databasePath = join(dir, 'data', 'content.db')
  let firstArticle: ArticleBody | undefined

  await t.test('on a fresh database it migrates, seeds and serves the seed article', async (t) => {
    const server = await spawnServer(t, databasePath)
    await waitUntilReady(server)
    t.ok(existsSync(databasePath), 'the database file is created where DATABASE_PATH says')

    const article = await getJson(`${server.url}/v1/articles/${SEED_SLUG}`, { 'x-request-id': 'server-test-article' })
    t.equal(article.status, 200)
    t.equal(article.headers.get('x-request-id'), 'server-test-article')
    const body = article.body as unknown as ArticleBody & { slug: string; status: string }
    t.equal(body.slug, SEED_SLUG)
    t.equal(body.status, 'published')
    t.equal(body.sections.filter((section) => section.heading !== undefined).length, 6, 'six headed sections')
    firstArticle = body

    const techniques = await getJson(`${server.url}/v1/articles/${SEED_SLUG}/techniques`)
    t.equal(techniques.status, 200)
    t.same(
      (techniques.body.data as { name: string }[]).map((entry) => entry.name),
      ['Deep Pressure', 'Friction', 'Stripping', 'Trigger Point Therapy'],
    )
    const benefits = await getJson(`${server.url}/v1/articles/${SEED_SLUG}/benefits`)
    t.equal(benefits.status, 200)
    t.equal((benefits.body.data as unknown[]).length, 5)

    const missing = await getJson(`${server.url}/v1/articles/no-such-article`)
    t.equal(missing.status, 404)

    await stop(t, server)

    const lines = logLines(server.stdout())
    t.ok(lines.length > 0, 'the server logs to stdout')
    t.ok(lines.every((line) => typeof line.level === 'number' && typeof line.msg === 'string'), 'every stdout line is a JSON log record')
    t.match(lines.find((line) => line.msg === 'database ready'), { migrations: [1], seeded: [SEED_SLUG] })

    const requestLines = lines.filter((line) => 'req' in line || 'res' in line)
    t.ok(requestLines.length >= 2, 'requests are logged')
    t.ok(requestLines.every((line) => typeof line.reqId === 'string' && line.reqId !== ''), 'every request line carries the request id')
    const forArticle = requestLines.filter((line) => line.reqId === 'server-test-article')
    t.ok(forArticle.some((line) => line.msg === 'incoming request'), "the client's x-request-id is the logged request id")
    t.ok(forArticle.some((line) => line.msg === 'request completed'))
    t.match(
      forArticle.find((line) => line.msg === 'incoming request'),
      { req: { method: 'GET', path: `/v1/articles/${SEED_SLUG}` } },
    )
    t.notOk(server.stdout().includes('remoteAddress'), 'no remoteAddress field is logged')
    t.notOk(server.stdout().includes('remotePort'), 'no remotePort field is logged')
    t.notOk(
      requestLines.some((line) => JSON.stringify(line).includes('127.0.0.1')),
      "no request line holds the client's address",
    )
    t.ok(lines.some((line) => line.msg === 'shutting down: finishing in-flight requests' && line.signal === 'SIGTERM'))
  })

  await t.test('a restart on the same database does not import the seed again', async (t) => {
    t.ok(firstArticle, 'the first start served the article')
    const server = await spawnServer(t, databasePath)
    await waitUntilReady(server)
    const article = await getJson(`${server.url}/v1/articles/${SEED_SLUG}`)
    t.equal(article.status, 200)
    t.equal(article.body.id, firstArticle?.id, 'the same article id')
    t.equal(article.body.updatedAt, firstArticle?.updatedAt, 'the same updatedAt')
    const list = await getJson(`${server.url}/v1/articles`)
    t.equal((list.body.data as unknown[]).length, 1, 'still one article')
    await stop(t, server)
    t.match(
      logLines(server.stdout()).find((line) => line.msg === 'database ready'),
      { migrations: [], seeded: [] },
    )
  })

  await t.test('it refuses a database with a migration it does not know', async (t) => {
    const db = new Database(databasePath, { fileMustExist: true })
    db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(
      999,
      'from_the_future',
      'f'.repeat(64),
      '2030-01-01T00:00:00.000Z',
    )
    db.close()

    const server = await spawnServer(t, databasePath)
    const exit = await waitForExit(server)
    t.ok(exit, 'the process exits on its own')
    t.not(exit?.code, 0, 'with a non-zero exit code')
    t.equal(exit?.signal, null)
    t.match(server.stderr(), /refusing/)
    t.match(server.stderr(), /999/)
    t.notOk(logLines(server.stdout()).some((line) => typeof line.msg === 'string' && line.msg.startsWith('Server listening')), 'it never listens')
  })
})

t.test('an invalid PORT stops the server before it starts', async (t) => {
  const dir = t.testdir({})
  const databasePath = join(dir, 'content.db')
  const server = await spawnServer(t, databasePath, { PORT: 'abc' })
  const exit = await waitForExit(server)
  t.ok(exit, 'the process exits on its own')
  t.not(exit?.code, 0, 'with a non-zero exit code')
  t.equal(exit?.signal, null)
  t.match(server.stderr(), /PORT/)
  t.match(server.stderr(), /invalid configuration/)
  t.notOk(existsSync(databasePath), 'no database is created')
})
