import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { SqliteDatabase } from '../db/database.js'
import { Page } from '../http/pagination.js'
import { PREPARED_ROUTE } from '../http/prepared.js'
import { notFound } from '../http/problem.js'
import { commonProblems, problemResponses } from '../http/responses.js'
import { ref, SlugParams } from '../http/schema.js'
import { PUBLIC, toArticleSummary } from './repository.js'
import type { ArticleSummary } from './schemas.js'
import { ArticleListItem } from './views.js'

export const MAX_RELATED = 20
export const DEFAULT_RELATED = 4

type SummaryRow = Parameters<typeof toArticleSummary>[0]
const COLUMNS = 'articles.id, slug, title, summary, status, published_at, updated_at, word_count, reading_time_minutes, comment_count'

/**
 * "Recommended posts": the public articles sharing the most techniques and benefits with an article,
 * then the most recent. Two bounded queries: the ones that share something (found through the catalog
 * index), then, to fill the page, the newest public articles (through the publication index).
 */
export class RelatedArticles {
  private readonly publicId
  private readonly sharing
  private readonly newest

  constructor(
    db: SqliteDatabase,
    private readonly clock: () => Date,
  ) {
    this.publicId = db.prepare<{ now: string; slug: string }, { id: number }>(`SELECT id FROM articles WHERE ${PUBLIC} AND slug = @slug`)
    this.sharing = db.prepare<{ now: string; id: number; limit: number }, SummaryRow>(
      `SELECT ${COLUMNS} FROM (
         SELECT other.article_id AS id, count(DISTINCT other.kind || '/' || other.slug) AS shared
         FROM article_entries AS mine JOIN article_entries AS other ON other.kind = mine.kind AND other.slug = mine.slug
         WHERE mine.article_id = @id AND other.article_id <> @id
         GROUP BY other.article_id
       ) AS ranked JOIN articles ON articles.id = ranked.id
       WHERE ${PUBLIC}
       ORDER BY ranked.shared DESC, published_at DESC, articles.id DESC LIMIT @limit`,
    )
    this.newest = db.prepare<{ now: string; id: number; limit: number }, SummaryRow>(
      `SELECT ${COLUMNS} FROM articles WHERE ${PUBLIC} AND id <> @id ORDER BY published_at DESC, id DESC LIMIT @limit`,
    )
  }

  /** Undefined when no public article has the slug. */
  of(slug: string, limit: number): ArticleSummary[] | undefined {
    const now = this.clock().toISOString()
    const id = this.publicId.get({ now, slug })?.id
    if (id === undefined) return undefined
    const related = this.sharing.all({ now, id, limit })
    if (related.length < limit) {
      const taken = new Set(related.map((row) => row.id))
      // The newest may include every article already taken, so as many more are read.
      for (const row of this.newest.all({ now, id, limit: limit + taken.size })) {
        if (related.length === limit) break
        if (!taken.has(row.id)) related.push(row)
      }
    }
    return related.map((row) => toArticleSummary(row, now))
  }
}

const RelatedQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_RELATED, default: DEFAULT_RELATED, description: 'How many articles.' })) },
  { additionalProperties: false },
)

export const relatedRoutes: FastifyPluginAsyncTypebox<{ related: RelatedArticles }> = async (app, { related }) => {
  app.get(
    '/articles/:slug/related',
    {
      ...PREPARED_ROUTE,
      schema: {
        operationId: 'listRelatedArticles',
        summary: 'List related articles',
        description:
          'Public articles to recommend under a published one ("Recommended posts"): those sharing the most techniques and benefits with it first, then the most recent; ties go by id, so the order is stable. Never the article itself. One page only: `meta.nextCursor` is always `null`.',
        tags: ['Articles'],
        params: SlugParams,
        querystring: RelatedQuery,
        response: { 200: Page(ref(ArticleListItem), 'The related articles, best first.'), ...problemResponses('not-found', ...commonProblems) },
      },
    },
    async (request, reply) =>
      reply.sendPrepared(() => {
        const { slug } = request.params
        const limit = request.query.limit ?? DEFAULT_RELATED
        const data = related.of(slug, limit)
        if (!data) throw notFound(`No published article has the slug "${slug}".`)
        return { data, meta: { limit, nextCursor: null } }
      }),
  )
}
