import { Problem, problemTypes, type ProblemType } from './problem.js'
import { ref } from './schema.js'

const ProblemRef = ref(Problem)

interface HeaderSchema {
  type: 'string' | 'integer'
  description: string
}

/** Response headers as the OpenAPI document lists them (`headers` beside a response schema). */
export const responseHeaders = {
  link: {
    type: 'string',
    description: 'RFC 8288 links: `rel="service-desc"` (the OpenAPI document) and `rel="service-doc"` (the docs) on every answer, and `rel="next"` to the next page of a list that has one.',
  },
  cacheControl: { type: 'string', description: '`public, max-age=…, stale-while-revalidate=…` on public reads; `private, no-store` on errors and on answers to requests with credentials.' },
  vary: { type: 'string', description: 'The request headers the answer depends on, e.g. `accept-encoding`.' },
  requestId: { type: 'string', description: 'The request\'s id: the client\'s own `x-request-id` when it sent a sane one; also in the logs and in problems.' },
  location: { type: 'string', description: 'The URL of the created resource.' },
  lastModified: { type: 'string', description: 'When the article as served last changed (an HTTP-date): its content, its publication or its comment count. `If-Modified-Since` compares with it.' },
  etag: { type: 'string', description: 'The strong entity tag of this representation; send it as `If-Match` to write only over this version.' },
  wwwAuthenticate: { type: 'string', description: 'The authentication scheme to use: `Bearer`.' },
  retryAfter: { type: 'integer', description: 'Seconds to wait before trying again.' },
  rateLimitLimit: { type: 'integer', description: 'Requests allowed in the window (IETF RateLimit headers draft).' },
  rateLimitRemaining: { type: 'integer', description: 'Requests left in the window.' },
  rateLimitReset: { type: 'integer', description: 'Seconds until the window resets.' },
} satisfies Record<string, HeaderSchema>

export const rateLimitHeaders = {
  'RateLimit-Limit': responseHeaders.rateLimitLimit,
  'RateLimit-Remaining': responseHeaders.rateLimitRemaining,
  'RateLimit-Reset': responseHeaders.rateLimitReset,
}

const problemHeaders: Partial<Record<ProblemType, Record<string, HeaderSchema>>> = {
  unauthorized: { 'WWW-Authenticate': responseHeaders.wwwAuthenticate },
  'precondition-failed': { ETag: responseHeaders.etag },
  'too-many-requests': { 'Retry-After': responseHeaders.retryAfter, ...rateLimitHeaders },
  'service-unavailable': { 'Retry-After': responseHeaders.retryAfter },
}

interface ProblemResponse {
  description: string
  headers?: Record<string, HeaderSchema>
  content: { 'application/problem+json': { schema: typeof ProblemRef } }
}

/** Response schemas for the problems a route can answer with, sent as `application/problem+json`. */
export function problemResponses(...types: ProblemType[]) {
  const responses: Record<number, ProblemResponse> = {}
  for (const type of types) {
    const { status, about } = problemTypes[type]
    const previous = responses[status]
    const headers = { ...previous?.headers, ...problemHeaders[type] }
    responses[status] = {
      description: previous ? `${previous.description} Or: ${about}` : about,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      content: { 'application/problem+json': { schema: ProblemRef } },
    }
  }
  return responses
}

/** The same responses, each also documenting `headers` (e.g. a rate limit's, sent on every answer of its route). */
export function withHeaders<R extends { headers?: Record<string, HeaderSchema> }>(responses: Record<number, R>, headers: Record<string, HeaderSchema>): Record<number, R> {
  if (Object.keys(headers).length === 0) return responses
  return Object.fromEntries(Object.entries(responses).map(([status, response]) => [status, { ...response, headers: { ...response.headers, ...headers } }]))
}

/** Every route can be sent a malformed request, can fail, and can find the database unable to answer. */
export const commonProblems: ProblemType[] = ['validation-failed', 'internal-error', 'service-unavailable']

/** The `Location` of a resource created under the request's path: the path without its query or a trailing slash, plus the new segment. */
export const locationUnder = (requestUrl: string, segment: string | number) => `${requestUrl.split('?')[0]!.replace(/\/+$/, '')}/${segment}`
