import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { runKeysCli } from '../../src/auth/cli.js'
import { loadConfig } from '../../src/config.js'
import { openStore } from '../../src/db/open.js'
import { TEST_ADMIN_TOKEN } from '../helpers/app.js'
import { createPostgresDatabase, ON_POSTGRES, SQLITE_ONLY } from '../helpers/store.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CREATED_AT = '2026-03-01T10:00:00.000Z'
const REVOKED_AT = '2026-03-02T11:00:00.000Z'
const KEY = /^cak_[\w-]{43}$/

interface CliRun {
  code: number
  stdout: string[]
  stderr: string[]
}

/**
 * Where a test's keys live, as the CLI and a server are told: the SQLite file `path` (made by the first
 * command that opens it), or on PostgreSQL a new database of the test's own (DATABASE_URL wins).
 */
async function database(t: Test, path: string): Promise<Record<string, string>> {
  return ON_POSTGRES ? { DATABASE_PATH: path, DATABASE_URL: await createPostgresDatabase(t) } : { DATABASE_PATH: path }
}

/** Runs the keys command in-process against the database of `env`, at the fixed time `now`. */
async function keys(argv: string[], env: Record<string, string>, now = CREATED_AT): Promise<CliRun> {
  const stdout: string[] = []
  const stderr: string[] = []
  const code = await runKeysCli(argv, {
    env,
    stdout: (text) => stdout.push(...text.split('\n')),
    stderr: (text) => stderr.push(...text.split('\n')),
    now: () => new Date(now),
  })
  return { code, stdout, stderr }
}

/** A server's view of the same database: its own connection, as a running server has. */
async function serverOn(t: Test, env: Record<string, string>) {
  const config = loadConfig({ ...env, ADMIN_TOKEN: TEST_ADMIN_TOKEN })
  const app = await buildApp({ ...(await openStore(config)), config, logger: false })
  t.teardown(() => app.close())
  return app
}

async function rows(env: Record<string, string>) {
  const { store } = await openStore(loadConfig(env))
  try {
    return await store.all<Record<string, unknown>>('SELECT * FROM api_keys ORDER BY id')
  } finally {
    await store.close()
  }
}

t.test('create prints the key alone on its last line; it works on a running server at once; revoke stops it at once', async (t) => {
  const db = await database(t, join(t.testdir({}), 'content.db'))
  const app = await serverOn(t, db)
  const write = (secret: string) =>
    app.inject({ method: 'POST', url: '/v1/articles', headers: { authorization: `Bearer ${secret}` }, payload: { title: `Made With The CLI ${Math.random()}` } })

  const created = await keys(['create', '--name', 'Newsroom editor', '--scope', 'content:write'], db)
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

  const listed = await keys(['list'], db)
  t.equal(listed.code, 0)
  t.same(listed.stdout, ['1 "Newsroom editor" scopes=content:write created=2026-03-01T10:00:00.000Z'], 'list names the key without its secret')
  t.notOk(listed.stdout.join('\n').includes(secret.slice(4)), 'no part of the secret')
  const stored = JSON.stringify(await rows(db))
  t.notOk(stored.includes(secret.slice(4)), 'the database holds no secret')

  const revoked = await keys(['revoke', '1'], db, REVOKED_AT)
  t.equal(revoked.code, 0)
  t.same(revoked.stdout, [`revoked key 1 "Newsroom editor" scopes=content:write created=${CREATED_AT} revoked=${REVOKED_AT}`])
  const refused = await write(secret)
  t.equal(refused.statusCode, 401, 'the running server refuses the revoked key at once')
  t.match(refused.headers['content-type'], /^application\/problem\+json/)
  t.same((await keys(['list'], db)).stdout, [`1 "Newsroom editor" scopes=content:write created=${CREATED_AT} revoked=${REVOKED_AT}`], 'list shows it revoked')

  const again = await keys(['revoke', '1'], db, '2026-03-05T00:00:00.000Z')
  t.equal(again.code, 0, 'revoking twice is fine')
  t.match(again.stdout[0], `revoked=${REVOKED_AT}`, 'and keeps the first revocation time')
})

