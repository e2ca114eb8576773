import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { SqliteDatabase } from '../../src/db/database.js'
import { createTestApp } from '../helpers/app.js'
import { ON_POSTGRES, SQLITE_ONLY, createTestStore } from '../helpers/store.js'
import { AUTO, SLUG, appOn, assertProblem, column, newComment, openAgain, post, rowCount, seededStore, separateReader, value } from './helpers.js'

/**
 * Comment POSTs that arrive at the same moment. Every write transaction is the store's: on SQLite those
 * of one event-loop turn share one IMMEDIATE transaction and one commit, each in a savepoint of its own;
 * on PostgreSQL each is serializable and is run again when it loses a conflict. Either way each POST
 * is decided as if alone, and is acknowledged only once it is committed.
 */

const WAL_HEADER_BYTES = 32
const FRAME_HEADER_BYTES = 24

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

/** A pair of requests sent at the same moment, the one that won first: on SQLite the group runs them in the order they came. */
function inCommitOrder(first: LightMyRequestResponse, second: LightMyRequestResponse): [LightMyRequestResponse, LightMyRequestResponse] {
  // On PostgreSQL either may commit first; the winner is the one with the success status.
  return ON_POSTGRES && second.statusCode < first.statusCode ? [second, first] : [first, second]
}

async function appOnFile(t: Test) {
  const opened = await seededStore(t, { path: join(t.testdir({}), 'content.db') })
  return { app: await appOn(t, opened, AUTO), db: opened.sqlite!, path: opened.env.DATABASE_PATH!, env: opened.env }
}

t.test('group commit (issue 12 #4): comment POSTs that arrive together share one transaction, one commit and one fsync', { skip: SQLITE_ONLY }, async (t) => {
  const { app, db, path } = await appOnFile(t)
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal', 'the file is in WAL mode')
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

  emptyWal(db)
  const mixed = await Promise.all([post(app, newComment()), post(app, newComment({ parentId: 9999 })), post(app, newComment())])
  t.same(mixed.map((res) => res.statusCode), [201, 400, 201])
  t.equal(commitsInWal(db, path), 1, 'a refused comment does not cost the others their shared commit')
})

t.test('issue 16: 50 comment POSTs at the same moment are each stored exactly once, and each is readable by another connection the moment its 201 arrives', async (t) => {
  const opened = await seededStore(t, { path: join(t.testdir({}), 'content.db') })
  const app = await appOn(t, opened, AUTO)
  const reader = separateReader(t, opened.env)
  const posts = 50
  const seen: unknown[] = []
  const answers = await Promise.all(
    Array.from({ length: posts }, async (_, i) => {
      const sent = newComment({ authorEmail: `reader-${i}@example.com` })
      const res = await post(app, sent)
      // Read at once, before any other answer is awaited: a 201 sent before the commit would find nothing.
      if (res.statusCode === 201) seen.push(await value(reader, 'SELECT body FROM comments WHERE id = ?', [res.json().id]) === sent.body)
      return res
    }),
  )
  t.same(answers.map((res) => res.statusCode), Array(posts).fill(201), 'every one is acknowledged')
  t.same(seen, Array(posts).fill(true), 'each acknowledged comment was already committed when its answer arrived')
  const ids = answers.map((res) => res.json().id as number)
  t.equal(new Set(ids).size, posts, 'each its own id')
  t.equal(await rowCount(reader), posts, 'none stored twice, none lost')
  t.equal(await value(reader, 'SELECT comment_count FROM articles WHERE slug = ?', [SLUG]), posts, 'the count took every one')
})

