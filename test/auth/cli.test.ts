import { spawnSync } from 'node:child_process'
import { sqliteStore } from '../helpers/store.js'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { runKeysCli } from '../../src/auth/cli.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { TEST_ADMIN_TOKEN } from '../helpers/app.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CREATED_AT = '2026-03-01T10:00:00.000Z'
const REVOKED_AT = '2026-03-02T11:00:00.000Z'
const KEY = /^cak_[\w-]{43}$/

interface CliRun {
  code: number
  stdout: string[]
  stderr: string[]
}

/** Runs the keys command in-process against the database file `dbPath`, at the fixed time `now`. */
function keys(argv: string[], dbPath: string, now = CREATED_AT): CliRun {
  const stdout: string[] = []
  const stderr: string[] = []
  const code = runKeysCli(argv, {
    env: { DATABASE_PATH: dbPath },
    stdout: (text) => stdout.push(...text.split('\n')),
    stderr: (text) => stderr.push(...text.split('\n')),
    now: () => new Date(now),
  })
  return { code, stdout, stderr }
}

/** A server's view of the same database file: its own connection, as a running server has. */
async function serverOn(t: Test, dbPath: string) {
  const db = openDatabase(dbPath)
  migrate(db)
  const app = await buildApp({ ...sqliteStore(db), config: loadConfig({ DATABASE_PATH: dbPath, ADMIN_TOKEN: TEST_ADMIN_TOKEN }), logger: false })
  t.teardown(() => app.close())
  return app
}

function rows(dbPath: string) {
  const db = new Database(dbPath, { fileMustExist: true, readonly: true })
  try {
    return db.prepare('SELECT * FROM api_keys ORDER BY id').all() as Record<string, unknown>[]
  } finally {
    db.close()
  }
}

t.test('create prints the key alone on its last line; it works on a running server at once; revoke stops it at once', async (t) => {
  const dbPath = join(t.testdir({}), 'content.db')
  const app = await serverOn(t, dbPath)
  const write = (secret: string) =>
    app.inject({ method: 'POST', url: '/v1/articles', headers: { authorization: `Bearer ${secret}` }, payload: { title: `Made With The CLI ${Math.random()}` } })

  const created = keys(['create', '--name', 'Newsroom editor', '--scope', 'content:write'], dbPath)
  t.equal(created.code, 0)
  t.same(created.stderr, [])
  const secret = created.stdout.at(-1)!
  t.match(secret, KEY, 'the last line is the key and nothing else')
  t.equal(created.stdout.filter((line) => line.includes(secret)).length, 1, 'shown once')
  t.match(created.stdout.slice(0, -1).join('\n'), /^created key 1 "Newsroom editor" scopes=content:write created=2026-03-01T10:00:00\.000Z; it is shown once/, 'what was made, before the key')

  const res = await write(secret)
  t.equal(res.statusCode, 201, 'the running server takes the new key at once')
  const moderation = await app.inject({ url: '/v1/comments', headers: { authorization: `Bearer ${secret}` } })
  t.equal(moderation.statusCode, 403, 'only for its scope')

  const listed = keys(['list'], dbPath)
  t.equal(listed.code, 0)
  t.same(listed.stdout, ['1 "Newsroom editor" scopes=content:write created=2026-03-01T10:00:00.000Z'], 'list names the key without its secret')
  t.notOk(listed.stdout.join('\n').includes(secret.slice(4)), 'no part of the secret')
  const stored = JSON.stringify(rows(dbPath))
  t.notOk(stored.includes(secret.slice(4)), 'the database file holds no secret')

  const revoked = keys(['revoke', '1'], dbPath, REVOKED_AT)
  t.equal(revoked.code, 0)
  t.same(revoked.stdout, [`revoked key 1 "Newsroom editor" scopes=content:write created=${CREATED_AT} revoked=${REVOKED_AT}`])
  const refused = await write(secret)
  t.equal(refused.statusCode, 401, 'the running server refuses the revoked key at once')
  t.match(refused.headers['content-type'], /^application\/problem\+json/)
  t.same(keys(['list'], dbPath).stdout, [`1 "Newsroom editor" scopes=content:write created=${CREATED_AT} revoked=${REVOKED_AT}`], 'list shows it revoked')

  const again = keys(['revoke', '1'], dbPath, '2026-03-05T00:00:00.000Z')
  t.equal(again.code, 0, 'revoking twice is fine')
  t.match(again.stdout[0], `revoked=${REVOKED_AT}`, 'and keeps the first revocation time')
})

