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
}

/** The repositories' own prepared statements, read from their private fields, so the SQL is exactly what the app runs. */
function statementsOf(repository: object): Record<string, Statement> {
  return repository as unknown as Record<string, Statement>
}

/** EXPLAIN QUERY PLAN of the hot read queries, rendered as the sqlite3 shell draws it, with an in-process timing. */
export function hotQueryPlans(db: SqliteDatabase, context: PlanContext): QueryPlan[] {
  const articles = statementsOf(new ArticleRepository(db))
  const comments = statementsOf(new CommentRepository(db))
  const catalog = statementsOf(new CatalogRepository(db))
  const deep = context.deepArticle ?? { publishedAt: '9999-12-31T00:00:00.000Z', id: 1 }
  const queries: [string, Statement | undefined, unknown[]][] = [
    ['articles: first page', articles.firstPublished, [21]],
    ['articles: deep page (cursor)', articles.publishedAfter, [deep.publishedAt, deep.id, 21]],
    ['article by slug', articles.publishedBySlug, [context.slug]],
    ['article id by slug (comment routes)', articles.publishedIdBySlug, [context.slug]],
    ['comments: first page', comments.approvedPage, [context.articleId, 0, 21]],
    ['comments: deep page (cursor)', comments.approvedPage, [context.articleId, context.deepCommentId, 21]],
    ['comment create: duplicate check', comments.duplicate, [context.articleId, 'bench@example.com', '2000-01-01T00:00:00.000Z', 'text']],
    ['techniques: first page', catalog.page, ['techniques', '', 21]],
    ['technique by slug', catalog.one, ['techniques', 'deep-pressure']],
    ['technique occurrences', catalog.occurrences, ['techniques', 'deep-pressure']],
  ]
  const plans: QueryPlan[] = []
  for (const [name, statement, params] of queries) {
    if (!statement || typeof statement.source !== 'string') continue
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${statement.source}`).all(...params) as { id: number; parent: number; detail: string }[]
    const depth = new Map<number, number>([[0, -1]])
    const plan = rows
      .map((row) => {
        const level = (depth.get(row.parent) ?? -1) + 1
        depth.set(row.id, level)
        return `${'  '.repeat(level)}${row.detail}`
      })
      .join('\n')
    const times: number[] = []
    const run = statement.reader ? () => statement.all(...params) : () => statement.get(...params)
    for (let i = 0; i < 200; i++) {
      const start = process.hrtime.bigint()
      run()
      times.push(Number(process.hrtime.bigint() - start) / 1000)
    }
    plans.push({ name, sql: statement.source.replace(/\s+/g, ' ').trim(), plan, medianMicros: median(times) })
  }
  return plans
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
