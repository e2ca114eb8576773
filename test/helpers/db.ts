import { createHash } from 'node:crypto'
import { openDatabase, type SqliteDatabase } from '../../src/db/database.js'
import { migrate, readMigrations } from '../../src/db/migrate.js'
import type { Queries } from '../../src/db/store.js'

const TABLES = {
  sqlite: "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  postgres: "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY name",
}

/**
 * A digest of every row of every table (ordered by the first column), to show that a request wrote
 * nothing: equal digests before and after mean equal contents.
 */
export async function tableDigest(store: Queries): Promise<string> {
  const tables = await store.all<{ name: string }>(TABLES)
  const hash = createHash('sha256')
  for (const { name } of tables) hash.update(name).update(JSON.stringify(await store.all(`SELECT * FROM "${name}" ORDER BY 1`)))
  return hash.digest('hex')
}

/**
 * A database migrated only below `version`, holding the rows of `tables` copied from `current` (as far as
 * the older tables have their columns): today's repositories write columns of later migrations, so a test
 * of a migration's backfill writes with them on a current database and copies the rows back in time.
 */
export function olderCopy(current: SqliteDatabase, version: number, tables: string[]): SqliteDatabase {
  const db = openDatabase(':memory:')
  migrate(db, readMigrations().filter((migration) => migration.version < version))
  for (const table of tables) {
    const columns = (db.pragma(`table_info(${table})`) as { name: string }[]).map((column) => column.name).join(', ')
    const insert = db.prepare(`INSERT INTO ${table} (${columns}) VALUES (${columns.replace(/\w+/g, '?')})`)
    for (const row of current.prepare(`SELECT ${columns} FROM ${table}`).raw().all() as unknown[][]) insert.run(...row)
  }
  return db
}