t.test('create takes several scopes, once each; each key is new; admin works everywhere', async (t) => {
  const dbPath = join(t.testdir({}), 'nested', 'dir', 'content.db')
  const db = await database(t, dbPath)
  const first = await keys(['create', '--name', 'ops', '--scope', 'comments:moderate', '--scope', 'content:write', '--scope', 'comments:moderate'], db)
  t.equal(first.code, 0)
  t.test('on SQLite, the database file and its directories are made', { skip: SQLITE_ONLY }, async (t) => {
    t.ok(existsSync(dbPath))
  })
  const admin = await keys(['create', '--scope', 'admin', '--name=  root  '], db)
  t.equal(admin.code, 0)
  t.not(first.stdout.at(-1), admin.stdout.at(-1), 'each key is new')
  t.match(admin.stdout[0], /^created key 2 "root" scopes=admin /, 'the name is trimmed')
  t.same((await keys(['list'], db)).stdout.map((line) => line.replace(/ created=.*/, '')), ['1 "ops" scopes=comments:moderate,content:write', '2 "root" scopes=admin'])

  const app = await serverOn(t, db)
  const as = (secret: string, url: string) => app.inject({ url, headers: { authorization: `Bearer ${secret}` } })
  t.equal((await as(first.stdout.at(-1)!, '/v1/comments')).statusCode, 200, 'comments:moderate')
  t.equal((await as(first.stdout.at(-1)!, '/v1/articles/no-such/revisions')).statusCode, 404, 'content:write: let in, then a 404')
  t.equal((await as(admin.stdout.at(-1)!, '/v1/comments')).statusCode, 200, 'admin: moderation')
  t.equal((await as(admin.stdout.at(-1)!, '/v1/articles/no-such/revisions')).statusCode, 404, 'admin: editorial')
})

t.test('bad usage exits 2 with the usage and touches no database', async (t) => {
  const dir = t.testdir({})
  const db = await database(t, join(dir, 'content.db'))
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
    const run = await keys(argv, db)
    t.equal(run.code, 2, `${name}: exit 2`)
    t.same(run.stdout, [], `${name}: nothing on stdout`)
    const err = run.stderr.join('\n')
    t.match(err, why, `${name}: says what is wrong`)
    t.match(err, /usage: npm run keys -- create --name <name> --scope <scope>/, `${name}: prints the usage`)
    t.match(err, /scopes: content:write, comments:moderate, webhooks:manage, admin/, `${name}: lists the scopes`)
  }
  t.same(readdirSync(dir), [], 'no database file was made')
  t.same(await rows(db), [], 'no key was made')
})

t.test('revoking an unknown id exits 1', async (t) => {
  const db = await database(t, join(t.testdir({}), 'content.db'))
  t.equal((await keys(['create', '--name', 'only', '--scope', 'admin'], db)).code, 0)
  const run = await keys(['revoke', '999'], db)
  t.equal(run.code, 1)
  t.same(run.stdout, [])
  t.same(run.stderr, ['there is no key 999'])
  t.same((await keys(['list'], db)).stdout.map((line) => line.includes('revoked=')), [false], 'the existing key is untouched')
  const empty = await keys(['list'], await database(t, join(t.testdir({}), 'fresh.db')))
  t.equal(empty.code, 0, 'list on a new database')
  t.same(empty.stdout, [], 'lists nothing')
})

t.test('npm run keys: the real process, its exit codes and output', async (t) => {
  const db = await database(t, join(t.testdir({}), 'content.db'))
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/auth/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...db, NODE_OPTIONS: '' },
      encoding: 'utf8',
      timeout: 30_000,
    })
  const created = run('create', '--name', 'process', '--scope', 'content:write')
  t.equal(created.status, 0, created.stderr)
  const lines = created.stdout.trimEnd().split('\n')
  t.equal(lines.length, 2)
  t.match(lines.at(-1), KEY, 'the key alone on the last line')
  const app = await serverOn(t, db)
  const res = await app.inject({ method: 'POST', url: '/v1/articles', headers: { authorization: `Bearer ${lines.at(-1)}` }, payload: { title: 'From A Process' } })
  t.equal(res.statusCode, 201, 'a key made by another process works on the running server')
  // Each process costs seconds of TypeScript loading: one more for a failing exit code, the rest in-process.
  const missing = run('revoke', '42')
  t.equal(missing.status, 1, 'a failure is the exit code')
  t.match(missing.stderr, /there is no key 42/)
  t.equal((await keys(['revoke', '1'], db)).code, 0)
  t.equal((await app.inject({ method: 'POST', url: '/v1/articles', headers: { authorization: `Bearer ${lines.at(-1)}` }, payload: { title: 'After Revoke' } })).statusCode, 401, 'revoked through another connection: refused at once')
})
