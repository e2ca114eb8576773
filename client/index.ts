/**
 * A typed client for the Spa Content API: openapi-fetch on the types that openapi-typescript
 * generates from openapi.yaml (`npm run client:generate` writes ./schema.d.ts; never edit it).
 *
 * `client.GET('/v1/articles/{slug}', { params: { path: { slug } } })` is typed from the document:
 * paths, parameters, bodies and answers. The helpers below add what every caller writes anyway:
 * a problem answer thrown as a `ProblemError`, and lists read to the end by following `meta.nextCursor`.
 */
import createFetchClient, { type Client, type ClientOptions } from 'openapi-fetch'
import type { components, operations, paths } from './schema.js'

export type { components, operations, paths }
export type Schemas = components['schemas']
/** An article as `GET /v1/articles/{slug}` sends it without `fields`: every property there, plus a rendered body with `format`. */
export type Article = Schemas['ArticleView']
/** A list item as sent without `fields`: the summary, plus what `include` adds. */
export type ArticleSummary = Schemas['ArticleListItem']
export type ArticleEntry = Schemas['ArticleEntry']
export type CatalogEntry = Schemas['CatalogEntry']
export type Comment = Schemas['Comment']
export type NewComment = Schemas['NewComment']
export type Problem = Schemas['Problem']
/** The media types this client reads: JSON answers and problems. */
type JsonMedia = 'application/json' | 'application/problem+json'
/**
 * Reads `application/json` answers: with `fields`, an article comes as `application/vnd.spa.sparse+json`
 * (every property optional); asking openapi-fetch for JSON keeps the default answers' types exact.
 */
export type SpaClient = Client<paths, JsonMedia>

export interface SpaClientOptions extends Omit<ClientOptions, 'baseUrl' | 'headers'> {
  /** Where the API is, e.g. `https://api.spa.example` (no `/v1`: the paths carry it). */
  baseUrl: string
  /** A bearer token: the admin token or an API key, for the editorial and moderation routes. */
  token?: string
  headers?: Record<string, string>
}

/** A client for the API at `baseUrl`. */
export function createSpaClient({ baseUrl, token, headers, ...options }: SpaClientOptions): SpaClient {
  return createFetchClient<paths, JsonMedia>({ ...options, baseUrl, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } })
}

/** An RFC 9457 problem the API answered with; `problem.type` links to a page that explains it. */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly response: Response,
  ) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`)
    this.name = 'ProblemError'
  }
}

/** What an openapi-fetch call resolves to: the data of a success, or the problem of a failure. */
type Answer<T> = { data: T; error?: never; response: Response } | { data?: never; error: Problem; response: Response }

/** The data of a successful answer; a problem answer is thrown as a `ProblemError`. */
export async function unwrap<T>(request: Promise<Answer<T>>): Promise<T> {
  const answer = await request
  if (answer.error !== undefined) throw new ProblemError(answer.error, answer.response)
  return answer.data
}

interface Page<T> {
  data: T[]
  meta: { nextCursor: string | null }
}

/** Every item of a paged list: `fetchPage` is called with each `meta.nextCursor` until the last page. */
export async function readAll<T>(fetchPage: (cursor: string | undefined) => Promise<Answer<Page<T>>>): Promise<T[]> {
  const items: T[] = []
  let cursor: string | undefined
  do {
    const page = await unwrap(fetchPage(cursor))
    items.push(...page.data)
    cursor = page.meta.nextCursor ?? undefined
  } while (cursor !== undefined)
  return items
}

/** One published article with its sections. */
export function getArticle(client: SpaClient, slug: string): Promise<Article> {
  return unwrap(client.GET('/v1/articles/{slug}', { params: { path: { slug } } }))
}

/** Every published article, newest first (summaries, without bodies). */
export function listArticles(client: SpaClient): Promise<ArticleSummary[]> {
  return readAll((cursor) => client.GET('/v1/articles', { params: { query: { limit: 100, cursor } } }))
}

/** The techniques an article names, in its order. */
export function listArticleTechniques(client: SpaClient, slug: string): Promise<ArticleEntry[]> {
  return readAll((cursor) => client.GET('/v1/articles/{slug}/techniques', { params: { path: { slug }, query: { limit: 100, cursor } } }))
}

/** The benefits an article names, in its order. */
export function listArticleBenefits(client: SpaClient, slug: string): Promise<ArticleEntry[]> {
  return readAll((cursor) => client.GET('/v1/articles/{slug}/benefits', { params: { path: { slug }, query: { limit: 100, cursor } } }))
}

/** An article's approved comments, oldest first. */
export function listComments(client: SpaClient, slug: string): Promise<Comment[]> {
  return readAll((cursor) => client.GET('/v1/articles/{slug}/comments', { params: { path: { slug }, query: { limit: 100, cursor } } }))
}

/** Posts a comment; `idempotencyKey` (e.g. a UUID made when the form is shown) makes a retry safe. */
export function postComment(client: SpaClient, slug: string, comment: NewComment, idempotencyKey?: string) {
  return unwrap(
    client.POST('/v1/articles/{slug}/comments', {
      params: { path: { slug }, header: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} },
      body: comment,
    }),
  )
}
