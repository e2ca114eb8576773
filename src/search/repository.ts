import { PUBLIC } from '../articles/repository.js'
import type { SqliteDatabase } from '../db/database.js'
import { MATCH_END, MATCH_START, markSnippet } from './query.js'
import { MAX_RANKED_CANDIDATES, type SearchHit, type SearchHitType } from './schemas.js'

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

export interface SearchResult {
  hits: HitRow[]
  /** More public documents matched than the MAX_RANKED_CANDIDATES newest, which alone were ranked. */
  truncated: boolean
}

/**
 * Full-text search over migration 004's index, which triggers keep. The index holds every article;
 * what is public is decided here, at the time of the query, so that scheduled articles appear when
 * their time comes without a write.
 */
export class SearchRepository {
  private readonly candidates
  private readonly hits

  constructor(
    db: SqliteDatabase,
    private readonly clock: () => Date,
  ) {
    const matches = `FROM search_index
      JOIN search_documents AS d ON d.id = search_index.rowid
      JOIN articles AS a ON a.id = d.article_id
      WHERE search_index MATCH @match AND ${PUBLIC}`
    // One more than is ranked, to learn whether any was left out. bm25 is lower for a better match.
    this.candidates = db.prepare<{ match: string; now: string }, SearchPosition>(
      `SELECT d.id AS id, bm25(search_index, ${TITLE_WEIGHT}, 1) AS score ${matches} ORDER BY search_index.rowid DESC LIMIT ${MAX_RANKED_CANDIDATES + 1}`,
    )
    // Snippets only for the hits of the page, in one statement: each statement that runs a MATCH merges
    // the postings of every term a prefix word stands for (O(documents) for a common word), so one per
    // hit would pay that 20 times. The rowid range makes FTS5 walk only the page's stretch of matches,
    // and the `+` keeps SQLite from handing the id list to FTS5 as one lookup (one MATCH) per id. The
    // CASTs matter: better-sqlite3 binds a JS number as a REAL, and FTS5 ignores a rowid bound that is
    // not an INTEGER.
    this.hits = db.prepare<{ match: string; now: string; ids: string; first: number; last: number }, Omit<HitRow, 'score'>>(
      `SELECT d.id, d.kind, coalesce(d.slug, a.slug) AS slug, d.title, a.slug AS article_slug,
        snippet(search_index, -1, '${MATCH_START}', '${MATCH_END}', '…', ${SNIPPET_WORDS}) AS snippet
      ${matches} AND search_index.rowid BETWEEN CAST(@first AS INTEGER) AND CAST(@last AS INTEGER)
        AND +search_index.rowid IN (SELECT value FROM json_each(@ids))`,
    )
  }

  /** Hits for an FTS5 match expression, best first (the id breaks ties), after `after`; see `matchExpression`. */
  find(match: string, after: SearchPosition | undefined, limit: number): SearchResult {
    const now = this.clock().toISOString()
    const candidates = this.candidates.all({ match, now })
    const truncated = candidates.length > MAX_RANKED_CANDIDATES
    const ranked = candidates
      .slice(0, MAX_RANKED_CANDIDATES)
      .filter((candidate) => after === undefined || compare(candidate, after) > 0)
      .sort(compare)
      .slice(0, limit)
    const ids = ranked.map((candidate) => candidate.id)
    const found = new Map(
      ids.length === 0 ? [] : this.hits.all({ match, now, ids: JSON.stringify(ids), first: Math.min(...ids), last: Math.max(...ids) }).map((hit) => [hit.id, hit]),
    )
    // A hit that another process deleted since it was ranked is left out.
    const hits = ranked.flatMap(({ id, score }) => {
      const hit = found.get(id)
      return hit ? [{ ...hit, score }] : []
    })
    return { hits, truncated }
  }
}

function compare(a: SearchPosition, b: SearchPosition): number {
  return a.score - b.score || a.id - b.id
}

export function toSearchHit(row: HitRow): SearchHit {
  return { type: HIT_TYPES[row.kind], slug: row.slug, title: row.title, articleSlug: row.article_slug, snippet: markSnippet(row.snippet) }
}
