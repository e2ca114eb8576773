import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { EntryKind } from '../articles/repository.js'
import type { CursorCodec } from '../http/cursor.js'
import { DEFAULT_PAGE_SIZE, ListQuery, Page, respondWithPage, type Listing } from '../http/pagination.js'
import { PREPARED_ROUTE } from '../http/prepared.js'
import { notFound } from '../http/problem.js'
import { commonProblems, problemResponses } from '../http/responses.js'
import { ref, SlugParam, SlugParams } from '../http/schema.js'
import { toCatalogOccurrence, type CatalogRepository } from './repository.js'
import { CatalogEntry, CatalogEntryDetail, CatalogOccurrence, OccurrencePosition } from './schemas.js'

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
    // The entry's slug is part of the scope: a cursor of one entry's articles is refused by another's.
    const occurrenceListing = (slug: string): Listing<typeof OccurrencePosition> => ({ scope: `${kind} ${slug} articles`, position: OccurrencePosition })

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
        reply.sendPrepared(async () =>
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
          summary: `Get a ${one} with the first articles that list it`,
          description: `One ${one} across all published articles, with the wording of the ${DEFAULT_PAGE_SIZE} articles that published it first; every article, paged: \`/v1/${kind}/{slug}/articles\`.`,
          tags: [tag],
          params: SlugParams,
          response: { 200: ref(CatalogEntryDetail, { description: `The ${one} and the first articles that list it.` }), ...problemResponses('not-found', ...commonProblems) },
        },
      },
      async (request, reply) =>
        reply.sendPrepared(async () => {
          const entry = await catalog.find(kind, request.params.slug)
          if (!entry) throw notFound(`No published article lists a ${one} with the slug "${request.params.slug}".`)
          return entry
        }),
    )

    app.get(
      `/${kind}/:slug/articles`,
      {
        ...PREPARED_ROUTE,
        schema: {
          operationId: `list${operation}Articles`,
          summary: `List the articles that list a ${one}`,
          description: `Each published article that lists the ${one}, with its own wording of it, oldest publication first (paged).`,
          tags: [tag],
          params: SlugParams,
          querystring: ListQuery,
          response: { 200: Page(ref(CatalogOccurrence), `A page of the articles that list the ${one}.`), ...problemResponses('not-found', ...commonProblems) },
        },
      },
      async (request, reply) =>
        reply.sendPrepared(async () => {
          const { slug } = request.params
          if (!(await catalog.entry(kind, slug))) throw notFound(`No published article lists a ${one} with the slug "${slug}".`)
          return respondWithPage(request, reply, cursors, occurrenceListing(slug), {
            fetch: (after, limit) => catalog.occurrences(kind, slug, after, limit),
            positionOf: ({ publishedAt, articleId, position }) => ({ publishedAt, articleId, position }),
            toItem: toCatalogOccurrence,
          })
        }),
    )
  }
}
