import { resolve } from 'node:path'
import { loadConfig } from '../config.js'
import { backupDatabase } from './backup.js'

/** `npm run backup -- <file>`: an online, checked copy of DATABASE_PATH, safe while servers run. */
const [destination, ...rest] = process.argv.slice(2)
if (process.env.DATABASE_URL !== undefined) {
  // PostgreSQL has its own online, consistent copy; this command knows SQLite's files only.
  console.error('npm run backup copies a SQLite file; DATABASE_URL is set: back PostgreSQL up with pg_dump (pg_dump --format=custom --file=<file> "$DATABASE_URL")')
  process.exitCode = 2
} else if (!destination || rest.length > 0) {
  console.error('usage: npm run backup -- <file>   (copies DATABASE_PATH to a new file)')
  process.exitCode = 2
} else {
  try {
    const { databasePath } = loadConfig()
    if (databasePath === ':memory:') throw new Error('DATABASE_PATH is :memory:; there is nothing to back up')
    const target = resolve(destination)
    const { pages, migrations } = await backupDatabase(databasePath, target)
    console.log(`backed up ${databasePath} to ${target}: ${pages} pages, integrity ok, migrations ${migrations.join(', ')}`)
  } catch (error) {
    console.error(`backup failed: ${(error as Error).message}`)
    process.exitCode = 1
  }
}
