import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { Test } from 'tap'
import { buildApp, type App } from '../../src/app.js'
import { ArticleRepository } from '../../src/articles/repository.js'
import { loadConfig } from '../../src/config.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { articleText, checkResponsesAgainstDocument, createTestApp, saveText, TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { ADMIN, NO_STORE, SEED_SLUG } from '../helpers/fixtures.js'
import { databaseOf, listenersOn, otherNode, refuseConnections, serverAdmin, terminateListeners } from '../helpers/postgres.js'
import { PROJECT_DIR, spawnServer, stop, waitUntilReady } from '../helpers/server.js'
import { createTestStore, ON_POSTGRES, POSTGRES_ONLY } from '../helpers/store.js'

/**
 * Issue 12, item 2: the server never sends a prepared answer older than the data. Each test primes the
 * prepared answers (a second GET with the first's tag is a 304), changes the data one way, and checks
 * that the next answer (to the same If-None-Match) is the new one.
 */

// Spawned processes (the importer, a second server) on a shared, loaded machine.
t.setTimeout(240_000)

const ARTICLE = `/v1/articles/${SEED_SLUG}`
const COMMENTS = { COMMENT_MODERATION: 'manual', COMMENT_RATE_LIMIT_PER_MINUTE: '0' }
const run = promisify(execFile)

type Answers = Map<string, LightMyRequestResponse>

/** GETs each URL, and checks that the answer is now prepared: its tag revalidates to a 304. */
async function prime(t: Test, app: App, urls: string[]): Promise<Answers> {
  const answers: Answers = new Map()
  for (const url of urls) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 200, `${url}: 200`)
    t.equal((await app.inject({ url, headers: { 'if-none-match': res.headers.etag as string } })).statusCode, 304, `${url}: prepared, revalidates`)
    answers.set(url, res)
  }
  return answers
}

/** The next answer to each URL, asked with the tag it had: a 200 (or the new status) with other bytes. */
async function next(t: Test, app: App, before: Answers, why: string): Promise<Map<string, LightMyRequestResponse>> {
  const after = new Map<string, LightMyRequestResponse>()
  for (const [url, old] of before) {
    const res = await app.inject({ url, headers: { 'if-none-match': old.headers.etag as string } })
    t.not(res.statusCode, 304, `${why}: ${url} is not revalidated with the old tag`)
    t.not(res.body, old.body, `${why}: ${url} changed`)
    after.set(url, res)
  }
  return after
}

const slugs = (res: LightMyRequestResponse) => (res.json().data as { slug: string }[]).map(({ slug }) => slug)
const write = (app: App, method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method, url, headers: { ...ADMIN, ...headers }, ...(payload === undefined ? {} : { payload: payload as string }) })

