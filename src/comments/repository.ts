import type { Queries } from '../db/store.js'
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

const APPROVED_PAGE = `${SELECT_PUBLIC} WHERE c.article_id = ? AND c.status = 'approved' AND c.id > ? ORDER BY c.id LIMIT ?`
const APPROVED_ONE = `${SELECT_PUBLIC} WHERE c.article_id = ? AND c.id = ? AND c.status = 'approved'`
const BY_ID = `${SELECT} WHERE c.id = ?`
const BY_STATUS_PAGE = `${SELECT} WHERE c.status = ? AND c.id > ? ORDER BY c.id LIMIT ?`
const INSERT = `INSERT INTO comments (article_id, parent_id, author_name, author_email, author_url, body, status, created_at, updated_at)
  VALUES (@articleId, @parentId, @authorName, @authorEmail, @authorUrl, @body, @status, @now, @now)
  RETURNING id, parent_id, author_name, author_url, body, reply_count, created_at`
const DUPLICATE = 'SELECT id FROM comments WHERE article_id = ? AND author_email = ? AND created_at >= ? AND body = ? LIMIT 1'
const UPDATE_STATUS = 'UPDATE comments SET status = ?, updated_at = ? WHERE id = ?'
const DELETE = 'DELETE FROM comments WHERE id = ?'
// SHARE ROW EXCLUSIVE: taken by one transaction at a time, and blocks writes to comments, not reads.
const LOCK_FOR_WRITING = 'LOCK TABLE comments IN SHARE ROW EXCLUSIVE MODE'

export class CommentRepository {
  constructor(private readonly db: Queries) {}

  /** The same repository inside a transaction (see `Queries.transaction`). */
  in(tx: Queries): CommentRepository {
    return new CommentRepository(tx)
  }

  /**
   * The first statement of a transaction that writes comments (a post, a status change). On
   * PostgreSQL such transactions then wait for each other instead of failing each other: a
   * serializable transaction's snapshot is taken by its first query and LOCK TABLE takes none, so each
   * sees the one before it committed. Without it every post that overlaps another (both read the
   * duplicates, both update the article's count) loses the serializable check and runs again, and
   * under a burst some run out of attempts. Plain reads are not blocked. SQLite runs write
   * transactions one at a time already.
   */
  async lockForWriting(): Promise<void> {
    if (this.db.dialect === 'postgres') await this.db.run(LOCK_FOR_WRITING)
  }

  /** Approved comments of an article, oldest first; `limit + 1` rows are asked for by the pagination. */
  async listApproved(articleId: number, afterId: number, limit: number): Promise<PublicComment[]> {
    return (await this.db.all<PublicCommentRow>(APPROVED_PAGE, [articleId, afterId, limit])).map(toPublicComment)
  }

  async findApproved(articleId: number, id: number): Promise<PublicComment | undefined> {
    const row = await this.db.get<PublicCommentRow>(APPROVED_ONE, [articleId, id])
    return row && toPublicComment(row)
  }

  async find(id: number): Promise<ModeratedComment | undefined> {
    const row = await this.db.get<CommentRow>(BY_ID, [id])
    return row && toModeratedComment(row)
  }

  async listByStatus(status: CommentStatus, afterId: number, limit: number): Promise<ModeratedComment[]> {
    return (await this.db.all<CommentRow>(BY_STATUS_PAGE, [status, afterId, limit])).map(toModeratedComment)
  }

  /** Whether the same author posted the same text on the article since `since`. */
  async isDuplicate(articleId: number, authorEmail: string, body: string, since: string): Promise<boolean> {
    return (await this.db.get(DUPLICATE, [articleId, authorEmail, since, body])) !== undefined
  }

  /** Stores a comment and returns its public fields (its parent, if any, was just found approved). */
  async create(comment: CommentInsert): Promise<PublicComment> {
    return toPublicComment((await this.db.get<PublicCommentRow>(INSERT, { ...comment }))!)
  }

  /** Sets the status and reads the comment back in one transaction: the answer is the change it made. */
  setStatus(id: number, status: CommentStatus, now: string): Promise<ModeratedComment | undefined> {
    return this.db.transaction(async (tx) => {
      const comments = this.in(tx)
      await comments.lockForWriting()
      return (await tx.run(UPDATE_STATUS, [status, now, id])) > 0 ? comments.find(id) : undefined
    })
  }

  async delete(id: number): Promise<boolean> {
    return (await this.db.run(DELETE, [id])) > 0
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
