import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { HttpProblem } from '../http/problem.js'

/** The OpenAPI security requirement of the authenticated routes. */
export const bearerSecurity = [{ bearerAuth: [] }]

export const bearerSecurityScheme = {
  bearerAuth: { type: 'http' as const, scheme: 'bearer', description: 'The `ADMIN_TOKEN` of the server.' },
}

const digest = (text: string) => createHash('sha256').update(text).digest()

/**
 * A hook that lets through only `Authorization: Bearer <adminToken>`. Both sides are hashed
 * first so that the comparison takes the same time whatever the token's length or content.
 */
export function requireAdminToken(adminToken: string | undefined): onRequestAsyncHookHandler {
  const expected = adminToken ? digest(adminToken) : undefined
  return async (request: FastifyRequest) => {
    const given = bearerToken(request)
    if (!expected || given === undefined || !timingSafeEqual(digest(given), expected)) {
      throw new HttpProblem(
        'unauthorized',
        expected ? 'This route needs `Authorization: Bearer <token>` with a valid token.' : 'Authentication is not configured on this server: ADMIN_TOKEN is not set.',
        undefined,
        { 'www-authenticate': 'Bearer realm="content-api"' },
      )
    }
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(request.headers.authorization ?? '')
  return match?.[1]
}
