import { ARTICLE_COLUMNS, PUBLIC, toArticle, type ArticleDocumentRow } from '../articles/repository.js'
import type { Article } from '../articles/schemas.js'
import { perDialect, type Queries } from '../db/store.js'

const NEWEST = perDialect((d) => `SELECT ${ARTICLE_COLUMNS} FROM articles WHERE ${PUBLIC[d]} ORDER BY published_at DESC, id DESC LIMIT @limit`)

export class FeedRepository {
  constructor(
    private readonly db: Queries,
    private readonly clock: () => Date,
  ) {}

  /** The newest public articles, whole. */
  async latest(limit: number): Promise<Article[]> {
    const now = this.clock().toISOString()
    return (await this.db.all<ArticleDocumentRow>(NEWEST, { now, limit })).map((row) => toArticle(row, now))
  }
}
