import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { compareLedger, MigrationError, READ_LEDGER, readMigrations, type LedgerRow, type Migration } from './migrate.js'

export const POSTGRES_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/postgres/', import.meta.url))

/** Any fixed number: the key of the session lock that lets one node migrate while the others wait. */
const MIGRATION_LOCK = 0x5ba_0001

/**
 * Applies pending PostgreSQL migrations in order, each in its own transaction, and refuses a database
 * it does not know. Several nodes starting at once take turns on an advisory lock: the first applies
 * what is pending, the others find it applied.
 */
export async function migratePostgres(url: string, migrations: Migration[] = readMigrations(POSTGRES_MIGRATIONS_DIR)): Promise<Migration[]> {
  const client = new pg.Client({ connectionString: url, application_name: 'spa-content-api migrate' })
  await client.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at text NOT NULL
    )`)
    const status = compareLedger((await client.query<LedgerRow>(READ_LEDGER)).rows, migrations)
    if (status.conflicts.length > 0) throw new MigrationError(`refusing to use this database: ${status.conflicts.join('; ')}. Is it newer than this code?`)
    for (const migration of status.pending) {
      await client.query('BEGIN')
      try {
        await client.query(migration.sql)
        await client.query('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)', [
          migration.version,
          migration.name,
          migration.checksum,
          new Date().toISOString(),
        ])
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK')
        throw error
      }
    }
    return status.pending
  } finally {
    await client.end()
  }
}

/** The ledger of a PostgreSQL database compared with the code's migrations; reads only. */
export async function postgresMigrationStatus(url: string, migrations: Migration[] = readMigrations(POSTGRES_MIGRATIONS_DIR)) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ exists: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS exists")
    return compareLedger(rows[0]!.exists ? (await client.query<LedgerRow>(READ_LEDGER)).rows : [], migrations)
  } finally {
    await client.end()
  }
}
