import type { EntryKind } from '../articles/repository.js'
import type { Queries } from '../db/store.js'
import { DEFAULT_PAGE_SIZE } from '../http/pagination.js'
import type { CatalogEntry, CatalogEntryDetail, CatalogOccurrence } from './schemas.js'

/** Where a page of a catalog entry's articles ends: the publication time, then the article and the place in its list. */
export interface OccurrencePosition {
  publishedAt: string
  articleId: number
  position: number
}

export interface OccurrenceRow extends CatalogOccurrence {
  publishedAt: string
  articleId: number
}

// Migration 005's tables (migrations/postgres 003), kept by triggers. An entry is public when its earliest
// occurrence is: that occurrence names and describes it. Its article count is the stored one less the
// articles whose time has not come, which are counted over the index range of future publication times only.
// camelCase aliases are quoted: PostgreSQL folds unquoted names to lower case (SQLite reads the quotes too).
const FIRST_OCCURRENCE = (column: string) =>
  `(SELECT o.${column} FROM catalog_occurrences AS o WHERE o.kind = c.kind AND o.slug = c.slug ORDER BY o.published_at, o.article_id, o.position LIMIT 1)`
const ENTRY_COLUMNS = `c.slug AS slug, ${FIRST_OCCURRENCE('name')} AS name, ${FIRST_OCCURRENCE('description')} AS description,
  c.article_count - (SELECT count(DISTINCT o.article_id) FROM catalog_occurrences AS o WHERE o.kind = c.kind AND o.slug = c.slug AND o.published_at > @now) AS "articleCount"`
const IS_PUBLIC = 'EXISTS (SELECT 1 FROM catalog_occurrences AS o WHERE o.kind = c.kind AND o.slug = c.slug AND o.published_at <= @now)'
const OCCURRENCES = `SELECT a.slug AS "articleSlug", a.title AS "articleTitle", o.position AS position, o.name AS name, o.description AS description,
    o.published_at AS "publishedAt", o.article_id AS "articleId"
  FROM catalog_occurrences AS o JOIN articles AS a ON a.id = o.article_id
  WHERE o.kind = @kind AND o.slug = @slug AND o.published_at <= @now`
const OCCURRENCE_ORDER = 'ORDER BY o.published_at, o.article_id, o.position LIMIT @limit'

export const CATALOG_PAGE = `SELECT ${ENTRY_COLUMNS} FROM catalog_entries AS c WHERE c.kind = @kind AND c.slug > @after AND ${IS_PUBLIC} ORDER BY c.slug LIMIT @limit`
export const CATALOG_ENTRY = `SELECT ${ENTRY_COLUMNS} FROM catalog_entries AS c WHERE c.kind = @kind AND c.slug = @slug AND ${IS_PUBLIC}`
export const FIRST_OCCURRENCES = `${OCCURRENCES} ${OCCURRENCE_ORDER}`
export const OCCURRENCES_AFTER = `${OCCURRENCES} AND (o.published_at, o.article_id, o.position) > (@publishedAt, @articleId, @position) ${OCCURRENCE_ORDER}`

export class CatalogRepository {
  constructor(
    private readonly db: Queries,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Entries in slug order after `afterSlug`; `limit + 1` rows are asked for by the pagination. */
  list(kind: EntryKind, afterSlug: string | undefined, limit: number): Promise<CatalogEntry[]> {
    return this.db.all<CatalogEntry>(CATALOG_PAGE, { now: this.now(), kind, after: afterSlug ?? '', limit })
  }

  /** The entry, if a public article lists it. */
  entry(kind: EntryKind, slug: string): Promise<CatalogEntry | undefined> {
    return this.db.get<CatalogEntry>(CATALOG_ENTRY, { now: this.now(), kind, slug })
  }

  /** The entry with the first page of the articles that list it. */
  async find(kind: EntryKind, slug: string): Promise<CatalogEntryDetail | undefined> {
    const entry = await this.entry(kind, slug)
    return entry && { ...entry, articles: (await this.occurrences(kind, slug, undefined, DEFAULT_PAGE_SIZE)).map(toCatalogOccurrence) }
  }

  /** The public articles that list the entry, oldest publication first, after `after`. */
  occurrences(kind: EntryKind, slug: string, after: OccurrencePosition | undefined, limit: number): Promise<OccurrenceRow[]> {
    const now = this.now()
    return after ? this.db.all<OccurrenceRow>(OCCURRENCES_AFTER, { now, kind, slug, limit, ...after }) : this.db.all<OccurrenceRow>(FIRST_OCCURRENCES, { now, kind, slug, limit })
  }

  private now(): string {
    return this.clock().toISOString()
  }
}

export function toCatalogOccurrence({ articleSlug, articleTitle, position, name, description }: OccurrenceRow): CatalogOccurrence {
  return { articleSlug, articleTitle, position, name, description }
}
