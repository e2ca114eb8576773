import { loadConfig } from '../config.js'
import { openStore } from './open.js'

/** `npm run migrate`: applies pending migrations to the configured store (DATABASE_URL, else DATABASE_PATH). */
try {
  const config = loadConfig()
  const { store, applied } = await openStore(config)
  await store.close()
  // The URL's password stays out of the output.
  const where = config.postgres ? `PostgreSQL at ${redacted(config.postgres.url)}` : config.databasePath
  console.log(applied.length ? `applied ${applied.map((m) => `${String(m.version).padStart(3, '0')}_${m.name}`).join(', ')} to ${where}` : `${where} is up to date`)
} catch (error) {
  console.error(`migrate failed: ${(error as Error).message}`)
  process.exitCode = 1
}

function redacted(url: string): string {
  const parsed = new URL(url)
  if (parsed.password) parsed.password = '***'
  return parsed.toString()
}
