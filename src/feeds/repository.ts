import { ARTICLE_COLUMNS, PUBLIC, toArticle, type ArticleDocumentRow } from '../articles/repository.js'
import type { Article } from '../articles/schemas.js'
import type { SqliteDatabase } from '../db/database.js'

export class FeedRepository {
  private readonly newest

  constructor(
    db: SqliteDatabase,
    private readonly clock: () => Date,
  ) {
    this.newest = db.prepare<{ now: string; limit: number }, ArticleDocumentRow>(
      `SELECT ${ARTICLE_COLUMNS} FROM articles WHERE ${PUBLIC} ORDER BY published_at DESC, id DESC LIMIT @limit`,
    )
  }

  /** The newest public articles, whole. */
  latest(limit: number): Article[] {
    const now = this.clock().toISOString()
    return this.newest.all({ now, limit }).map((row) => toArticle(row, now))
  }
}
