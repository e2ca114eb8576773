import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { httpDate } from '../http/caching.js'
import { bearerSecurity, hasScope, type Access } from '../auth/access.js'
import Type from 'typebox'
import type { CursorCodec } from '../http/cursor.js'
import { ListQuery, Page, respondWithPage, type Listing } from '../http/pagination.js'
import { PREPARED_ROUTE } from '../http/prepared.js'
import { notFound } from '../http/problem.js'
import { commonProblems, problemResponses, responseHeaders } from '../http/responses.js'
import { ref, SlugParams, Timestamp } from '../http/schema.js'
import type { ArticleRepository, EntryKind } from './repository.js'
import { ArticleEntry } from '../content/schemas.js'
import { noArticle } from './writing.js'
import { ArticleListItem, ArticleListItemFields, ArticleListQuery, ArticleQuery, ArticleView, ArticleViewFields, articleView, articleViewTag, listView, PageOf, SPARSE_JSON, withSparseFieldsets } from './views.js'

export interface ArticleRoutesOptions {
  articles: ArticleRepository
  access: Access
  cursors: CursorCodec
}

const ListPosition = Type.Object({ key: Type.String(), id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })
const EntryPosition = Type.Integer({ minimum: 1 })
const entryListing = (kind: EntryKind, slug: string): Listing<typeof EntryPosition> => ({ scope: `articles/${slug}/${kind}`, position: EntryPosition })

/** The id of the published article with this slug; anything else is a 404 problem. */
export async function publishedArticleId(articles: ArticleRepository, slug: string): Promise<number> {
  const id = await articles.findPublishedId(slug)
  if (id === undefined) throw articleNotFound(slug)
  return id
}

const articleNotFound = (slug: string) => notFound(`No published article has the slug "${slug}".`)

export const articleRoutes: FastifyPluginAsyncTypebox<ArticleRoutesOptions> = async (app, { articles, access, cursors }) => {
  app.get(
    '/articles',
    {
      ...PREPARED_ROUTE,
      schema: {
        operationId: 'listArticles',
        summary: 'List published articles',
        description:
          'Published articles, newest first unless `sort` says otherwise, without their bodies unless `include` asks for them; `technique`, `benefit`, `publishedAfter` and `publishedBefore` narrow the list. Follow `meta.nextCursor` (or the `Link: rel="next"` header) for the next page; a cursor works only with the filters and sort it was issued for.',
        tags: ['Articles'],
        querystring: ArticleListQuery,
        response: {
          200: withSparseFieldsets(PageOf(ref(ArticleListItem)), PageOf(ref(ArticleListItemFields)), 'A page of published articles.', { Link: responseHeaders.link }),
          ...problemResponses(...commonProblems),
        },
      },
    },
    async (request, reply) =>
      reply.sendPrepared(() => {
        const { filter, include, pickFields } = listView(request.query)
        if (request.query.fields !== undefined) reply.type(SPARSE_JSON)
        const listing: Listing<typeof ListPosition> = { scope: `articles?${JSON.stringify(filter)}`, position: ListPosition }
        return respondWithPage(request, reply, cursors, listing, {
          fetch: async (after, limit) => {
            const listed = await articles.listPublished(filter, after, limit, { sections: include.includes('sections') })
            const entries = include.includes('techniques') || include.includes('benefits') ? await articles.entriesOf(listed.map(({ article }) => article.id)) : undefined
            return listed.map(({ article, position, sections }) => {
              const lists = entries?.get(article.id)
              const extras = {
                ...(sections && { sections }),
                ...(lists && include.includes('techniques') && { techniques: lists.techniques }),
                ...(lists && include.includes('benefits') && { benefits: lists.benefits }),
              }
              return { position, item: pickFields({ ...article, ...extras }) }
            })
          },
          positionOf: (row) => row.position,
          toItem: (row) => row.item,
        })
      }),
  )

  app.get(
    '/articles/:slug',
    {
      ...PREPARED_ROUTE,
      schema: {
        operationId: 'getArticle',
        summary: 'Get an article',
        description:
          'The whole article: its sections in order, each with paragraphs and lists as typed blocks. The public sees published articles only; a key with `content:write` sees drafts and scheduled articles too (and such answers are never cached).',
        tags: ['Articles'],
        security: [{}, ...bearerSecurity],
        params: SlugParams,
        querystring: ArticleQuery,
        response: {
          200: withSparseFieldsets(ref(ArticleView), ref(ArticleViewFields), 'The article.', { ETag: responseHeaders.etag, 'Last-Modified': responseHeaders.lastModified }),
          ...problemResponses('not-found', 'unauthorized', ...commonProblems),
        },
      },
    },
    async (request, reply) =>
      reply.sendPrepared(async () => {
        const caller = await access.identify(request)
        const { slug } = request.params
        const editor = hasScope(caller, 'content:write')
        const article = editor ? await articles.find(slug) : await articles.findPublished(slug)
        if (!article) throw editor ? noArticle(slug) : articleNotFound(slug)
        const view = articleView(article, request.query)
        if (request.query.fields !== undefined) reply.type(SPARSE_JSON)
        reply.header('etag', articleViewTag(article, view, request.query)).header('last-modified', httpDate(await articles.lastModified(article)))
        return view
      }, ['authorization']),
  )

  for (const kind of ['techniques', 'benefits'] as const) {
    app.get(
      `/articles/:slug/${kind}`,
      {
        ...PREPARED_ROUTE,
        schema: {
          operationId: kind === 'techniques' ? 'listArticleTechniques' : 'listArticleBenefits',
          summary: `List an article's ${kind}`,
          description: `The ${kind} a published article names, in the article's order.`,
          tags: ['Articles'],
          params: SlugParams,
          querystring: ListQuery,
          response: { 200: Page(ref(ArticleEntry), `A page of the article's ${kind}.`), ...problemResponses('not-found', ...commonProblems) },
        },
      },
      async (request, reply) =>
        reply.sendPrepared(async () => {
          const { slug } = request.params
          const articleId = await publishedArticleId(articles, slug)
          return respondWithPage(request, reply, cursors, entryListing(kind, slug), {
            fetch: (after, limit) => articles.entries(articleId, kind, after ?? 0, limit),
            positionOf: (entry) => entry.position,
          })
        }),
    )
  }
}
