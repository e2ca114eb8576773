import { createHash } from 'node:crypto'
import { sqliteStore } from '../helpers/store.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { ArticleRepository } from '../../src/articles/repository.js'
import { ClientNames } from '../../src/comments/client.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { loggerOptions } from '../../src/logging.js'
import { TEST_ADMIN_TOKEN, checkResponsesAgainstDocument, createTestApp } from '../helpers/app.js'
import { ADMIN, AUTO, SLUG, admin, commentsUrl, newComment, post, postOk } from './helpers.js'
import { captureLogs } from '../helpers/logs.js'

const EMAIL = 'Private.Reader@Example.org'
const IP = '198.51.100.77'
const OTHER_IP = '192.0.2.201'
const WRONG_TOKEN = 'guessed-token-fedcba9876543210fedcba98765'

t.test('no log line at trace level carries an email, a token or a client address', async (t) => {
  const { lines, stream } = captureLogs()
  const db = openDatabase(':memory:')
  migrate(db)
  seedIfEmpty(new ArticleRepository(db), new Date('2026-01-15T09:00:00.000Z'))
  const config = loadConfig({ DATABASE_PATH: ':memory:', ADMIN_TOKEN: TEST_ADMIN_TOKEN, COMMENT_RATE_LIMIT_PER_MINUTE: '2' })
  const app = await buildApp({ ...sqliteStore(db), config, logger: { ...(loggerOptions('trace') as object), stream } })
  t.teardown(() => app.close())
  checkResponsesAgainstDocument(t, app)

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
  const secret = db.prepare('SELECT value FROM settings WHERE name = ?').pluck().get('client_key_secret') as string
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
  const { app, db } = await createTestApp(t, { env: { ...AUTO, COMMENT_RATE_LIMIT_PER_MINUTE: '5' } })
  await postOk(t, app, {}, { remoteAddress: IP, headers: { 'idempotency-key': 'stored-key-1' } })
  await postOk(t, app, {}, { remoteAddress: OTHER_IP, headers: { 'idempotency-key': 'stored-key-2' } })
  const columns = (db.prepare("SELECT name FROM pragma_table_info('comments')").all() as { name: string }[]).map((c) => c.name)
  t.notOk(columns.some((name) => /ip|client|address/i.test(name)), 'no column for the client')
  t.equal(db.prepare('SELECT count(*) FROM rate_limits').pluck().get(), 2, 'each client is counted')
  const stored = ['comments', 'idempotency_keys', 'rate_limits'].map((table) => JSON.stringify(db.prepare(`SELECT * FROM ${table}`).all())).join('')
  t.notOk(stored.includes(IP) || stored.includes(OTHER_IP), 'no address is stored anywhere')
  for (const ip of [IP, OTHER_IP]) t.notOk(stored.includes(createHash('sha256').update(ip).digest('hex')), 'nor its plain hash')
})

t.test('a 201 means the comment is committed to the database file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'comments-durability-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'content.db')
  const db = openDatabase(path)
  migrate(db)
  seedIfEmpty(new ArticleRepository(db), new Date())
  const app = await buildApp({ ...sqliteStore(db), config: loadConfig({ DATABASE_PATH: path, ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...AUTO }), logger: false })
  t.teardown(() => app.close())
  checkResponsesAgainstDocument(t, app)

  const reader = new Database(path, { readonly: true, fileMustExist: true })
  t.teardown(() => reader.close())
  t.equal(reader.pragma('journal_mode', { simple: true }), 'wal')

  const res = await post(app, newComment({ body: 'Stored for good.' }))
  t.equal(res.statusCode, 201)
  const { id } = res.json()
  t.match(reader.prepare('SELECT body, status FROM comments WHERE id = ?').get(id), { body: 'Stored for good.', status: 'approved' }, 'a second connection sees the row')
  t.equal(reader.prepare('SELECT comment_count FROM articles WHERE slug = ?').pluck().get(SLUG), 1, 'and the count')

  t.equal((await admin(app, 'PATCH', `/v1/comments/${id}`, { status: 'rejected' }, ADMIN)).statusCode, 200)
  t.equal(reader.prepare('SELECT status FROM comments WHERE id = ?').pluck().get(id), 'rejected', 'moderation is committed too')
  t.equal(reader.prepare('SELECT comment_count FROM articles WHERE slug = ?').pluck().get(SLUG), 0)

  await app.close()
  const reopened = new Database(path, { readonly: true })
  t.teardown(() => reopened.close())
  t.equal(reopened.prepare('SELECT count(*) FROM comments').pluck().get(), 1, 'still there after the app closed')
})
