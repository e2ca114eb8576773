import { isUtf8 } from 'node:buffer'
import type { FastifyInstance } from 'fastify'
import { HttpProblem } from './problem.js'

// With the `u` flag a well-formed pair is one code point, so only a lone half is a surrogate here.
const LONE_SURROGATE = /\p{Cs}/u

/**
 * JSON bodies are read as bytes and refused unless they are text: invalid UTF-8 would otherwise be
 * decoded into U+FFFD and stored as if the client had sent it, and an escaped lone surrogate
 * (`"\ud800"`) is valid JSON but no Unicode text; SQLite would store it as invalid UTF-8.
 * `__proto__` and `constructor.prototype` keys stay refused, as by Fastify's own parser.
 */
export function useStrictJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer
    if (!isUtf8(bytes)) return done(new HttpProblem('bad-request', 'The body is not valid UTF-8.'), undefined)
    parseJson(request, bytes.toString('utf8'), (error, value) => {
      if (error) return done(error, undefined)
      if (hasLoneSurrogate(value)) return done(new HttpProblem('bad-request', 'The body has a lone UTF-16 surrogate (e.g. "\\ud800"): it is not Unicode text.'), undefined)
      done(null, value)
    })
  })
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
