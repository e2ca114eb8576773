import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { ClientNames } from '../../src/comments/client.js'
import { loggerOptions } from '../../src/logging.js'
import { TEST_ADMIN_TOKEN, createTestApp } from '../helpers/app.js'
import { captureLogs } from '../helpers/logs.js'
import { ADMIN, AUTO, SLUG, admin, appOn, column, commentsUrl, newComment, post, postOk, rowCount, seededStore, separateReader, value } from './helpers.js'

const EMAIL = 'Private.Reader@Example.org'
const IP = '198.51.100.77'
const OTHER_IP = '192.0.2.201'
/** The columns of the comments table. */
const COMMENT_COLUMNS = {
  sqlite: "SELECT name FROM pragma_table_info('comments')",
  postgres: "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'comments'",
}
const WRONG_TOKEN = 'guessed-token-fedcba9876543210fedcba98765'

t.test('no log line at trace level carries an email, a token or a client address', async (t) => {
  const { lines, stream } = captureLogs()
  const opened = await seededStore(t)
  const app = await appOn(t, opened, { COMMENT_RATE_LIMIT_PER_MINUTE: '2' }, { ...(loggerOptions('trace') as object), stream })

  const asReader = { remoteAddress: IP, headers: { 'x-forwarded-for': OTHER_IP, 'idempotency-key': 'privacy-key-1' } }
  const payload = newComment({ authorEmail: EMAIL, authorUrl: 'https://reader.example' })
  const answers: [string, LightMyRequestResponse][] = []
  const created = await post(app, payload, asReader)
  t.equal(created.statusCode, 201, 'posted')
  const refusals: [string, number, () => Promise<LightMyRequestResponse>][] = [
    ['an idempotent replay', 201, () => post(app, payload, asReader)],
    ['mistyped and unknown fields', 400, () => post(app, { authorEmail: EMAIL, body: 123, unknown: EMAIL }, { remoteAddress: IP })],
    ['an invalid email', 400, () => post(app, { ...payload, authorEmail: `${EMAIL}@` }, { remoteAddress: IP })],
    ['a duplicate', 409, () => post(app, payload, { remoteAddress: IP })],
    // Only stored comments count: the replay and the refusals above left the second one of the minute.
    ['the second comment of the minute', 201, () => post(app, newComment({ authorEmail: EMAIL }), { remoteAddress: IP })],
    ['one too many', 429, () => post(app, newComment({ authorEmail: EMAIL }), { remoteAddress: IP })],
  ]
  answers.push(['POST 201', created])
  for (const [name, status, send] of refusals) {
    const res = await send()
    t.equal(res.statusCode, status, name)
    answers.push([name, res])
  }

  const id = created.json().id as number
  const pending = await admin(app, 'GET', '/v1/comments')
  t.ok(pending.body.includes(EMAIL.toLowerCase()), 'moderators do see the email')
  t.equal((await admin(app, 'PATCH', `/v1/comments/${id}`, { status: 'approved' })).statusCode, 200)
  t.equal((await admin(app, 'GET', '/v1/comments', undefined, { authorization: `Bearer ${WRONG_TOKEN}` })).statusCode, 401)
  answers.push(['the public list', await app.inject({ url: commentsUrl(), remoteAddress: IP })])
  answers.push(['the public comment', await app.inject({ url: `${commentsUrl()}/${id}`, remoteAddress: IP })])
  answers.push(['the article', await app.inject({ url: `/v1/articles/${SLUG}`, remoteAddress: IP })])
  t.equal((await admin(app, 'PATCH', `/v1/comments/${id}`, { status: 'spam' })).statusCode, 200)
  t.equal((await admin(app, 'DELETE', `/v1/comments/${id}`)).statusCode, 204)

  // The email in any case, and its local part alone (e.g. inside an echoed invalid value).
  const forbidden = [EMAIL, EMAIL.split('@')[0]!, TEST_ADMIN_TOKEN, WRONG_TOKEN, IP, OTHER_IP, 'remoteAddress']
  const secret = (await value(opened.store, 'SELECT value FROM settings WHERE name = ?', ['client_key_secret'])) as string
  t.match(secret, /^[0-9a-f]{64}$/, 'the database holds the key of client names')
  const clientNames = [IP, OTHER_IP].map((address) => new ClientNames(secret).of(address))
  for (const [name, res] of answers) {
    const body = res.body.toLowerCase()
    t.notOk(forbidden.some((secret) => body.includes(secret.toLowerCase())), `${name}: no email, token or address in the answer`)
    t.notOk(body.includes(secret), `${name}: no secret in the answer`)
    t.notOk(/[0-9a-f]{64}/.test(body), `${name}: no client hash in the answer`)
    t.notOk(clientNames.some((client) => res.body.includes(client)), `${name}: no client name in the answer`)
  }

  t.ok(lines.length >= 20, `${lines.length} log lines captured`)
  t.equal(app.log.level, 'trace', 'the service logger, at its most verbose')
  t.ok(lines.some((line) => line.includes('"statusCode":400')) && lines.some((line) => line.includes('"statusCode":409')), 'the refusals were logged')
  const text = lines.join('\n').toLowerCase()
  for (const secret of forbidden) t.notOk(text.includes(secret.toLowerCase()), `no log line has ${secret.slice(0, 12)}…`)
  t.notOk(clientNames.some((client) => lines.join('\n').includes(client)), 'no log line has a client name')
})

