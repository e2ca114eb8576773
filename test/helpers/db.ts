import { createHash } from 'node:crypto'
import type { SqliteDatabase } from '../../src/db/database.js'

/**
 * A digest of every row of every table (ordered by the first column), to show that a request wrote
 * nothing: equal digests before and after mean equal contents.
 */
export function tableDigest(db: SqliteDatabase): string {
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]
  const hash = createHash('sha256')
  for (const table of tables) hash.update(table).update(JSON.stringify(db.prepare(`SELECT * FROM "${table}" ORDER BY 1`).raw().all()))
  return hash.digest('hex')
}
