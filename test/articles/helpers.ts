import { readFileSync } from 'node:fs'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import type { App } from '../../src/app.js'
import { ApiKeyRepository, type Scope } from '../../src/auth/keys.js'
import type { Queries, Store } from '../../src/db/store.js'
import { TEST_ADMIN_TOKEN, createTestApp } from '../helpers/app.js'

/** Shared by the editorial, revision, scheduling and access tests; tap only runs `*.test.ts`, so this file is not a test of its own. */

export const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'
export const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }
/** When the injected clock starts: after the seed's publication (2026-01-15), before the real date. */
export const T0 = '2026-03-01T12:00:00.000Z'
export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const NO_STORE = 'private, no-store'
/** Lets comments through at once and without a rate limit. */
export const AUTO_COMMENTS = { COMMENT_MODERATION: 'auto', COMMENT_RATE_LIMIT_PER_MINUTE: '0' }

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
export type Headers = Record<string, string>

export const bearer = (secret: string): Headers => ({ authorization: `Bearer ${secret}` })

/** A clock the app reads on every request; tests set or move it. */
export function testClock(start = T0) {
  let current = Date.parse(start)
  return {
    now: () => new Date(current),
    iso: () => new Date(current).toISOString(),
    /** `ms` from now, as an ISO time. */
    in: (ms: number) => new Date(current + ms).toISOString(),
    advance(ms: number) {
      current += ms
    },
    set(iso: string) {
      current = Date.parse(iso)
    },
  }
}
export type TestClock = ReturnType<typeof testClock>

/** Makes an API key directly in the database and returns its id and Authorization header. */
export async function makeKey(store: Queries, scopes: Scope[], name = `key-${scopes.join('+')}`) {
  const { key, secret } = await new ApiKeyRepository(store).create(name, scopes, new Date(T0))
  return { id: key.id, secret, headers: bearer(secret) }
}

export interface Editor {
  app: App
  store: Store
  clock: TestClock
  /** The Authorization header of a key with `content:write` only. */
  writer: Headers
  /** A request with the writer's key (or `headers` merged over it). */
  send: (method: Method, url: string, payload?: unknown, headers?: Headers) => Promise<LightMyRequestResponse>
  /** A request with no Authorization header at all. */
  publicGet: (url: string) => Promise<LightMyRequestResponse>
}

/** The real app on the seeded in-memory database, with an injected clock and a `content:write` key. */
export async function editorApp(t: Test, options: { seed?: boolean; env?: Record<string, string>; start?: string } = {}): Promise<Editor> {
  const clock = testClock(options.start)
  const { app, store } = await createTestApp(t, { now: clock.now, env: { ...AUTO_COMMENTS, ...options.env }, ...(options.seed === false ? { seed: false } : {}) })
  const writer = (await makeKey(store, ['content:write'], 'writer')).headers
  return {
    app,
    store,
    clock,
    writer,
    send: (method, url, payload, headers = {}) => inject(app, method, url, payload, { ...writer, ...headers }),
    publicGet: (url) => app.inject({ method: 'GET', url }),
  }
}

export function inject(app: App, method: Method, url: string, payload?: unknown, headers: Headers = {}) {
  const request: InjectOptions = { method, url, headers }
  if (payload !== undefined) request.payload = payload as InjectOptions['payload']
  return app.inject(request)
}

/** Asserts an RFC 9457 problem of the given status and type, with a title and a detail. */
export function assertProblem(t: Test, res: LightMyRequestResponse, status: number, type: string, message = `${status} ${type}`) {
  t.equal(res.statusCode, status, res.statusCode === status ? `${message}: status ${status}` : `${message}: status ${status}, not ${res.body.slice(0, 300)}`)
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${message}: problem media type`)
  const body = res.headers['content-type']?.toString().startsWith('application/problem+json') ? res.json() : {}
  t.match(body, { type, status, title: String, detail: String }, `${message}: problem body`)
  return body as { type: string; status: number; title: string; detail: string; errors?: { in: string; name: string; detail: string }[] }
}

/** The `in:name` of each issue of a validation problem, sorted and without repeats. */
export function failingFields(res: LightMyRequestResponse): string[] {
  const errors = (res.json().errors ?? []) as { in: string; name: string }[]
  return [...new Set(errors.map((e) => `${e.in}:${e.name}`))].sort()
}

/** The target of `Link: <...>; rel="next"` among the links of an answer, if any. */
export function nextLink(res: LightMyRequestResponse): string | undefined {
  const link = res.headers.link
  if (link === undefined) return undefined
  return /<([^>]+)>;\s*rel="next"/.exec(String(link))?.[1]
}

/** Follows the `Link: rel="next"` header to the end and returns every page's items. */
export async function allPages<T = Record<string, unknown>>(app: App, firstUrl: string, headers: Headers = {}) {
  const pages: T[][] = []
  let url: string | undefined = firstUrl
  while (url) {
    const res: LightMyRequestResponse = await app.inject({ url, headers })
    if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`)
    const page = res.json() as { data: T[]; meta: { nextCursor: string | null } }
    pages.push(page.data)
    if (pages.length > 50) throw new Error('pagination does not end')
    url = nextLink(res)
    if (Boolean(page.meta.nextCursor) !== Boolean(url)) throw new Error(`nextCursor and Link rel=next disagree on ${url}`)
  }
  return pages
}

