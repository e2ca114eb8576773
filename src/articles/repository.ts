import { perDialect, type Dialect, type Queries, type Sql } from '../db/store.js'
import { deriveContent } from '../content/derive.js'
import type { ArticleEntry, Section } from '../content/schemas.js'
import type { ParsedArticle } from '../parser/parse.js'
import type { Article, ArticleStatus, ArticleSummary, Revision, RevisionSummary } from './schemas.js'

export type EntryKind = 'techniques' | 'benefits'

/** What the database keeps: a scheduled article is a published one whose time has not come. */
export type StoredStatus = 'draft' | 'published'

interface ArticleRow {
  id: number
  slug: string
  title: string
  summary: string
  status: StoredStatus
  published_at: string | null
  updated_at: string
  word_count: number
  reading_time_minutes: number
  comment_count: number
}

export interface ArticleDocumentRow extends ArticleRow {
  author: string | null
  sections: string
}

interface ArticleListRow extends ArticleRow {
  sort_key: string
  sections?: string
}

/** One article of a list page, with where the page would continue after it. */
export interface ListedArticle {
  article: ArticleSummary
  position: ListPosition
  sections?: Section[]
}

interface RevisionSummaryRow {
  id: number
  version: number
  slug: string
  title: string
  status: StoredStatus
  published_at: string | null
  saved_at: string
  replaced_at: string
}

interface RevisionRow extends RevisionSummaryRow {
  sections: string
}

/** Where a page of a sorted list ends: the sort key's value and the id that breaks ties. */
export interface ListPosition {
  key: string
  id: number
}

export type ArticleSort = 'publishedAt' | '-publishedAt' | 'title' | '-title'

/** What narrows and orders the public list; times are canonical ISO strings. */
export interface ArticleFilter {
  sort: ArticleSort
  technique?: string | undefined
  benefit?: string | undefined
  publishedAfter?: string | undefined
  publishedBefore?: string | undefined
}

// Each sort has an index (migrations 001 and 003); the id breaks ties so that cursors never skip or repeat.
// A page after a cursor seeks that index: SQLite seeks on a row value (published_at, id), but not on one
// with a COLLATE, so the title sorts give the key's bound on its own and the id's tie-break beside it
// (written as a row value, `sort=title` walked every title before the cursor: ~1 ms at page 500 of 20,000).
// SQLite's NOCASE folds ASCII letters only, as PostgreSQL's lower() does on a "C" column (the schema's
// index is on lower(title), id).
const TITLE: Record<Dialect, { column: string; key: string }> = {
  sqlite: { column: 'title COLLATE NOCASE', key: '@key' },
  postgres: { column: 'lower(title)', key: 'lower(@key::text COLLATE "C")' },
}
const SORTS: Record<ArticleSort, { key: string; order: (d: Dialect) => string; after: (d: Dialect) => string }> = {
  '-publishedAt': { key: 'published_at', order: () => 'published_at DESC, id DESC', after: () => '(published_at, id) < (@key, @id)' },
  publishedAt: { key: 'published_at', order: () => 'published_at, id', after: () => '(published_at, id) > (@key, @id)' },
  title: {
    key: 'title',
    order: (d) => `${TITLE[d].column}, id`,
    after: (d) => `${TITLE[d].column} >= ${TITLE[d].key} AND (${TITLE[d].column} > ${TITLE[d].key} OR id > @id)`,
  },
  '-title': {
    key: 'title',
    order: (d) => `${TITLE[d].column} DESC, id DESC`,
    after: (d) => `${TITLE[d].column} <= ${TITLE[d].key} AND (${TITLE[d].column} < ${TITLE[d].key} OR id < @id)`,
  },
}
/**
 * The articles that list one technique (or benefit), by publication time, from migration 005's
 * catalog_occurrences, whose key is in that order: a page is a seek from its cursor whether the slug is
 * in every article or in none. (Walking the articles' index and checking each one's entries reads every
 * article for a rare slug: ~30 ms at 20,000, and ~0.8 s by title, under load.) An article that lists
 * the slug twice is listed once.
 */
