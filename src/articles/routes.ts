import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { CursorCodec } from '../http/cursor.js'
import { ListQuery, Page, respondWithPage, type Listing } from '../http/pagination.js'
import { notFound } from '../http/problem.js'
import { commonProblems, problemResponses } from '../http/responses.js'
import { ref, SlugParams, Timestamp } from '../http/schema.js'
import { toArticleSummary, type ArticleRepository, type EntryKind } from './repository.js'
import { Article, ArticleEntry, ArticleSummary } from './schemas.js'

export interface ArticleRoutesOptions {
  articles: ArticleRepository
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

export const articleRoutes: FastifyPluginAsyncTypebox<ArticleRoutesOptions> = async (app, { articles, cursors }) => {
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
        positionOf: (row) => ({ publishedAt: row.published_at!, id: row.id }),
        toItem: toArticleSummary,
      })
    },
  )

  app.get(
    '/articles/:slug',
    {
      schema: {
        operationId: 'getArticle',
        summary: 'Get a published article',
        description: 'The whole article: its sections in order, each with paragraphs and lists as typed blocks.',
        tags: ['Articles'],
        params: SlugParams,
        response: { 200: ref(Article, { description: 'The article.' }), ...problemResponses('not-found', ...commonProblems) },
      },
    },
    async (request) => {
      const article = articles.findPublished(request.params.slug)
      if (!article) throw articleNotFound(request.params.slug)
      return article
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
