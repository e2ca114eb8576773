import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { CliIo } from '../cli-io.js'
import { openDatabase } from '../db/database.js'
import { migrate } from '../db/migrate.js'
import { openStore } from '../db/open.js'
import { SqliteStore } from '../db/sqlite.js'
import type { Store } from '../db/store.js'
import { generateSynthetic } from './generate.js'

const USAGE = `usage: npm run seed:synthetic -- --articles N --comments M --database <sqlite path | postgres url> [--seed S]`

const COUNT = /^\d{1,9}$/
const POSTGRES_URL = /^postgres(ql)?:\/\//

/** `npm run seed:synthetic`: fills a new (or empty) database with the synthetic dataset; returns the exit code. */
export async function runSyntheticCli(argv: string[], io: Pick<CliIo, 'stdout' | 'stderr'>): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: { articles: { type: 'string' }, comments: { type: 'string' }, database: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean' } },
    }).values
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${USAGE}`)
    return 2
  }
  if (values.help) {
    io.stdout(USAGE)
    return 0
  }
  const problems: string[] = []
  for (const name of ['articles', 'comments', 'seed'] as const) {
    const value = values[name]
    if (value !== undefined && !COUNT.test(value)) problems.push(`--${name} must be a whole number`)
  }
  if (!values.database) problems.push('--database is required')
  const articles = Number(values.articles ?? 1000)
  if (articles < 1) problems.push('--articles must be at least 1')
  if (problems.length > 0) {
    io.stderr(`${problems.join('\n')}\n${USAGE}`)
    return 2
  }
  const database = values.database!
  const started = performance.now()
  let store: Store | undefined
  try {
    store = POSTGRES_URL.test(database) ? await openPostgres(database) : openSqlite(database)
    const result = await generateSynthetic(store, { articles, comments: Number(values.comments ?? 0), seed: Number(values.seed ?? 1) })
    if (store instanceof SqliteStore) {
      store.handle.pragma('synchronous = FULL')
      store.handle.pragma('wal_checkpoint(TRUNCATE)')
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    const where = POSTGRES_URL.test(database) ? 'PostgreSQL' : existsSync(database) ? database : 'database'
    io.stdout(
      `${where}: ${result.articles} articles (${result.published} published), ${result.comments} comments ` +
        `(${result.approved} approved, ${result.replies} approved replies; ${result.hotArticleComments} on ${result.hotArticleSlug}) in ${seconds} s`,
    )
    return 0
  } catch (error) {
    io.stderr(`seed:synthetic failed: ${(error as Error).message}`)
    return 1
  } finally {
    await store?.close()
  }
}

function openSqlite(path: string): Store {
  const db = openDatabase(path)
  try {
    migrate(db)
    // A throw-away bulk load: the data is only trusted once the command has finished (exit code 0).
    db.pragma('synchronous = OFF')
    db.pragma('cache_size = -131072')
    return new SqliteStore(db)
  } catch (error) {
    db.close()
    throw error
  }
}

async function openPostgres(url: string): Promise<Store> {
  // One connection: the load is one transaction; no statement timeout, since a bulk statement may take long.
  const { store } = await openStore({ databasePath: '', postgres: { url, poolSize: 1, statementTimeoutMs: 0, connectTimeoutMs: 10_000 } })
  return store
}
