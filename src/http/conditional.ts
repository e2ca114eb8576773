import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { HttpProblem } from './problem.js'

/** A strong entity tag: a digest of the bytes, so it changes exactly when they do, whichever process computes it. */
export function strongTag(bytes: string | Buffer): string {
  return `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`
}

/** The strong entity tag of a representation given as the value that is serialized. */
export const entityTag = (representation: unknown) => strongTag(JSON.stringify(representation))

/**
 * Enforces `If-Match` (RFC 9110 13.1.1) against the current tag: `*` or a listed strong tag lets the
 * write through; anything else is a 412. Without the header the write goes ahead.
 */
export function requireMatch(request: FastifyRequest, currentTag: string): void {
  const header = request.headers['if-match']
  if (header === undefined || header.trim() === '*') return
  const tags = header.split(',').map((tag) => tag.trim())
  if (!tags.includes(currentTag)) {
    throw new HttpProblem('precondition-failed', `If-Match does not match the current version, whose ETag is ${currentTag}.`, undefined, { etag: currentTag })
  }
}
