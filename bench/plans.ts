import { ArticleRepository, type ListPosition } from '../src/articles/repository.js'
import { CatalogRepository } from '../src/catalog/repository.js'
import { CommentRepository } from '../src/comments/repository.js'
import { textFor, type Dialect, type Params, type Queries, type Sql } from '../src/db/store.js'

export interface PlanContext {
  slug: string
  articleId: number
  /** The position of the last item of a deep articles page (the cursor's content: the sort key and the id). */
  deepArticle: ListPosition | undefined
  /** The last comment id of a deep comments page. */
  deepCommentId: number
}

export interface QueryPlan {
  name: string
  sql: string
  plan: string
  /** Median in-process time of the repository call that runs the statement, through the Store, microseconds (no HTTP). */
  medianMicros: number
  runs: number
}

/** Passes every statement on to the store, and keeps each one with its parameters. */
class Recorder implements Queries {
  readonly dialect: Dialect
  readonly statements: { sql: Sql; params: Params | undefined }[] = []

  constructor(private readonly inner: Queries) {
    this.dialect = inner.dialect
  }

  all<Row>(sql: Sql, params?: Params): Promise<Row[]> {
    this.statements.push({ sql, params })
    return this.inner.all<Row>(sql, params)
  }

  get<Row>(sql: Sql, params?: Params): Promise<Row | undefined> {
    this.statements.push({ sql, params })
    return this.inner.get<Row>(sql, params)
  }

  run(sql: Sql, params?: Params): Promise<number> {
    this.statements.push({ sql, params })
    return this.inner.run(sql, params)
  }

  transaction<T>(work: (tx: Queries) => Promise<T>): Promise<T> {
    return this.inner.transaction(work)
  }
}

interface Repositories {
  articles: ArticleRepository
  comments: CommentRepository
  catalog: CatalogRepository
}

/**
 * The plan of each hot read query, as the engine's shell draws it (SQLite: EXPLAIN QUERY PLAN; PostgreSQL:
 * EXPLAIN), with an in-process timing. Each statement is the one the repository itself runs, recorded on its
 * way to the store, so the SQL and parameters are exactly the app's. A call this build does not have is left out.
 */
export async function hotQueryPlans(store: Queries, context: PlanContext): Promise<QueryPlan[]> {
  const deep = context.deepArticle ?? { key: '9999-12-31T00:00:00.000Z', id: 1 }
  const calls: [string, (repositories: Repositories) => Promise<unknown>][] = [
    ['articles: first page', ({ articles }) => articles.listPublished({ sort: '-publishedAt' }, undefined, 21)],
    ['articles: deep page (cursor)', ({ articles }) => articles.listPublished({ sort: '-publishedAt' }, deep, 21)],
    ['article by slug', ({ articles }) => articles.findPublished(context.slug)],
    ['article id by slug (comment routes)', ({ articles }) => articles.findPublishedId(context.slug)],
    ['comments: first page', ({ comments }) => comments.listApproved(context.articleId, 0, 21)],
    ['comments: deep page (cursor)', ({ comments }) => comments.listApproved(context.articleId, context.deepCommentId, 21)],
    ['comment create: duplicate check', ({ comments }) => comments.isDuplicate(context.articleId, 'bench@example.com', 'text', '2000-01-01T00:00:00.000Z')],
    ['techniques: first page', ({ catalog }) => catalog.list('techniques', undefined, 21)],
    ['technique by slug', ({ catalog }) => catalog.entry('techniques', 'deep-pressure')],
    ['technique occurrences', ({ catalog }) => catalog.occurrences('techniques', 'deep-pressure', undefined, 21)],
  ]
  const repositories: Repositories = { articles: new ArticleRepository(store), comments: new CommentRepository(store), catalog: new CatalogRepository(store) }
  const plans: QueryPlan[] = []
  for (const [name, call] of calls) {
    const recorder = new Recorder(store)
    try {
      await call({ articles: new ArticleRepository(recorder), comments: new CommentRepository(recorder), catalog: new CatalogRepository(recorder) })
    } catch {
      continue
    }
    const statement = recorder.statements[0]
    if (!statement) continue
    const sql = textFor(statement.sql, store.dialect)
    const plan =
      store.dialect === 'sqlite'
        ? sqlitePlan(await store.all<{ id: number; parent: number; detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, statement.params))
        : (await store.all<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, statement.params)).map((row) => row['QUERY PLAN']).join('\n')
    const times: number[] = []
    // Up to 200 runs or about a second, whichever comes first (a slow query still gets 3).
    const budget = performance.now() + 1000
    for (let i = 0; i < 200 && (i < 3 || performance.now() < budget); i++) {
      const start = process.hrtime.bigint()
      await call(repositories)
      times.push(Number(process.hrtime.bigint() - start) / 1000)
    }
    plans.push({ name, sql: sql.replace(/\s+/g, ' ').trim(), plan, medianMicros: median(times), runs: times.length })
  }
  return plans
}

/** EXPLAIN QUERY PLAN's rows drawn as a tree, as the sqlite3 shell draws them. */
function sqlitePlan(rows: { id: number; parent: number; detail: string }[]): string {
  const depth = new Map<number, number>([[0, -1]])
  return rows
    .map((row) => {
      const level = (depth.get(row.parent) ?? -1) + 1
      depth.set(row.id, level)
      return `${'  '.repeat(level)}${row.detail}`
    })
    .join('\n')
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
