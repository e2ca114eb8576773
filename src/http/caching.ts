import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import Type from 'typebox'
import { isFresh, strongTag } from './conditional.js'
import { responseHeaders } from './responses.js'
import { SECURITY_HEADERS } from './security-headers.js'

export interface CachingOptions {
  maxAge: number
  staleWhileRevalidate: number
}

declare module 'fastify' {
  interface FastifyReply {
    /** Set when the answer was sent prepared (src/http/prepared.ts): it carries every header already. */
    preparedAnswer: boolean
  }
}

export const NO_STORE = 'private, no-store'

/** Links every answer carries to the machine- and human-readable descriptions of the API (RFC 8631). */
export const SERVICE_LINKS = '</openapi.json>; rel="service-desc"; type="application/openapi+json", </docs>; rel="service-doc"; type="text/html"'

/**
 * HTTP caching for every route. Public GET routes answer with `reply.sendPrepared` (src/http/prepared.ts).
 * Any other route's answer is handled here: a successful GET gets a strong ETag (the handler's, or a digest of the
 * bytes it sends, so a collection's tag changes exactly when its page does), `Cache-Control` and
 * `Vary`, and a matching `If-None-Match` (or, without one, an `If-Modified-Since` no older than
 * `Last-Modified`) turns it into a 304 that repeats those headers. Errors, answers to requests with
 * credentials and answers a route marked private are never stored. Registered before compression, so tags and 304s are decided on the
 * identity bytes and one tag stands for every content coding of them.
 */
export function useHttpCaching(app: FastifyInstance, options: CachingOptions): void {
  app.addHook('onRoute', documentCaching)
  const publicCacheControl = publicCaching(options)
  app.decorateReply('preparedAnswer', false)
  // Not async: a prepared answer passes through at the cost of a call.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.preparedAnswer) return done(null, payload)
    reply.headers(SECURITY_HEADERS)
    done(null, cacheAnswer(request, reply, payload))
  })

  function cacheAnswer(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
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
    const lastModified = reply.getHeader('last-modified')
    if (!isFresh(request.headers, etag, lastModified === undefined ? undefined : Date.parse(String(lastModified)))) return payload
    reply.code(304).removeHeader('content-type').removeHeader('content-length')
    return ''
  }
}

/** `Cache-Control` of a public answer. */
export const publicCaching = ({ maxAge, staleWhileRevalidate }: CachingOptions) => `public, max-age=${maxAge}, stale-while-revalidate=${staleWhileRevalidate}`

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

function varyOn(reply: FastifyReply, header: string): void {
  const vary = reply.getHeader('vary')
  const values = vary === undefined ? [] : String(vary).split(',').map((value) => value.trim())
  if (!values.some((value) => value.toLowerCase() === header)) reply.header('vary', [...values, header].join(', '))
}

/** An HTTP-date (RFC 9110 5.6.7) for `Last-Modified`; second precision, as the header has. */
export const httpDate = (isoTime: string) => new Date(isoTime).toUTCString()
