import type { Config } from '../config.js'
import { openDatabase } from './database.js'
import { migrate, MIGRATIONS_DIR, readMigrations, type Migration } from './migrate.js'
import { PostgresStore } from './postgres.js'
import { migratePostgres, POSTGRES_MIGRATIONS_DIR } from './postgres-migrate.js'
import { SqliteStore } from './sqlite.js'
import type { Store } from './store.js'

export interface OpenedStore {
  store: Store
  /** The migrations this code has for the store's engine. */
  migrations: Migration[]
  /** Those this start applied. */
  applied: Migration[]
}

/** Opens the configured store, PostgreSQL at DATABASE_URL or else SQLite at DATABASE_PATH, and migrates it. */
export async function openStore(config: Pick<Config, 'databasePath' | 'postgres'>): Promise<OpenedStore> {
  if (config.postgres) {
    const migrations = readMigrations(POSTGRES_MIGRATIONS_DIR)
    const applied = await migratePostgres(config.postgres.url, migrations)
    return { store: new PostgresStore(config.postgres), migrations, applied }
  }
  const migrations = readMigrations(MIGRATIONS_DIR)
  const db = openDatabase(config.databasePath)
  try {
    return { store: new SqliteStore(db), migrations, applied: migrate(db, migrations) }
  } catch (error) {
    db.close()
    throw error
  }
}