t.test('no client address is stored, nor its plain hash: the rate limit and Idempotency-Keys keep a keyed hash', async (t) => {
  const { app, store } = await createTestApp(t, { env: { ...AUTO, COMMENT_RATE_LIMIT_PER_MINUTE: '5' } })
  await postOk(t, app, {}, { remoteAddress: IP, headers: { 'idempotency-key': 'stored-key-1' } })
  await postOk(t, app, {}, { remoteAddress: OTHER_IP, headers: { 'idempotency-key': 'stored-key-2' } })
  const columns = (await column(store, COMMENT_COLUMNS)) as string[]
  t.ok(columns.includes('author_email'), 'the columns are read')
  t.notOk(columns.some((name) => /ip|client|address/i.test(name)), 'no column for the client')
  t.equal(await value(store, 'SELECT count(*) AS n FROM rate_limits'), 2, 'each client is counted')
  const stored = (await Promise.all(['comments', 'idempotency_keys', 'rate_limits'].map(async (table) => JSON.stringify(await store.all(`SELECT * FROM ${table}`))))).join('')
  t.notOk(stored.includes(IP) || stored.includes(OTHER_IP), 'no address is stored anywhere')
  for (const ip of [IP, OTHER_IP]) t.notOk(stored.includes(createHash('sha256').update(ip).digest('hex')), 'nor its plain hash')
})

t.test('a 201 means the comment is committed: another connection (another process, another node) reads it at once, and after the app closed', async (t) => {
  const opened = await seededStore(t, { path: join(t.testdir({}), 'content.db') })
  const app = await appOn(t, opened, AUTO)
  const reader = separateReader(t, opened.env)

  const res = await post(app, newComment({ body: 'Stored for good.' }))
  t.equal(res.statusCode, 201)
  const { id } = res.json()
  t.match(await reader.get('SELECT body, status FROM comments WHERE id = ?', [id]), { body: 'Stored for good.', status: 'approved' }, 'a second connection sees the row')
  t.equal(await value(reader, 'SELECT comment_count FROM articles WHERE slug = ?', [SLUG]), 1, 'and the count')

  t.equal((await admin(app, 'PATCH', `/v1/comments/${id}`, { status: 'rejected' }, ADMIN)).statusCode, 200)
  t.equal(await value(reader, 'SELECT status FROM comments WHERE id = ?', [id]), 'rejected', 'moderation is committed too')
  t.equal(await value(reader, 'SELECT comment_count FROM articles WHERE slug = ?', [SLUG]), 0)

  await app.close()
  t.equal(await rowCount(reader), 1, 'still there after the app closed')
})
