import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { createTestStore } from './store.js'
import type { Test } from 'tap'
import { buildApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { ArticleRepository } from '../../src/articles/repository.js'
import type { SqliteDatabase } from '../../src/db/database.js'
import type { Store } from '../../src/db/store.js'
import { parseArticle } from '../../src/parser/parse.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { contractFor, type OpenApiDocument } from './contract.js'

export interface TestApp {
  app: App
  /** The app's store, for reading and writing around the API. */
  store: Store
  /** SQLite's own handle, on SQLite only: for tests of SQLite itself (see ./store.ts). */
  sqlite: SqliteDatabase | undefined
  articles: ArticleRepository
  /** What DATABASE_PATH or DATABASE_URL a server process or CLI needs to open the same data (a file-less SQLite has none). */
  env: Record<string, string>
}

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789'

/**
 * The real app on a migrated database of the store under test (see ./store.ts: SQLite in memory or at
 * `path`, or a fresh PostgreSQL database), seeded from seed/ unless `seed: false`, configured from
 * `env` as the server would be; closed after the test. Every response `app.inject` returns is
 * checked against the app's own OpenAPI document (see ./contract.ts): a response that breaks it is
 * a failed assertion on `t`, named `contract: METHOD url → status (operationId): why`.
 */
export async function createTestApp(t: Test, options: { seed?: boolean; env?: Record<string, string>; now?: () => Date; path?: string } = {}): Promise<TestApp> {
  const { store, migrations, sqlite, env } = await createTestStore(t, options.path === undefined ? {} : { path: options.path })
  const articles = new ArticleRepository(store)
  if (options.seed !== false) await seedIfEmpty(articles, new Date('2026-01-15T09:00:00.000Z'))
  const config = loadConfig({ ...env, ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...options.env })
  const app = await buildApp({ store, migrations, config, logger: false, ...(options.now ? { now: options.now } : {}) })
  t.teardown(() => app.close())
  checkResponsesAgainstDocument(t, app)
  return { app, store, sqlite, articles, env }
}

type Inject = (options: InjectOptions | string) => Promise<LightMyRequestResponse>

/** Wraps `app.inject` (its promise and callback forms) so that each response is checked against `app.swagger()`; createTestApp does it, an app built otherwise can ask for it. */
export function checkResponsesAgainstDocument(t: Test, app: App): void {
  const inject = app.inject.bind(app) as unknown as Inject & (() => unknown)
  const checked: Inject = async (options) => {
    const response = await inject(options)
    const { method = 'GET', url = '/' } = typeof options === 'string' ? { url: options } : { method: options.method, url: options.url ?? options.path }
    const contract = contractFor(app.swagger() as OpenApiDocument)
    for (const failure of contract.check(String(method), typeof url === 'string' ? url : String(url), response)) t.fail(`contract: ${failure}`)
    return response
  }
  const wrapper = (options?: InjectOptions | string, callback?: (error: Error | null, response?: LightMyRequestResponse) => void) => {
    if (options === undefined) {
      t.fail('contract: the chained form app.inject().get(...) is not checked; pass the options to app.inject(options)')
      return inject()
    }
    const result = checked(options)
    if (!callback) return result
    result.then((response) => callback(null, response), (error: Error) => callback(error))
    return undefined
  }
  Object.assign(app, { inject: wrapper })
}

/** Saves an article written as plain text, the way the importer does. */
export async function saveText(articles: ArticleRepository, text: string, options: { publish?: boolean; at?: string } = {}) {
  const parsed = parseArticle(text)
  await articles.save(parsed, { publish: options.publish ?? true, now: new Date(options.at ?? '2026-02-01T00:00:00.000Z') })
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