const entryListing = (kind: EntryKind, newestFirst: boolean, paged: boolean) => `(
    SELECT o.article_id AS article, o.published_at AS published FROM catalog_occurrences AS o
    WHERE o.kind = '${kind}' AND o.slug = @${kind === 'techniques' ? 'technique' : 'benefit'} AND o.published_at <= @now
      ${paged ? `AND (o.published_at, o.article_id) ${newestFirst ? '<' : '>'} (@key, @id)` : ''}
      AND NOT EXISTS (SELECT 1 FROM catalog_occurrences AS twice WHERE twice.kind = o.kind AND twice.slug = o.slug
        AND twice.published_at = o.published_at AND twice.article_id = o.article_id AND twice.position < o.position)
  ) AS listed JOIN articles ON articles.id = listed.article`
/** Below this many articles, a technique's or benefit's title-sorted list is fetched whole and sorted (see sparseEntry). */
const SPARSE_ENTRY_ARTICLES = 1000
const LISTS_ENTRY = (kind: EntryKind) =>
  `id IN (SELECT article_id FROM catalog_occurrences WHERE kind = '${kind}' AND slug = @${kind === 'techniques' ? 'technique' : 'benefit'} AND published_at <= @now)`
const HAS_ENTRY = (kind: EntryKind) => `EXISTS (SELECT 1 FROM article_entries AS e WHERE e.article_id = articles.id AND e.kind = '${kind}' AND e.slug = @${kind === 'techniques' ? 'technique' : 'benefit'})`

/** An article as an editor sets it; everything else is derived from it. */
export interface ArticleContent {
  slug: string
  title: string
  status: StoredStatus
  publishedAt: string | null
  sections: Section[]
  /** Left out: an update keeps the author the article has. */
  author?: string | null
}

export type SaveOutcome = 'created' | 'updated' | 'unchanged'

const SUMMARY_COLUMNS = 'id, slug, title, summary, status, published_at, updated_at, word_count, reading_time_minutes, comment_count'
/** What `toArticle` reads, for queries of whole articles elsewhere (search, feeds, sync). */
export const ARTICLE_COLUMNS = `${SUMMARY_COLUMNS}, author, sections`
// Public means published, at a time that has come: `@now` is the app's clock. On SQLite the unary `+`
// keeps the planner from using the time bound as the index range: a page's cursor is the range that must
// seek, or the 1,000th page of 100,000 articles walks 20,000 index entries (~1 ms a query instead of ~20 µs).
export const PUBLIC: Record<Dialect, string> = {
  sqlite: "status = 'published' AND +published_at <= @now",
  postgres: "status = 'published' AND published_at <= @now",
}
// What each status a reader sees means in the stored columns at `@now` (a scheduled article is stored as published).
const STATUS_NOW: Record<ArticleStatus, (d: Dialect) => string> = {
  draft: () => "status = 'draft'",
  scheduled: () => "status = 'published' AND published_at > @now",
  published: (d) => PUBLIC[d],
}
const REVISION_COLUMNS = 'id, version, slug, title, status, published_at, saved_at, replaced_at'

const ENTRIES_OF_ARTICLES: Sql = {
  sqlite: `SELECT article_id, kind, position, name, slug, description FROM article_entries
    WHERE article_id IN (SELECT value FROM json_each(?)) ORDER BY article_id, kind, position`,
  postgres: `SELECT article_id, kind, position, name, slug, description FROM article_entries
    WHERE article_id IN (SELECT value::integer FROM jsonb_array_elements_text(?::jsonb)) ORDER BY article_id, kind, position`,
}
const PUBLISHED_BY_SLUG = perDialect((d) => `SELECT ${ARTICLE_COLUMNS} FROM articles WHERE ${PUBLIC[d]} AND slug = @slug`)
const PUBLISHED_ID_BY_SLUG = perDialect((d) => `SELECT id FROM articles WHERE ${PUBLIC[d]} AND slug = @slug`)
const ANY_BY_SLUG = `SELECT ${ARTICLE_COLUMNS} FROM articles WHERE slug = ?`
const ENTRIES_PAGE = 'SELECT position, name, slug, description FROM article_entries WHERE article_id = ? AND kind = ? AND position > ? ORDER BY position LIMIT ?'
const INSERT_ARTICLE = `INSERT INTO articles (slug, title, summary, status, published_at, created_at, updated_at, word_count, reading_time_minutes, sections, author)
  VALUES (@slug, @title, @summary, @status, @publishedAt, @now, @now, @wordCount, @readingTimeMinutes, @sections, @author) RETURNING id`
