import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { SQLITE_ONLY } from '../helpers/store.js'
import { commentStream, LOAD_ENV, SEED_SLUG, type Outcome } from '../helpers/load.js'
import { logLines, spawnServer, stop, waitUntilReady } from '../helpers/server.js'
import { readMigrations } from '../../src/db/migrate.js'

const POSTS_PER_WORKER = 30
const WORKERS_PER_SERVER = 3

// Spawned servers under a shared, loaded machine: more than tap's default 60 s per file.
t.setTimeout(180_000)

t.test('two server processes started together on one new database file serve reads and take writes with no error reaching a client', { skip: SQLITE_ONLY }, async (t) => {
  const path = join(t.testdir({}), 'content.db')
  // Started at the same moment: both migrate and seed the same new file.
  const servers = await Promise.all([spawnServer(t, path, LOAD_ENV), spawnServer(t, path, LOAD_ENV)])
  await Promise.all(servers.map((server) => waitUntilReady(server)))

  const reads: number[] = []
  const outcomes = await Promise.all(
    servers.map(async (server, index) => {
      const mine: Outcome[] = []
      let done = 0
      await Promise.all([
        commentStream(server.url, `server${index}`, WORKERS_PER_SERVER, mine, () => mine.length >= POSTS_PER_WORKER * WORKERS_PER_SERVER),
        (async () => {
          // Reads while the other process writes: the list, the article (with its count) and the comments.
          for (; done < POSTS_PER_WORKER; done++) {
            for (const url of ['/v1/articles', `/v1/articles/${SEED_SLUG}`, `/v1/articles/${SEED_SLUG}/comments?limit=100`]) reads.push((await fetch(`${server.url}${url}`)).status)
          }
        })(),
      ])
      return mine
    }),
  )
  const all = outcomes.flat()
  t.same(all.filter((o) => o.status !== 201), [], `all ${all.length} comment posts answered 201`)
  t.same(reads.filter((status) => status !== 200), [], `all ${reads.length} reads answered 200`)

  const [first, second] = servers as [(typeof servers)[0], (typeof servers)[0]]
  const articles = (await (await fetch(`${first.url}/v1/articles`)).json()) as { data: unknown[] }
  t.equal(articles.data.length, 1, 'the seed was imported once')
  const count = ((await (await fetch(`${second.url}/v1/articles/${SEED_SLUG}`)).json()) as { commentCount: number }).commentCount
  t.equal(count, all.length, "each process sees the other's comments in the article's count")
  await Promise.all(servers.map((server) => stop(t, server)))

  const db = new Database(path, { readonly: true, fileMustExist: true })
  t.teardown(() => db.close())
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok')
  t.same(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(), readMigrations().map((migration) => migration.version), 'each migration applied once')
  const stored = db.prepare('SELECT body, count(*) AS n FROM comments GROUP BY body').all() as { body: string; n: number }[]
  t.equal(stored.length, all.length, 'every comment stored')
  t.ok(stored.every((row) => row.n === 1), 'each once')
  const logged = servers.flatMap((server) => logLines(server.stdout()))
  t.same(logged.filter((line) => line.reqId !== undefined && (line.level as number) >= 40), [], 'neither process logged a request warning or error')
  t.comment(`measured: ${all.length} posts and ${reads.length} reads across two processes, 0 errors`)
})
