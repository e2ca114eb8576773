import { isUtf8 } from 'node:buffer'
import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify'
import { HttpProblem } from './problem.js'

// With the `u` flag a well-formed pair is one code point, so only a lone half is a surrogate here.
const LONE_SURROGATE = /\p{Cs}/u
/** No body the API reads nests deeper than 8 levels or holds more than a few thousand values. */
export const MAX_JSON_DEPTH = 32
export const MAX_JSON_VALUES = 10_000
const [QUOTE, BACKSLASH, COMMA, OPEN_ARRAY, CLOSE_ARRAY, OPEN_OBJECT, CLOSE_OBJECT] = [...'"\\,[]{}'].map((c) => c.charCodeAt(0)) as number[]

/**
 * JSON bodies are read as bytes and refused unless they are text: invalid UTF-8 would otherwise be
 * decoded into U+FFFD and stored as if the client had sent it, and an escaped lone surrogate
 * (`"\ud800"`) is valid JSON but no Unicode text; SQLite would store it as invalid UTF-8.
 * `__proto__` and `constructor.prototype` keys stay refused, as by Fastify's own parser.
 */
export function useStrictJsonBodies(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (route.schema?.body) route.preValidation = [refuseUnreadMediaTypes, ...[route.preValidation ?? []].flat()]
  })
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer
    if (!isUtf8(bytes)) return done(new HttpProblem('bad-request', 'The body is not valid UTF-8.'), undefined)
    const tooComplex = shapeProblem(bytes)
    if (tooComplex) return done(new HttpProblem('bad-request', `The body ${tooComplex}; no operation reads such a body.`), undefined)
    parseJson(request, bytes.toString('utf8'), (error, value) => {
      if (error) return done(error, undefined)
      if (hasLoneSurrogate(value)) return done(new HttpProblem('bad-request', 'The body has a lone UTF-16 surrogate (e.g. "\\ud800"): it is not Unicode text.'), undefined)
      done(null, value)
    })
  })
}

/** The media types a route reads: its `consumes`, JSON by default. */
const mediaTypesOf = (request: FastifyRequest) => (request.routeOptions.schema as { consumes?: string[] } | undefined)?.consumes ?? ['application/json']

// Fastify parses `text/plain` for every route, so a JSON route would take text and answer a schema error.
const refuseUnreadMediaTypes: preValidationHookHandler = (request, _reply, done) => {
  const sent = request.headers['content-type']?.split(';')[0]!.trim().toLowerCase()
  done(sent === undefined || mediaTypesOf(request).includes(sent) ? undefined : unsupportedMediaType(request))
}

/** The 415 of a request whose body has a media type the route does not read, naming the ones it does. */
export function unsupportedMediaType(request: FastifyRequest): HttpProblem {
  const sent = request.headers['content-type']?.split(';')[0]!.trim().slice(0, 100) || 'no content type'
  return new HttpProblem('unsupported-media-type', `This route does not read ${sent}; send the body as ${mediaTypesOf(request).join(' or ')}.`)
}

/**
 * Parsing 1 MiB nested 500,000 deep held the only thread for a second, and 500,000 items cost
 * parsing, walking and validating them all: a scan of the bytes (strings skipped) refuses such a
 * body before it is parsed.
 */
function shapeProblem(bytes: Buffer): string | undefined {
  let depth = 0
  let values = 1
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]
    if (inString) {
      if (byte === BACKSLASH) i++
      else if (byte === QUOTE) inString = false
    } else if (byte === QUOTE) inString = true
    else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > MAX_JSON_DEPTH) return `is nested deeper than ${MAX_JSON_DEPTH} levels`
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth--
    else if (byte === COMMA && ++values > MAX_JSON_VALUES) return `holds more than ${MAX_JSON_VALUES} values`
  }
  return undefined
}

/** Walks every key and string of a parsed JSON value; iterative, so deep nesting cannot overflow the stack. */
function hasLoneSurrogate(value: unknown): boolean {
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const next = pending.pop()
    if (typeof next === 'string') {
      if (LONE_SURROGATE.test(next)) return true
    } else if (Array.isArray(next)) {
      for (const item of next) pending.push(item)
    } else if (typeof next === 'object' && next !== null) {
      for (const [key, item] of Object.entries(next)) {
        if (LONE_SURROGATE.test(key)) return true
        pending.push(item)
      }
    }
  }
  return false
}