const UPDATE_ARTICLE = `UPDATE articles SET slug = @slug, title = @title, summary = @summary, status = @status, published_at = @publishedAt, updated_at = @now,
  word_count = @wordCount, reading_time_minutes = @readingTimeMinutes, sections = @sections, author = CASE WHEN @setAuthor = 1 THEN @author ELSE author END
  WHERE id = @id AND (slug IS DISTINCT FROM @slug OR title IS DISTINCT FROM @title OR status IS DISTINCT FROM @status
    OR published_at IS DISTINCT FROM @publishedAt OR sections IS DISTINCT FROM @sections OR (@setAuthor = 1 AND author IS DISTINCT FROM @author))`
const DELETE_ARTICLE = 'DELETE FROM articles WHERE id = ?'
const DELETE_ENTRIES = 'DELETE FROM article_entries WHERE article_id = ?'
// One statement for all of an article's entries: thousands of them are one call, not thousands.
const INSERT_ENTRIES: Sql = {
  sqlite: `INSERT INTO article_entries (article_id, kind, position, slug, name, description)
    SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]')
    FROM json_each(?)`,
  postgres: `INSERT INTO article_entries (article_id, kind, position, slug, name, description)
    SELECT ?::integer, entry->>0, (entry->>1)::integer, entry->>2, entry->>3, entry->>4
    FROM jsonb_array_elements(?::jsonb) AS entry`,
}
// 0 or 1: whether there is any article. A full count(*) scans an index of every article at each start (~50 ms at 100,000).
const ANY_ARTICLE = 'SELECT count(*) AS count FROM (SELECT 1 FROM articles LIMIT 1) AS one'
const COMMENTS_CHANGED_AT = 'SELECT comments_changed_at AS at FROM articles WHERE id = ?'
const FIRST_REVISIONS = `SELECT ${REVISION_COLUMNS} FROM article_revisions WHERE article_id = ? ORDER BY version DESC LIMIT ?`
const REVISIONS_BEFORE = `SELECT ${REVISION_COLUMNS} FROM article_revisions WHERE article_id = ? AND version < ? ORDER BY version DESC LIMIT ?`
const REVISION_BY_VERSION = `SELECT ${REVISION_COLUMNS}, sections FROM article_revisions WHERE article_id = ? AND version = ?`
const ENTRY_ARTICLE_COUNT = 'SELECT article_count AS count FROM catalog_entries WHERE kind = ? AND slug = ?'

export class ArticleRepository {
  /** Each list's statement, by what shapes it; built the first time it is used. */
  private readonly listStatements = new Map<string, Sql>()

  constructor(
    private readonly db: Queries,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The same repository inside a transaction (see `Queries.transaction`). */
  in(tx: Queries): ArticleRepository {
    return new ArticleRepository(tx, this.clock)
  }

  /** Runs `work` in one write transaction, with the repository bound to it. */
  transaction<T>(work: (articles: ArticleRepository) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(this.in(tx)))
  }

  /**
   * Public articles, filtered and sorted, after `after`; `limit + 1` rows are asked for by the
   * pagination. Each combination of filters is one statement, prepared the first time it is used.
   */
  async listPublished(filter: ArticleFilter, after: ListPosition | undefined, limit: number, options: { sections?: boolean } = {}): Promise<ListedArticle[]> {
    const now = this.now()
    const statement = this.listStatement(filter, after !== undefined, options.sections ?? false, await this.sparseEntry(filter))
    const rows = await this.db.all<ArticleListRow>(statement, { now, limit, ...filter, ...after })
    return rows.map((row) => ({
      article: toArticleSummary(row, now),
      position: { key: row.sort_key, id: row.id },
      ...(row.sections === undefined ? {} : { sections: JSON.parse(row.sections) as Section[] }),
    }))
  }

