import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import Type from 'typebox'
import { strongTag } from './conditional.js'
import { responseHeaders } from './responses.js'

export interface CachingOptions {
  maxAge: number
  staleWhileRevalidate: number
}

export const NO_STORE = 'private, no-store'

/** Links every answer carries to the machine- and human-readable descriptions of the API (RFC 8631). */
export const SERVICE_LINKS = '</openapi.json>; rel="service-desc"; type="application/openapi+json", </docs>; rel="service-doc"; type="text/html"'

/**
 * HTTP caching for every route: a successful GET gets a strong ETag (the handler's, or a digest of the
 * bytes it sends, so a collection's tag changes exactly when its page does), `Cache-Control` and
 * `Vary`, and a matching `If-None-Match` (or, without one, an `If-Modified-Since` no older than
 * `Last-Modified`) turns it into a 304 that repeats those headers. Errors, answers to requests with
 * credentials and answers a route marked private are never stored. Registered before compression, so tags and 304s are decided on the
 * identity bytes and one tag stands for every content coding of them.
 */
export function useHttpCaching(app: FastifyInstance, options: CachingOptions): void {
  app.addHook('onRoute', documentCaching)
  const publicCacheControl = `public, max-age=${options.maxAge}, stale-while-revalidate=${options.staleWhileRevalidate}`
  app.addHook('onSend', async (request, reply, payload) => {
    const link = reply.getHeader('link')
    reply.header('link', link ? `${String(link)}, ${SERVICE_LINKS}` : SERVICE_LINKS)
    // What answers a request with credentials is that caller's, even when it looks public.
    if (reply.statusCode >= 400 || request.headers.authorization !== undefined) {
      reply.header('cache-control', NO_STORE)
      return payload
    }
    const cacheable = (request.method === 'GET' || request.method === 'HEAD') && reply.statusCode === 200 && !reply.hasHeader('cache-control')
    if (!cacheable || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) return payload
    const etag = String(reply.getHeader('etag') ?? strongTag(payload))
    reply.header('etag', etag).header('cache-control', publicCacheControl)
    varyOn(reply, 'accept-encoding')
    if (!isFresh(request, etag, reply.getHeader('last-modified'))) return payload
    reply.code(304).removeHeader('content-type').removeHeader('content-length')
    return ''
  })
}

const EVERY_ANSWER = { Link: responseHeaders.link, 'Cache-Control': responseHeaders.cacheControl, Vary: responseHeaders.vary, 'X-Request-Id': responseHeaders.requestId }
const NOT_MODIFIED_DESCRIPTION = 'Not Modified: the representation named by `If-None-Match` (or dated by `If-Modified-Since`) is still current. No body; the headers are those of the 200.'

type ResponseSchemas = Record<string, { headers?: Record<string, unknown> }>

/** Puts the headers the hook above sends into each route's response schemas, and so into the OpenAPI document. */
function documentCaching(route: RouteOptions): void {
  const responses = route.schema?.response as ResponseSchemas | undefined
  if (!responses) return
  for (const response of Object.values(responses)) response.headers = { ...EVERY_ANSWER, ...response.headers }
  const read = responses[200]
  const methods = [route.method].flat()
  if (!read || !methods.includes('GET')) return
  read.headers = { ETag: responseHeaders.etag, ...read.headers }
  responses[304] = Object.assign(Type.Null({ description: NOT_MODIFIED_DESCRIPTION }), { headers: read.headers })
}

/** RFC 9110 13.2.2: If-None-Match decides when present (weak comparison); If-Modified-Since only without it. */
function isFresh(request: FastifyRequest, etag: string, lastModified: unknown): boolean {
  const noneMatch = request.headers['if-none-match']
  if (noneMatch !== undefined) {
    if (noneMatch.trim() === '*') return true
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '')
    return noneMatch.split(',').some((tag) => opaque(tag) === etag)
  }
  const modifiedSince = Date.parse(request.headers['if-modified-since'] ?? '')
  return typeof lastModified === 'string' && !Number.isNaN(modifiedSince) && Date.parse(lastModified) <= modifiedSince
}

function varyOn(reply: FastifyReply, header: string): void {
  const vary = reply.getHeader('vary')
  const values = vary === undefined ? [] : String(vary).split(',').map((value) => value.trim())
  if (!values.some((value) => value.toLowerCase() === header)) reply.header('vary', [...values, header].join(', '))
}

/** An HTTP-date (RFC 9110 5.6.7) for `Last-Modified`; second precision, as the header has. */
export const httpDate = (isoTime: string) => new Date(isoTime).toUTCString()
