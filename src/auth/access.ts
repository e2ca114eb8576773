import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { HttpProblem, type ProblemType } from '../http/problem.js'
import type { ApiKeyRepository, Scope } from './keys.js'

/** The OpenAPI security requirement of the authenticated routes. */
export const bearerSecurity = [{ bearerAuth: [] }]

export const bearerSecurityScheme = {
  bearerAuth: {
    type: 'http' as const,
    scheme: 'bearer',
    description: 'An API key made with `npm run keys -- create`, or the server\'s `ADMIN_TOKEN` (every scope). A missing or unknown key is a 401; a key without the scope a route needs is a 403.',
  },
}

/** The problems every authenticated route can answer with. */
export const authProblemTypes: ProblemType[] = ['unauthorized', 'forbidden']

/** Who is calling: the admin token or one API key. */
export interface Caller {
  name: string
  scopes: readonly Scope[]
}

const ADMIN: Caller = { name: 'ADMIN_TOKEN', scopes: ['admin'] }
const CHALLENGE = { 'www-authenticate': 'Bearer realm="content-api"' }
const digest = (text: string) => createHash('sha256').update(text).digest()

export const hasScope = (caller: Caller | undefined, scope: Scope) => Boolean(caller && (caller.scopes.includes(scope) || caller.scopes.includes('admin')))

/** Checks `Authorization: Bearer` against the admin token and the stored API keys. */
export class Access {
  private readonly adminDigest

  constructor(
    private readonly keys: ApiKeyRepository,
    adminToken: string | undefined,
  ) {
    this.adminDigest = adminToken ? digest(adminToken) : undefined
  }

  /**
   * The caller, or undefined when the request has no Authorization header. A header that names no
   * valid caller is a 401 even on public routes: a client with a broken key should hear about it.
   */
  async identify(request: FastifyRequest): Promise<Caller | undefined> {
    const header = request.headers.authorization
    if (header === undefined) return undefined
    const token = /^Bearer +([\x21-\x7e]+) *$/i.exec(header)?.[1]
    if (token === undefined) throw unauthorized('The Authorization header must be `Bearer <key>`.')
    // Hashed first so that the comparison takes the same time whatever the token's length or content.
    if (this.adminDigest && timingSafeEqual(digest(token), this.adminDigest)) return ADMIN
    const key = await this.keys.findActive(token)
    if (!key) throw unauthorized('The key is unknown or revoked.')
    return { name: key.name, scopes: key.scopes }
  }

  /** A hook that lets through only callers with the scope: 401 without a valid key, 403 with one that lacks it. */
  require(scope: Scope): onRequestAsyncHookHandler {
    return async (request) => {
      const caller = await this.identify(request)
      if (!caller) throw unauthorized('This route needs `Authorization: Bearer <key>`.')
      if (!hasScope(caller, scope)) throw new HttpProblem('forbidden', `The key "${caller.name}" does not have the scope \`${scope}\` that this route needs.`)
    }
  }
}

const unauthorized = (detail: string) => new HttpProblem('unauthorized', detail, undefined, CHALLENGE)
