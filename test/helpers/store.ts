import { createHash, randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Test } from 'tap'
import { openDatabase, type SqliteDatabase } from '../../src/db/database.js'
import { migrate, readMigrations, MIGRATIONS_DIR, type Migration } from '../../src/db/migrate.js'
import { PostgresStore } from '../../src/db/postgres.js'
import { migratePostgres, POSTGRES_MIGRATIONS_DIR } from '../../src/db/postgres-migrate.js'
import { SqliteStore } from '../../src/db/sqlite.js'
import type { Dialect, Store } from '../../src/db/store.js'

/** The store this run of the suite tests: `TEST_STORE=postgres` (with TEST_POSTGRES_URL) or SQLite. */
export const TEST_STORE: Dialect = process.env.TEST_STORE === 'postgres' ? 'postgres' : 'sqlite'
export const ON_POSTGRES = TEST_STORE === 'postgres'
/** A test's `skip` option for what exists on SQLite only (its file format, PRAGMAs, the sqlite3 shell). */
export const SQLITE_ONLY: string | false = ON_POSTGRES ? 'tests SQLite itself (this run tests PostgreSQL)' : false
/** A test's `skip` option for what exists on PostgreSQL only. */
export const POSTGRES_ONLY: string | false = ON_POSTGRES ? false : 'tests PostgreSQL itself (this run tests SQLite; `npm test` runs both)'

export interface TestStore {
  store: Store
  migrations: Migration[]
  /** What DATABASE_PATH or DATABASE_URL a server process or CLI needs to open the same data. */
  env: Record<string, string>
  /** SQLite's handle, on SQLite only: for tests of SQLite itself. */
  sqlite: SqliteDatabase | undefined
}

/** The options `buildApp` takes for an open SQLite database (tests of SQLite files and processes). */
export function sqliteStore(db: SqliteDatabase): { store: Store; migrations: Migration[] } {
  return { store: new SqliteStore(db), migrations: readMigrations(MIGRATIONS_DIR) }
}

/**
 * A fresh, migrated store for one test: on SQLite a database in memory (or at `path`), on PostgreSQL
 * a database of its own on TEST_POSTGRES_URL's server, copied from a migrated template and dropped
 * after the test. The caller closes the store (buildApp's app does when it closes).
 */
export async function createTestStore(t: Test, options: { path?: string } = {}): Promise<TestStore> {
  if (!ON_POSTGRES) {
    const path = options.path ?? ':memory:'
    const db = openDatabase(path)
    migrate(db)
    return { ...sqliteStore(db), env: { DATABASE_PATH: path }, sqlite: db }
  }
  const url = await createPostgresDatabase(t)
  const store = new PostgresStore({ url, poolSize: 5, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000 })
  return { store, migrations: readMigrations(POSTGRES_MIGRATIONS_DIR), env: { DATABASE_URL: url }, sqlite: undefined }
}

/** A new migrated PostgreSQL database for this test, dropped after it; its URL. */
export async function createPostgresDatabase(t: Test): Promise<string> {
  const server = process.env.TEST_POSTGRES_URL
  if (!server) throw new Error('TEST_STORE=postgres needs TEST_POSTGRES_URL (a superuser URL); `npm test` starts a server and sets both')
  const template = await migratedTemplate(server)
  const name = `test_${process.pid}_${randomBytes(4).toString('hex')}`
  await withClient(server, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`))
  t.teardown(() => withClient(server, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))
  // Copies of one template share its secrets; separate databases never do (a cursor of one is refused by another).
  await withClient(databaseUrl(server, name), (client) =>
    client.query("UPDATE settings SET value = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '') WHERE name IN ('cursor_secret', 'client_key_secret')"),
  )
  return databaseUrl(server, name)
}

let template: Promise<string> | undefined

/** A database migrated to this code's migrations, made once per server and migration set, to copy from. */
function migratedTemplate(server: string): Promise<string> {
  template ??= (async () => {
    const migrations = readMigrations(POSTGRES_MIGRATIONS_DIR)
    const digest = createDigest(migrations)
    const name = `template_${digest}`
    await withClient(server, async (client) => {
      // Test processes run in parallel: one makes the template while the others wait on this lock.
      await client.query('SELECT pg_advisory_lock(42)')
      try {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
        if (exists.rowCount === 0) {
          const building = `${name}_building`
          await client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`)
          await client.query(`CREATE DATABASE ${building}`)
          await migratePostgres(databaseUrl(server, building), migrations)
          await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`)
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock(42)')
      }
    })
    return name
  })()
  return template
}

function createDigest(migrations: Migration[]): string {
  const hash = createHash('sha256')
  for (const migration of migrations) hash.update(migration.checksum)
  return hash.digest('hex').slice(0, 16)
}

function databaseUrl(server: string, name: string): string {
  const url = new URL(server)
  url.pathname = `/${name}`
  return url.toString()
}

/** A PostgreSQL connection of its own to `url` for `work`, closed after it. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}
