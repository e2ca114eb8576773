import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ArticleRepository, SaveOutcome } from '../articles/repository.js'
import { IMPORT_LIMITS } from '../articles/imports.js'
import { decodeArticleText, ImportError, parseArticleWithNotes, type ImportNote, type ParsedArticle, type ParseReport } from '../parser/parse.js'

export const SEED_DIR = fileURLToPath(new URL('../../seed/', import.meta.url))

export interface ParsedFile {
  file: string
  article: ParsedArticle
  /** What the parser left out of the file, and why. */
  notes: ImportNote[]
}

export interface ImportResult {
  file: string
  slug: string
  outcome: SaveOutcome
}

/** Reads and parses one article file, with the limits of an import over HTTP; an unreadable or unparseable file is an ImportError naming it. */
export function readArticleFile(file: string): ParseReport {
  try {
    return parseArticleWithNotes(decodeArticleText(readFileSync(file)), IMPORT_LIMITS)
  } catch (error) {
    const reason = error instanceof ImportError ? error.message : (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
    throw new ImportError(`${file}: ${reason}`)
  }
}

/** Parses every file, refusing the set when two files would have the same slug. */
export function readArticleFiles(files: string[]): ParsedFile[] {
  const parsed = files.map((file) => ({ file, ...readArticleFile(file) }))
  const slugs = new Map<string, string>()
  for (const { file, article } of parsed) {
    const other = slugs.get(article.slug)
    if (other) throw new ImportError(`${file}: its title gives the slug "${article.slug}", as ${other} does`)
    slugs.set(article.slug, file)
  }
  return parsed
}

/** Saves parsed files in one transaction: all of them or none. */
export function saveArticles(articles: ArticleRepository, parsed: ParsedFile[], options: { publish: boolean; now: Date }): Promise<ImportResult[]> {
  return articles.transaction(async (articles) => {
    const results: ImportResult[] = []
    for (const { file, article } of parsed) results.push({ file, slug: article.slug, outcome: await articles.save(article, options) })
    return results
  })
}

/** Parses every file first, then saves them all in one transaction: one bad file writes nothing. */
export function importFiles(articles: ArticleRepository, files: string[], options: { publish: boolean; now: Date }): Promise<ImportResult[]> {
  return saveArticles(articles, readArticleFiles(files), options)
}

export function seedFiles(dir: string = SEED_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.txt'))
    .sort()
    .map((file) => join(dir, file))
}

/** Imports the seed articles as published when the database has no article yet (a first start). */
export async function seedIfEmpty(articles: ArticleRepository, now: Date): Promise<ImportResult[]> {
  return (await articles.isEmpty()) ? importFiles(articles, seedFiles(), { publish: true, now }) : []
}