  /**
   * Every article whatever its status (or only those with `status` now), newest change first, after
   * `after`; `limit + 1` rows are asked for by the pagination. For editors.
   */
  async listAll(status: ArticleStatus | undefined, after: ListPosition | undefined, limit: number): Promise<ListedArticle[]> {
    const now = this.now()
    const shape = `all:${status}:${after !== undefined}`
    let statement = this.listStatements.get(shape)
    if (!statement) {
      statement = perDialect((d) => {
        const conditions = [...(status === undefined ? [] : [STATUS_NOW[status](d)]), ...(after === undefined ? [] : ['(updated_at, id) < (@key, @id)'])]
        return `SELECT ${SUMMARY_COLUMNS}, updated_at AS sort_key FROM articles ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
          ORDER BY updated_at DESC, id DESC LIMIT @limit`
      })
      this.listStatements.set(shape, statement)
    }
    const rows = await this.db.all<ArticleListRow>(statement, { now, limit, ...after })
    return rows.map((row) => ({ article: toArticleSummary(row, now), position: { key: row.sort_key, id: row.id } }))
  }

  /** The techniques and benefits of several articles at once, by article id. */
  async entriesOf(articleIds: number[]): Promise<Map<number, Record<EntryKind, ArticleEntry[]>>> {
    const byArticle = new Map(articleIds.map((id) => [id, { techniques: [] as ArticleEntry[], benefits: [] as ArticleEntry[] }]))
    const rows = await this.db.all<ArticleEntry & { article_id: number; kind: EntryKind }>(ENTRIES_OF_ARTICLES, [JSON.stringify(articleIds)])
    for (const { article_id, kind, ...entry } of rows) byArticle.get(article_id)![kind].push(entry)
    return byArticle
  }

  /**
   * For a title-sorted list filtered by technique or benefit: the kind whose slug few articles list, if
   * one does. Walking the title index finds a page of a common slug's articles soon, but reads every
   * article for a rare one; a rare one's few articles are better fetched and sorted.
   */
  private async sparseEntry(filter: ArticleFilter): Promise<EntryKind | undefined> {
    if (SORTS[filter.sort].key !== 'title') return undefined
    for (const [kind, slug] of [['techniques', filter.technique], ['benefits', filter.benefit]] as const) {
      if (slug !== undefined && ((await this.db.get<{ count: number }>(ENTRY_ARTICLE_COUNT, [kind, slug]))?.count ?? 0) < SPARSE_ENTRY_ARTICLES) return kind
    }
    return undefined
  }

  private listStatement(filter: ArticleFilter, paged: boolean, sections: boolean, sparse?: EntryKind): Sql {
    const shape = `public:${filter.sort}:${filter.technique !== undefined}:${filter.benefit !== undefined}:${filter.publishedAfter !== undefined}:${filter.publishedBefore !== undefined}:${paged}:${sections}:${sparse}`
    let statement = this.listStatements.get(shape)
    if (statement) return statement
    const sort = SORTS[filter.sort]
    const byEntry = sort.key === 'published_at' ? (filter.technique !== undefined ? 'techniques' : filter.benefit !== undefined ? 'benefits' : undefined) : undefined
    const entryCondition = (kind: EntryKind) => (kind === byEntry ? [] : kind === sparse ? [LISTS_ENTRY(kind)] : [HAS_ENTRY(kind)])
    const newestFirst = filter.sort === '-publishedAt'
    statement = perDialect((d) => {
      const conditions = [
        PUBLIC[d],
        ...(filter.technique === undefined ? [] : entryCondition('techniques')),
        ...(filter.benefit === undefined ? [] : entryCondition('benefits')),
        ...(filter.publishedAfter === undefined ? [] : ['published_at > @publishedAfter']),
        ...(filter.publishedBefore === undefined ? [] : ['published_at < @publishedBefore']),
        ...(paged ? [sort.after(d)] : []),
      ]
      const from = byEntry ? entryListing(byEntry, newestFirst, paged) : 'articles'
      const order = byEntry ? (newestFirst ? 'listed.published DESC, listed.article DESC' : 'listed.published, listed.article') : sort.order(d)
      return `SELECT ${SUMMARY_COLUMNS}, ${sort.key} AS sort_key${sections ? ', sections' : ''} FROM ${from}
        WHERE ${conditions.join(' AND ')} ORDER BY ${order} LIMIT @limit`
    })
    this.listStatements.set(shape, statement)
    return statement
  }

