import { writeTransaction, type SqliteDatabase } from '../db/database.js'
import type { ParsedArticle } from '../importer/parse.js'
import { deriveContent } from './content.js'
import type { Article, ArticleEntry, ArticleStatus, ArticleSummary, Revision, RevisionSummary, Section } from './schemas.js'

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

interface ArticleDocumentRow extends ArticleRow {
  sections: string
}

interface RevisionSummaryRow {
  id: number
  version: number
  title: string
  status: StoredStatus
  published_at: string | null
  saved_at: string
  replaced_at: string
}

interface RevisionRow extends RevisionSummaryRow {
  sections: string
}

export interface PublishedPosition {
  publishedAt: string
  id: number
}

/** An article as an editor sets it; everything else is derived from it. */
export interface ArticleContent {
  slug: string
  title: string
  status: StoredStatus
  publishedAt: string | null
  sections: Section[]
}

export type SaveOutcome = 'created' | 'updated' | 'unchanged'

const SUMMARY_COLUMNS = 'id, slug, title, summary, status, published_at, updated_at, word_count, reading_time_minutes, comment_count'
// Public means published, at a time that has come: `@now` is the app's clock.
const PUBLIC = "status = 'published' AND published_at <= @now"
const REVISION_COLUMNS = 'id, version, title, status, published_at, saved_at, replaced_at'

export class ArticleRepository {
  private readonly firstPublished
  private readonly publishedAfter
  private readonly publishedBySlug
  private readonly publishedIdBySlug
  private readonly anyBySlug
  private readonly entriesPage
  private readonly insertArticle
  private readonly updateArticle
  private readonly deleteArticle
  private readonly deleteEntries
  private readonly insertEntry
  private readonly countArticles
  private readonly firstRevisions
  private readonly revisionsBefore
  private readonly revisionById