t.test('API writes: create, patch, PUT techniques and benefits, import, restore, delete', async (t) => {
  const { app } = await createTestApp(t)

  let answers = await prime(t, app, ['/v1/articles', '/v1/techniques', '/v1/feed.json', '/v1/sync'])
  const created = await write(app, 'POST', '/v1/articles', { title: 'Cupping Basics', status: 'published', sections: [{ heading: 'Techniques Used', blocks: [{ type: 'list', kind: 'techniques', items: [{ name: 'Silicone Cupping', description: 'Light suction.' }] }] }] })
  t.equal(created.statusCode, 201, 'created')
  let after = await next(t, app, answers, 'create')
  t.ok(slugs(after.get('/v1/articles')!).includes('cupping-basics'))

  answers = await prime(t, app, [ARTICLE, '/v1/articles', '/v1/feed.xml'])
  const patched = await write(app, 'PATCH', ARTICLE, { title: 'Deep Tissue Massage for the Lower Back' })
  t.equal(patched.statusCode, 200, 'patched')
  after = await next(t, app, answers, 'patch')
  t.equal(after.get(ARTICLE)!.json().title, 'Deep Tissue Massage for the Lower Back')

  for (const kind of ['techniques', 'benefits'] as const) {
    answers = await prime(t, app, [`${ARTICLE}/${kind}`, `/v1/${kind}`, ARTICLE])
    const put = await write(app, 'PUT', `${ARTICLE}/${kind}`, [{ name: `Fresh ${kind}`, description: 'Added by the test.' }])
    t.equal(put.statusCode, 200, `PUT ${kind}`)
    after = await next(t, app, answers, `PUT ${kind}`)
    t.same(
      after.get(`${ARTICLE}/${kind}`)!.json().data.map((entry: { name: string }) => entry.name),
      [`Fresh ${kind}`],
    )
    t.ok(after.get(`/v1/${kind}`)!.body.includes(`fresh-${kind}`), `the ${kind} catalog lists it`)
  }

  answers = await prime(t, app, ['/v1/articles', '/v1/search?q=stretching'])
  const imported = await app.inject({ method: 'POST', url: '/v1/imports?publish=true', headers: { ...ADMIN, 'content-type': 'text/plain' }, payload: articleText('Stretching After Massage', ['Assisted Stretch']) })
  t.equal(imported.statusCode, 201, 'imported')
  after = await next(t, app, answers, 'import')
  t.ok(slugs(after.get('/v1/articles')!).includes('stretching-after-massage'))

  const revisions = await app.inject({ url: `${ARTICLE}/revisions`, headers: ADMIN })
  const original = (revisions.json().data as { id: number; title: string }[]).find((revision) => revision.title !== 'Deep Tissue Massage for the Lower Back')!
  answers = await prime(t, app, [ARTICLE, '/v1/articles'])
  const restored = await write(app, 'POST', `${ARTICLE}/revisions/${original.id}/restore`)
  t.equal(restored.statusCode, 200, 'restored')
  after = await next(t, app, answers, 'restore')
  t.equal(after.get(ARTICLE)!.json().title, original.title)

  answers = await prime(t, app, [ARTICLE, '/v1/articles', '/v1/techniques'])
  t.equal((await write(app, 'DELETE', '/v1/articles/cupping-basics')).statusCode, 204, 'deleted')
  t.equal((await write(app, 'DELETE', ARTICLE)).statusCode, 204, 'deleted')
  after = await next(t, app, answers, 'delete')
  t.equal(after.get(ARTICLE)!.statusCode, 404, 'a deleted article is gone at once')
  t.notOk(slugs(after.get('/v1/articles')!).includes(SEED_SLUG))
  t.notOk(after.get('/v1/techniques')!.body.includes('silicone-cupping'), 'and its techniques')
})

t.test('comments: approval, rejection and deletion change the article (commentCount) at once', async (t) => {
  const { app } = await createTestApp(t, { env: COMMENTS })
  const post = async (body: string) => {
    const res = await app.inject({ method: 'POST', url: `${ARTICLE}/comments`, payload: { authorName: 'Ana', authorEmail: 'ana@example.com', body } })
    t.equal(res.statusCode, 201)
    return res.json().id as number
  }
  const first = await post('Deep pressure worked for me.')
  const second = await post('The friction part helped my back a lot.')
  const count = (res: LightMyRequestResponse) => res.json().commentCount as number

  for (const [why, change, expected] of [
    ['approval', () => write(app, 'PATCH', `/v1/comments/${first}`, { status: 'approved' }), 1],
    ['another approval', () => write(app, 'PATCH', `/v1/comments/${second}`, { status: 'approved' }), 2],
    ['rejection', () => write(app, 'PATCH', `/v1/comments/${first}`, { status: 'rejected' }), 1],
    ['deletion', () => write(app, 'DELETE', `/v1/comments/${second}`), 0],
  ] as const) {
    const answers = await prime(t, app, [ARTICLE, '/v1/articles'])
    t.ok((await change()).statusCode < 300, why)
    const after = await next(t, app, answers, why)
    t.equal(count(after.get(ARTICLE)!), expected, `${why}: commentCount ${expected}`)
  }
})

t.test('the instant a scheduled article\'s publishedAt passes, every public answer has it, with no write', async (t) => {
  let clock = Date.parse('2026-06-01T12:00:00.000Z')
  const { app, articles } = await createTestApp(t, { now: () => new Date(clock) })
  await saveText(articles, articleText('Scheduled Stretching Guide', ['Assisted Reach'], ['Looser Hamstrings']), { at: '2026-06-02T12:00:00.000Z' })
  const urls = ['/v1/articles', '/v1/techniques', '/v1/benefits', '/v1/feed.json', '/v1/feed.xml', '/v1/sync', '/v1/search?q=stretching']
  const answers = await prime(t, app, urls)
  t.equal((await app.inject('/v1/articles/scheduled-stretching-guide')).statusCode, 404)

  clock = Date.parse('2026-06-02T11:59:59.999Z')
  for (const url of urls) t.equal((await app.inject({ url, headers: { 'if-none-match': answers.get(url)!.headers.etag as string } })).statusCode, 304, `${url}: a millisecond before, nothing changed`)

  clock = Date.parse('2026-06-02T12:00:00.000Z')
  const after = await next(t, app, answers, 'publication time')
  t.equal(slugs(after.get('/v1/articles')!)[0], 'scheduled-stretching-guide')
  t.ok(after.get('/v1/techniques')!.body.includes('assisted-reach'))
  t.ok(after.get('/v1/feed.xml')!.body.includes('Scheduled Stretching Guide'))
  t.equal((await app.inject('/v1/articles/scheduled-stretching-guide')).statusCode, 200)
})

