import { createHash } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { App } from '../../src/app.js'
import { ApiKeyRepository, type Scope } from '../../src/auth/keys.js'
import type { Queries } from '../../src/db/store.js'
import { TEST_ADMIN_TOKEN, articleText, createTestApp } from '../helpers/app.js'
import { ADMIN, NO_STORE, SEED_SLUG, T0, assertProblem, bearer, entry, inject, makeKey, testClock, type Headers, type Method } from '../articles/helpers.js'

const MANUAL = { COMMENT_MODERATION: 'manual', COMMENT_RATE_LIMIT_PER_MINUTE: '0' }

/** The scope each tag of secured operations needs. A secured operation with another tag fails the test until it is added here. */
const SCOPE_OF_TAG: Record<string, Scope> = { Editorial: 'content:write', Moderation: 'comments:moderate', Previews: 'content:write', Webhooks: 'webhooks:manage' }
const OTHER_SCOPE: Record<Scope, Scope> = { 'content:write': 'comments:moderate', 'comments:moderate': 'content:write', 'webhooks:manage': 'content:write', admin: 'content:write' }

/** The secured operations this test knows how to call successfully; the matrix must find at least these. */
const KNOWN = [
  'createArticle',
  'updateArticle',
  'deleteArticle',
  'replaceArticleTechniques',
  'replaceArticleBenefits',
  'importArticle',
  'listArticleRevisions',
  'getArticleRevision',
  'restoreArticleRevision',
  'listCommentsForModeration',
  'moderateComment',
  'deleteComment',
]

interface Operation {
  operationId: string
  method: Method
  path: string
  tags: string[]
  scope: Scope | undefined
}

interface OpenApiOperation {
  operationId?: string
  tags?: string[]
  security?: Record<string, string[]>[]
}

/** The operations of the generated OpenAPI document, split by whether they require a bearer key. */
async function operations(app: App) {
  await app.ready()
  const document = app.swagger() as { paths: Record<string, Record<string, OpenApiOperation>> }
  const secured: Operation[] = []
  const open: (Operation & { optional: boolean })[] = []
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue
      const security = operation.security ?? []
      const bearerRequired = security.length > 0 && security.every((requirement) => 'bearerAuth' in requirement)
      const tags = operation.tags ?? []
      const op = { operationId: operation.operationId ?? `${method} ${path}`, method: method.toUpperCase() as Method, path, tags, scope: tags.map((tag) => SCOPE_OF_TAG[tag]).find(Boolean) }
      if (bearerRequired) secured.push(op)
      else open.push({ ...op, optional: security.some((requirement) => 'bearerAuth' in requirement) })
    }
  }
  return { secured, open }
}

/** An app with something for every secured route to act on: a revision, two pending comments and an article to delete. */
async function fixture(t: Test, env: Record<string, string> = {}) {
  const clock = testClock()
  const { app, store } = await createTestApp(t, { env: { ...MANUAL, ...env }, now: clock.now })
  const setupKey = await new ApiKeyRepository(store).create('setup', ['admin'], new Date(T0))
  const admin = setupKey.secret
  const setup = (method: Method, url: string, payload?: unknown) => inject(app, method, url, payload, bearer(admin))
  const ok = async (res: Promise<LightMyRequestResponse>, status: number) => {
    const answer = await res
    if (answer.statusCode !== status) throw new Error(`setup: ${answer.statusCode} ${answer.body}`)
    return answer.json()
  }
  await ok(setup('PATCH', `/v1/articles/${SEED_SLUG}`, { title: 'The Seed, Retitled' }), 200)
  const revisionId = (await ok(setup('GET', `/v1/articles/${SEED_SLUG}/revisions`), 200)).data[0].id as number
  await ok(setup('POST', '/v1/articles', { title: 'Doomed Article' }), 201)
  const comment = () => ok(inject(app, 'POST', `/v1/articles/${SEED_SLUG}/comments`, { authorName: 'Ana', authorEmail: 'ana@example.com', body: `Comment ${Math.random()}` }), 201)
  const moderated = (await comment()).id as number
  const doomed = (await comment()).id as number
  await new ApiKeyRepository(store).revoke(setupKey.key.id, new Date(T0))
  let serial = 0
  /** The request that exercises `op` successfully for an authorised caller, and the status it then answers. */
  function request(op: Operation): { url: string; payload?: unknown; headers?: Headers; success: number | undefined } {
    serial += 1
    const fill = (values: Record<string, string | number>) => op.path.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? (name === 'id' || name === 'version' ? 1 : SEED_SLUG)))
    switch (op.operationId) {
      case 'createArticle':
        return { url: fill({}), payload: { title: `Matrix Article ${serial}` }, success: 201 }
      case 'updateArticle':
        return { url: fill({}), payload: { title: `Changed ${serial}` }, success: 200 }
      case 'deleteArticle':
        return { url: fill({ slug: 'doomed-article' }), success: 204 }
      case 'replaceArticleTechniques':
      case 'replaceArticleBenefits':
        return { url: fill({}), payload: [entry(`Item ${serial}`)], success: 200 }
      case 'importArticle':
        return { url: fill({}), payload: articleText(`Imported Matrix ${serial}`), headers: { 'content-type': 'text/plain' }, success: 201 }
      case 'listArticleRevisions':
      case 'getArticleRevision':
      case 'restoreArticleRevision':
        return { url: fill({ id: revisionId }), success: 200 }
      case 'listCommentsForModeration':
        return { url: fill({}), success: 200 }
      case 'moderateComment':
        return { url: fill({ id: moderated }), payload: { status: 'approved' }, success: 200 }
      case 'deleteComment':
        return { url: fill({ id: doomed }), success: 204 }
      default:
        return { url: fill({}), payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : {}, success: undefined }
    }
  }
  return { app, store, request }
}

