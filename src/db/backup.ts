import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { openDatabase } from './database.js'
import { READ_LEDGER, type LedgerRow } from './migrate.js'

export interface BackupResult {
  pages: number
  migrations: number[]
}

/** A backup that would be unsafe to use; the copy is left for inspection. */
export class BackupError extends Error {
  override name = 'BackupError'
}

/**
 * Copies the database at `source` to `destination` while servers keep using it: SQLite's online
 * backup copies a consistent snapshot (it starts over when another process writes meanwhile) and
 * the copy holds every committed transaction, WAL included. Refuses to overwrite a file. The copy
 * is then opened on its own and checked: integrity_check is `ok` and the migrations ledger is there.
 */
export async function backupDatabase(source: string, destination: string): Promise<BackupResult> {
  if (!existsSync(source)) throw new BackupError(`there is no database at ${source}`)
  if (existsSync(destination)) throw new BackupError(`${destination} already exists; choose a new file`)
  mkdirSync(dirname(destination), { recursive: true })
  const db = openDatabase(source)
  let pages: number
  try {
    pages = (await db.backup(destination)).totalPages
  } finally {
    db.close()
  }
  const copy = new Database(destination, { readonly: true, fileMustExist: true })
  try {
    const integrity = copy.pragma('integrity_check', { simple: true })
    if (integrity !== 'ok') throw new BackupError(`the copy fails integrity_check: ${String(integrity)}`)
    const hasLedger = copy.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined
    const ledger = hasLedger ? copy.prepare<[], LedgerRow>(READ_LEDGER).all() : []
    if (ledger.length === 0) throw new BackupError('the copy has no migrations ledger: is the source a database of this service?')
    return { pages, migrations: ledger.map((row) => row.version) }
  } finally {
    copy.close()
  }
}
