import { ARTICLE_COLUMNS, PUBLIC, toArticle, type ArticleDocumentRow } from '../articles/repository.js'
import { perDialect, type Queries } from '../db/store.js'
import type { SyncChange } from './schemas.js'

/** A moment of the content: every change up to `seq` in the change log, and the clock at `at`. */
export interface SyncPoint {
  seq: number
  at: string
}

/** What one sync answers: the changes after `since` (everything public when null) as of `until`, page by page after article id `after`. */
export interface SyncPosition {
  since: SyncPoint | null
  until: SyncPoint
  after: number
}

type ChangeRow = { change_id: number; change_slug: string; changed_at: string } & ({ [K in keyof ArticleDocumentRow]: null } | ArticleDocumentRow)

// On PostgreSQL seq is given in commit order too (migrations/postgres 004), so a token never skips a change.
const LATEST_SEQ = 'SELECT coalesce(max(seq), 0) AS seq FROM content_changes'
const PUBLIC_AFTER = perDialect((d) => `SELECT ${ARTICLE_COLUMNS} FROM articles WHERE ${PUBLIC[d]} AND id > @after ORDER BY id LIMIT @limit`)
// Changed: written since the last sync, or become public since then by its publication time
// coming, which is no write. The UNION reports an article once however it changed. One that is
// not public now is a tombstone only if it was public after the token's time (migration 009),
// under the slug it had then: a draft or a scheduled article the public never saw is not named.
const CHANGED_AFTER = perDialect(
  (d) => `WITH changed (id) AS (
     SELECT article_id FROM content_changes WHERE seq > @seq
     UNION
     SELECT id FROM articles WHERE ${PUBLIC[d]} AND published_at > @since
   )
   SELECT changed.id AS change_id, seen.slug AS change_slug, log.changed_at, live.*
   FROM changed
   LEFT JOIN content_changes AS log ON log.article_id = changed.id
   LEFT JOIN last_public_states AS seen ON seen.article_id = changed.id
   LEFT JOIN (SELECT ${ARTICLE_COLUMNS} FROM articles WHERE ${PUBLIC[d]}) AS live ON live.id = changed.id
   WHERE changed.id > @after AND (live.id IS NOT NULL OR seen.ended_at >= @since)
   ORDER BY changed.id
   LIMIT @limit`,
)

/**
 * Reads migration 004's change log, which triggers keep: one row per article ever written, with the
 * sequence number of its latest change. A change only says "look again": the article's state decides
 * whether it is sent whole or as a tombstone, with "public" judged at the sync's own time, and
 * migration 009's record of its last public state whether there is anything to tell the public.
 */
export class SyncRepository {
  constructor(
    private readonly db: Queries,
    private readonly clock: () => Date,
  ) {}

  /** Now, as a sync sees it. */
  async point(): Promise<SyncPoint> {
    const at = this.clock().toISOString()
    return { seq: (await this.db.get<{ seq: number }>(LATEST_SEQ))!.seq, at }
  }

  /** The page after `position.after`: every public article for a first sync, else what changed. */
  async changes(position: SyncPosition, limit: number): Promise<{ id: number; change: SyncChange }[]> {
    const { since, until, after } = position
    const now = until.at
    if (!since) {
      const rows = await this.db.all<ArticleDocumentRow>(PUBLIC_AFTER, { now, after, limit })
      return rows.map((row) => ({ id: row.id, change: { type: 'article', article: toArticle(row, now) } }))
    }
    const rows = await this.db.all<ChangeRow>(CHANGED_AFTER, { seq: since.seq, since: since.at, now, after, limit })
    return rows.map((row) => ({
      id: row.change_id,
      change: row.id === null ? { type: 'tombstone', id: row.change_id, slug: row.change_slug, removedAt: row.changed_at } : { type: 'article', article: toArticle(row, now) },
    }))
  }
}
