import type { Statement } from 'better-sqlite3'
import { ArticleRepository } from '../src/articles/repository.js'
import { CatalogRepository } from '../src/catalog/repository.js'
import { CommentRepository } from '../src/comments/repository.js'
import type { SqliteDatabase } from '../src/db/database.js'

export interface PlanContext {
  slug: string
  articleId: number
  /** The position of the last item of a deep articles page (the cursor's content). */
  deepArticle: { publishedAt: string; id: number } | undefined
  /** The last comment id of a deep comments page. */
  deepCommentId: number
}

export interface QueryPlan {
  name: string
  sql: string
  plan: string
  /** Median in-process time of one execution, microseconds (better-sqlite3, no HTTP). */
  medianMicros: number
  runs: number
}

/** The repositories' own prepared statements, read from their private fields, so the SQL is exactly what the app runs. */
function statementsOf(repository: object): Record<string, Statement> {
  return repository as unknown as Record<string, Statement>
}

type Binding = unknown[] | Record<string, unknown>

/** Runs `statement` with the first binding it accepts (positional, or named as later schemas use). */
function bind(statement: Statement, bindings: Binding[]): (run: (params: unknown[]) => unknown) => unknown {
  for (const binding of bindings) {
    const params = Array.isArray(binding) ? binding : [binding]
    try {
      statement.reader ? statement.all(...params) : statement.get(...params)
      return (run) => run(params)
    } catch {
      // try the next way of binding
    }
  }
  throw new Error('no binding fits')
}

/**
 * EXPLAIN QUERY PLAN of the hot read queries, rendered as the sqlite3 shell draws it, with an
 * in-process timing. A statement this build does not have is left out.
 */
export function hotQueryPlans(db: SqliteDatabase, context: PlanContext): QueryPlan[] {
  const articleRepository = new ArticleRepository(db) as unknown as Record<string, unknown>
  const articles = statementsOf(articleRepository)
  const comments = statementsOf(new CommentRepository(db))
  const catalog = statementsOf(new CatalogRepository(db))
  const deep = context.deepArticle ?? { publishedAt: '9999-12-31T00:00:00.000Z', id: 1 }
  const now = new Date().toISOString()
  const named = { now, slug: context.slug, limit: 21, key: deep.publishedAt, id: deep.id }
  // Later builds prepare the list per filter (listStatement); this one has two fixed statements.
  const listStatement = (paged: boolean): Statement | undefined => {
    const make = articleRepository.listStatement
    return typeof make === 'function' ? (make.call(articleRepository, { sort: '-publishedAt' }, paged, false) as Statement) : undefined
  }
  const queries: [string, Statement | undefined, Binding[]][] = [
    ['articles: first page', articles.firstPublished ?? listStatement(false), [[21], named]],
    ['articles: deep page (cursor)', articles.publishedAfter ?? listStatement(true), [[deep.publishedAt, deep.id, 21], named]],
    ['article by slug', articles.publishedBySlug, [[context.slug], named]],
    ['article id by slug (comment routes)', articles.publishedIdBySlug, [[context.slug], named]],
    ['comments: first page', comments.approvedPage, [[context.articleId, 0, 21]]],
    ['comments: deep page (cursor)', comments.approvedPage, [[context.articleId, context.deepCommentId, 21]]],
    ['comment create: duplicate check', comments.duplicate, [[context.articleId, 'bench@example.com', '2000-01-01T00:00:00.000Z', 'text']]],
    ['techniques: first page', catalog.page, [['techniques', '', 21]]],
    ['technique by slug', catalog.one, [['techniques', 'deep-pressure']]],
    ['technique occurrences', catalog.occurrences, [['techniques', 'deep-pressure']]],
  ]
  const plans: QueryPlan[] = []
  for (const [name, statement, bindings] of queries) {
    if (!statement || typeof statement.source !== 'string') continue
    let runWith: (run: (params: unknown[]) => unknown) => unknown
    try {
      runWith = bind(statement, bindings)
    } catch {
      continue
    }
    const explain = db.prepare(`EXPLAIN QUERY PLAN ${statement.source}`)
    const rows = runWith((params) => explain.all(...params)) as { id: number; parent: number; detail: string }[]
    const depth = new Map<number, number>([[0, -1]])
    const plan = rows
      .map((row) => {
        const level = (depth.get(row.parent) ?? -1) + 1
        depth.set(row.id, level)
        return `${'  '.repeat(level)}${row.detail}`
      })
      .join('\n')
    const times: number[] = []
    // Up to 200 runs or about a second, whichever comes first (a slow query still gets 3).
    const budget = performance.now() + 1000
    for (let i = 0; i < 200 && (i < 3 || performance.now() < budget); i++) {
      const start = process.hrtime.bigint()
      runWith((params) => (statement.reader ? statement.all(...params) : statement.get(...params)))
      times.push(Number(process.hrtime.bigint() - start) / 1000)
    }
    plans.push({ name, sql: statement.source.replace(/\s+/g, ' ').trim(), plan, medianMicros: median(times), runs: times.length })
  }
  return plans
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