t.test('group commit (issue 12 #4), issue 16: at the same moment a duplicate is a 409, a reused key a 422, a replay the first answer, and a refused comment undoes only itself', async (t) => {
  const { app, store } = await createTestApp(t, { env: AUTO })
  const same = newComment()
  const keyed = newComment()
  const first = { headers: { 'idempotency-key': 'group-key-1' } }
  const second = { headers: { 'idempotency-key': 'group-key-2' } }
  const answers = await Promise.all([
    post(app, same),
    post(app, same),
    post(app, keyed, first),
    post(app, keyed, first),
    post(app, newComment(), second),
    post(app, newComment(), second),
    post(app, newComment({ parentId: 9999 })),
    post(app, newComment({ website: 'https://bot.example' })),
    post(app, newComment()),
  ])
  const [stored, duplicate] = inCommitOrder(answers[0]!, answers[1]!)
  t.equal(stored.statusCode, 201, 'the first of two identical comments is stored')
  assertProblem(t, duplicate, 409, '/problems/conflict', 'the second of two identical comments')
  const [keyedFirst, keyedRetry] = inCommitOrder(answers[2]!, answers[3]!)
  t.same([keyedFirst.statusCode, keyedRetry.statusCode], [201, 201])
  t.equal(keyedRetry.body, keyedFirst.body, 'the retry gets the first answer, byte for byte')
  const [keyStored, keyReused] = inCommitOrder(answers[4]!, answers[5]!)
  t.equal(keyStored.statusCode, 201)
  assertProblem(t, keyReused, 422, '/problems/idempotency-key-reused', 'the key with another body')
  assertProblem(t, answers[6]!, 400, '/problems/validation-failed', 'a reply to no comment')
  t.match(answers[6]!.json().errors, [{ name: 'parentId' }])
  t.same([answers[7]!.statusCode, answers[8]!.statusCode], [201, 201], 'the bot and the last one')
  t.equal(await rowCount(store), 5, "the stored ones: one of the identical pair, the keyed one, the second key's first, the bot's and the last")
  t.equal(await rowCount(store, "status = 'spam'"), 1, 'the honeypot still files the bot as spam')
  t.equal(await value(store, 'SELECT count(*) AS n FROM idempotency_keys'), 2, 'one remembered answer per key')
})

t.test('group commit (issue 12 #4): a group the database refuses is refused to every member, and nothing of it is stored', { skip: SQLITE_ONLY }, async (t) => {
  const { app, store, sqlite } = await createTestApp(t, { env: AUTO })
  sqlite!.pragma('query_only = 1')
  const answers = await Promise.all(Array.from({ length: 5 }, () => post(app, newComment())))
  t.same(answers.map((res) => res.statusCode), Array(5).fill(503), 'each is told the write failed')
  sqlite!.pragma('query_only = 0')
  t.equal(await rowCount(store), 0)
  t.equal((await post(app, newComment())).statusCode, 201, 'the next group commits')
})

t.test('issue 16: a write transaction that fails after writing undoes only its own writes; those submitted with it commit', async (t) => {
  const { store } = await createTestStore(t)
  t.teardown(() => store.close())
  await store.run('CREATE TABLE written (n integer NOT NULL)')
  const insert = 'INSERT INTO written (n) VALUES (?)'
  const results = await Promise.allSettled([
    store.transaction((tx) => tx.run(insert, [1])),
    store.transaction(async (tx) => {
      await tx.run(insert, [2])
      throw new Error('refused after writing')
    }),
    store.transaction((tx) => tx.run(insert, [3])),
  ])
  t.match(results, [{ status: 'fulfilled', value: 1 }, { status: 'rejected', reason: { message: 'refused after writing' } }, { status: 'fulfilled', value: 1 }])
  t.same(await column(store, 'SELECT n FROM written ORDER BY n'), [1, 3], "the failed one's row is gone, the others' are kept")
  t.equal((await store.transaction((tx) => tx.run(insert, [4]))), 1, 'the store takes the next transaction')
})

t.test('issue 16: two nodes at the same moment share one rate limit and one Idempotency-Key', async (t) => {
  const first = await seededStore(t, { path: join(t.testdir({}), 'content.db') })
  const settings = { ...AUTO, COMMENT_RATE_LIMIT_PER_MINUTE: '5' }
  const nodes = [await appOn(t, first, settings), await appOn(t, await openAgain(first.env), settings)] as const

  const limited = { remoteAddress: '203.0.113.40' }
  const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => post(nodes[i % 2]!, newComment(), limited)))
  const statuses = burst.map((res) => res.statusCode)
  t.equal(statuses.filter((status) => status === 201).length, 5, 'exactly the limit is stored across both nodes')
  t.equal(statuses.filter((status) => status === 429).length, 15, 'every other one is a 429')
  t.equal(await rowCount(first.store), 5)

  const keyed = { remoteAddress: '203.0.113.41', headers: { 'idempotency-key': 'one-comment-many-retries' } }
  const payload = newComment()
  const retries = await Promise.all(Array.from({ length: 10 }, (_, i) => post(nodes[i % 2]!, payload, keyed)))
  t.same(retries.map((res) => res.statusCode), Array(10).fill(201), 'every retry is answered')
  t.equal(new Set(retries.map((res) => res.body)).size, 1, 'with the one answer, byte for byte')
  t.equal(await rowCount(first.store, 'body = ?', payload.body), 1, 'stored once')
  t.same(await column(first.store, 'SELECT hits FROM rate_limits ORDER BY hits'), [1, 5], 'and counted once, beside the first client\'s five')
})