t.test('create takes several scopes, once each; each key is new; admin works everywhere', async (t) => {
  const dbPath = join(t.testdir({}), 'nested', 'dir', 'content.db')
  const first = keys(['create', '--name', 'ops', '--scope', 'comments:moderate', '--scope', 'content:write', '--scope', 'comments:moderate'], dbPath)
  t.equal(first.code, 0)
  t.ok(existsSync(dbPath), 'the database file and its directories are made')
  const admin = keys(['create', '--scope', 'admin', '--name=  root  '], dbPath)
  t.equal(admin.code, 0)
  t.not(first.stdout.at(-1), admin.stdout.at(-1), 'each key is new')
  t.match(admin.stdout[0], /^created key 2 "root" scopes=admin /, 'the name is trimmed')
  t.same(keys(['list'], dbPath).stdout.map((line) => line.replace(/ created=.*/, '')), ['1 "ops" scopes=comments:moderate,content:write', '2 "root" scopes=admin'])

  const app = await serverOn(t, dbPath)
  const as = (secret: string, url: string) => app.inject({ url, headers: { authorization: `Bearer ${secret}` } })
  t.equal((await as(first.stdout.at(-1)!, '/v1/comments')).statusCode, 200, 'comments:moderate')
  t.equal((await as(first.stdout.at(-1)!, '/v1/articles/no-such/revisions')).statusCode, 404, 'content:write: let in, then a 404')
  t.equal((await as(admin.stdout.at(-1)!, '/v1/comments')).statusCode, 200, 'admin: moderation')
  t.equal((await as(admin.stdout.at(-1)!, '/v1/articles/no-such/revisions')).statusCode, 404, 'admin: editorial')
})

t.test('bad usage exits 2 with the usage and touches no database', async (t) => {
  const dir = t.testdir({})
  const dbPath = join(dir, 'content.db')
  const bad: [string, string[], RegExp][] = [
    ['no command', [], /no command given/],
    ['an unknown command', ['rotate'], /cannot understand: rotate/],
    ['create without a name', ['create', '--scope', 'admin'], /--name/],
    ['create with a blank name', ['create', '--name', '  ', '--scope', 'admin'], /--name/],
    ['create with a too long name', ['create', '--name', 'x'.repeat(101), '--scope', 'admin'], /1 to 100 characters/],
    ['create without a scope', ['create', '--name', 'x'], /at least one --scope/],
    ['create with an unknown scope', ['create', '--name', 'x', '--scope', 'content:write', '--scope', 'superuser'], /unknown scope: superuser/],
    ['create with --name and no value', ['create', '--scope', 'admin', '--name'], /name/],
    ['an unknown option', ['create', '--name', 'x', '--scope', 'admin', '--force'], /force/],
    ['create with an argument', ['create', 'extra', '--name', 'x', '--scope', 'admin'], /cannot understand/],
    ['list with an argument', ['list', 'all'], /cannot understand/],
    ['list with options', ['list', '--name', 'x'], /cannot understand/],
    ['revoke without an id', ['revoke'], /cannot understand/],
    ['revoke a non-number', ['revoke', 'abc'], /cannot understand/],
    ['revoke zero', ['revoke', '0'], /cannot understand/],
    ['revoke a negative id', ['revoke', '-1'], /./],
    ['revoke two ids', ['revoke', '1', '2'], /cannot understand/],
  ]
  for (const [name, argv, why] of bad) {
    const run = keys(argv, dbPath)
    t.equal(run.code, 2, `${name}: exit 2`)
    t.same(run.stdout, [], `${name}: nothing on stdout`)
    const err = run.stderr.join('\n')
    t.match(err, why, `${name}: says what is wrong`)
    t.match(err, /usage: npm run keys -- create --name <name> --scope <scope>/, `${name}: prints the usage`)
    t.match(err, /scopes: content:write, comments:moderate, webhooks:manage, admin/, `${name}: lists the scopes`)
  }
  t.same(readdirSync(dir), [], 'no database file was made')
})

t.test('revoking an unknown id exits 1', async (t) => {
  const dbPath = join(t.testdir({}), 'content.db')
  t.equal(keys(['create', '--name', 'only', '--scope', 'admin'], dbPath).code, 0)
  const run = keys(['revoke', '999'], dbPath)
  t.equal(run.code, 1)
  t.same(run.stdout, [])
  t.same(run.stderr, ['there is no key 999'])
  t.same(keys(['list'], dbPath).stdout.map((line) => line.includes('revoked=')), [false], 'the existing key is untouched')
  const empty = keys(['list'], join(t.testdir({}), 'fresh.db'))
  t.equal(empty.code, 0, 'list on a new database')
  t.same(empty.stdout, [], 'lists nothing')
})

t.test('npm run keys: the real process, its exit codes and output', async (t) => {
  const dbPath = join(t.testdir({}), 'content.db')
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/auth/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_PATH: dbPath, NODE_OPTIONS: '' },
      encoding: 'utf8',
      timeout: 30_000,
    })
  const created = run('create', '--name', 'process', '--scope', 'content:write')
  t.equal(created.status, 0, created.stderr)
  const lines = created.stdout.trimEnd().split('\n')
  t.equal(lines.length, 2)
  t.match(lines.at(-1), KEY, 'the key alone on the last line')
  const app = await serverOn(t, dbPath)
  const res = await app.inject({ method: 'POST', url: '/v1/articles', headers: { authorization: `Bearer ${lines.at(-1)}` }, payload: { title: 'From A Process' } })
  t.equal(res.statusCode, 201, 'a key made by another process works on the running server')
  // Each process costs seconds of TypeScript loading: one more for a failing exit code, the rest in-process.
  const missing = run('revoke', '42')
  t.equal(missing.status, 1, 'a failure is the exit code')
  t.match(missing.stderr, /there is no key 42/)
  t.equal(keys(['revoke', '1'], dbPath).code, 0)
  t.equal((await app.inject({ method: 'POST', url: '/v1/articles', headers: { authorization: `Bearer ${lines.at(-1)}` }, payload: { title: 'After Revoke' } })).statusCode, 401, 'revoked through another connection: refused at once')
})
