import { parseArgs } from 'node:util'
import { ArticleRepository } from '../articles/repository.js'
import type { CliIo } from '../cli-io.js'
import { loadConfig } from '../config.js'
import { openStore } from '../db/open.js'
import { readArticleFiles, saveArticles, seedFiles } from './files.js'

const USAGE = `usage: npm run import -- [--publish] [--dry-run] <file...>
       npm run seed            (imports seed/*.txt as published)`

/** The import and seed commands; returns the exit code. */
export async function runImportCli(argv: string[], io: CliIo): Promise<number> {
  let args
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { publish: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, seed: { type: 'boolean' }, help: { type: 'boolean' } } })
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = args
  if (values.help) {
    io.stdout(USAGE)
    return 0
  }
  const files = values.seed ? seedFiles() : positionals
  if (files.length === 0) {
    io.stderr(`no files given\n${USAGE}`)
    return 2
  }
  try {
    // Every file is read before the database is opened: a bad file leaves no trace.
    const parsed = readArticleFiles(files)
    if (values['dry-run']) {
      const articles = parsed.map(({ article, notes }) => ({ ...article, notes }))
      io.stdout(JSON.stringify(articles.length === 1 ? articles[0] : articles, null, 2))
      return 0
    }
    const { store } = await openStore(loadConfig(io.env))
    try {
      const results = await saveArticles(new ArticleRepository(store), parsed, { publish: Boolean(values.publish || values.seed), now: io.now() })
      for (const { file, slug, outcome } of results) io.stdout(`${outcome} ${slug} (${file})`)
    } finally {
      await store.close()
    }
    return 0
  } catch (error) {
    io.stderr(`import failed, nothing was written: ${(error as Error).message}`)
    return 1
  }
}
