import type { EntryKind } from '../articles/repository.js'
import type { SqliteDatabase } from '../db/database.js'
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

// Migration 005's tables, kept by triggers. An entry is public when its earliest occurrence is: that
// occurrence names and describes it. Its article count is the stored one less the articles whose
// time has not come, which are counted over the index range of future publication times only.
const FIRST_OCCURRENCE = (column: string) =>
  `(SELECT o.${column} FROM catalog_occurrences AS o WHERE o.kind = c.kind AND o.slug = c.slug ORDER BY o.published_at, o.article_id, o.position LIMIT 1)`
const ENTRY_COLUMNS = `c.slug AS slug, ${FIRST_OCCURRENCE('name')} AS name, ${FIRST_OCCURRENCE('description')} AS description,
  c.article_count - (SELECT count(DISTINCT o.article_id) FROM catalog_occurrences AS o WHERE o.kind = c.kind AND o.slug = c.slug AND o.published_at > @now) AS articleCount`
const IS_PUBLIC = 'EXISTS (SELECT 1 FROM catalog_occurrences AS o WHERE o.kind = c.kind AND o.slug = c.slug AND o.published_at <= @now)'
const OCCURRENCES = `SELECT a.slug AS articleSlug, a.title AS articleTitle, o.position AS position, o.name AS name, o.description AS description,
    o.published_at AS publishedAt, o.article_id AS articleId
  FROM catalog_occurrences AS o JOIN articles AS a ON a.id = o.article_id
  WHERE o.kind = @kind AND o.slug = @slug AND o.published_at <= @now`
const OCCURRENCE_ORDER = 'ORDER BY o.published_at, o.article_id, o.position LIMIT @limit'

export class CatalogRepository {
  private readonly page
  private readonly one
  private readonly firstOccurrences
  private readonly occurrencesAfter

  constructor(
    db: SqliteDatabase,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.page = db.prepare<{ now: string; kind: EntryKind; after: string; limit: number }, CatalogEntry>(
      `SELECT ${ENTRY_COLUMNS} FROM catalog_entries AS c WHERE c.kind = @kind AND c.slug > @after AND ${IS_PUBLIC} ORDER BY c.slug LIMIT @limit`,
    )
    this.one = db.prepare<{ now: string; kind: EntryKind; slug: string }, CatalogEntry>(
      `SELECT ${ENTRY_COLUMNS} FROM catalog_entries AS c WHERE c.kind = @kind AND c.slug = @slug AND ${IS_PUBLIC}`,
    )
    this.firstOccurrences = db.prepare<{ now: string; kind: EntryKind; slug: string; limit: number }, OccurrenceRow>(`${OCCURRENCES} ${OCCURRENCE_ORDER}`)
    this.occurrencesAfter = db.prepare<{ now: string; kind: EntryKind; slug: string; limit: number } & OccurrencePosition, OccurrenceRow>(
      `${OCCURRENCES} AND (o.published_at, o.article_id, o.position) > (@publishedAt, @articleId, @position) ${OCCURRENCE_ORDER}`,
    )
  }

  /** Entries in slug order after `afterSlug`; `limit + 1` rows are asked for by the pagination. */
  list(kind: EntryKind, afterSlug: string | undefined, limit: number): CatalogEntry[] {
    return this.page.all({ now: this.now(), kind, after: afterSlug ?? '', limit })
  }

  /** The entry, if a public article lists it. */
  entry(kind: EntryKind, slug: string): CatalogEntry | undefined {
    return this.one.get({ now: this.now(), kind, slug })
  }

  /** The entry with the first page of the articles that list it. */
  find(kind: EntryKind, slug: string): CatalogEntryDetail | undefined {
    const entry = this.entry(kind, slug)
    return entry && { ...entry, articles: this.occurrences(kind, slug, undefined, DEFAULT_PAGE_SIZE).map(toCatalogOccurrence) }
  }

  /** The public articles that list the entry, oldest publication first, after `after`. */
  occurrences(kind: EntryKind, slug: string, after: OccurrencePosition | undefined, limit: number): OccurrenceRow[] {
    const now = this.now()
    return after ? this.occurrencesAfter.all({ now, kind, slug, limit, ...after }) : this.firstOccurrences.all({ now, kind, slug, limit })
  }

  private now(): string {
    return this.clock().toISOString()
  }
}

export function toCatalogOccurrence({ articleSlug, articleTitle, position, name, description }: OccurrenceRow): CatalogOccurrence {
  return { articleSlug, articleTitle, position, name, description }
}
