import type { LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import type { ArticleRepository } from '../../src/articles/repository.js'
import { importFiles } from '../../src/importer/files.js'
import { TEST_ADMIN_TOKEN } from './app.js'

/**
 * Shared by the delivery tests (caching, query, render, discovery); tap only runs `*.test.ts`, so this
 * file is not a test of its own.
 */

export const SEED_SLUG = 'lower-back-pain-deep-tissue-massage'
export const SEED_TITLE = 'Lower Back Pain Deep Tissue Massage'
export const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }
export const NO_STORE = 'private, no-store'
export const DEFAULT_CACHE_CONTROL = 'public, max-age=60, stale-while-revalidate=300'

export interface LibraryArticle {
  /** The id the article gets: the seed is 1, the fixtures follow in import order. */
  id: number
  slug: string
  title: string
  publishedAt: string
  file?: string
}

const fixture = (name: string) => new URL(`../fixtures/articles/${name}`, import.meta.url).pathname

/**
 * The seed and the five fixtures, in id order, each with the publication time `importLibrary` gives it.
 * Two pairs share a time (the seed and sports; hot stone and prenatal) so that sorts need their tie-breaker.
 */
export const LIBRARY: LibraryArticle[] = [
  { id: 1, slug: SEED_SLUG, title: SEED_TITLE, publishedAt: '2026-01-15T09:00:00.000Z' },
  { id: 2, slug: 'aromatherapy-massage-and-essential-oils', title: 'Aromatherapy Massage and Essential Oils', publishedAt: '2026-02-01T10:00:00.000Z', file: fixture('aromatherapy-massage.txt') },
  { id: 3, slug: 'hot-stone-massage-benefits-techniques-and-what-to-expect', title: 'Hot Stone Massage: Benefits, Techniques and What to Expect', publishedAt: '2026-03-01T10:00:00.000Z', file: fixture('hot-stone-massage.txt') },
  { id: 4, slug: 'is-prenatal-massage-safe-a-guide-for-expectant-mothers', title: 'Is Prenatal Massage Safe? A Guide for Expectant Mothers', publishedAt: '2026-03-01T10:00:00.000Z', file: fixture('prenatal-massage.txt') },
  { id: 5, slug: 'reflexology-pressure-points-benefits-and-what-to-expect', title: 'Reflexology: Pressure Points, Benefits and What to Expect', publishedAt: '2026-04-10T08:30:00.000Z', file: fixture('reflexology.txt') },
  { id: 6, slug: 'sports-massage-for-runners-before-and-after-the-race', title: 'Sports Massage for Runners: Before and After the Race', publishedAt: '2026-01-15T09:00:00.000Z', file: fixture('sports-massage.txt') },
]

export const bySlug = (slug: string) => LIBRARY.find((article) => article.slug === slug)!

/** Imports the five fixtures, published at their LIBRARY times; the seed is already there. */
export async function importLibrary(articles: ArticleRepository): Promise<void> {
  for (const { file, publishedAt } of LIBRARY) {
    if (file) await importFiles(articles, [file], { publish: true, now: new Date(publishedAt) })
  }
}

/** The target of the `rel="next"` link in a Link header, if any. */
export function nextLink(link: string | string[] | number | undefined): string | undefined {
  return /<([^>]+)>;\s*rel="next"/.exec(String(link ?? ''))?.[1]
}

/** The header as one string (inject gives arrays for repeated headers). */
export const header = (res: LightMyRequestResponse, name: string) => {
  const value = res.headers[name]
  return value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : String(value)
}

/** The comma-separated tokens of a header, lower-cased. */
export const tokens = (res: LightMyRequestResponse, name: string) =>
  (header(res, name) ?? '')
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter(Boolean)

/** Asserts a 400 validation problem that names the query parameter; returns the problem. */
export function assertQueryProblem(t: Test, res: LightMyRequestResponse, name: string, message: string) {
  t.equal(res.statusCode, 400, `${message}: 400`)
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${message}: problem media type`)
  t.equal(res.headers['cache-control'], NO_STORE, `${message}: not stored`)
  const problem = res.json()
  t.match(problem, { type: '/problems/validation-failed', status: 400 }, `${message}: validation problem`)
  t.ok(
    (problem.errors ?? []).some((issue: { in: string; name: string }) => issue.in === 'query' && issue.name === name),
    `${message}: names query ${name}`,
  )
  return problem as { detail: string; errors: { in: string; name: string; detail: string }[] }
}
