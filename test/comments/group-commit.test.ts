import { readFileSync } from 'node:fs'
import { sqliteStore } from '../helpers/store.js'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { ArticleRepository } from '../../src/articles/repository.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase, type SqliteDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { seedIfEmpty } from '../../src/importer/files.js'
import { TEST_ADMIN_TOKEN, checkResponsesAgainstDocument } from '../helpers/app.js'
import { GroupCommit } from '../../src/comments/group-commit.js'
import { AUTO, assertProblem, newComment, post, rowCount } from './helpers.js'

const WAL_HEADER_BYTES = 32
const FRAME_HEADER_BYTES = 24

/** The app on a database file (WAL mode, synchronous=FULL), as the server runs it. */
async function appOnFile(t: Test, env: Record<string, string> = AUTO) {
  const path = join(t.testdir({}), 'content.db')
  const db = openDatabase(path)
  migrate(db)
  seedIfEmpty(new ArticleRepository(db), new Date('2026-01-15T09:00:00.000Z'))
  const app = await buildApp({ ...sqliteStore(db), config: loadConfig({ DATABASE_PATH: path, ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env }), logger: false })
  t.teardown(() => app.close())
  checkResponsesAgainstDocument(t, app)
  return { app, db, path }
}

/**
 * Transactions committed to the WAL since it was last emptied: a frame whose header holds a database
 * size (bytes 4-7) is the last frame of a commit. Each commit is one fsync under synchronous=FULL.
 */
function commitsInWal(db: SqliteDatabase, path: string): number {
  const pageSize = db.pragma('page_size', { simple: true }) as number
  const wal = readFileSync(`${path}-wal`)
  let commits = 0
  for (let offset = WAL_HEADER_BYTES; offset + FRAME_HEADER_BYTES <= wal.length; offset += FRAME_HEADER_BYTES + pageSize) {
    if (wal.readUInt32BE(offset + 4) !== 0) commits += 1
  }
  return commits
}

function emptyWal(db: SqliteDatabase): void {
  db.pragma('wal_checkpoint(TRUNCATE)')
}

t.test('group commit (issue 12 #4): comment POSTs that arrive together share one transaction, one commit and one fsync', async (t) => {
  const { app, db, path } = await appOnFile(t)
  t.equal(db.pragma('synchronous', { simple: true }), 2, 'synchronous=FULL stays')
  emptyWal(db)
  t.equal((await post(app, newComment())).statusCode, 201)
  t.equal(commitsInWal(db, path), 1, 'a lone comment is one commit')

  emptyWal(db)
  const posts = 40
  const answers = await Promise.all(Array.from({ length: posts }, (_, i) => post(app, newComment({ authorEmail: `reader-${i}@example.com` }))))
  t.same(answers.map((res) => res.statusCode), Array(posts).fill(201), 'every one is stored')
  const commits = commitsInWal(db, path)
  t.ok(commits >= 1 && commits <= 2, `${posts} concurrent comments took ${commits} commit(s), not ${posts}`)
  t.equal(rowCount(db), posts + 1)
  const ids = answers.map((res) => res.json().id as number)
  t.equal(new Set(ids).size, posts, 'each its own id')

  // Every acknowledged comment is in the file, read through a connection of its own.
  const reader = new Database(path, { readonly: true, fileMustExist: true })
  t.teardown(() => reader.close())
  const stored = reader.prepare(`SELECT count(*) FROM comments WHERE id IN (${ids.join(',')})`).pluck().get()
  t.equal(stored, posts, 'a second connection finds every acknowledged comment')
})

t.test('group commit (issue 12 #4): within one group a duplicate is a 409, a reused key a 422, a replay the first answer, and a refused comment undoes only itself', async (t) => {
  const { app, db, path } = await appOnFile(t)
  emptyWal(db)
  const same = newComment()
  const keyed = newComment()
  const first = { headers: { 'idempotency-key': 'group-key-1' } }
  const second = { headers: { 'idempotency-key': 'group-key-2' } }
  const sent = [
    post(app, same),
    post(app, same),
    post(app, keyed, first),
    post(app, keyed, first),
    post(app, newComment(), second),
    post(app, newComment(), second),
    post(app, newComment({ parentId: 9999 })),
    post(app, newComment({ website: 'https://bot.example' })),
    post(app, newComment()),
  ]
  const answers = await Promise.all(sent)
  t.same(answers.map((res) => res.statusCode), [201, 409, 201, 201, 201, 422, 400, 201, 201])
  assertProblem(t, answers[1]!, 409, '/problems/conflict', 'the second of two identical comments')
  t.equal(answers[3]!.body, answers[2]!.body, 'the retry gets the first answer, byte for byte')
  assertProblem(t, answers[5]!, 422, '/problems/idempotency-key-reused', 'the key with another body')
  t.match(answers[6]!.json().errors, [{ name: 'parentId' }])
  t.ok(commitsInWal(db, path) <= 2, 'they were committed together')
  t.equal(rowCount(db), 5, 'the stored ones: the first identical one, the keyed one, the second key\'s first, the bot\'s and the last')
  t.equal(rowCount(db, "status = 'spam'"), 1, 'the honeypot still files the bot as spam')
  t.equal(db.prepare('SELECT count(*) FROM idempotency_keys').pluck().get(), 2, 'one remembered answer per key')
})

t.test('group commit (issue 12 #4): a group the database refuses is refused to every member, and nothing of it is stored', async (t) => {
  const { app, db } = await appOnFile(t, { ...AUTO })
  db.pragma('query_only = 1')
  const answers = await Promise.all(Array.from({ length: 5 }, () => post(app, newComment())))
  t.same(answers.map((res) => res.statusCode), Array(5).fill(503), 'each is told the write failed')
  db.pragma('query_only = 0')
  t.equal(rowCount(db), 0)
  t.equal((await post(app, newComment())).statusCode, 201, 'the next group commits')
})

t.test('GroupCommit: a member that fails after writing undoes only its own writes; the others commit with it', async (t) => {
  const db = openDatabase(':memory:')
  t.teardown(() => db.close())
  db.exec('CREATE TABLE written (n INTEGER NOT NULL) STRICT')
  const commits = new GroupCommit(db)
  const insert = db.prepare<[number]>('INSERT INTO written (n) VALUES (?)')
  const results = await Promise.allSettled([
    commits.run(() => insert.run(1).changes),
    commits.run(() => {
      insert.run(2)
      throw new Error('refused after writing')
    }),
    commits.run(() => insert.run(3).changes),
  ])
  t.match(results, [{ status: 'fulfilled', value: 1 }, { status: 'rejected', reason: { message: 'refused after writing' } }, { status: 'fulfilled', value: 1 }])
  t.same(db.prepare('SELECT n FROM written ORDER BY n').pluck().all(), [1, 3], "the failed member's row is gone, the others' are kept")
  t.notOk(db.inTransaction, 'the transaction is closed')
})
