import type { FastifyReply, FastifyRequest } from 'fastify'
import Type, { type Static, type TSchema, type TUnsafe } from 'typebox'
import type { CursorCodec } from './cursor.js'
import { invalidParameter } from './problem.js'
import { responseHeaders } from './responses.js'
import { Nullable, ref } from './schema.js'

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100

/** Query parameters shared by every paginated list. */
export const pageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Items per page.' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'The `meta.nextCursor` of the previous page, as it was given.' })),
}

/** The query string of a list that takes nothing but paging parameters. */
export const ListQuery = Type.Object(pageQuery, { additionalProperties: false })

export const PageMeta = Type.Object(
  {
    limit: Type.Integer({ examples: [20] }),
    nextCursor: Nullable(Type.String({ description: 'Opaque; pass it as `cursor` for the next page. `null` on the last page.' })),
  },
  { $id: 'PageMeta', additionalProperties: false },
)

/** A page of `item`s; a list whose meta says more than PageMeta passes its own `meta` schema. */
export function Page<T extends TSchema, M extends TSchema = TUnsafe<Static<typeof PageMeta>>>(item: T, description: string, meta: M = ref(PageMeta) as TSchema as M) {
  return Type.Object({ data: Type.Array(item), meta }, { additionalProperties: false, description, headers: { Link: responseHeaders.link } })
}

export interface Listing<Position extends TSchema> {
  /** Names the listing in the cursor's signature: a cursor works only where it was issued. */
  scope: string
  position: Position
}

interface PageQuery {
  limit?: number
  cursor?: string
}

export interface PageSource<Row, Item, Position> {
  /** Rows after `after` (from the start when undefined), at most `limit` of them. */
  fetch: (after: Position | undefined, limit: number) => Promise<Row[]>
  positionOf: (row: Row) => Position
  toItem?: (row: Row) => Item
}

/**
 * Answers a list request with one page: reads `limit` and `cursor` from the query (a cursor this
 * listing did not issue is a 400), fetches one row more than the page to learn whether a next page
 * exists, and sets the RFC 8288 `Link: rel="next"` header with the request's own query.
 */
export async function respondWithPage<P extends TSchema, Row, Item = Row>(
  request: Pick<FastifyRequest, 'url'> & { query: PageQuery },
  reply: FastifyReply,
  codec: CursorCodec,
  listing: Listing<P>,
  source: PageSource<Row, Item, Static<P>>,
): Promise<{ data: Item[]; meta: { limit: number; nextCursor: string | null } }> {
  const { cursor } = request.query
  const limit = request.query.limit ?? DEFAULT_PAGE_SIZE
  const after = cursor === undefined ? undefined : codec.decode(listing.scope, cursor, listing.position)
  if (cursor !== undefined && after === undefined) throw invalidParameter('query', 'cursor', 'is not a cursor that this list issued')
  const rows = await source.fetch(after, limit + 1)
  const pageRows = rows.slice(0, limit)
  const nextCursor = rows.length > limit ? codec.encode(listing.scope, source.positionOf(pageRows.at(-1)!)) : null
  if (nextCursor) reply.header('link', `<${nextPageUrl(request.url, nextCursor)}>; rel="next"`)
  const toItem = source.toItem ?? ((row: Row) => row as unknown as Item)
  return { data: pageRows.map(toItem), meta: { limit, nextCursor } }
}

function nextPageUrl(requestUrl: string, cursor: string): string {
  const url = new URL(requestUrl, 'http://placeholder')
  url.searchParams.set('cursor', cursor)
  return `${url.pathname}${url.search}`
}