  async findPublished(slug: string): Promise<Article | undefined> {
    const now = this.now()
    const row = await this.db.get<ArticleDocumentRow>(PUBLISHED_BY_SLUG, { now, slug })
    return row && toArticle(row, now)
  }

  async findPublishedId(slug: string): Promise<number | undefined> {
    return (await this.db.get<{ id: number }>(PUBLISHED_ID_BY_SLUG, { now: this.now(), slug }))?.id
  }

  /** The article whatever its status, for editors. */
  async find(slug: string): Promise<Article | undefined> {
    const row = await this.db.get<ArticleDocumentRow>(ANY_BY_SLUG, [slug])
    return row && toArticle(row, this.now())
  }

  /** When the article as served last changed: its content, its publication or its comment count. */
  async lastModified(article: Article): Promise<string> {
    const commentsChangedAt = (await this.db.get<{ at: string | null }>(COMMENTS_CHANGED_AT, [article.id]))?.at ?? ''
    const times = [article.updatedAt, commentsChangedAt, article.status === 'published' ? article.publishedAt! : '']
    return times.reduce((latest, time) => (time > latest ? time : latest))
  }

  entries(articleId: number, kind: EntryKind, afterPosition: number, limit: number): Promise<ArticleEntry[]> {
    return this.db.all<ArticleEntry>(ENTRIES_PAGE, [articleId, kind, afterPosition, limit])
  }

  async isEmpty(): Promise<boolean> {
    return (await this.db.get<{ count: number }>(ANY_ARTICLE))!.count === 0
  }

  /** Stores a new article and returns its id; the caller checks that the slug is free. */
  async create(content: ArticleContent, now: Date): Promise<number> {
    const { id } = (await this.db.get<{ id: number }>(INSERT_ARTICLE, this.values(content, now)))!
    await this.replaceEntries(id, content.sections)
    return id
  }

  /**
   * Replaces an article's content, unless it is the same already (false then); the database keeps
   * the version it replaces (see migration 003).
   */
  async update(id: number, content: ArticleContent, now: Date): Promise<boolean> {
    if ((await this.db.run(UPDATE_ARTICLE, { ...this.values(content, now), id })) === 0) return false
    await this.replaceEntries(id, content.sections)
    return true
  }

  async remove(id: number): Promise<void> {
    await this.db.run(DELETE_ARTICLE, [id])
  }

  /** An article's earlier versions, newest first (by its own version number); `limit + 1` rows are asked for by the pagination. */
  async revisions(articleId: number, beforeVersion: number | undefined, limit: number): Promise<RevisionSummary[]> {
    const rows =
      beforeVersion === undefined
        ? await this.db.all<RevisionSummaryRow>(FIRST_REVISIONS, [articleId, limit])
        : await this.db.all<RevisionSummaryRow>(REVISIONS_BEFORE, [articleId, beforeVersion, limit])
    const now = this.now()
    return rows.map((row) => toRevisionSummary(row, now))
  }

  /** The article's version `version` (1, 2, 3 …), kept when the next one replaced it. */
  async revision(articleId: number, version: number): Promise<Revision | undefined> {
    const row = await this.db.get<RevisionRow>(REVISION_BY_VERSION, [articleId, version])
    return row && { ...toRevisionSummary(row, this.now()), sections: JSON.parse(row.sections) as Section[] }
  }

