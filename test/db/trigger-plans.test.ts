import t from 'tap'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { SQLITE_ONLY } from '../helpers/store.js'

/**
 * The triggers of article_entries run once per list entry: an article of thousands of entries runs
 * each statement thousands of times in one request. Each must find its rows by a seek on the entry's
 * article (or a row id), never walk a table or a key prefix shared by every article. 005's catalog
 * delete sought catalog_occurrences' primary key on `kind` alone: 6 s to shrink a 4,000-entry article.
 */
t.test("every statement of article_entries' triggers seeks by the entry's article", { skip: SQLITE_ONLY }, async (t) => {
  const db = openDatabase(':memory:')
  t.teardown(() => db.close())
  migrate(db)
  const triggers = db.prepare<[], { name: string; sql: string }>("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'article_entries'").all()
  t.ok(triggers.length >= 6, 'the search and catalog triggers of inserts, updates and deletes')
  for (const { name, sql } of triggers) {
    const body = /\bBEGIN\b([\s\S]*)\bEND\s*$/i.exec(sql)![1]!
    const statements = body.split(';').map((statement) => statement.trim()).filter(Boolean)
    for (const statement of statements) {
      const parameterized = statement.replace(/\b(?:OLD|NEW)\.\w+/g, '?')
      const count = (parameterized.match(/\?/g) ?? []).length
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${parameterized}`).all(...Array.from({ length: count }, () => null)) as { detail: string }[]
      for (const { detail } of plan) {
        if (!/^(SEARCH|SCAN)\b/.test(detail)) continue
        t.match(detail, /^SEARCH .*\((?:rowid=\?|[^)]*\barticle_id=\?)/, `${name}: ${statement.split('\n')[0]} -> ${detail}`)
      }
    }
  }
})
