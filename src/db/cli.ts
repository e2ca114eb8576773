import { loadConfig } from '../config.js'
import { openDatabase } from './database.js'
import { migrate } from './migrate.js'

/** `npm run migrate`: applies pending migrations to DATABASE_PATH. */
try {
  const { databasePath } = loadConfig()
  const db = openDatabase(databasePath)
  const applied = migrate(db)
  db.close()
  console.log(applied.length ? `applied ${applied.map((m) => `${String(m.version).padStart(3, '0')}_${m.name}`).join(', ')} to ${databasePath}` : `${databasePath} is up to date`)
} catch (error) {
  console.error(`migrate failed: ${(error as Error).message}`)
  process.exitCode = 1
}
