import { PUBLIC } from '../articles/repository.js'
import type { SqliteDatabase } from '../db/database.js'
import { MATCH_END, MATCH_START, markSnippet } from './query.js'
import type { SearchHit, SearchHitType } from './schemas.js'

export interface SearchPosition {
  score: number
  id: number
}

export interface HitRow {
  id: number
  score: number
  kind: 'article' | 'techniques' | 'benefits'
  slug: string
  title: string
  article_slug: string
  snippet: string
}

// A word in a title or name says more about a document than the same word in its text.
const TITLE_WEIGHT = 10
const SNIPPET_WORDS = 12
const HIT_TYPES: Record<HitRow['kind'], SearchHitType> = { article: 'article', techniques: 'technique', benefits: 'benefit' }

/**
 * Full-text search over migration 004's index, which triggers keep. The index holds every article;
 * what is public is decided here, at the time of the query, so that scheduled articles appear when
 * their time comes without a write.
 */
export class SearchRepository {
  private readonly firstHits
  private readonly hitsAfter

  constructor(
    db: SqliteDatabase,
    private readonly clock: () => Date,
  ) {
    const hits = `SELECT d.id, bm25(search_index, ${TITLE_WEIGHT}, 1) AS score, d.kind, coalesce(d.slug, a.slug) AS slug, d.title, a.slug AS article_slug,
        snippet(search_index, -1, '${MATCH_START}', '${MATCH_END}', '…', ${SNIPPET_WORDS}) AS snippet
      FROM search_index
      JOIN search_documents AS d ON d.id = search_index.rowid
      JOIN articles AS a ON a.id = d.article_id
      WHERE search_index MATCH @match AND ${PUBLIC}`
    // bm25 is lower for a better match; the id breaks ties so that pages neither repeat nor skip a hit.
    this.firstHits = db.prepare<{ match: string; now: string; limit: number }, HitRow>(`${hits} ORDER BY score, d.id LIMIT @limit`)
    this.hitsAfter = db.prepare<{ match: string; now: string; score: number; id: number; limit: number }, HitRow>(
      `SELECT * FROM (${hits}) WHERE (score, id) > (@score, @id) ORDER BY score, id LIMIT @limit`,
    )
  }

  /** Hits for an FTS5 match expression, best first, after `after`; see `matchExpression`. */
  find(match: string, after: SearchPosition | undefined, limit: number): HitRow[] {
    const now = this.clock().toISOString()
    return after ? this.hitsAfter.all({ match, now, ...after, limit }) : this.firstHits.all({ match, now, limit })
  }
}

export function toSearchHit(row: HitRow): SearchHit {
  return { type: HIT_TYPES[row.kind], slug: row.slug, title: row.title, articleSlug: row.article_slug, snippet: markSnippet(row.snippet) }
}