  constructor(
    private readonly db: SqliteDatabase,
    private readonly clock: () => Date = () => new Date(),
  ) {
    const published = `SELECT ${SUMMARY_COLUMNS} FROM articles WHERE ${PUBLIC}`
    this.firstPublished = db.prepare<{ now: string; limit: number }, ArticleRow>(`${published} ORDER BY published_at DESC, id DESC LIMIT @limit`)
    this.publishedAfter = db.prepare<{ now: string; publishedAt: string; id: number; limit: number }, ArticleRow>(
      `${published} AND (published_at, id) < (@publishedAt, @id) ORDER BY published_at DESC, id DESC LIMIT @limit`,
    )
    this.publishedBySlug = db.prepare<{ now: string; slug: string }, ArticleDocumentRow>(
      `SELECT ${SUMMARY_COLUMNS}, sections FROM articles WHERE ${PUBLIC} AND slug = @slug`,
    )
    this.publishedIdBySlug = db.prepare<{ now: string; slug: string }, { id: number }>(`SELECT id FROM articles WHERE ${PUBLIC} AND slug = @slug`)
    this.anyBySlug = db.prepare<[string], ArticleDocumentRow>(`SELECT ${SUMMARY_COLUMNS}, sections FROM articles WHERE slug = ?`)
    this.entriesPage = db.prepare<[number, string, number, number], ArticleEntry>(
      'SELECT position, name, slug, description FROM article_entries WHERE article_id = ? AND kind = ? AND position > ? ORDER BY position LIMIT ?',
    )
    this.insertArticle = db.prepare(
      `INSERT INTO articles (slug, title, summary, status, published_at, created_at, updated_at, word_count, reading_time_minutes, sections)
       VALUES (@slug, @title, @summary, @status, @publishedAt, @now, @now, @wordCount, @readingTimeMinutes, @sections)`,
    )
    this.updateArticle = db.prepare(
      `UPDATE articles SET slug = @slug, title = @title, summary = @summary, status = @status, published_at = @publishedAt, updated_at = @now,
       word_count = @wordCount, reading_time_minutes = @readingTimeMinutes, sections = @sections
       WHERE id = @id AND (slug IS NOT @slug OR title IS NOT @title OR status IS NOT @status OR published_at IS NOT @publishedAt OR sections IS NOT @sections)`,
    )
    this.deleteArticle = db.prepare<[number]>('DELETE FROM articles WHERE id = ?')
    this.deleteEntries = db.prepare<[number]>('DELETE FROM article_entries WHERE article_id = ?')
    this.insertEntry = db.prepare('INSERT INTO article_entries (article_id, kind, position, slug, name, description) VALUES (?, ?, ?, ?, ?, ?)')
    this.countArticles = db.prepare<[], { count: number }>('SELECT count(*) AS count FROM articles')
    this.firstRevisions = db.prepare<[number, number], RevisionSummaryRow>(
      `SELECT ${REVISION_COLUMNS} FROM article_revisions WHERE article_id = ? ORDER BY id DESC LIMIT ?`,
    )
    this.revisionsBefore = db.prepare<[number, number, number], RevisionSummaryRow>(
      `SELECT ${REVISION_COLUMNS} FROM article_revisions WHERE article_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
    )
    this.revisionById = db.prepare<[number, number], RevisionRow>(`SELECT ${REVISION_COLUMNS}, sections FROM article_revisions WHERE article_id = ? AND id = ?`)
  }

  /** Public articles, newest first; `limit + 1` rows are asked for by the pagination. */
  listPublished(after: PublishedPosition | undefined, limit: number): ArticleSummary[] {
    const now = this.now()
    const rows = after ? this.publishedAfter.all({ now, ...after, limit }) : this.firstPublished.all({ now, limit })
    return rows.map((row) => toArticleSummary(row, now))
  }

  findPublished(slug: string): Article | undefined {
    const now = this.now()
    const row = this.publishedBySlug.get({ now, slug })
    return row && toArticle(row, now)
  }

  findPublishedId(slug: string): number | undefined {
    return this.publishedIdBySlug.get({ now: this.now(), slug })?.id
  }

  /** The article whatever its status, for editors. */
  find(slug: string): Article | undefined {
    const row = this.anyBySlug.get(slug)
    return row && toArticle(row, this.now())
  }

  entries(articleId: number, kind: EntryKind, afterPosition: number, limit: number): ArticleEntry[] {
    return this.entriesPage.all(articleId, kind, afterPosition, limit)
  }

  isEmpty(): boolean {
    return this.countArticles.get()!.count === 0
  }

  /** Stores a new article and returns its id; the caller checks that the slug is free. */
  create(content: ArticleContent, now: Date): number {
    const id = Number(this.insertArticle.run(this.values(content, now)).lastInsertRowid)
    this.replaceEntries(id, content.sections)
    return id
  }

  /**
   * Replaces an article's content, unless it is the same already (false then); the database keeps
   * the version it replaces (see migration 003).
   */
  update(id: number, content: ArticleContent, now: Date): boolean {
    if (this.updateArticle.run({ ...this.values(content, now), id }).changes === 0) return false
    this.replaceEntries(id, content.sections)
    return true
  }

  remove(id: number): void {
    this.deleteArticle.run(id)
  }

  /** An article's earlier versions, newest first; `limit + 1` rows are asked for by the pagination. */
  revisions(articleId: number, beforeId: number | undefined, limit: number): RevisionSummary[] {
    const rows = beforeId === undefined ? this.firstRevisions.all(articleId, limit) : this.revisionsBefore.all(articleId, beforeId, limit)
    const now = this.now()
    return rows.map((row) => toRevisionSummary(row, now))
  }

  revision(articleId: number, revisionId: number): Revision | undefined {
    const row = this.revisionById.get(articleId, revisionId)
    return row && { ...toRevisionSummary(row, this.now()), sections: JSON.parse(row.sections) as Section[] }
  }

  /**
   * Creates or updates the article with the parsed article's slug, for the importer. Publishing keeps
   * the first publication time; without `publish` an existing article keeps its status and a new one is a draft.
   */
  save(parsed: ParsedArticle, options: { publish: boolean; now: Date }): SaveOutcome {
    const existing = this.anyBySlug.get(parsed.slug)
    const status: StoredStatus = options.publish ? 'published' : (existing?.status ?? 'draft')
    const content: ArticleContent = {
      slug: parsed.slug,
      title: parsed.title,
      status,
      publishedAt: status === 'published' ? (existing?.published_at ?? options.now.toISOString()) : (existing?.published_at ?? null),
      sections: parsed.sections,
    }
    if (!existing) {
      this.create(content, options.now)
      return 'created'
    }
    return this.update(existing.id, content, options.now) ? 'updated' : 'unchanged'
  }

  transaction<T>(work: () => T): T {
    return writeTransaction(this.db, work)
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
    }
  }

  private replaceEntries(articleId: number, sections: Section[]): void {
    const derived = deriveContent(sections)
    this.deleteEntries.run(articleId)
    for (const kind of ['techniques', 'benefits'] as const) {
      for (const entry of derived[kind]) this.insertEntry.run(articleId, kind, entry.position, entry.slug, entry.name, entry.description)
    }
  }
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
  return { ...toArticleSummary(row, now), sections: JSON.parse(row.sections) as Section[] }
}

function toRevisionSummary(row: RevisionSummaryRow, now: string): RevisionSummary {
  return {
    id: row.id,
    version: row.version,
    title: row.title,
    status: statusAt(row.status, row.published_at, now),
    publishedAt: row.published_at,
    savedAt: row.saved_at,
    replacedAt: row.replaced_at,
  }
}