t.test('answers with credentials are private, no-store, Vary: Authorization, and never shared', async (t) => {
  const { app, articles } = await createTestApp(t)
  await saveText(articles, articleText('Draft On Hot Stones', ['Stone Placement']), { publish: false })
  const publicAnswer = await app.inject(ARTICLE)
  t.match(publicAnswer.headers.vary, /authorization/i, 'the public article says it depends on credentials')
  const editor = await app.inject({ url: '/v1/articles/draft-on-hot-stones', headers: ADMIN })
  t.equal(editor.statusCode, 200, 'an editor reads the draft')
  t.equal(editor.headers['cache-control'], NO_STORE)
  t.match(editor.headers.vary, /authorization/i)
  t.equal((await app.inject('/v1/articles/draft-on-hot-stones')).statusCode, 404, 'the public does not get the editor\'s answer')
  const badToken = await app.inject({ url: ARTICLE, headers: { authorization: 'Bearer wrong' } })
  t.equal(badToken.statusCode, 401, 'a bad token is refused, not served the prepared public answer')
  for (const url of ['/v1/articles', '/v1/techniques', ARTICLE]) {
    const res = await app.inject({ url, headers: { ...ADMIN, 'if-none-match': (await app.inject(url)).headers.etag as string } })
    t.equal(res.statusCode, 200, `${url}: a credentialed request is not answered from the shared validators`)
    t.equal(res.headers['cache-control'], NO_STORE, `${url}: private, no-store`)
  }
})

/**
 * The app of this process on a database that other processes write too: a SQLite file, or a PostgreSQL
 * database; `env` is what another process needs to open the same one.
 */
async function sharedApp(t: Test, seed: boolean, dir?: string) {
  const { store, migrations, env } = await createTestStore(t, ON_POSTGRES ? {} : { path: join(dir ?? t.testdir({}), 'content.db') })
  if (seed) await seedIfEmpty(new ArticleRepository(store), new Date('2026-01-15T09:00:00.000Z'))
  const app = await buildApp({ store, migrations, config: loadConfig({ ...env, ADMIN_TOKEN: TEST_ADMIN_TOKEN }), logger: false })
  t.teardown(() => app.close())
  checkResponsesAgainstDocument(t, app)
  return { app, env }
}

/** `npm run <args>` in another process on the same database. */
function npm(env: Record<string, string>, ...args: string[]) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
  if (!('DATABASE_URL' in env)) delete childEnv.DATABASE_URL
  return run('npm', ['run', '-s', ...args], { cwd: PROJECT_DIR, env: childEnv })
}

t.test('`npm run seed` and `npm run import` in other processes: the next answer has their articles', async (t) => {
  const dir = t.testdir({ 'cupping.txt': articleText('Cupping In Another Process', ['Fire Cupping']) })
  const { app, env } = await sharedApp(t, false, dir)
  let answers = await prime(t, app, ['/v1/articles', '/v1/techniques'])
  t.same(slugs(answers.get('/v1/articles')!), [], 'empty at first')
  await npm(env, 'seed')
  let after = await next(t, app, answers, 'npm run seed')
  t.same(slugs(after.get('/v1/articles')!), [SEED_SLUG])

  answers = await prime(t, app, ['/v1/articles', `${ARTICLE}/techniques`, '/v1/techniques'])
  await npm(env, 'import', '--', '--publish', join(dir, 'cupping.txt'))
  after = await next(t, app, new Map([...answers].filter(([url]) => url !== `${ARTICLE}/techniques`)), 'npm run import')
  t.ok(slugs(after.get('/v1/articles')!).includes('cupping-in-another-process'))
  t.ok(after.get('/v1/techniques')!.body.includes('fire-cupping'))
  const untouched = await app.inject({ url: `${ARTICLE}/techniques`, headers: { 'if-none-match': answers.get(`${ARTICLE}/techniques`)!.headers.etag as string } })
  t.equal(untouched.statusCode, 304, 'an answer the import did not change keeps its tag')
})

