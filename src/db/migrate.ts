import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { writeTransaction, type SqliteDatabase } from './database.js'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/

export interface Migration {
  version: number
  name: string
  sql: string
  checksum: string
}

export interface MigrationStatus {
  applied: number[]
  pending: Migration[]
  /** Versions the database has that this code does not know, or whose file has changed since. */
  conflicts: string[]
}

/** A database this code must not run against. */
export class MigrationError extends Error {
  override name = 'MigrationError'
}

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE_NAME.exec(file)
      if (!match) throw new MigrationError(`migration file "${file}" is not named NNN_name.sql`)
      const sql = readFileSync(`${dir}/${file}`, 'utf8')
      return { version: Number(match[1]), name: match[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') }
    })
    .sort((a, b) => a.version - b.version)
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new MigrationError(`migrations must be numbered 001, 002, ... without gaps; found ${migration.version} at place ${index + 1}`)
  })
  return migrations
}

function ensureLedger(db: SqliteDatabase): void {
  writeTransaction(db, () => db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`))
}

export interface LedgerRow {
  version: number
  name: string
  checksum: string
}

export const READ_LEDGER = 'SELECT version, name, checksum FROM schema_migrations ORDER BY version'

/** Compares the database's ledger with the code's migrations; reads only. */
export function migrationStatus(db: SqliteDatabase, migrations: Migration[]): MigrationStatus {
  const hasLedger = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined
  return compareLedger(hasLedger ? (db.prepare(READ_LEDGER).all() as LedgerRow[]) : [], migrations)
}

export function compareLedger(rows: LedgerRow[], migrations: Migration[]): MigrationStatus {
  const known = new Map(migrations.map((migration) => [migration.version, migration]))
  const conflicts: string[] = []
  for (const row of rows) {
    const migration = known.get(row.version)
    if (!migration) conflicts.push(`migration ${row.version} (${row.name}) is applied but unknown to this code`)
    else if (migration.checksum !== row.checksum) conflicts.push(`migration ${row.version} (${row.name}) was changed after it was applied`)
  }
  const applied = new Set(rows.map((row) => row.version))
  return { applied: [...applied], pending: migrations.filter((migration) => !applied.has(migration.version)), conflicts }
}

/** Applies pending migrations in order, each in its own transaction; refuses a database it does not know. */
export function migrate(db: SqliteDatabase, migrations: Migration[] = readMigrations()): Migration[] {
  ensureLedger(db)
  const status = migrationStatus(db, migrations)
  if (status.conflicts.length > 0) {
    throw new MigrationError(`refusing to use this database: ${status.conflicts.join('; ')}. Is it newer than this code?`)
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)')
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?')
  // Two processes starting on one new file both see the same pending list: each migration takes the
  // write lock first (IMMEDIATE) and is skipped when the other process applied it meanwhile.
  return status.pending.filter((migration) =>
    writeTransaction(db, () => {
      if (isApplied.get(migration.version)) return false
      db.exec(migration.sql)
      record.run(migration.version, migration.name, migration.checksum, new Date().toISOString())
      return true
    }),
  )
}
