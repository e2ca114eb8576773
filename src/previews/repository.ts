import { createHash, randomBytes } from 'node:crypto'
import { ARTICLE_COLUMNS, toArticle, type ArticleDocumentRow } from '../articles/repository.js'
import type { Article } from '../articles/schemas.js'
import type { SqliteDatabase } from '../db/database.js'

export interface Preview {
  id: number
  createdAt: string
  expiresAt: string
}

interface PreviewRow {
  id: number
  created_at: string
  expires_at: string
}

const TOKEN_PREFIX = 'prv_'
/** What a preview token looks like; anything else is not looked up. */
export const PREVIEW_TOKEN_PATTERN = '^prv_[A-Za-z0-9_-]{43}$'
export const PREVIEW_TOKEN_EXAMPLE = 'prv_Jm3f0Qx1cV9yT2uA8kLwZ4rN6pB5sD7eH0gI1jK2lMn'

/** 256 random bits: one unsalted hash makes the stored digests useless to a thief, as for API keys. */
const tokenDigest = (token: string) => createHash('sha256').update(token).digest('hex')
const toPreview = (row: PreviewRow): Preview => ({ id: row.id, createdAt: row.created_at, expiresAt: row.expires_at })

/** Preview links: tokens that each let their holder read one article, whatever its status, until they expire or are revoked. */
export class PreviewRepository {
  private readonly insert
  private readonly purge
  private readonly activePage
  private readonly revokeOne
  private readonly articleByDigest

  constructor(db: SqliteDatabase) {
    this.insert = db.prepare<[number, string, string, string], PreviewRow>(
      'INSERT INTO article_previews (article_id, digest, created_at, expires_at) VALUES (?, ?, ?, ?) RETURNING id, created_at, expires_at',
    )
    this.purge = db.prepare<[string]>('DELETE FROM article_previews WHERE expires_at <= ?')
    this.activePage = db.prepare<[number, string, number, number], PreviewRow>(
      'SELECT id, created_at, expires_at FROM article_previews WHERE article_id = ? AND revoked_at IS NULL AND expires_at > ? AND id > ? ORDER BY id LIMIT ?',
    )
    this.revokeOne = db.prepare<[string, number, number, string]>('UPDATE article_previews SET revoked_at = ? WHERE id = ? AND article_id = ? AND revoked_at IS NULL AND expires_at > ?')
    this.articleByDigest = db.prepare<[string, string], ArticleDocumentRow>(
      `SELECT ${ARTICLE_COLUMNS} FROM articles WHERE id = (SELECT article_id FROM article_previews WHERE digest = ? AND revoked_at IS NULL AND expires_at > ?)`,
    )
  }

  /** A new preview of the article; the token exists nowhere else. Expired previews are cleared on the way. */
  create(articleId: number, now: Date, lifetimeSeconds: number): { preview: Preview; token: string } {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
    const at = now.toISOString()
    this.purge.run(at)
    const row = this.insert.get(articleId, tokenDigest(token), at, new Date(now.getTime() + lifetimeSeconds * 1000).toISOString())!
    return { preview: toPreview(row), token }
  }

  /** The article's previews that still work, oldest first; `limit + 1` are asked for by the pagination. */
  active(articleId: number, now: Date, afterId: number, limit: number): Preview[] {
    return this.activePage.all(articleId, now.toISOString(), afterId, limit).map(toPreview)
  }

  /** False when the article has no working preview with this id. */
  revoke(articleId: number, id: number, now: Date): boolean {
    const at = now.toISOString()
    return this.revokeOne.run(at, id, articleId, at).changes === 1
  }

  /** The article the token shows, as it is now; undefined for a token unknown, expired or revoked. */
  article(token: string, now: Date): Article | undefined {
    const at = now.toISOString()
    const row = this.articleByDigest.get(tokenDigest(token), at)
    return row && toArticle(row, at)
  }
}
