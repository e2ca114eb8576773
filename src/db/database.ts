import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'

export type SqliteDatabase = Database.Database

const BUSY_TIMEOUT_MS = 5000

/** Opens (creating if needed) the SQLite database with the pragmas every connection needs. */
export function openDatabase(path: string): SqliteDatabase {
  const inMemory = path === ':memory:'
  if (!inMemory) mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  // First: switching to WAL (and reading the header at all) waits for another process's lock
  // instead of failing at once with SQLITE_BUSY.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
  if (!inMemory) db.pragma('journal_mode = WAL')
  // FULL: a committed write is on disk before the client hears of it, even across a power cut.
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  return db
}

/**
 * Runs `work` in one IMMEDIATE transaction: the write lock is taken at the start, so that reads
 * made to decide a write (a duplicate check, an idempotency key) cannot be overtaken by another
 * process's write. All of it is written, or none.
 */
export function writeTransaction<T>(db: SqliteDatabase, work: () => T): T {
  return db.transaction(work).immediate()
}
