import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import Database from 'better-sqlite3'
import type { Test } from 'tap'
import { buildApp, type App, type AppOptions } from '../../src/app.js'
import { ArticleRepository } from '../../src/articles/repository.js'
import { loadConfig } from '../../src/config.js'
import { openStore } from '../../src/db/open.js'
import { PostgresStore } from '../../src/db/postgres.js'
import { SqliteStore } from '../../src/db/sqlite.js'
import type { Params, Queries, Sql, Store } from '../../src/db/store.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { TEST_ADMIN_TOKEN, checkResponsesAgainstDocument } from '../helpers/app.js'
import { createTestStore, type TestStore } from '../helpers/store.js'
import { nextLink } from '../helpers/links.js'

/** Shared by the comment tests; tap only runs `*.test.ts`, so this file is not a test of its own. */

export const SLUG = 'lower-back-pain-deep-tissue-massage'
export const commentsUrl = (slug: string = SLUG) => `/v1/articles/${slug}/comments`
export const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }

/** Settings for tests that post freely and want comments public at once. */
export const AUTO = { COMMENT_MODERATION: 'auto', COMMENT_RATE_LIMIT_PER_MINUTE: '0' }
export const MANUAL = { COMMENT_MODERATION: 'manual', COMMENT_RATE_LIMIT_PER_MINUTE: '0' }

export const PUBLIC_KEYS = ['authorName', 'authorUrl', 'body', 'createdAt', 'id', 'parentId', 'replyCount']

let serial = 0

/** A valid comment; every call has a body of its own so that the duplicate rule never trips by accident. */
export function newComment(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  serial += 1
  return { authorName: 'Maya R.', authorEmail: 'maya@example.com', body: `Comment number ${serial}: the stripping helped.`, ...overrides }
}

export interface PostOptions {
  slug?: string
  headers?: Record<string, string>
  remoteAddress?: string
}

export function post(app: App, payload: unknown, options: PostOptions = {}) {
  const request: InjectOptions = { method: 'POST', url: commentsUrl(options.slug), payload: payload as InjectOptions['payload'], headers: options.headers ?? {} }
  if (options.remoteAddress) request.remoteAddress = options.remoteAddress
  return app.inject(request)
}

/** Posts a comment that must be accepted and returns it. */
export async function postOk(t: Test, app: App, overrides: Record<string, unknown> = {}, options: PostOptions = {}) {
  const res = await post(app, newComment(overrides), options)
  t.equal(res.statusCode, 201, `posted: ${res.body.slice(0, 200)}`)
  return res.json() as { id: number; status: string; parentId: number | null; replyCount: number; body: string; authorName: string }
}

/** A moderation request carrying the admin token (or the given headers instead). */
export function admin(app: App, method: 'GET' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = ADMIN) {
  return app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }) })
}

export async function setStatus(t: Test, app: App, id: number, status: string) {
  const res = await admin(app, 'PATCH', `/v1/comments/${id}`, { status })
  t.equal(res.statusCode, 200, `comment ${id} set to ${status}`)
  return res.json()
}

/** Asserts an RFC 9457 problem of the given status and type. */
export function assertProblem(t: Test, res: LightMyRequestResponse, status: number, type: string, message = `${status} ${type}`) {
  t.equal(res.statusCode, status, message)
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${message}: problem media type`)
  t.match(res.json(), { type, status }, `${message}: problem body`)
}

/** The names in a validation problem's `errors`, sorted. */
export function failingFields(res: LightMyRequestResponse): string[] {
  const errors = (res.json().errors ?? []) as { in: string; name: string }[]
  return [...new Set(errors.map((e) => `${e.in}:${e.name}`))].sort()
}

/** Follows `meta.nextCursor` to the end and returns every page. */
export async function allPages(app: App, firstUrl: string, headers: Record<string, string> = {}) {
  const pages: { data: Record<string, unknown>[]; meta: { limit: number; nextCursor: string | null }; link: string | undefined }[] = []
  let url: string | undefined = firstUrl
  while (url) {
    const res: LightMyRequestResponse = await app.inject({ url, headers })
    if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`)
    const page = res.json()
    const link = nextLink(res.headers)
    pages.push({ ...page, link })
    if (pages.length > 50) throw new Error('pagination does not end')
    const next = page.meta.nextCursor ? link : undefined
    if (page.meta.nextCursor && !next) throw new Error(`no Link rel=next with nextCursor on ${url}`)
    url = next
  }
  return pages
}

/** A clock for the app that tests move forward. */
export function testClock(start = '2026-03-01T12:00:00.000Z') {
  let current = new Date(start).getTime()
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current += ms
    },
  }
}

export const MINUTE = 60 * 1000
export const HOUR = 60 * MINUTE

/** Rows in the comments table, whatever their status. */
export async function rowCount(store: Queries, where = '1 = 1', ...params: unknown[]): Promise<number> {
  return (await store.get<{ n: number }>(`SELECT count(*) AS n FROM comments WHERE ${where}`, params))!.n
}

/** The first column of the first row (undefined without a row). */
export async function value(store: Queries, sql: Sql, params?: Params): Promise<unknown> {
  const row = await store.get<Record<string, unknown>>(sql, params)
  return row && Object.values(row)[0]
}

/** The first column of every row. */
export async function column(store: Queries, sql: Sql, params?: Params): Promise<unknown[]> {
  return (await store.all<Record<string, unknown>>(sql, params)).map((row) => Object.values(row)[0])
}

/** A fresh store of the store under test (SQLite at `path` if given), seeded as createTestApp seeds it. */
export async function seededStore(t: Test, options: { path?: string } = {}): Promise<TestStore> {
  const opened = await createTestStore(t, options)
  await seedIfEmpty(new ArticleRepository(opened.store), new Date('2026-01-15T09:00:00.000Z'))
  return opened
}

/**
 * The app on `store`, configured from `settings` as the server would be, with the given logger (what
 * createTestApp does not let a test choose); closed after the test, its answers checked against its document.
 */
export async function appOn(t: Test, { store, migrations, env }: Pick<TestStore, 'store' | 'migrations' | 'env'>, settings: Record<string, string>, logger: AppOptions['logger'] = false) {
  const app = await buildApp({ store, migrations, config: loadConfig({ ...env, ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...settings }), logger })
  t.teardown(() => app.close())
  checkResponsesAgainstDocument(t, app)
  return app
}

/** Another process's view of the same data, as a server on another node opens it (DATABASE_PATH or DATABASE_URL). */
export async function openAgain(env: Record<string, string>): Promise<Pick<TestStore, 'store' | 'migrations' | 'env'>> {
  const { store, migrations } = await openStore(loadConfig(env))
  return { store, migrations, env }
}

/**
 * A connection of its own to the store's data, for reading only (a SQLite file, or a PostgreSQL
 * database): what it finds is committed. Closed after the test.
 */
export function separateReader(t: Test, env: Record<string, string>): Store {
  const reader = env.DATABASE_URL
    ? new PostgresStore({ url: env.DATABASE_URL, poolSize: 2, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000 })
    : new SqliteStore(new Database(env.DATABASE_PATH!, { readonly: true, fileMustExist: true }))
  t.teardown(() => reader.close())
  return reader
}
