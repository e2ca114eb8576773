import { createHash, randomBytes } from 'node:crypto'
import Type, { type Static } from 'typebox'
import type { Queries } from '../db/store.js'
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

const KEY_COLUMNS = 'id, name, scopes, created_at, revoked_at'
const INSERT = `INSERT INTO api_keys (name, digest, scopes, created_at) VALUES (?, ?, ?, ?) RETURNING ${KEY_COLUMNS}`
const ALL = `SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY id`
const ACTIVE_BY_DIGEST = `SELECT ${KEY_COLUMNS} FROM api_keys WHERE digest = ? AND revoked_at IS NULL`
// The id is compared as a bigint: an id past PostgreSQL's integer range is no key, not an error.
const REVOKE = `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = CAST(? AS bigint) RETURNING ${KEY_COLUMNS}`

export class ApiKeyRepository {
  constructor(private readonly db: Queries) {}

  /** Makes a key; the returned secret exists nowhere else. */
  async create(name: string, scopes: Scope[], now: Date): Promise<{ key: ApiKey; secret: string }> {
    const secret = KEY_PREFIX + randomBytes(32).toString('base64url')
    const row = (await this.db.get<ApiKeyRow>(INSERT, [name, keyDigest(secret), JSON.stringify([...new Set(scopes)]), now.toISOString()]))!
    return { key: toApiKey(row), secret }
  }

  async list(): Promise<ApiKey[]> {
    return (await this.db.all<ApiKeyRow>(ALL)).map(toApiKey)
  }

  /** The key with this secret, unless it is unknown or revoked; read on every request, so a revocation counts at once. */
  async findActive(secret: string): Promise<ApiKey | undefined> {
    const row = await this.db.get<ApiKeyRow>(ACTIVE_BY_DIGEST, [keyDigest(secret)])
    return row && toApiKey(row)
  }

  /** Revokes the key (a second revocation keeps the first time); undefined when there is no such key. */
  async revoke(id: number, now: Date): Promise<ApiKey | undefined> {
    const row = await this.db.get<ApiKeyRow>(REVOKE, [now.toISOString(), id])
    return row && toApiKey(row)
  }
}

function toApiKey(row: ApiKeyRow): ApiKey {
  return { id: row.id, name: row.name, scopes: JSON.parse(row.scopes) as Scope[], createdAt: row.created_at, revokedAt: row.revoked_at }
}