t.test('a second server process on the same database writes: this process\'s next answer shows it', async (t) => {
  const { app, env } = await sharedApp(t, true)
  const answers = await prime(t, app, [ARTICLE, '/v1/articles', '/v1/feed.json'])
  const other = await spawnServer(t, env.DATABASE_PATH ?? 'unused.db', { ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: 'warn', ...env })
  await waitUntilReady(other)
  const patched = await fetch(`${other.url}${ARTICLE}`, { method: 'PATCH', headers: { ...ADMIN, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Written By The Other Server' }) })
  t.equal(patched.status, 200)
  const after = await next(t, app, answers, 'the other server\'s PATCH')
  t.equal(after.get(ARTICLE)!.json().title, 'Written By The Other Server')
  t.equal(after.get('/v1/articles')!.json().data[0].title, 'Written By The Other Server')
  await stop(t, other)
})

/** Asks for `url` (with the tag it had) until `changed` holds for the answer; that answer, or undefined after about 3 s. */
async function untilChanged(app: App, url: string, before: LightMyRequestResponse, changed: (res: LightMyRequestResponse) => boolean) {
  for (let attempt = 0; attempt < 300; attempt++) {
    const res = await app.inject({ url, headers: { 'if-none-match': before.headers.etag as string } })
    if (res.statusCode !== 304 && changed(res)) return res
    await sleep(10)
  }
  return undefined
}

const RETITLE = 'UPDATE articles SET title = ?, updated_at = ? WHERE slug = ?'

t.test('PostgreSQL: plain SQL through another connection to the database is in this app\'s answers once its commit is heard', { skip: POSTGRES_ONLY }, async (t) => {
  const { app, env } = await sharedApp(t, true)
  const answers = await prime(t, app, [ARTICLE, '/v1/articles'])
  const other = otherNode(t, env.DATABASE_URL!)
  t.equal(await other.run(RETITLE, ['Retitled By Plain SQL', '2026-03-01T00:00:00.000Z', SEED_SLUG]), 1)
  const after = await untilChanged(app, ARTICLE, answers.get(ARTICLE)!, (res) => res.json().title === 'Retitled By Plain SQL')
  t.ok(after, 'the article has the new title, under a new tag')
  const list = await app.inject({ url: '/v1/articles', headers: { 'if-none-match': answers.get('/v1/articles')!.headers.etag as string } })
  t.equal(list.statusCode, 200, 'and the list no longer revalidates with its old tag')
  t.equal(list.json().data[0].title, 'Retitled By Plain SQL')
})

t.test('PostgreSQL: while the app\'s listening connection is down its answers are fresh; once it listens again it hears other nodes', { skip: POSTGRES_ONLY }, async (t) => {
  const { app, env } = await sharedApp(t, true)
  const url = env.DATABASE_URL!
  const other = otherNode(t, url)
  await other.get('SELECT 1')
  const admin = await serverAdmin(t)
  const database = databaseOf(url)
  let answers = await prime(t, app, [ARTICLE, '/v1/articles'])
  const allowConnections = await refuseConnections(t, admin, database)
  t.equal(await terminateListeners(admin, database), 1, 'the app\'s listening connection, ended by the server')
  // The connection's end reaches the app within milliseconds; give it plenty.
  await sleep(300)
  for (let n = 1; n <= 3; n++) {
    const title = `Written While No One Listens ${n}`
    await other.run(RETITLE, [title, `2026-03-0${n}T00:00:00.000Z`, SEED_SLUG])
    const after = await next(t, app, answers, `unheard write ${n}`)
    t.equal(after.get(ARTICLE)!.json().title, title, `unheard write ${n}: in the very next answer`)
    t.equal(after.get('/v1/articles')!.json().data[0].title, title)
    answers = after
  }
  await allowConnections()
  let listeners = 0
  for (let attempt = 0; attempt < 200 && listeners === 0; attempt++) {
    await sleep(50)
    listeners = await listenersOn(admin, database)
  }
  t.equal(listeners, 1, 'the app listens again by itself')
  answers = await prime(t, app, [ARTICLE, '/v1/articles'])
  await other.run(RETITLE, ['Heard Again', '2026-04-01T00:00:00.000Z', SEED_SLUG])
  const heard = await untilChanged(app, ARTICLE, answers.get(ARTICLE)!, (res) => res.json().title === 'Heard Again')
  t.ok(heard, 'another node\'s write is heard again')
  answers.set(ARTICLE, heard!)
  const cached = await app.inject({ url: ARTICLE, headers: { 'if-none-match': answers.get(ARTICLE)!.headers.etag as string } })
  t.equal(cached.statusCode, 304, 'and an unchanged answer revalidates (test/http/prepared.test.ts counts that it is reused, not rebuilt)')
})
