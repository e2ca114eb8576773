import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { bearerSecurity, hasScope, type Access } from '../auth/access.js'
import Type from 'typebox'
import type { CursorCodec } from '../http/cursor.js'
import { ListQuery, Page, respondWithPage, type Listing } from '../http/pagination.js'
import { notFound } from '../http/problem.js'
import { commonProblems, problemResponses, responseHeaders } from '../http/responses.js'
import { ref, SlugParams, Timestamp } from '../http/schema.js'
import { sendArticle } from './editorial.js'
import type { ArticleRepository, EntryKind } from './repository.js'
import { Article, ArticleEntry, ArticleSummary } from './schemas.js'

export interface ArticleRoutesOptions {
  articles: ArticleRepository
  access: Access
  cursors: CursorCodec
}

const PublishedPosition = Type.Object({ publishedAt: Timestamp, id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })
const publishedListing: Listing<typeof PublishedPosition> = { scope: 'articles', position: PublishedPosition }
const EntryPosition = Type.Integer({ minimum: 1 })
const entryListing = (kind: EntryKind, slug: string): Listing<typeof EntryPosition> => ({ scope: `articles/${slug}/${kind}`, position: EntryPosition })

/** The id of the published article with this slug; anything else is a 404 problem. */
export function publishedArticleId(articles: ArticleRepository, slug: string): number {
  const id = articles.findPublishedId(slug)
  if (id === undefined) throw articleNotFound(slug)
  return id
}

const articleNotFound = (slug: string) => notFound(`No published article has the slug "${slug}".`)

export const articleRoutes: FastifyPluginAsyncTypebox<ArticleRoutesOptions> = async (app, { articles, access, cursors }) => {
  app.get(
    '/articles',
    {
      schema: {
        operationId: 'listArticles',
        summary: 'List published articles',
        description: 'Published articles, newest first, without their bodies. Follow `meta.nextCursor` (or the `Link: rel="next"` header) for the next page.',
        tags: ['Articles'],
        querystring: ListQuery,
        response: { 200: Page(ref(ArticleSummary), 'A page of published articles.'), ...problemResponses(...commonProblems) },
      },
    },
    async (request, reply) => {
      return respondWithPage(request, reply, cursors, publishedListing, {
        fetch: (after, limit) => articles.listPublished(after, limit),
        positionOf: (article) => ({ publishedAt: article.publishedAt!, id: article.id }),
      })
    },
  )

  app.get(
    '/articles/:slug',
    {
      schema: {
        operationId: 'getArticle',
        summary: 'Get an article',
        description:
          'The whole article: its sections in order, each with paragraphs and lists as typed blocks. The public sees published articles only; a key with `content:write` sees drafts and scheduled articles too (and such answers are never cached).',
        tags: ['Articles'],
        security: [{}, ...bearerSecurity],
        params: SlugParams,
        response: {
          200: { ...ref(Article, { description: 'The article.' }), headers: { ETag: responseHeaders.etag } },
          ...problemResponses('not-found', 'unauthorized', ...commonProblems),
        },
      },
    },
    async (request, reply) => {
      const caller = access.identify(request)
      if (caller) reply.header('cache-control', 'private, no-store')
      const { slug } = request.params
      const article = hasScope(caller, 'content:write') ? articles.find(slug) : articles.findPublished(slug)
      if (!article) throw articleNotFound(slug)
      return sendArticle(reply, article)
    },
  )

  for (const kind of ['techniques', 'benefits'] as const) {
    app.get(
      `/articles/:slug/${kind}`,
      {
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
      async (request, reply) => {
        const { slug } = request.params
        const articleId = publishedArticleId(articles, slug)
        return respondWithPage(request, reply, cursors, entryListing(kind, slug), {
          fetch: (after, limit) => articles.entries(articleId, kind, after ?? 0, limit),
          positionOf: (entry) => entry.position,
        })
      },
    )
  }
}
