import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { perDialect, type Queries } from '../db/store.js'
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

const PUBLIC_ID = perDialect((d) => `SELECT id FROM articles WHERE ${PUBLIC[d]} AND slug = @slug`)
const SHARING = perDialect(
  (d) => `SELECT ${COLUMNS} FROM (
     SELECT other.article_id AS id, count(DISTINCT other.kind || '/' || other.slug) AS shared
     FROM article_entries AS mine JOIN article_entries AS other ON other.kind = mine.kind AND other.slug = mine.slug
     WHERE mine.article_id = @id AND other.article_id <> @id
     GROUP BY other.article_id
   ) AS ranked JOIN articles ON articles.id = ranked.id
   WHERE ${PUBLIC[d]}
   ORDER BY ranked.shared DESC, published_at DESC, articles.id DESC LIMIT @limit`,
)
const NEWEST = perDialect((d) => `SELECT ${COLUMNS} FROM articles WHERE ${PUBLIC[d]} AND id <> @id ORDER BY published_at DESC, id DESC LIMIT @limit`)

/**
 * "Recommended posts": the public articles sharing the most techniques and benefits with an article,
 * then the most recent. Two bounded queries: the ones that share something (found through the catalog
 * index), then, to fill the page, the newest public articles (through the publication index).
 */
export class RelatedArticles {
  constructor(
    private readonly db: Queries,
    private readonly clock: () => Date,
  ) {}

  /** Undefined when no public article has the slug. */
  async of(slug: string, limit: number): Promise<ArticleSummary[] | undefined> {
    const now = this.clock().toISOString()
    const id = (await this.db.get<{ id: number }>(PUBLIC_ID, { now, slug }))?.id
    if (id === undefined) return undefined
    const related = await this.db.all<SummaryRow>(SHARING, { now, id, limit })
    if (related.length < limit) {
      const taken = new Set(related.map((row) => row.id))
      // The newest may include every article already taken, so as many more are read.
      for (const row of await this.db.all<SummaryRow>(NEWEST, { now, id, limit: limit + taken.size })) {
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
      reply.sendPrepared(async () => {
        const { slug } = request.params
        const limit = request.query.limit ?? DEFAULT_RELATED
        const data = await related.of(slug, limit)
        if (!data) throw notFound(`No published article has the slug "${slug}".`)
        return { data, meta: { limit, nextCursor: null } }
      }),
  )
}
