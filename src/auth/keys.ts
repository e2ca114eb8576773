import { createHash, randomBytes } from 'node:crypto'
import Type, { type Static } from 'typebox'
import type { SqliteDatabase } from '../db/database.js'
import { StringEnum } from '../http/schema.js'

export const Scope = StringEnum(['content:write', 'comments:moderate', 'webhooks:manage', 'admin'], {
  description: '`content:write` writes articles, `comments:moderate` moderates comments, `webhooks:manage` manages webhook endpoints, `admin` may do everything.',
})
export type Scope = Static<typeof Scope>
export const SCOPES: readonly Scope[] = Scope.enum

export interface ApiKey {
  id: number
  name: string
  scopes: Scope[]
  createdAt: string
  revokedAt: string | null
}

interface ApiKeyRow {
  id: number
  name: string
  scopes: string
  created_at: string
  revoked_at: string | null
}

const KEY_PREFIX = 'cak_'

/** The stored form of a key. A key has 256 random bits, so one unsalted hash is enough to make the table useless to a thief. */
export const keyDigest = (key: string) => createHash('sha256').update(key).digest('hex')

export class ApiKeyRepository {
  private readonly insert
  private readonly all
  private readonly activeByDigest
  private readonly revokeById

  constructor(db: SqliteDatabase) {
    this.insert = db.prepare<[string, string, string, string], ApiKeyRow>(
      'INSERT INTO api_keys (name, digest, scopes, created_at) VALUES (?, ?, ?, ?) RETURNING id, name, scopes, created_at, revoked_at',
    )
    this.all = db.prepare<[], ApiKeyRow>('SELECT id, name, scopes, created_at, revoked_at FROM api_keys ORDER BY id')
    this.activeByDigest = db.prepare<[string], ApiKeyRow>('SELECT id, name, scopes, created_at, revoked_at FROM api_keys WHERE digest = ? AND revoked_at IS NULL')
    this.revokeById = db.prepare<[string, number], ApiKeyRow>(
      'UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING id, name, scopes, created_at, revoked_at',
    )
  }

  /** Makes a key; the returned secret exists nowhere else. */
  create(name: string, scopes: Scope[], now: Date): { key: ApiKey; secret: string } {
    const secret = KEY_PREFIX + randomBytes(32).toString('base64url')
    const row = this.insert.get(name, keyDigest(secret), JSON.stringify([...new Set(scopes)]), now.toISOString())!
    return { key: toApiKey(row), secret }
  }

  list(): ApiKey[] {
    return this.all.all().map(toApiKey)
  }

  /** The key with this secret, unless it is unknown or revoked; read on every request, so a revocation counts at once. */
  findActive(secret: string): ApiKey | undefined {
    const row = this.activeByDigest.get(keyDigest(secret))
    return row && toApiKey(row)
  }

  /** Revokes the key (a second revocation keeps the first time); undefined when there is no such key. */
  revoke(id: number, now: Date): ApiKey | undefined {
    const row = this.revokeById.get(now.toISOString(), id)
    return row && toApiKey(row)
  }
}

function toApiKey(row: ApiKeyRow): ApiKey {
  return { id: row.id, name: row.name, scopes: JSON.parse(row.scopes) as Scope[], createdAt: row.created_at, revokedAt: row.revoked_at }
}
