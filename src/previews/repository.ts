import { createHash, randomBytes } from 'node:crypto'
import { ARTICLE_COLUMNS, toArticle, type ArticleDocumentRow } from '../articles/repository.js'
import type { Article } from '../articles/schemas.js'
import type { Queries } from '../db/store.js'

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

const INSERT = 'INSERT INTO article_previews (article_id, digest, created_at, expires_at) VALUES (?, ?, ?, ?) RETURNING id, created_at, expires_at'
const PURGE = 'DELETE FROM article_previews WHERE expires_at <= ?'
// Ids from a cursor or a path are compared as bigints: one past PostgreSQL's integer range matches nothing, as on SQLite.
const ACTIVE_PAGE =
  'SELECT id, created_at, expires_at FROM article_previews WHERE article_id = ? AND revoked_at IS NULL AND expires_at > ? AND id > CAST(? AS bigint) ORDER BY id LIMIT ?'
const REVOKE = 'UPDATE article_previews SET revoked_at = ? WHERE id = CAST(? AS bigint) AND article_id = ? AND revoked_at IS NULL AND expires_at > ?'
const ARTICLE_BY_DIGEST = `SELECT ${ARTICLE_COLUMNS} FROM articles WHERE id = (SELECT article_id FROM article_previews WHERE digest = ? AND revoked_at IS NULL AND expires_at > ?)`

/** Preview links: tokens that each let their holder read one article, whatever its status, until they expire or are revoked. */
export class PreviewRepository {
  constructor(private readonly db: Queries) {}

  /** A new preview of the article; the token exists nowhere else. Expired previews are cleared on the way. */
  async create(articleId: number, now: Date, lifetimeSeconds: number): Promise<{ preview: Preview; token: string }> {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
    const at = now.toISOString()
    await this.db.run(PURGE, [at])
    const row = (await this.db.get<PreviewRow>(INSERT, [articleId, tokenDigest(token), at, new Date(now.getTime() + lifetimeSeconds * 1000).toISOString()]))!
    return { preview: toPreview(row), token }
  }

  /** The article's previews that still work, oldest first; `limit + 1` are asked for by the pagination. */
  async active(articleId: number, now: Date, afterId: number, limit: number): Promise<Preview[]> {
    return (await this.db.all<PreviewRow>(ACTIVE_PAGE, [articleId, now.toISOString(), afterId, limit])).map(toPreview)
  }

  /** False when the article has no working preview with this id. */
  async revoke(articleId: number, id: number, now: Date): Promise<boolean> {
    const at = now.toISOString()
    return (await this.db.run(REVOKE, [at, id, articleId, at])) === 1
  }

  /** The article the token shows, as it is now; undefined for a token unknown, expired or revoked. */
  async article(token: string, now: Date): Promise<Article | undefined> {
    const at = now.toISOString()
    const row = await this.db.get<ArticleDocumentRow>(ARTICLE_BY_DIGEST, [tokenDigest(token), at])
    return row && toArticle(row, at)
  }
}
