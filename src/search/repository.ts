import { PUBLIC } from '../articles/repository.js'
import { perDialect, type Dialect, type Queries } from '../db/store.js'
import { MATCH_END, MATCH_START, markSnippet, matchExpression, tsQueryExpression } from './query.js'
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

const SQLITE_MATCHES = `FROM search_index
  JOIN search_documents AS d ON d.id = search_index.rowid
  JOIN articles AS a ON a.id = d.article_id
  WHERE search_index MATCH @match AND ${PUBLIC.sqlite}`

// PostgreSQL (migrations/postgres 004): search_vector holds the title at weight A and the text at B. The
// query is parsed once per statement (the cross join), not once per row.
const POSTGRES_MATCHES = `FROM search_documents AS d
  JOIN articles AS a ON a.id = d.article_id
  CROSS JOIN (SELECT to_tsquery('spa_search', @match) AS query) AS q
  WHERE d.search_vector @@ q.query AND ${PUBLIC.postgres}`
// ts_rank's weights are {D, C, B, A}: a title word counts TITLE_WEIGHT times a text word, as in bm25
// below. Normalization 1 divides by the log of the document's length, as bm25 favours short documents.
const TS_RANK = `ts_rank('{0, 0, ${1 / TITLE_WEIGHT}, 1}', newest.search_vector, newest.query, 1)`
// ts_headline's options: the markers snippet() puts on SQLite, one fragment around the match. snippet()
// takes SNIPPET_WORDS words, half of them before the match; ts_headline puts as many words after the
// match as before it, so one word more starts the fragment where snippet() starts it.
const HEADLINE_OPTIONS = `'StartSel="' || chr(2) || '", StopSel="' || chr(3) || '", MaxWords=${SNIPPET_WORDS + 1}, MinWords=${SNIPPET_WORDS / 2}, ShortWord=0, MaxFragments=1'`
// ts_headline drops what its parser reads as HTML tags (`<b>`); writers' text is shown as written, so
// `<` and `>` are turned into control characters (blanks to the parser) and back again around it.
const ANGLES = "'<>'"
const ANGLE_STANDINS = 'chr(1) || chr(4)'

/**
 * The statements, per engine. Candidates: the MAX_RANKED_CANDIDATES newest matches (one more, to learn
 * whether any was left out), each with its score, lower for a better match (bm25's sign; ts_rank negated).
 * Hits: the page's documents with their snippets, in one statement.
 */
export const SEARCH_SQL: Record<Dialect, { candidates: string; hits: string }> = {
  sqlite: {
    // bm25 is lower for a better match. FTS5 walks the matches newest first and stops at the cap.
    candidates: `SELECT d.id AS id, bm25(search_index, ${TITLE_WEIGHT}, 1) AS score ${SQLITE_MATCHES} ORDER BY search_index.rowid DESC LIMIT ${MAX_RANKED_CANDIDATES + 1}`,
    // Snippets only for the hits of the page, in one statement: each statement that runs a MATCH merges
    // the postings of every term a prefix word stands for (O(documents) for a common word), so one per
    // hit would pay that 20 times. The rowid range makes FTS5 walk only the page's stretch of matches,
    // and the `+` keeps SQLite from handing the id list to FTS5 as one lookup (one MATCH) per id. The
    // CASTs matter: better-sqlite3 binds a JS number as a REAL, and FTS5 ignores a rowid bound that is
    // not an INTEGER.
    hits: `SELECT d.id, d.kind, coalesce(d.slug, a.slug) AS slug, d.title, a.slug AS article_slug,
        snippet(search_index, -1, '${MATCH_START}', '${MATCH_END}', '…', ${SNIPPET_WORDS}) AS snippet
      ${SQLITE_MATCHES} AND search_index.rowid BETWEEN CAST(@first AS INTEGER) AND CAST(@last AS INTEGER)
        AND +search_index.rowid IN (SELECT value FROM json_each(@ids))`,
  },
  postgres: {
    // The GIN index finds the matches; only the newest are ranked.
    candidates: `SELECT newest.id AS id, -${TS_RANK} AS score FROM (
        SELECT d.id, d.search_vector, q.query ${POSTGRES_MATCHES} ORDER BY d.id DESC LIMIT ${MAX_RANKED_CANDIDATES + 1}
      ) AS newest`,
    // The snippet comes from the title when it holds every word (as snippet() picks the column with the
    // most matches), else from the text; `…` marks where the text was cut, as snippet() does.
    hits: `SELECT id, kind, slug, title, article_slug,
        CASE WHEN starts_with(source, plain) THEN '' ELSE '…' END || snippet || CASE WHEN right(source, length(plain)) = plain THEN '' ELSE '…' END AS snippet
      FROM (
        SELECT id, kind, slug, title, article_slug, source, snippet, translate(snippet, chr(2) || chr(3), '') AS plain
        FROM (
          SELECT id, kind, slug, title, article_slug, source,
            translate(ts_headline('spa_search', translate(source, ${ANGLES}, ${ANGLE_STANDINS}), query, ${HEADLINE_OPTIONS}), ${ANGLE_STANDINS}, ${ANGLES}) AS snippet
          FROM (
            SELECT d.id, d.kind, coalesce(d.slug, a.slug) AS slug, d.title, a.slug AS article_slug, q.query,
              CASE WHEN to_tsvector('spa_search', d.title) @@ q.query THEN d.title ELSE d.body END AS source
            ${POSTGRES_MATCHES} AND d.id IN (SELECT value::integer FROM jsonb_array_elements_text(@ids::jsonb))
          ) AS hit
        ) AS headline
      ) AS cut`,
  },
}

const CANDIDATES = perDialect((d) => SEARCH_SQL[d].candidates)
const HITS = perDialect((d) => SEARCH_SQL[d].hits)

export interface SearchResult {
  hits: HitRow[]
  /** More public documents matched than the MAX_RANKED_CANDIDATES newest, which alone were ranked. */
  truncated: boolean
}

/**
 * Full-text search over the index that triggers keep (SQLite: migration 004's FTS5 table; PostgreSQL:
 * a tsvector with a GIN index). The index holds every article; what is public is decided here, at the
 * time of the query, so that scheduled articles appear when their time comes without a write.
 */
export class SearchRepository {
  constructor(
    private readonly db: Queries,
    private readonly clock: () => Date,
  ) {}

  /** Hits for a reader's words (see `queryWords`), best first (the id breaks ties), after `after`. */
  async find(words: string[], after: SearchPosition | undefined, limit: number): Promise<SearchResult> {
    const now = this.clock().toISOString()
    const match = this.db.dialect === 'sqlite' ? matchExpression(words) : tsQueryExpression(words)
    const candidates = await this.db.all<SearchPosition>(CANDIDATES, { match, now })
    const truncated = candidates.length > MAX_RANKED_CANDIDATES
    const ranked = candidates
      .slice(0, MAX_RANKED_CANDIDATES)
      .filter((candidate) => after === undefined || compare(candidate, after) > 0)
      .sort(compare)
      .slice(0, limit)
    const ids = ranked.map((candidate) => candidate.id)
    const rows = ids.length === 0 ? [] : await this.db.all<Omit<HitRow, 'score'>>(HITS, { match, now, ids: JSON.stringify(ids), first: Math.min(...ids), last: Math.max(...ids) })
    const found = new Map(rows.map((hit) => [hit.id, hit]))
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
