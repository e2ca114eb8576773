import type { SqliteDatabase } from '../db/database.js'
import type { CommentStatus, ModeratedComment, PublicComment } from './schemas.js'

interface CommentRow {
  id: number
  article_id: number
  article_slug: string
  parent_id: number | null
  author_name: string
  author_email: string
  author_url: string | null
  body: string
  status: CommentStatus
  reply_count: number
  created_at: string
  updated_at: string
}

export interface CommentInsert {
  authorName: string
  authorEmail: string
  authorUrl: string | null
  body: string
  articleId: number
  parentId: number | null
  status: CommentStatus
  now: string
}

const COLUMNS = `c.id, c.article_id, a.slug AS article_slug, c.author_name, c.author_email, c.author_url,
  c.body, c.status, c.reply_count, c.created_at, c.updated_at`
const SELECT = `SELECT ${COLUMNS}, c.parent_id FROM comments AS c JOIN articles AS a ON a.id = c.article_id`
/**
 * Readers see a reply's parent only while the parent is public too. Only the public fields are read:
 * no join to the article (its slug is not in a public comment), a third less work per page.
 */
const SELECT_PUBLIC = `SELECT c.id, c.author_name, c.author_url, c.body, c.reply_count, c.created_at, p.id AS parent_id FROM comments AS c
  LEFT JOIN comments AS p ON p.id = c.parent_id AND p.status = 'approved'`

type PublicCommentRow = Pick<CommentRow, 'id' | 'parent_id' | 'author_name' | 'author_url' | 'body' | 'reply_count' | 'created_at'>

export class CommentRepository {
  private readonly approvedPage
  private readonly approvedOne
  private readonly byId
  private readonly byStatusPage
  private readonly insert
  private readonly duplicate
  private readonly updateStatus
  private readonly remove

  constructor(db: SqliteDatabase) {
    this.approvedPage = db.prepare<[number, number, number], PublicCommentRow>(`${SELECT_PUBLIC} WHERE c.article_id = ? AND c.status = 'approved' AND c.id > ? ORDER BY c.id LIMIT ?`)
    this.approvedOne = db.prepare<[number, number], PublicCommentRow>(`${SELECT_PUBLIC} WHERE c.article_id = ? AND c.id = ? AND c.status = 'approved'`)
    this.byId = db.prepare<[number], CommentRow>(`${SELECT} WHERE c.id = ?`)
    this.byStatusPage = db.prepare<[CommentStatus, number, number], CommentRow>(`${SELECT} WHERE c.status = ? AND c.id > ? ORDER BY c.id LIMIT ?`)
    this.insert = db.prepare<[CommentInsert], PublicCommentRow>(
      `INSERT INTO comments (article_id, parent_id, author_name, author_email, author_url, body, status, created_at, updated_at)
       VALUES (@articleId, @parentId, @authorName, @authorEmail, @authorUrl, @body, @status, @now, @now)
       RETURNING id, parent_id, author_name, author_url, body, reply_count, created_at`,
    )
    this.duplicate = db.prepare<[number, string, string, string], { id: number }>(
      'SELECT id FROM comments WHERE article_id = ? AND author_email = ? AND created_at >= ? AND body = ? LIMIT 1',
    )
    this.updateStatus = db.prepare<[CommentStatus, string, number]>('UPDATE comments SET status = ?, updated_at = ? WHERE id = ?')
    this.remove = db.prepare<[number]>('DELETE FROM comments WHERE id = ?')
  }

  /** Approved comments of an article, oldest first; `limit + 1` rows are asked for by the pagination. */
  listApproved(articleId: number, afterId: number, limit: number): PublicComment[] {
    return this.approvedPage.all(articleId, afterId, limit).map(toPublicComment)
  }

  findApproved(articleId: number, id: number): PublicComment | undefined {
    const row = this.approvedOne.get(articleId, id)
    return row && toPublicComment(row)
  }

  find(id: number): ModeratedComment | undefined {
    const row = this.byId.get(id)
    return row && toModeratedComment(row)
  }

  listByStatus(status: CommentStatus, afterId: number, limit: number): ModeratedComment[] {
    return this.byStatusPage.all(status, afterId, limit).map(toModeratedComment)
  }

  /** Whether the same author posted the same text on the article since `since`. */
  isDuplicate(articleId: number, authorEmail: string, body: string, since: string): boolean {
    return this.duplicate.get(articleId, authorEmail, since, body) !== undefined
  }

  /** Stores a comment and returns its public fields (its parent, if any, was just found approved). */
  create(comment: CommentInsert): PublicComment {
    return toPublicComment(this.insert.get(comment)!)
  }

  setStatus(id: number, status: CommentStatus, now: string): ModeratedComment | undefined {
    return this.updateStatus.run(status, now, id).changes > 0 ? this.find(id) : undefined
  }

  delete(id: number): boolean {
    return this.remove.run(id).changes > 0
  }
}

function toPublicComment(row: PublicCommentRow): PublicComment {
  return {
    id: row.id,
    parentId: row.parent_id,
    authorName: row.author_name,
    authorUrl: row.author_url,
    body: row.body,
    createdAt: row.created_at,
    replyCount: row.reply_count,
  }
}

function toModeratedComment(row: CommentRow): ModeratedComment {
  return { ...toPublicComment(row), articleSlug: row.article_slug, authorEmail: row.author_email, status: row.status, updatedAt: row.updated_at }
}
