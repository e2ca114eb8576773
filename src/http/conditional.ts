import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { HttpProblem } from './problem.js'

/** A strong entity tag: a digest of the bytes, so it changes exactly when they do, whichever process computes it. */
export function strongTag(bytes: string | Buffer): string {
  return `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`
}

/** The strong entity tag of a representation given as the value that is serialized. */
export const entityTag = (representation: unknown) => strongTag(JSON.stringify(representation))

/** A content coding a representation is sent in besides identity. */
export type ContentCoding = 'br' | 'gzip'

/**
 * The strong tag of the `coding` of the representation tagged `tag`: each coding's bytes differ, so
 * each has a tag of its own (RFC 9110 8.8.3), derived from the identity tag so that a write's
 * `If-Match` can recognise it.
 */
export const codingTag = (tag: string, coding: ContentCoding) => `${tag.slice(0, -1)}-${coding}"`

const CODED_TAG = /-(?:br|gzip)"$/
const identityTagOf = (tag: string) => tag.replace(CODED_TAG, '"')

/**
 * RFC 9110 13.2.2: If-None-Match decides when present (weak comparison: `W/` is ignored); otherwise an
 * If-Modified-Since no earlier than `lastModified` (milliseconds; undefined when the answer has no date).
 */
export function isFresh(headers: FastifyRequest['headers'], etag: string, lastModified: number | undefined): boolean {
  const noneMatch = headers['if-none-match']
  if (noneMatch !== undefined) {
    if (noneMatch.trim() === '*') return true
    return noneMatch.split(',').some((listed) => listed.trim().replace(/^W\//, '') === etag)
  }
  const since = headers['if-modified-since']
  if (since === undefined || lastModified === undefined) return false
  const modifiedSince = Date.parse(since)
  return !Number.isNaN(modifiedSince) && lastModified <= modifiedSince
}

/**
 * Enforces `If-Match` (RFC 9110 13.1.1) against the current tag: `*` or a listed strong tag lets the
 * write through; anything else is a 412. Without the header the write goes ahead.
 */
export function requireMatch(request: FastifyRequest, currentTag: string): void {
  const header = request.headers['if-match']
  if (header === undefined || header.trim() === '*') return
  // A tag of a coded copy (`"…-br"`) names the same version as the identity tag it was derived from.
  const tags = header.split(',').map((tag) => tag.trim())
  if (!tags.some((tag) => tag === currentTag || identityTagOf(tag) === currentTag)) {
    throw new HttpProblem('precondition-failed', `If-Match does not match the current version, whose ETag is ${currentTag}.`, undefined, { etag: currentTag })
  }
}
