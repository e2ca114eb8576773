import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { CursorCodec } from '../http/cursor.js'
import { respondWithPage, type Listing } from '../http/pagination.js'
import { PREPARED_ROUTE } from '../http/prepared.js'
import { invalidParameter } from '../http/problem.js'
import { commonProblems, problemResponses } from '../http/responses.js'
import { Nullable, Timestamp } from '../http/schema.js'
import type { SyncPosition, SyncRepository } from './repository.js'
import { SyncPage, SyncQuery } from './schemas.js'

export interface SyncRoutesOptions {
  sync: SyncRepository
  cursors: CursorCodec
}

const SyncPoint = Type.Object({ seq: Type.Integer({ minimum: 0 }), at: Timestamp }, { additionalProperties: false })
const Position = Type.Object({ since: Nullable(SyncPoint), until: SyncPoint, after: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })
// Tokens and page cursors are signed under different scopes: neither is accepted as the other.
export const TOKEN_SCOPE = 'sync token'
const syncListing: Listing<typeof Position> = { scope: 'sync', position: Position }

export const syncRoutes: FastifyPluginAsyncTypebox<SyncRoutesOptions> = async (app, { sync, cursors }) => {
  app.get(
    '/sync',
    {
      ...PREPARED_ROUTE,
      schema: {
        operationId: 'sync',
        summary: 'Sync an offline copy of the articles',
        description:
          'For apps that keep the public articles offline. Without `token`: every public article, whole. With the `nextSyncToken` of the last sync: only what changed since it began — articles created, changed or become public (whole, as `GET /v1/articles/{slug}` answers), and tombstones for articles deleted or no longer public. Follow `meta.nextCursor` (or `Link: rel="next"`) to the last page; only the last page has a `nextSyncToken`, which is what to keep. A change made while you page is in the next sync. Apply the changes in order, upserting by `id`; a comment approved or removed changes the article (its `commentCount`). A token or cursor this server did not issue is a 400.',
        tags: ['Sync'],
        querystring: SyncQuery,
        response: { 200: SyncPage, ...problemResponses(...commonProblems) },
      },
    },
    async (request, reply) =>
      reply.sendPrepared(async () => {
        const { token } = request.query
        const since = token === undefined ? null : cursors.decode(TOKEN_SCOPE, token, SyncPoint)
        if (since === undefined) throw invalidParameter('query', 'token', 'is not a sync token that this server issued')
        // The sync's moment is fixed on its first page and carried by the cursors after it.
        let position: SyncPosition | undefined
        const page = await respondWithPage(request, reply, cursors, syncListing, {
          fetch: async (after, limit) => sync.changes((position = after ?? { since, until: await sync.point(), after: 0 }), limit),
          positionOf: (row) => ({ ...position!, after: row.id }),
          toItem: (row) => row.change,
        })
        const nextSyncToken = page.meta.nextCursor === null ? cursors.encode(TOKEN_SCOPE, position!.until) : null
        return { data: page.data, meta: { ...page.meta, nextSyncToken } }
      }),
  )
}
