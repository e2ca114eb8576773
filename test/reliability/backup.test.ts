import { execFile } from 'node:child_process'
import { existsSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import t from 'tap'
import { SQLITE_ONLY } from '../helpers/store.js'
import { backupDatabase } from '../../src/db/backup.js'
import { openDatabase } from '../../src/db/database.js'
import { acknowledged, commentStream, LOAD_ENV, until, type Outcome } from '../helpers/load.js'
import { PROJECT_DIR, spawnServer, stop, waitUntilReady } from '../helpers/server.js'
import { readMigrations } from '../../src/db/migrate.js'

const VERSIONS = readMigrations().map((migration) => migration.version)

const BACKUP_CLI = join(PROJECT_DIR, 'dist', 'db', 'backup-cli.js')

/** `npm run backup -- <file>` without npm: the compiled CLI with DATABASE_PATH set. */
async function runBackup(databasePath: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BACKUP_CLI, ...args], { cwd: PROJECT_DIR, env: { ...process.env, DATABASE_PATH: databasePath } })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

// Spawned servers under a shared, loaded machine: more than tap's default 60 s per file.
t.setTimeout(180_000)

t.test('npm run backup copies the database while a server writes to it; the copy restores', { skip: SQLITE_ONLY }, async (t) => {
  const dir = t.testdir({})
  const path = join(dir, 'content.db')
  const copyPath = join(dir, 'backups', 'content-copy.db')
  const server = await spawnServer(t, path, LOAD_ENV)
  await waitUntilReady(server)

  let writing = true
  const outcomes: Outcome[] = []
  const load = commentStream(server.url, 'backup', 3, outcomes, () => !writing)
  await until(() => acknowledged(outcomes).length >= 20)
  const before = new Set(acknowledged(outcomes).map((o) => o.body))
  const run = await runBackup(path, copyPath)
  const after = new Set(acknowledged(outcomes).map((o) => o.body))
  writing = false
  await load
  t.equal(run.code, 0, `the CLI succeeds: ${run.stderr}`)
  t.match(run.stdout, new RegExp(`backed up .*content\\.db to .*content-copy\\.db: \\d+ pages, integrity ok, migrations ${VERSIONS.join(', ')}`))
  t.same(outcomes.filter((o) => o.status !== 201), [], 'the writers never noticed the backup')

  const copy = new Database(copyPath, { readonly: true, fileMustExist: true })
  t.equal(copy.pragma('integrity_check', { simple: true }), 'ok', 'the copy passes integrity_check')
  t.same(copy.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(), VERSIONS, 'and has the migrations ledger')
  const copied = new Set(copy.prepare("SELECT body FROM comments WHERE body LIKE 'backup-%'").pluck().all() as string[])
  copy.close()
  t.same([...before].filter((body) => !copied.has(body)), [], `every comment acknowledged before the backup began is in it (${copied.size} comments)`)
  t.same([...copied].filter((body) => !after.has(body) && !outcomes.some((o) => o.body === body)), [], 'it holds nothing that was never sent')

  t.match(await runBackup(path, copyPath), { code: 1, stderr: /already exists/ }, 'it never overwrites a file')
  t.match(await runBackup(path), { code: 2, stderr: /usage: npm run backup -- <file>/ }, 'it needs a destination')

  // The README's restore: stop, replace the file, remove -wal and -shm, start.
  await stop(t, server)
  renameSync(copyPath, path)
  for (const suffix of ['-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true })
  const restored = await spawnServer(t, path, LOAD_ENV)
  await waitUntilReady(restored)
  const page = await (await fetch(`${restored.url}/v1/articles/lower-back-pain-deep-tissue-massage`)).json() as { commentCount: number }
  t.equal(page.commentCount, copied.size, 'the restored server serves what the backup held')
  await stop(t, restored)
})

t.test('with DATABASE_URL set, npm run backup points to pg_dump and copies nothing', async (t) => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [BACKUP_CLI, join(t.testdir({}), 'copy.db')], {
    cwd: PROJECT_DIR,
    env: { ...process.env, DATABASE_URL: 'postgres://spa:secret@db.internal:5432/content' },
  }).then(
    () => ({ stdout: 'exited 0', stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => ({ stdout: `exited ${error.code}`, stderr: error.stderr }),
  )
  t.equal(stdout, 'exited 2')
  t.match(stderr, /pg_dump/)
  t.notMatch(stderr, /secret/, 'no password')
})

t.test('backupDatabase refuses what it cannot copy safely', { skip: SQLITE_ONLY }, async (t) => {
  const dir = t.testdir({})
  await t.rejects(backupDatabase(join(dir, 'missing.db'), join(dir, 'out.db')), /there is no database at/)
  t.notOk(existsSync(join(dir, 'missing.db')), 'and does not create the source')
  const foreign = openDatabase(join(dir, 'foreign.db'))
  foreign.exec('CREATE TABLE notes (text TEXT)')
  foreign.close()
  await t.rejects(backupDatabase(join(dir, 'foreign.db'), join(dir, 'foreign-copy.db')), /no migrations ledger/)
})
