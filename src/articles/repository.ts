import { writeTransaction, type SqliteDatabase } from '../db/database.js'
import type { ParsedArticle } from '../importer/parse.js'
import type { Article, ArticleEntry, ArticleStatus, ArticleSummary, Section } from './schemas.js'

export type EntryKind = 'techniques' | 'benefits'

interface ArticleRow {
  id: number
  slug: string
  title: string
  summary: string
  status: ArticleStatus
  published_at: string | null
  updated_at: string
  word_count: number
  reading_time_minutes: number
  comment_count: number
}

interface ArticleDocumentRow extends ArticleRow {
  sections: string
}

export interface PublishedPosition {
  publishedAt: string
  id: number
}

export type SaveOutcome = 'created' | 'updated' | 'unchanged'

const SUMMARY_COLUMNS = 'id, slug, title, summary, status, published_at, updated_at, word_count, reading_time_minutes, comment_count'

export class ArticleRepository {
  private readonly firstPublished
  private readonly publishedAfter
  private readonly publishedBySlug
  private readonly publishedIdBySlug
  private readonly anyBySlug
  private readonly entriesPage
  private readonly insertArticle
  private readonly updateArticle
  private readonly deleteEntries
  private readonly insertEntry
  private readonly countArticles

  constructor(private readonly db: SqliteDatabase) {
    const published = `SELECT ${SUMMARY_COLUMNS} FROM articles WHERE status = 'published'`
    this.firstPublished = db.prepare<[number], ArticleRow>(`${published} ORDER BY published_at DESC, id DESC LIMIT ?`)
    this.publishedAfter = db.prepare<[string, number, number], ArticleRow>(
      `${published} AND (published_at, id) < (?, ?) ORDER BY published_at DESC, id DESC LIMIT ?`,
    )
    this.publishedBySlug = db.prepare<[string], ArticleDocumentRow>(
      `SELECT ${SUMMARY_COLUMNS}, sections FROM articles WHERE status = 'published' AND slug = ?`,
    )
    this.publishedIdBySlug = db.prepare<[string], { id: number }>(`SELECT id FROM articles WHERE status = 'published' AND slug = ?`)
    this.anyBySlug = db.prepare<[string], ArticleDocumentRow>(`SELECT ${SUMMARY_COLUMNS}, sections FROM articles WHERE slug = ?`)
    this.entriesPage = db.prepare<[number, string, number, number], ArticleEntry>(
      'SELECT position, name, slug, description FROM article_entries WHERE article_id = ? AND kind = ? AND position > ? ORDER BY position LIMIT ?',
    )
    this.insertArticle = db.prepare(
      `INSERT INTO articles (slug, title, summary, status, published_at, created_at, updated_at, word_count, reading_time_minutes, sections)
       VALUES (@slug, @title, @summary, @status, @publishedAt, @now, @now, @wordCount, @readingTimeMinutes, @sections)`,
    )
    this.updateArticle = db.prepare(
      `UPDATE articles SET title = @title, summary = @summary, status = @status, published_at = @publishedAt, updated_at = @now,
       word_count = @wordCount, reading_time_minutes = @readingTimeMinutes, sections = @sections WHERE id = @id`,
    )
    this.deleteEntries = db.prepare<[number]>('DELETE FROM article_entries WHERE article_id = ?')
    this.insertEntry = db.prepare('INSERT INTO article_entries (article_id, kind, position, slug, name, description) VALUES (?, ?, ?, ?, ?, ?)')
    // 0 or 1: whether there is any article. A full count(*) scans an index of every article at each start (~50 ms at 100,000).
    this.countArticles = db.prepare<[], { count: number }>('SELECT count(*) AS count FROM (SELECT 1 FROM articles LIMIT 1)')
  }

  /** Published articles, newest first; `limit + 1` rows are asked for by the pagination. */
  listPublished(after: PublishedPosition | undefined, limit: number): ArticleRow[] {
    return after ? this.publishedAfter.all(after.publishedAt, after.id, limit) : this.firstPublished.all(limit)
  }

  findPublished(slug: string): Article | undefined {
    const row = this.publishedBySlug.get(slug)
    return row && toArticle(row)
  }

  findPublishedId(slug: string): number | undefined {
    return this.publishedIdBySlug.get(slug)?.id
  }

  entries(articleId: number, kind: EntryKind, afterPosition: number, limit: number): ArticleEntry[] {
    return this.entriesPage.all(articleId, kind, afterPosition, limit)
  }

  isEmpty(): boolean {
    return this.countArticles.get()!.count === 0
  }

  /**
   * Creates or updates the article with the parsed article's slug. Publishing keeps the first
   * publication time; without `publish` an existing article keeps its status and a new one is a draft.
   */
  save(parsed: ParsedArticle, options: { publish: boolean; now: Date }): SaveOutcome {
    const existing = this.anyBySlug.get(parsed.slug)
    const now = options.now.toISOString()
    const status: ArticleStatus = options.publish ? 'published' : (existing?.status ?? 'draft')
    const values = {
      slug: parsed.slug,
      title: parsed.title,
      summary: parsed.summary,
      status,
      publishedAt: status === 'published' ? (existing?.published_at ?? now) : (existing?.published_at ?? null),
      now,
      wordCount: parsed.wordCount,
      readingTimeMinutes: parsed.readingTimeMinutes,
      sections: JSON.stringify(parsed.sections),
    }
    if (!existing) {
      const id = Number(this.insertArticle.run(values).lastInsertRowid)
      this.replaceEntries(id, parsed)
      return 'created'
    }
    const unchanged =
      existing.title === values.title &&
      existing.summary === values.summary &&
      existing.status === values.status &&
      existing.published_at === values.publishedAt &&
      existing.sections === values.sections
    if (unchanged) return 'unchanged'
    this.updateArticle.run({ ...values, id: existing.id })
    this.replaceEntries(existing.id, parsed)
    return 'updated'
  }

  transaction<T>(work: () => T): T {
    return writeTransaction(this.db, work)
  }

  private replaceEntries(articleId: number, parsed: Pick<ParsedArticle, 'techniques' | 'benefits'>): void {
    this.deleteEntries.run(articleId)
    for (const kind of ['techniques', 'benefits'] as const) {
      for (const entry of parsed[kind]) this.insertEntry.run(articleId, kind, entry.position, entry.slug, entry.name, entry.description)
    }
  }
}

export function toArticleSummary(row: ArticleRow): ArticleSummary {
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    summary: row.summary,
    status: row.status,
    publishedAt: row.published_at,
    updatedAt: row.updated_at,
    wordCount: row.word_count,
    readingTimeMinutes: row.reading_time_minutes,
    commentCount: row.comment_count,
  }
}

function toArticle(row: ArticleDocumentRow): Article {
  return { ...toArticleSummary(row), sections: JSON.parse(row.sections) as Section[] }
}
