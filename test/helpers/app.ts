import type { Test } from 'tap'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { ArticleRepository } from '../../src/articles/repository.js'
import { openDatabase, type SqliteDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { parseArticle } from '../../src/importer/parse.js'
import { seedIfEmpty } from '../../src/importer/files.js'

export interface TestApp {
  app: App
  db: SqliteDatabase
  articles: ArticleRepository
}

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789'

/**
 * The real app on a migrated in-memory database, seeded from seed/ unless `seed: false`, configured
 * from `env` as the server would be; closed after the test.
 */
export async function createTestApp(t: Test, options: { seed?: boolean; env?: Record<string, string>; now?: () => Date } = {}): Promise<TestApp> {
  const db = openDatabase(':memory:')
  migrate(db)
  const articles = new ArticleRepository(db)
  if (options.seed !== false) seedIfEmpty(articles, new Date('2026-01-15T09:00:00.000Z'))
  const config = loadConfig({ DATABASE_PATH: ':memory:', ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...options.env })
  const app = await buildApp({ db, config, logger: false, ...(options.now ? { now: options.now } : {}) })
  t.teardown(() => app.close())
  return { app, db, articles }
}

/** Saves an article written as plain text, the way the importer does. */
export function saveText(articles: ArticleRepository, text: string, options: { publish?: boolean; at?: string } = {}) {
  const parsed = parseArticle(text)
  articles.save(parsed, { publish: options.publish ?? true, now: new Date(options.at ?? '2026-02-01T00:00:00.000Z') })
  return parsed
}

/** A small article in the seed's style, with the given techniques and benefits. */
export function articleText(title: string, techniques: string[] = [], benefits: string[] = []): string {
  const list = (names: string[]) => names.map((name) => `  1. ${name}:\u00a0What ${name.toLowerCase()} does for the body.`).join('\n')
  return [
    title,
    '',
    `An introduction to ${title.toLowerCase()} and what it can do for you.`,
    '',
    ...(techniques.length ? ['Techniques Used', '', list(techniques), ''] : []),
    ...(benefits.length ? ['Benefits', '', list(benefits), ''] : []),
    'Conclusion',
    '',
    'Book a session and feel the difference for yourself.',
  ].join('\n')
}
