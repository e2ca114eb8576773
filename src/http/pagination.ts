import type { FastifyReply, FastifyRequest } from 'fastify'
import Type, { type Static, type TSchema } from 'typebox'
import type { CursorCodec } from './cursor.js'
import { invalidParameter } from './problem.js'
import { Nullable, ref } from './schema.js'

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100

/** Query parameters shared by every paginated list. */
export const pageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Items per page.' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'The `meta.nextCursor` of the previous page, as it was given.' })),
}

export const PageMeta = Type.Object(
  {
    limit: Type.Integer({ examples: [20] }),
    nextCursor: Nullable(Type.String({ description: 'Opaque; pass it as `cursor` for the next page. `null` on the last page.' })),
  },
  { $id: 'PageMeta', additionalProperties: false },
)

export function Page<T extends TSchema>(item: T, description: string) {
  return Type.Object({ data: Type.Array(item), meta: ref(PageMeta) }, { additionalProperties: false, description })
}

export interface Listing<Position extends TSchema> {
  /** Names the listing in the cursor's signature: a cursor works only where it was issued. */
  scope: string
  position: Position
}

export interface PageRequest<Position> {
  limit: number
  after: Position | undefined
}

export function readPageRequest<P extends TSchema>(codec: CursorCodec, listing: Listing<P>, query: { limit?: number; cursor?: string }): PageRequest<Static<P>> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE
  if (query.cursor === undefined) return { limit, after: undefined }
  const after = codec.decode(listing.scope, query.cursor, listing.position)
  if (after === undefined) throw invalidParameter('query', 'cursor', 'is not a cursor that this list issued')
  return { limit, after }
}

/**
 * Sends one page of rows fetched with `limit + 1`: the extra row only proves that a next page exists.
 * Sets the RFC 8288 `Link: rel="next"` header with the request's own query and the next cursor.
 */
export function sendPage<Row, Item, P extends TSchema>(
  request: FastifyRequest,
  reply: FastifyReply,
  codec: CursorCodec,
  listing: Listing<P>,
  page: { rows: Row[]; limit: number; positionOf: (row: Row) => Static<P>; toItem: (row: Row) => Item },
) {
  const { rows, limit, positionOf, toItem } = page
  const hasMore = rows.length > limit
  const pageRows = hasMore ? rows.slice(0, limit) : rows
  const nextCursor = hasMore ? codec.encode(listing.scope, positionOf(pageRows.at(-1)!)) : null
  if (nextCursor) reply.header('link', `<${nextPageUrl(request.url, nextCursor)}>; rel="next"`)
  return { data: pageRows.map(toItem), meta: { limit, nextCursor } }
}

function nextPageUrl(requestUrl: string, cursor: string): string {
  const url = new URL(requestUrl, 'http://placeholder')
  url.searchParams.set('cursor', cursor)
  return `${url.pathname}${url.search}`
}
