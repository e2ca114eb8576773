import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ArticleRepository } from '../../src/articles/repository.js'
import type { Section } from '../../src/content/schemas.js'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { SqliteStore } from '../../src/db/sqlite.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { SQLITE_ONLY } from '../helpers/store.js'
import { articleText, saveText } from '../helpers/app.js'

/** Debian's sqlite3 shell (3.40 on bookworm), the tool operators inspect and repair the database with. */
const DEBIAN_SQLITE3 = '/usr/bin/sqlite3'

/** An article's searchable text as migration 004 defines it: headings, paragraphs and list items in reading order. */
function readingOrderText(sections: Section[]): string {
  return sections
    .flatMap((section) => [
      ...(section.heading === undefined ? [] : [section.heading]),
      ...section.blocks.flatMap((block) => (block.type === 'paragraph' ? [block.text] : block.items.flatMap((item) => [...(item.name === undefined ? [] : [item.name]), item.description]))),
    ])
    .join('\n')
}

t.test('issue 15 row 12: a freshly migrated database opens and passes integrity_check in the sqlite3 3.40 shell', { skip: SQLITE_ONLY || (existsSync(DEBIAN_SQLITE3) ? false : `${DEBIAN_SQLITE3} is not installed`) }, async (t) => {
  const path = join(t.testdir({}), 'content.db')
  const db = openDatabase(path)
  migrate(db)
  const articles = new ArticleRepository(new SqliteStore(db))
  await seedIfEmpty(articles, new Date('2026-01-15T09:00:00.000Z'))
  await saveText(articles, articleText('Hot Stone Basics', ['Stone Placement'], ['Warmth']))
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()

  const shell = (sql: string) => execFileSync(DEBIAN_SQLITE3, [path, sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
  t.match(shell('SELECT sqlite_version()'), /^3\.\d+\.\d+$/)
  t.equal(shell('PRAGMA integrity_check'), 'ok', 'the schema parses and the file is sound')
  t.equal(shell("INSERT INTO search_index (search_index) VALUES ('integrity-check'); SELECT 'fts ok'"), 'fts ok', 'the full-text index matches its documents')
  t.equal(shell('SELECT count(*) FROM article_search_text'), '2', 'the search text view is usable in that shell')
  t.equal(shell("SELECT count(*) FROM search_documents AS d JOIN article_search_text AS v ON v.id = d.article_id WHERE d.kind = 'article' AND d.body = v.body"), '2', 'and computes what the triggers stored')
})

t.test('migration 005\'s view gives each article\'s text in reading order, as 004\'s did', async (t) => {
  const db = openDatabase(':memory:')
  t.teardown(() => db.close())
  migrate(db)
  const articles = new ArticleRepository(new SqliteStore(db))
  await seedIfEmpty(articles, new Date('2026-01-15T09:00:00.000Z'))
  await saveText(articles, articleText('Hot Stone Basics', ['Stone Placement', 'Warm Kneading'], ['Warmth']))
  const rows = db.prepare("SELECT a.sections, d.body FROM articles AS a JOIN search_documents AS d ON d.article_id = a.id AND d.kind = 'article'").all() as { sections: string; body: string }[]
  t.equal(rows.length, 2)
  for (const row of rows) t.equal(row.body, readingOrderText(JSON.parse(row.sections) as Section[]))
  const view = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'article_search_text'").get() as { sql: string }
  t.notMatch(view.sql, /group_concat\([^)]*ORDER BY/i, 'no ordered aggregate (SQLite 3.44) in the schema')
})
