import t from 'tap'
import { ArticleRepository } from '../../src/articles/repository.js'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { queryWords } from '../../src/search/query.js'
import { SearchRepository, toSearchHit } from '../../src/search/repository.js'
import { articleText, saveText } from '../helpers/app.js'
import { olderCopy } from '../helpers/db.js'
import { createTestStore, SQLITE_ONLY, sqliteStore } from '../helpers/store.js'

const find = async (search: SearchRepository, q: string) =>
  (await search.find(queryWords(q), undefined, 100)).hits.map(toSearchHit).map((hit) => `${hit.type}:${hit.slug}`)

t.test('migration 004 indexes the articles that were there before it', { skip: SQLITE_ONLY }, async (t) => {
  // Today's repository writes the articles on a current database (it reads columns of later migrations);
  // their rows are then copied into a database at migration 003.
  const current = openDatabase(':memory:')
  t.teardown(() => current.close())
  migrate(current)
  const articles = new ArticleRepository(sqliteStore(current).store)
  await seedIfEmpty(articles, new Date('2026-01-15T09:00:00.000Z'))
  await saveText(articles, articleText('Hot Stone Basics', ['Stone Placement'], ['Warmth']))
  const db = olderCopy(current, 4, ['articles', 'article_entries'])
  t.teardown(() => db.close())

  migrate(db)
  db.exec("INSERT INTO search_index (search_index) VALUES ('integrity-check')")
  const search = new SearchRepository(sqliteStore(db).store, () => new Date('2026-03-01T00:00:00.000Z'))
  t.same(await find(search, 'friction'), ['technique:friction', 'article:lower-back-pain-deep-tissue-massage'])
  t.same(await find(search, 'stone'), ['technique:stone-placement', 'article:hot-stone-basics'])
  t.same(await find(search, 'warmth'), ['benefit:warmth', 'article:hot-stone-basics'])
})

t.test('an entry changed in place is indexed anew', async (t) => {
  const { store, sqlite } = await createTestStore(t)
  t.teardown(() => store.close())
  await seedIfEmpty(new ArticleRepository(store), new Date('2026-01-15T09:00:00.000Z'))
  const search = new SearchRepository(store, () => new Date('2026-03-01T00:00:00.000Z'))
  await store.run("UPDATE article_entries SET slug = 'kneading', name = 'Kneading', description = 'Slow circles.' WHERE slug = 'friction'")
  t.same(await find(search, 'kneading'), ['technique:kneading'])
  t.same(await find(search, 'circles'), ['technique:kneading'])
  t.same(await find(search, 'friction'), ['article:lower-back-pain-deep-tissue-massage'], 'the article\'s own text is unchanged')
  sqlite?.exec("INSERT INTO search_index (search_index) VALUES ('integrity-check')")
})
