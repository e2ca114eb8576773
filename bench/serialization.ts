import build from 'fast-json-stringify'
import { ArticleRepository } from '../src/articles/repository.js'
import { Article, articleComponents } from '../src/articles/schemas.js'
import type { SqliteStore } from '../src/db/sqlite.js'
import { ref } from '../src/http/schema.js'

export interface SerializationCost {
  slug: string
  bodyBytes: number
  rows: { step: string; micros: number }[]
}

function time(fn: () => unknown, runs = 20_000): number {
  for (let i = 0; i < 2_000; i++) fn()
  const start = process.hrtime.bigint()
  for (let i = 0; i < runs; i++) fn()
  return Number(process.hrtime.bigint() - start) / 1000 / runs
}

async function timeAsync(fn: () => Promise<unknown>, runs = 20_000): Promise<number> {
  for (let i = 0; i < 2_000; i++) await fn()
  const start = process.hrtime.bigint()
  for (let i = 0; i < runs; i++) await fn()
  return Number(process.hrtime.bigint() - start) / 1000 / runs
}

/**
 * The per-request data work of `GET /v1/articles/{slug}`, in-process on SQLite: the repository's read through
 * the Store (query + JSON.parse of the stored sections), the response serializer compiled from the same schemas the route
 * uses (fast-json-stringify), and, for comparison, reading the stored JSON text and splicing it unparsed.
 */
export async function serializationCost(store: SqliteStore, slug: string): Promise<SerializationCost | undefined> {
  const articles = new ArticleRepository(store)
  const article = await articles.findPublished(slug)
  if (!article) return undefined
  const schemas = Object.fromEntries(articleComponents.map((schema) => [(schema as unknown as { $id: string }).$id, schema]))
  const stringify = build(ref(Article) as unknown as Parameters<typeof build>[0], { schema: schemas as unknown as Record<string, Parameters<typeof build>[0]> })
  const stored = store.handle.prepare<[string], { sections: string }>("SELECT sections FROM articles WHERE status = 'published' AND slug = ?")
  const { sections: _sections, ...summary } = article
  const head = JSON.stringify(summary).slice(0, -1)
  return {
    slug,
    bodyBytes: Buffer.byteLength(stringify(article)),
    rows: [
      { step: 'repository read through the Store: query + JSON.parse(sections) (today)', micros: await timeAsync(() => articles.findPublished(slug)) },
      { step: 'fast-json-stringify of the Article schema (today)', micros: time(() => stringify(article)) },
      { step: 'JSON.stringify of the same object', micros: time(() => JSON.stringify(article)) },
      { step: 'query of the stored JSON text only', micros: time(() => stored.get(slug)) },
      { step: 'stored JSON spliced into the body, unparsed', micros: time(() => `${head},"sections":${stored.get(slug)!.sections}}`) },
    ],
  }
}