async function state(store: Queries) {
  const tables = ['articles', 'article_entries', 'article_revisions', 'comments', 'api_keys']
  return JSON.stringify(await Promise.all(tables.map((table) => store.all(`SELECT * FROM ${table} ORDER BY 1`))))
}

/** Who calls: each gets its credentials from a fresh fixture's database. */
const callers: { name: string; credentials: (store: Queries, scope: Scope) => Promise<Headers[]>; expect: 401 | 403 | 'allowed' }[] = [
  { name: 'no key', credentials: async () => [{}], expect: 401 },
  {
    name: 'a malformed Authorization header',
    credentials: async () => [
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer ' },
      { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}` },
      { authorization: TEST_ADMIN_TOKEN },
      { authorization: `Bearer ${TEST_ADMIN_TOKEN} extra` },
      { authorization: 'Bearer ключ' },
    ],
    expect: 401,
  },
  {
    name: 'an unknown key',
    credentials: async () => [bearer('cak_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), bearer(`${TEST_ADMIN_TOKEN}x`), bearer(TEST_ADMIN_TOKEN.slice(0, -1))],
    expect: 401,
  },
  {
    name: 'a revoked key',
    credentials: async (store, scope) => {
      const keys = [await makeKey(store, [scope], 'revoked-scoped'), await makeKey(store, ['admin'], 'revoked-admin')]
      for (const key of keys) await new ApiKeyRepository(store).revoke(key.id, new Date(T0))
      return keys.map((key) => key.headers)
    },
    expect: 401,
  },
  { name: 'a key without the scope', credentials: async (store, scope) => [(await makeKey(store, [OTHER_SCOPE[scope]], 'other-scope')).headers], expect: 403 },
  { name: 'a key with the scope', credentials: async (store, scope) => [(await makeKey(store, [scope], 'scoped')).headers], expect: 'allowed' },
  { name: 'a key with the scope among others', credentials: async (store, scope) => [(await makeKey(store, [OTHER_SCOPE[scope], scope], 'two-scopes')).headers], expect: 'allowed' },
  { name: 'an admin-scope key', credentials: async (store) => [(await makeKey(store, ['admin'], 'admin')).headers], expect: 'allowed' },
  { name: 'ADMIN_TOKEN', credentials: async () => [ADMIN], expect: 'allowed' },
]

t.test('the OpenAPI document names the secured routes, each with a scope', async (t) => {
  const { app } = await createTestApp(t)
  const { secured, open } = await operations(app)
  const ids = secured.map((op) => op.operationId)
  for (const id of KNOWN) t.ok(ids.includes(id), `${id} requires a bearer key`)
  for (const op of secured) t.ok(op.scope, `${op.operationId} (tags ${op.tags.join(', ')}): its tag maps to a scope in SCOPE_OF_TAG`)
  const openWrites = open.filter((op) => op.method !== 'GET').map((op) => op.operationId)
  t.same(openWrites, ['createComment'], 'the only write without a key is posting a comment')
  t.same(open.filter((op) => op.optional).map((op) => op.operationId), ['getArticle'], 'a key is optional only on GET /v1/articles/{slug}')
})

t.test('authorization matrix: every secured route × every kind of caller', async (t) => {
  const probe = await createTestApp(t)
  const { secured } = await operations(probe.app)
  t.ok(secured.length >= KNOWN.length, `${secured.length} secured operations`)
  for (const caller of callers) {
    t.test(caller.name, async (t) => {
      const { app, store, request } = await fixture(t)
      // Writes that remove things go last, so that each route still has something to act on.
      const ordered = [...secured].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'))
      const before = await state(store)
      for (const op of ordered) {
        const scope = op.scope ?? 'admin'
        for (const headers of await caller.credentials(store, scope)) {
          const { url, payload, headers: extra, success } = request(op)
          const res = await inject(app, op.method, url, payload, { ...extra, ...headers })
          const label = `${op.operationId} ${op.method} ${url} with ${caller.name} ${JSON.stringify(headers).slice(0, 60)}`
          t.equal(res.headers['cache-control'], NO_STORE, `${label}: never cached`)
          if (caller.expect === 401) {
            assertProblem(t, res, 401, '/problems/unauthorized', label)
            t.equal(res.headers['www-authenticate'], 'Bearer realm="content-api"', `${label}: a Bearer challenge`)
          } else if (caller.expect === 403) {
            const problem = assertProblem(t, res, 403, '/problems/forbidden', label)
            t.match(problem.detail, scope, `${label}: names the scope ${scope}`)
            t.notOk(res.headers['www-authenticate'], `${label}: no challenge on a 403`)
          } else if (success !== undefined) {
            t.equal(res.statusCode, success, `${label}: ${success}${res.statusCode === success ? '' : ` (${res.body.slice(0, 200)})`}`)
          } else {
            t.ok(res.statusCode < 500 && res.statusCode !== 401 && res.statusCode !== 403, `${label}: let in (${res.statusCode})`)
          }
        }
      }
      if (caller.expect !== 'allowed') {
        const now = JSON.parse(await state(store)) as unknown[][]
        const was = JSON.parse(before) as unknown[][]
        t.same(now.slice(0, 4), was.slice(0, 4), `${caller.name}: nothing was written`)
      }
    })
  }
})

t.test('the key is checked before the request is read: an invalid request without a key is a 401', async (t) => {
  const { app, store } = await fixture(t)
  const { secured } = await operations(app)
  const before = await state(store)
  for (const op of secured) {
    const url = op.path.replace(/\{\w+\}/g, 'Not_Valid')
    const res = await inject(app, op.method, `${url}?unknown=1`, op.method === 'GET' || op.method === 'DELETE' ? undefined : '{not json', { 'content-type': 'application/json' })
    assertProblem(t, res, 401, '/problems/unauthorized', `${op.operationId} with nothing valid`)
    const scoped = await inject(app, op.method, `${url}?unknown=1`, op.method === 'GET' || op.method === 'DELETE' ? undefined : '{not json', { 'content-type': 'application/json', ...(await makeKey(store, [OTHER_SCOPE[op.scope ?? 'admin']])).headers })
    assertProblem(t, scoped, 403, '/problems/forbidden', `${op.operationId} with nothing valid but a key of another scope`)
  }
  for (const op of secured.filter((op) => op.method === 'GET')) {
    const url = op.path.replace('{slug}', SEED_SLUG).replace('{id}', '1').replace('{version}', '1')
    const head = await inject(app, 'HEAD', url)
    t.equal(head.statusCode, 401, `HEAD ${url} without a key: 401 as GET`)
    t.equal(head.body, '', 'and no body')
  }
  const now = JSON.parse(await state(store)) as unknown[][]
  t.same(now.slice(0, 4), (JSON.parse(before) as unknown[][]).slice(0, 4), 'nothing was written')
})

t.test('GET /v1/articles/{slug}: a key is optional, but a bad one is a 401 and only content:write sees drafts', async (t) => {
  const { app, store } = await fixture(t)
  const writer = (await makeKey(store, ['content:write'])).headers
  const moderator = (await makeKey(store, ['comments:moderate'])).headers
  const admin = (await makeKey(store, ['admin'])).headers
  const draft = '/v1/articles/doomed-article'
  const published = `/v1/articles/${SEED_SLUG}`

  const anonymous = await app.inject(published)
  t.equal(anonymous.statusCode, 200)
  t.not(anonymous.headers['cache-control'], NO_STORE, 'the public answer may be cached')
  assertProblem(t, await app.inject(draft), 404, '/problems/not-found', 'the public does not see a draft')

  for (const [name, headers] of [['content:write', writer], ['admin scope', admin], ['ADMIN_TOKEN', ADMIN]] as const) {
    const res = await inject(app, 'GET', draft, undefined, headers)
    t.equal(res.statusCode, 200, `${name} sees the draft`)
    t.equal(res.json().status, 'draft')
    t.equal(res.headers['cache-control'], NO_STORE, `${name}: private`)
  }
  const moderatorDraft = await inject(app, 'GET', draft, undefined, moderator)
  assertProblem(t, moderatorDraft, 404, '/problems/not-found', 'a key without content:write does not see the draft')
  t.equal(moderatorDraft.headers['cache-control'], NO_STORE)
  const moderatorPublished = await inject(app, 'GET', published, undefined, moderator)
  t.equal(moderatorPublished.statusCode, 200, 'but sees what is public')
  t.equal(moderatorPublished.headers['cache-control'], NO_STORE, 'privately: an authenticated answer is never cached')

  for (const authorization of ['Bearer cak_unknown', 'Basic abc', 'Bearer']) {
    const res = await inject(app, 'GET', published, undefined, { authorization })
    assertProblem(t, res, 401, '/problems/unauthorized', `${authorization} on a public article`)
    t.match(res.headers['www-authenticate'], /^Bearer /)
  }
})

t.test('a key works at once and stops at once when revoked; ADMIN_TOKEN unset lets no one in by it', async (t) => {
  const { app, store } = await fixture(t, { ADMIN_TOKEN: '' })
  const keys = new ApiKeyRepository(store)
  assertProblem(t, await inject(app, 'GET', `/v1/articles/${SEED_SLUG}/revisions`, undefined, ADMIN), 401, '/problems/unauthorized', 'the former admin token')
  for (const guess of ['Bearer undefined', 'Bearer null', 'Bearer  ']) {
    assertProblem(t, await inject(app, 'GET', '/v1/comments', undefined, { authorization: guess }), 401, '/problems/unauthorized', guess)
  }
  const { key, secret } = await keys.create('late', ['comments:moderate'], new Date(T0))
  t.equal((await inject(app, 'GET', '/v1/comments', undefined, bearer(secret))).statusCode, 200, 'a key made while the app runs works at once')
  t.equal((await inject(app, 'GET', '/v1/comments', undefined, { authorization: `bearer   ${secret}  ` })).statusCode, 200, 'the scheme is case-insensitive; spaces around the key are allowed')
  await keys.revoke(key.id, new Date(T0))
  assertProblem(t, await inject(app, 'GET', '/v1/comments', undefined, bearer(secret)), 401, '/problems/unauthorized', 'revoked: refused at once')
})

t.test('keys are stored only as hashes', async (t) => {
  const { store } = await createTestApp(t)
  const keys = new ApiKeyRepository(store)
  const made = [await keys.create('one', ['content:write'], new Date(T0)), await keys.create('two', ['admin', 'admin', 'comments:moderate'], new Date(T0))]
  for (const { secret } of made) t.match(secret, /^cak_[\w-]{43}$/, 'a key has 256 random bits')
  t.not(made[0]!.secret, made[1]!.secret)
  const columnNames = {
    sqlite: "SELECT name FROM pragma_table_info('api_keys') ORDER BY cid",
    postgres: "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'api_keys' ORDER BY ordinal_position",
  }
  const columns = (await store.all<{ name: string }>(columnNames)).map((c) => c.name)
  t.same(columns, ['id', 'name', 'digest', 'scopes', 'created_at', 'revoked_at'], 'no column for the key itself')
  const rows = await store.all<Record<string, unknown>>('SELECT * FROM api_keys ORDER BY id')
  t.equal(rows.length, 2)
  for (const [i, row] of rows.entries()) {
    const { secret } = made[i]!
    const dumped = JSON.stringify(row)
    t.notOk(dumped.includes(secret), `row ${i + 1} does not hold the key`)
    t.notOk(dumped.includes(secret.slice(4, 20)), `row ${i + 1} does not hold part of it`)
    t.equal(row.digest, createHash('sha256').update(secret).digest('hex'), `row ${i + 1} holds its SHA-256`)
  }
  t.same(JSON.parse(rows[1]!.scopes as string), ['admin', 'comments:moderate'], 'scopes without repeats')
  t.same((await keys.list()).map((key) => Object.keys(key).sort()), [['createdAt', 'id', 'name', 'revokedAt', 'scopes'], ['createdAt', 'id', 'name', 'revokedAt', 'scopes']], 'a listed key has no secret or digest')
  t.notOk(await keys.findActive(made[0]!.secret.toUpperCase()), 'a key is case-sensitive')
  t.equal((await keys.findActive(made[0]!.secret))?.name, 'one')
})