export interface Entry {
  name: string
  description: string
}

/**
 * A new article in the content model: an introduction, optionally techniques and benefits lists,
 * and a conclusion. Its words are counted by hand in `wordsOf`.
 */
export function articleBody(title: string, options: { techniques?: Entry[]; benefits?: Entry[]; intro?: string } = {}) {
  const sections: unknown[] = [{ blocks: [{ type: 'paragraph', text: options.intro ?? `All about ${title}.` }] }]
  if (options.techniques?.length) sections.push({ heading: 'Techniques Used', blocks: [{ type: 'list', kind: 'techniques', items: options.techniques }] })
  if (options.benefits?.length) sections.push({ heading: 'Benefits', blocks: [{ type: 'list', kind: 'benefits', items: options.benefits }] })
  sections.push({ heading: 'Conclusion', blocks: [{ type: 'paragraph', text: 'Book a session today.' }] })
  return { title, sections }
}

export const entry = (name: string): Entry => ({ name, description: `What ${name.toLowerCase()} does.` })

/** Creates an article through the API and returns it; the test fails unless it is a 201. */
export async function createArticle(t: Test, editor: Editor, body: Record<string, unknown>) {
  const res = await editor.send('POST', '/v1/articles', body)
  t.equal(res.statusCode, 201, `created ${String(body.title)}: ${res.statusCode === 201 ? '' : res.body.slice(0, 300)}`)
  return res.json() as Article
}

/** Changes an article through the API and returns it; the test fails unless it is a 200. */
export async function patchArticle(t: Test, editor: Editor, slug: string, changes: Record<string, unknown>, headers: Headers = {}) {
  const res = await editor.send('PATCH', `/v1/articles/${slug}`, changes, headers)
  t.equal(res.statusCode, 200, `PATCH ${slug} ${JSON.stringify(changes).slice(0, 80)}: ${res.statusCode === 200 ? '' : res.body.slice(0, 300)}`)
  return res.json() as Article
}

export interface Article {
  id: number
  slug: string
  title: string
  summary: string
  status: 'draft' | 'scheduled' | 'published'
  publishedAt: string | null
  updatedAt: string
  wordCount: number
  readingTimeMinutes: number
  commentCount: number
  sections: { heading?: string; slug: string; blocks: ({ type: 'paragraph'; text: string } | { type: 'list'; kind: string; items: { position: number; name?: string; slug?: string; description: string }[] })[] }[]
}

/** The named items of an article's lists of one kind, as `[position, name, slug]`. */
export function listed(article: Article, kind: string) {
  return article.sections
    .flatMap((section) => section.blocks)
    .flatMap((block) => (block.type === 'list' && block.kind === kind ? block.items.map((item) => [item.position, item.name, item.slug]) : []))
}

/** Slugs of a catalog (`/v1/techniques` or `/v1/benefits`), all pages. */
export async function catalogSlugs(app: App, kind: 'techniques' | 'benefits') {
  return (await allPages<{ slug: string }>(app, `/v1/${kind}?limit=100`)).flat().map((e) => e.slug)
}

/** Slugs of the public article list, all pages. */
export async function publicSlugs(app: App) {
  return (await allPages<{ slug: string }>(app, '/v1/articles?limit=100')).flat().map((a) => a.slug)
}

export async function rowCount(store: Queries, table: string, where = '1 = 1', ...params: unknown[]): Promise<number> {
  return (await store.get<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, params))!.n
}

/** Every row of the article tables, to show that a refused request wrote nothing. */
export async function snapshot(store: Queries) {
  return {
    articles: await store.all('SELECT * FROM articles ORDER BY id'),
    entries: await store.all('SELECT * FROM article_entries ORDER BY article_id, kind, position'),
    revisions: await store.all('SELECT * FROM article_revisions ORDER BY id'),
    comments: await store.all('SELECT * FROM comments ORDER BY id'),
  }
}

/** An article fixture's text. */
export const FIXTURE = (name: string) => readFileSync(new URL(`../fixtures/articles/${name}.txt`, import.meta.url), 'utf8')
export const TEXT = { 'content-type': 'text/plain; charset=utf-8' }
/** A new article with two techniques and a benefit. */
export const HOT_STONE = articleBody('Hot Stone', { techniques: [entry('Stone Placement'), entry('Gliding Strokes')], benefits: [entry('Better Sleep')] })

/** The article as an editor reads it, whatever its status. */
export async function getWithKey(editor: Editor, slug: string) {
  return editor.send('GET', `/v1/articles/${slug}`)
}

/** Asserts a strong ETag on `res` and returns it. */
export function assertEtagOf(t: Test, res: LightMyRequestResponse, message: string) {
  t.match(res.headers.etag, /^"[\w-]{27}"$/, `${message}: a strong ETag`)
  return String(res.headers.etag)
}