  /**
   * Creates or updates the article with the parsed article's slug, for the importer, in one
   * transaction. Publishing keeps the first publication time; without `publish` an existing article
   * keeps its status and a new one is a draft.
   */
  save(parsed: ParsedArticle, options: { publish: boolean; now: Date }): Promise<SaveOutcome> {
    return this.transaction(async (articles) => {
      const existing = await articles.db.get<ArticleDocumentRow>(ANY_BY_SLUG, [parsed.slug])
      const status: StoredStatus = options.publish ? 'published' : (existing?.status ?? 'draft')
      const content: ArticleContent = {
        ...importedContent(parsed, status, options.now),
        ...(existing?.published_at ? { publishedAt: existing.published_at } : {}),
      }
      if (!existing) {
        await articles.create(content, options.now)
        return 'created'
      }
      return (await articles.update(existing.id, content, options.now)) ? 'updated' : 'unchanged'
    })
  }

  private now(): string {
    return this.clock().toISOString()
  }

  private values(content: ArticleContent, now: Date) {
    const { summary, wordCount, readingTimeMinutes } = deriveContent(content.sections)
    return {
      slug: content.slug,
      title: content.title,
      summary,
      status: content.status,
      publishedAt: content.publishedAt,
      now: now.toISOString(),
      wordCount,
      readingTimeMinutes,
      sections: JSON.stringify(content.sections),
      author: content.author ?? null,
      setAuthor: content.author === undefined ? 0 : 1,
    }
  }

  private async replaceEntries(articleId: number, sections: Section[]): Promise<void> {
    const derived = deriveContent(sections)
    await this.db.run(DELETE_ENTRIES, [articleId])
    const rows = (['techniques', 'benefits'] as const).flatMap((kind) => derived[kind].map((entry) => [kind, entry.position, entry.slug, entry.name, entry.description]))
    if (rows.length > 0) await this.db.run(INSERT_ENTRIES, [articleId, JSON.stringify(rows)])
  }
}

/** The stored content of an article as it is. */
export function contentOf(article: Article): ArticleContent {
  return {
    slug: article.slug,
    title: article.title,
    status: article.status === 'draft' ? 'draft' : 'published',
    publishedAt: article.publishedAt,
    sections: article.sections,
  }
}

/**
 * An article as a parsed text makes it: its byline's author (or none), and when it is published, its
 * byline's date unless that is still to come, else now.
 */
export function importedContent(parsed: ParsedArticle, status: StoredStatus, now: Date): ArticleContent {
  const at = now.toISOString()
  const publishedAt = status === 'draft' ? null : parsed.publishedAt !== undefined && parsed.publishedAt <= at ? parsed.publishedAt : at
  return { slug: parsed.slug, title: parsed.title, status, publishedAt, sections: parsed.sections, author: parsed.author ?? null }
}

/** The status a reader sees at `now`: a published article whose time has not come is scheduled. */
function statusAt(status: StoredStatus, publishedAt: string | null, now: string): ArticleStatus {
  return status === 'published' && publishedAt !== null && publishedAt > now ? 'scheduled' : status
}

export function toArticleSummary(row: ArticleRow, now: string): ArticleSummary {
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    summary: row.summary,
    status: statusAt(row.status, row.published_at, now),
    publishedAt: row.published_at,
    updatedAt: row.updated_at,
    wordCount: row.word_count,
    readingTimeMinutes: row.reading_time_minutes,
    commentCount: row.comment_count,
  }
}

export function toArticle(row: ArticleDocumentRow, now: string): Article {
  return { ...toArticleSummary(row, now), author: row.author, sections: JSON.parse(row.sections) as Section[] }
}

function toRevisionSummary(row: RevisionSummaryRow, now: string): RevisionSummary {
  return {
    id: row.id,
    version: row.version,
    slug: row.slug,
    title: row.title,
    status: statusAt(row.status, row.published_at, now),
    publishedAt: row.published_at,
    savedAt: row.saved_at,
    replacedAt: row.replaced_at,
  }
}
