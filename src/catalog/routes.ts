import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { EntryKind } from '../articles/repository.js'
import type { CursorCodec } from '../http/cursor.js'
import { ListQuery, Page, respondWithPage, type Listing } from '../http/pagination.js'
import { PREPARED_ROUTE } from '../http/prepared.js'
import { notFound } from '../http/problem.js'
import { commonProblems, problemResponses } from '../http/responses.js'
import { ref, SlugParam, SlugParams } from '../http/schema.js'
import type { CatalogRepository } from './repository.js'
import { CatalogEntry, CatalogEntryDetail } from './schemas.js'

export interface CatalogRoutesOptions {
  catalog: CatalogRepository
  cursors: CursorCodec
}

const labels: Record<EntryKind, { one: string; tag: string; operation: string }> = {
  techniques: { one: 'technique', tag: 'Techniques', operation: 'Technique' },
  benefits: { one: 'benefit', tag: 'Benefits', operation: 'Benefit' },
}

/** `/techniques` and `/benefits`: one catalog each, the same shape. */
export const catalogRoutes: FastifyPluginAsyncTypebox<CatalogRoutesOptions> = async (app, { catalog, cursors }) => {
  for (const kind of ['techniques', 'benefits'] as const) {
    const { one, tag, operation } = labels[kind]
    const listing: Listing<typeof SlugParam> = { scope: kind, position: SlugParam }

    app.get(
      `/${kind}`,
      {
        ...PREPARED_ROUTE,
        schema: {
          operationId: `list${operation}s`,
          summary: `List ${kind}`,
          description: `Every ${one} that a published article lists, in slug order, with how many articles list it.`,
          tags: [tag],
          querystring: ListQuery,
          response: { 200: Page(ref(CatalogEntry), `A page of ${kind}.`), ...problemResponses(...commonProblems) },
        },
      },
      async (request, reply) =>
        reply.sendPrepared(() =>
          respondWithPage(request, reply, cursors, listing, {
            fetch: (after, limit) => catalog.list(kind, after, limit),
            positionOf: (entry) => entry.slug,
          }),
        ),
    )

    app.get(
      `/${kind}/:slug`,
      {
        ...PREPARED_ROUTE,
        schema: {
          operationId: `get${operation}`,
          summary: `Get a ${one} with the articles that list it`,
          description: `One ${one} across all published articles, with each article's own wording of it.`,
          tags: [tag],
          params: SlugParams,
          response: { 200: ref(CatalogEntryDetail, { description: `The ${one} and the articles that list it.` }), ...problemResponses('not-found', ...commonProblems) },
        },
      },
      async (request, reply) =>
        reply.sendPrepared(() => {
          const entry = catalog.find(kind, request.params.slug)
          if (!entry) throw notFound(`No published article lists a ${one} with the slug "${request.params.slug}".`)
          return entry
        }),
    )
  }
}
