import type { FastifyRequest } from 'fastify'
import type { Dependency } from './prepared.js'
import { HttpProblem } from './problem.js'

// A DNS name or an IP literal, with an optional port: what a Host header may hold (RFC 9110 7.2).
const HOST = /^(?:[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?)*|\[[\da-f:.]+\])(?::\d{1,5})?$/i

/**
 * The base of the absolute links an answer holds: `PUBLIC_URL` when the server has one; otherwise the
 * request's scheme and host, once the host is checked to be a host name (a missing or malformed Host
 * is a 400, never `http:///`). Such answers depend on the host: see `linkDependencies`.
 */
export function baseUrl(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl !== undefined) return publicUrl
  if (!HOST.test(request.host)) throw new HttpProblem('bad-request', 'This answer holds absolute links, and the request has no well-formed Host header to make them from.')
  return `${request.protocol}://${request.host}`
}

/** What answers built with `baseUrl` depend on: nothing more with `PUBLIC_URL`, else the host (`Vary: Host`, one prepared answer per host). */
export const linkDependencies = (publicUrl: string | undefined): Dependency[] => (publicUrl === undefined ? ['host'] : [])
