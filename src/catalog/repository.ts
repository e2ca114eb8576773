import type { EntryKind } from '../articles/repository.js'
import type { SqliteDatabase } from '../db/database.js'
import type { CatalogEntry, CatalogEntryDetail, CatalogOccurrence } from './schemas.js'

/**
 * The techniques and benefits of all public articles, grouped by slug. Name and description
 * come from the earliest publication: SQLite takes bare columns from the row that min() selects.
 */
const CATALOG_ENTRIES = `
  SELECT e.slug AS slug, e.name AS name, e.description AS description,
         min(a.published_at) AS firstPublishedAt, count(DISTINCT e.article_id) AS articleCount
  FROM article_entries AS e JOIN articles AS a ON a.id = e.article_id AND a.status = 'published' AND a.published_at <= @now`

interface CatalogRow extends CatalogEntry {
  firstPublishedAt: string
}

export class CatalogRepository {
  private readonly page
  private readonly one
  private readonly occurrences

  constructor(
    db: SqliteDatabase,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.page = db.prepare<{ now: string; kind: EntryKind; after: string; limit: number }, CatalogRow>(
      `${CATALOG_ENTRIES} WHERE e.kind = @kind AND e.slug > @after GROUP BY e.slug ORDER BY e.slug LIMIT @limit`,
    )
    this.one = db.prepare<{ now: string; kind: EntryKind; slug: string }, CatalogRow>(`${CATALOG_ENTRIES} WHERE e.kind = @kind AND e.slug = @slug GROUP BY e.slug`)
    this.occurrences = db.prepare<{ now: string; kind: EntryKind; slug: string }, CatalogOccurrence>(
      `SELECT a.slug AS articleSlug, a.title AS articleTitle, e.position AS position, e.name AS name, e.description AS description
       FROM article_entries AS e JOIN articles AS a ON a.id = e.article_id AND a.status = 'published' AND a.published_at <= @now
       WHERE e.kind = @kind AND e.slug = @slug ORDER BY a.published_at, a.id, e.position`,
    )
  }

  /** Entries in slug order after `afterSlug`; `limit + 1` rows are asked for by the pagination. */
  list(kind: EntryKind, afterSlug: string | undefined, limit: number): CatalogEntry[] {
    return this.page.all({ now: this.now(), kind, after: afterSlug ?? '', limit }).map(toCatalogEntry)
  }

  find(kind: EntryKind, slug: string): CatalogEntryDetail | undefined {
    const now = this.now()
    const row = this.one.get({ now, kind, slug })
    return row && { ...toCatalogEntry(row), articles: this.occurrences.all({ now, kind, slug }) }
  }

  private now(): string {
    return this.clock().toISOString()
  }
}

function toCatalogEntry({ slug, name, description, articleCount }: CatalogRow): CatalogEntry {
  return { slug, name, description, articleCount }
}
