import { createHash } from 'node:crypto'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { openDatabase, type SqliteDatabase } from '../../src/db/database.js'
import { readSetting } from '../../src/db/settings.js'
import { SqliteStore } from '../../src/db/sqlite.js'
import { SQLITE_ONLY } from '../helpers/store.js'
import { MIGRATIONS_DIR, MigrationError, migrate, migrationStatus, readMigrations } from '../../src/db/migrate.js'

type Ledger = { version: number; name: string; checksum: string; applied_at: string }

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

function memoryDb(t: Test): SqliteDatabase {
  const db = openDatabase(':memory:')
  t.teardown(() => db.close())
  return db
}

const ledger = (db: SqliteDatabase) => db.prepare('SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version').all() as Ledger[]

const tables = (db: SqliteDatabase) =>
  (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((row) => row.name)

const hasTable = (db: SqliteDatabase, name: string) => tables(db).includes(name)

/** Several migration directories side by side (t.testdir gives one directory per test). */
function testdirs<K extends string>(t: Test, layout: Record<K, Record<string, string>>): Record<K, string> {
  const root = t.testdir(layout)
  return Object.fromEntries(Object.keys(layout).map((key) => [key, join(root, key)])) as Record<K, string>
}

/** Caught error of fn, or a failure if fn does not throw. */
function caught(t: Test, fn: () => unknown): Error {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  t.fail('expected a throw')
  return new Error('did not throw')
}

const FIRST = 'CREATE TABLE log (id INTEGER PRIMARY KEY, version INTEGER NOT NULL) STRICT;\nINSERT INTO log (version) VALUES (1);\n'
const step = (version: number) => `INSERT INTO log (version) VALUES (${version});\n`

t.test('applies migrations in numeric order and records version, name and checksum', { skip: SQLITE_ONLY }, async (t) => {
  const files: Record<string, string> = { '001_create_log.sql': FIRST }
  for (let version = 2; version <= 10; version++) files[`${String(version).padStart(3, '0')}_step_${version}.sql`] = step(version)
  const dir = t.testdir(files)

  const migrations = readMigrations(dir)
  t.same(
    migrations.map((m) => m.version),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  )
  t.equal(migrations[0]!.name, 'create_log')
  t.equal(migrations[9]!.name, 'step_10')
  t.equal(migrations[0]!.sql, FIRST)

  const db = memoryDb(t)
  const applied = migrate(db, migrations)
  t.same(
    applied.map((m) => m.version),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    'returns what it applied',
  )
  t.same(
    (db.prepare('SELECT version FROM log ORDER BY id').all() as { version: number }[]).map((row) => row.version),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    'ran in numeric order',
  )

  const rows = ledger(db)
  t.equal(rows.length, 10)
  for (const row of rows) {
    const file = `${String(row.version).padStart(3, '0')}_${row.name}.sql`
    t.ok(files[file], `ledger row ${row.version} names the file ${file}`)
    t.equal(row.checksum, sha256(files[file]!), `checksum of ${file} is the sha256 of its text`)
    t.match(row.applied_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  }
})

t.test('a second run applies nothing', { skip: SQLITE_ONLY }, async (t) => {
  const dir = t.testdir({ '001_create_log.sql': FIRST, '002_step.sql': step(2) })
  const db = memoryDb(t)
  t.equal(migrate(db, readMigrations(dir)).length, 2)
  const before = ledger(db)
  t.same(migrate(db, readMigrations(dir)), [])
  t.same(ledger(db), before, 'ledger unchanged')
  t.equal((db.prepare('SELECT count(*) AS n FROM log').get() as { n: number }).n, 2, 'no migration ran twice')
})

t.test('applies only what is pending on a database migrated by an older version of the code', { skip: SQLITE_ONLY }, async (t) => {
  const { older, newer } = testdirs(t, {
    older: { '001_create_log.sql': FIRST },
    newer: { '001_create_log.sql': FIRST, '002_step.sql': step(2) },
  })
  const db = memoryDb(t)
  migrate(db, readMigrations(older))
  t.same(
    migrate(db, readMigrations(newer)).map((m) => m.version),
    [2],
  )
  t.same(
    ledger(db).map((row) => row.version),
    [1, 2],
  )
})

t.test('a failing migration rolls back its own transaction entirely', { skip: SQLITE_ONLY }, async (t) => {
  const { migrations: dir, data } = testdirs(t, {
    migrations: {
      '001_first.sql': 'CREATE TABLE first (id INTEGER PRIMARY KEY);\n',
      '002_broken.sql': 'CREATE TABLE half_a (id INTEGER PRIMARY KEY);\nCREATE TABLE half_b (id INTEGER PRIMARY KEY);\nINSERT INTO first (id) VALUES (7);\nTHIS IS NOT SQL;\n',
      '003_after.sql': 'CREATE TABLE after_broken (id INTEGER PRIMARY KEY);\n',
    },
    data: {},
  })
  const path = join(data, 'db.sqlite')
  const db = openDatabase(path)
  t.teardown(() => db.close())

  const error = caught(t, () => migrate(db, readMigrations(dir)))
  t.match(error.message, /syntax error/)

  t.ok(hasTable(db, 'first'), '001 stays applied')
  t.notOk(hasTable(db, 'half_a'), 'no partial table from 002')
  t.notOk(hasTable(db, 'half_b'), 'no partial table from 002')
  t.equal((db.prepare('SELECT count(*) AS n FROM first').get() as { n: number }).n, 0, 'no partial row from 002')
  t.notOk(hasTable(db, 'after_broken'), '003 was not attempted')
  t.same(
    ledger(db).map((row) => row.version),
    [1],
    'ledger has only 001',
  )
  t.notOk(db.inTransaction, 'no transaction left open')

  // The state is the same seen from another connection: nothing of 002 was committed.
  const other = new Database(path, { readonly: true })
  t.teardown(() => other.close())
  t.notOk(hasTable(other, 'half_a'))
  t.same(
    ledger(other).map((row) => row.version),
    [1],
  )

  // Once fixed, the migration applies.
  writeFileSync(join(dir, '002_broken.sql'), 'CREATE TABLE half_a (id INTEGER PRIMARY KEY);\n')
  t.same(
    migrate(db, readMigrations(dir)).map((m) => m.version),
    [2, 3],
  )
  t.ok(hasTable(db, 'half_a'))
  t.ok(hasTable(db, 'after_broken'))
})

t.test('refuses a database that has a migration the code does not know', { skip: SQLITE_ONLY }, async (t) => {
  const { older, newer } = testdirs(t, {
    newer: { '001_create_log.sql': FIRST, '002_step.sql': step(2), '003_future_thing.sql': step(3) },
    older: { '001_create_log.sql': FIRST, '002_step.sql': step(2) },
  })
  const db = memoryDb(t)
  migrate(db, readMigrations(newer))

  const error = caught(t, () => migrate(db, readMigrations(older)))
  t.type(error, MigrationError)
  t.equal(error.name, 'MigrationError')
  t.match(error.message, /migration 3\b/)
  t.match(error.message, /future_thing/)
  t.same(
    ledger(db).map((row) => row.version),
    [1, 2, 3],
    'ledger untouched',
  )

  const status = migrationStatus(db, readMigrations(older))
  t.equal(status.conflicts.length, 1)
  t.match(status.conflicts[0], /migration 3\b.*unknown/)
  t.same(status.pending, [])
})

t.test('refuses a database whose applied migration file has changed, before applying anything', { skip: SQLITE_ONLY }, async (t) => {
  const dir = t.testdir({ '001_create_log.sql': FIRST, '002_step.sql': step(2) })
  const db = memoryDb(t)
  migrate(db, readMigrations(dir))

  writeFileSync(join(dir, '002_step.sql'), step(2) + '-- an edit after the fact\n')
  writeFileSync(join(dir, '003_new.sql'), 'CREATE TABLE brand_new (id INTEGER PRIMARY KEY);\n')
  const migrations = readMigrations(dir)

  const error = caught(t, () => migrate(db, migrations))
  t.type(error, MigrationError)
  t.match(error.message, /migration 2\b/)
  t.match(error.message, /changed/)
  t.notOk(hasTable(db, 'brand_new'), 'the pending 003 was not applied')
  t.same(
    ledger(db).map((row) => row.version),
    [1, 2],
  )

  const status = migrationStatus(db, migrations)
  t.equal(status.conflicts.length, 1)
  t.match(status.conflicts[0], /migration 2\b.*changed/)
  t.same(
    status.pending.map((m) => m.version),
    [3],
  )
})

t.test('readMigrations rejects badly named files', { skip: SQLITE_ONLY }, async (t) => {
  const bads = ['1_short.sql', '0001_long.sql', '001-dash.sql', '001_Upper.sql', '001_.sql', '001_has space.sql', 'abc_name.sql']
  const dirs = testdirs(t, Object.fromEntries(bads.map((bad, i) => [`case${i}`, { '001_fine.sql': 'SELECT 1;\n', [bad]: 'SELECT 1;\n' }])))
  for (const [i, bad] of bads.entries()) {
    const dir = dirs[`case${i}`]!
    const error = caught(t, () => readMigrations(dir))
    t.type(error, MigrationError, bad)
    t.match(error.message, bad, `message names ${bad}`)
  }
})

t.test('readMigrations ignores files that are not .sql and reads an empty directory as none', { skip: SQLITE_ONLY }, async (t) => {
  const { empty, dir } = testdirs(t, { empty: {}, dir: { '001_first.sql': 'SELECT 1;\n', 'README.md': 'notes', '002_notes.sql.bak': 'x' } })
  t.same(readMigrations(empty), [])
  t.same(
    readMigrations(dir).map((m) => `${m.version}_${m.name}`),
    ['1_first'],
  )
})

t.test('readMigrations rejects gaps and duplicates in the numbering', { skip: SQLITE_ONLY }, async (t) => {
  const dirs = testdirs(t, {
    gap: { '001_a.sql': 'SELECT 1;', '003_c.sql': 'SELECT 3;' },
    noFirst: { '002_b.sql': 'SELECT 2;' },
    duplicate: { '001_a.sql': 'SELECT 1;', '001_b.sql': 'SELECT 1;', '002_c.sql': 'SELECT 2;' },
  })
  const gap = caught(t, () => readMigrations(dirs.gap))
  t.type(gap, MigrationError)
  t.match(gap.message, /\b3\b/, 'names the misplaced version')

  const noFirst = caught(t, () => readMigrations(dirs.noFirst))
  t.type(noFirst, MigrationError, 'numbering must start at 001')

  const duplicate = caught(t, () => readMigrations(dirs.duplicate))
  t.type(duplicate, MigrationError, 'two files with one number')
})

t.test('migrationStatus reports pending migrations and reads only', { skip: SQLITE_ONLY }, async (t) => {
  const { dir, data } = testdirs(t, { dir: { '001_create_log.sql': FIRST, '002_step.sql': step(2) }, data: {} })
  const migrations = readMigrations(dir)

  const db = memoryDb(t)
  const fresh = migrationStatus(db, migrations)
  t.same(fresh.applied, [])
  t.same(fresh.conflicts, [])
  t.same(
    fresh.pending.map((m) => m.version),
    [1, 2],
  )
  t.notOk(hasTable(db, 'schema_migrations'), 'did not create the ledger')

  // On a database opened read only, any write would throw.
  const path = join(data, 'fresh.db')
  new Database(path).close()
  const readonly = new Database(path, { readonly: true })
  t.teardown(() => readonly.close())
  t.same(
    migrationStatus(readonly, migrations).pending.map((m) => m.version),
    [1, 2],
  )

  migrate(db, migrations.slice(0, 1))
  const half = migrationStatus(db, migrations)
  t.same(half.applied, [1])
  t.same(
    half.pending.map((m) => m.version),
    [2],
  )
  t.same(half.conflicts, [])
})

t.test('migrationStatus reports both kinds of conflict at once', { skip: SQLITE_ONLY }, async (t) => {
  const dirs = testdirs(t, {
    database: { '001_create_log.sql': FIRST, '002_step.sql': step(2), '003_step.sql': step(3) },
    code: { '001_create_log.sql': FIRST + '-- edited\n', '002_step.sql': step(2) },
  })
  const db = memoryDb(t)
  migrate(db, readMigrations(dirs.database))
  const code = readMigrations(dirs.code)
  const status = migrationStatus(db, code)
  t.equal(status.conflicts.length, 2)
  t.match(status.conflicts.join('\n'), /migration 1\b.*changed/)
  t.match(status.conflicts.join('\n'), /migration 3\b.*unknown/)
})

t.test('the real migrations apply cleanly to a fresh database', { skip: SQLITE_ONLY }, async (t) => {
  const files = readdirSync(MIGRATIONS_DIR).filter((file) => file.endsWith('.sql'))
  t.ok(files.length >= 1)
  const migrations = readMigrations()
  t.equal(migrations.length, files.length)

  const db = memoryDb(t)
  t.same(
    migrate(db).map((m) => m.version),
    migrations.map((m) => m.version),
  )
  for (const table of ['settings', 'articles', 'article_entries', 'schema_migrations']) t.ok(hasTable(db, table), `has ${table}`)
  t.same(db.pragma('foreign_key_check'), [], 'no foreign key violations')
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok')
  t.same(migrate(db), [], 'nothing left to apply')
  const status = migrationStatus(db, migrations)
  t.same(status.pending, [])
  t.same(status.conflicts, [])
})

t.test('openDatabase on a file in a fresh nested directory', { skip: SQLITE_ONLY }, async (t) => {
  const root = t.testdir({})
  const dir = join(root, 'a', 'b', 'c')
  t.notOk(existsSync(dir))
  const db = openDatabase(join(dir, 'content.db'))
  t.teardown(() => db.close())
  t.ok(existsSync(join(dir, 'content.db')), 'created the directory and the file')
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(db.pragma('foreign_keys', { simple: true }), 1)
  t.equal(db.pragma('busy_timeout', { simple: true }), 5000)
  t.equal(db.pragma('synchronous', { simple: true }), 2, 'synchronous=FULL')

  // Foreign keys are enforced, not just reported on.
  migrate(db)
  t.throws(() =>
    db
      .prepare("INSERT INTO article_entries (article_id, kind, position, slug, name, description) VALUES (12345, 'techniques', 1, 's', 'n', 'd')")
      .run(),
  )
})

t.test('openDatabase on :memory:', { skip: SQLITE_ONLY }, async (t) => {
  const db = memoryDb(t)
  t.equal(db.memory, true)
  t.equal(db.pragma('foreign_keys', { simple: true }), 1)
  t.equal(db.pragma('busy_timeout', { simple: true }), 5000)
  t.equal(db.pragma('synchronous', { simple: true }), 2)
  t.same(migrate(db).length, readMigrations().length)
  t.notOk(existsSync(':memory:'), 'no file named :memory: was created')
})

t.test('readSetting', { skip: SQLITE_ONLY }, async (t) => {
  const db = memoryDb(t)
  migrate(db)
  const secret = await readSetting(new SqliteStore(db), 'cursor_secret')
  t.match(secret, /^[0-9a-f]{64}$/)

  const other = memoryDb(t)
  migrate(other)
  t.not(await readSetting(new SqliteStore(other), 'cursor_secret'), secret, 'each database gets its own secret')

  await t.rejects(readSetting(new SqliteStore(db), 'no_such_setting'), /no_such_setting/)
})
