import { isAbsolute, join, resolve } from 'node:path'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

const VARIABLES = ['PORT', 'HOST', 'DATABASE_PATH', 'ADMIN_TOKEN', 'LOG_LEVEL', 'CORS_ORIGINS', 'PUBLIC_URL', 'DATABASE_URL', 'DATABASE_POOL_SIZE', 'DATABASE_STATEMENT_TIMEOUT_MS']

/** The ConfigError loadConfig throws for env, or a failure if it does not throw one. */
function configError(t: Test, env: Record<string, string | undefined>): Error {
  try {
    loadConfig(env)
  } catch (error) {
    t.type(error, ConfigError, 'throws a ConfigError')
    t.equal((error as Error).name, 'ConfigError')
    return error as Error
  }
  t.fail(`expected ${JSON.stringify(env)} to be refused`)
  return new Error('')
}

t.test('defaults', async (t) => {
  const config = loadConfig({})
  t.equal(config.port, 3000)
  t.equal(config.host, '127.0.0.1')
  t.ok(isAbsolute(config.databasePath), 'database path is absolute')
  t.ok(config.databasePath.endsWith(join('data', 'content.db')), config.databasePath)
  t.equal(config.databasePath, resolve('data/content.db'))
  t.equal(config.logLevel, 'info')
  t.same(config.corsOrigins, [])
  t.equal(config.adminToken, undefined)
  t.equal(config.warnings.length, 1)
  t.match(config.warnings[0], /ADMIN_TOKEN/)
})

t.test('ignores variables it does not read', async (t) => {
  t.same(loadConfig({ PATH: '/usr/bin', NODE_ENV: 'production', port: 'abc' }), loadConfig({}))
})

t.test('reads every variable', async (t) => {
  const token = 'x'.repeat(40)
  const config = loadConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    DATABASE_PATH: 'var/db/other.sqlite',
    ADMIN_TOKEN: token,
    LOG_LEVEL: 'debug',
    CORS_ORIGINS: 'https://a.example',
  })
  t.match(config, {
    port: 8080,
    host: '0.0.0.0',
    databasePath: resolve('var/db/other.sqlite'),
    adminToken: token,
    logLevel: 'debug',
    corsOrigins: ['https://a.example'],
  })
  t.same(config.warnings, [])
  t.equal(loadConfig({ DATABASE_PATH: '/srv/content.db' }).databasePath, resolve('/srv/content.db'), 'an absolute path is kept')
  t.equal(loadConfig({ PORT: '65535' }).port, 65535, 'the highest port is allowed')
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) t.equal(loadConfig({ LOG_LEVEL: level }).logLevel, level)
})

t.test('each invalid value is refused with a ConfigError naming its variable', async (t) => {
  const cases: [string, string][] = [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '3000.5'],
    ['PORT', '123456'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_LEVEL', 'INFO'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'example.com'],
    ['CORS_ORIGINS', 'https://a.example, *'],
    ['CORS_ORIGINS', 'https://a.example/path'],
    ['CORS_ORIGINS', 'ftp://a.example'],
    ['PUBLIC_URL', 'api.spa.example'],
    ['PUBLIC_URL', 'https://api.spa.example/'],
    ['PUBLIC_URL', 'https://spa.example/api/'],
    ['PUBLIC_URL', 'ftp://api.spa.example'],
    ['PUBLIC_URL', 'https://api.spa.example?x=1'],
    ['PUBLIC_URL', 'https://api.spa.example#top'],
    ['PUBLIC_URL', 'https://user:secret@api.spa.example'],
    ['PUBLIC_URL', 'https://api spa.example'],
    ['PUBLIC_URL', 'https://[::1'],
    ['DATABASE_URL', 'mysql://user@db.internal/content'],
    ['DATABASE_URL', 'db.internal:5432/content'],
    ['DATABASE_URL', 'postgres://db internal/content'],
    ['DATABASE_URL', 'postgres://db.internal:99999/content'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_POOL_SIZE', '-1'],
    ['DATABASE_POOL_SIZE', 'ten'],
    ['DATABASE_POOL_SIZE', '2.5'],
    ['DATABASE_POOL_SIZE', '100000'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '0'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '99'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '1.5'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', 'soon'],
  ]
  for (const [name, value] of cases) {
    t.test(`${name}=${JSON.stringify(value)}`, async (t) => {
      const error = configError(t, { [name]: value })
      t.match(error.message, name)
      for (const other of VARIABLES.filter((variable) => variable !== name)) t.notMatch(error.message, other, `does not blame ${other}`)
    })
  }
})

t.test('PUBLIC_URL is an http(s) base URL, a path allowed; unset by default', async (t) => {
  t.equal(loadConfig({}).publicUrl, undefined)
  for (const url of ['https://api.spa.example', 'http://localhost:3000', 'https://spa.example/content-api']) t.equal(loadConfig({ PUBLIC_URL: url }).publicUrl, url)
})

t.test('several invalid values are all named in one error', async (t) => {
  const error = configError(t, { PORT: 'abc', LOG_LEVEL: 'loud', CORS_ORIGINS: 'example.com', HOST: 'localhost' })
  t.match(error.message, 'PORT')
  t.match(error.message, 'LOG_LEVEL')
  t.match(error.message, 'CORS_ORIGINS')
  t.match(error.message, 'example.com', 'names the bad origin')
  t.notMatch(error.message, 'HOST')

  const two = configError(t, { PORT: '70000', CORS_ORIGINS: '*, https://ok.example, also-bad' })
  t.match(two.message, 'PORT')
  t.match(two.message, '"*"')
  t.match(two.message, 'also-bad')
  t.notMatch(two.message, 'ok.example"', 'the good origin is not blamed')
})

t.test('DATABASE_URL selects PostgreSQL, with the pool size and the statement timeout; unset, SQLite', async (t) => {
  t.equal(loadConfig({}).postgres, undefined, 'no DATABASE_URL: no PostgreSQL')
  t.equal(loadConfig({ DATABASE_POOL_SIZE: '4', DATABASE_STATEMENT_TIMEOUT_MS: '2000' }).postgres, undefined, 'the pool settings alone select nothing')
  const url = 'postgres://api:secret@db.internal:5432/content'
  t.same(loadConfig({ DATABASE_URL: url }).postgres, { url, poolSize: 10, statementTimeoutMs: 5000, connectTimeoutMs: 5000 }, 'defaults: 10 connections, 5 s')
  t.same(loadConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: '25', DATABASE_STATEMENT_TIMEOUT_MS: '100' }).postgres, { url, poolSize: 25, statementTimeoutMs: 100, connectTimeoutMs: 100 }, 'both read; 100 ms is the least')
  t.equal(loadConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: '1' }).postgres?.poolSize, 1, 'one connection is allowed')
  for (const other of ['postgresql://db.internal/content', 'postgres://db.internal/content?sslmode=require', 'postgres://%2Fvar%2Frun%2Fpostgresql/content']) {
    t.equal(loadConfig({ DATABASE_URL: other }).postgres?.url, other, `${other} is kept as written`)
  }
  t.equal(loadConfig({ DATABASE_URL: url, DATABASE_PATH: 'var/other.db' }).postgres?.url, url, 'DATABASE_URL wins over DATABASE_PATH')
})

t.test('a refused DATABASE_URL is not repeated in the error: it may hold a password', async (t) => {
  const error = configError(t, { DATABASE_URL: 'mysql://api:hunter2-secret@db.internal/content' })
  t.match(error.message, 'DATABASE_URL')
  t.notMatch(error.message, 'hunter2-secret')
  t.notMatch(error.message, 'db.internal')
})

t.test(':memory: is kept as is', async (t) => {
  t.equal(loadConfig({ DATABASE_PATH: ':memory:' }).databasePath, ':memory:')
})

t.test('CORS_ORIGINS is a comma-separated list', async (t) => {
  t.same(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins, ['https://a.example', 'http://localhost:5173'])
  t.same(loadConfig({ CORS_ORIGINS: ' https://a.example ,, ' }).corsOrigins, ['https://a.example'], 'blanks and empty entries are dropped')
})

t.test('empty-string variables count as unset', async (t) => {
  const config = loadConfig(Object.fromEntries(VARIABLES.map((name) => [name, ''])))
  t.same(config, loadConfig({}))
  t.equal(config.port, 3000)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.logLevel, 'info')
  t.equal(config.adminToken, undefined)
  t.match(config.warnings.join('\n'), /ADMIN_TOKEN/)
})

t.test('ADMIN_TOKEN strength warnings', async (t) => {
  const short = loadConfig({ ADMIN_TOKEN: 'hunter2' })
  t.equal(short.adminToken, 'hunter2')
  t.equal(short.warnings.length, 1)
  t.match(short.warnings[0], /ADMIN_TOKEN/)
  t.match(short.warnings[0], /32/)
  t.notMatch(short.warnings[0], 'hunter2', 'the warning does not leak the token')

  t.equal(loadConfig({ ADMIN_TOKEN: 'a'.repeat(31) }).warnings.length, 1, '31 characters is still short')
  t.same(loadConfig({ ADMIN_TOKEN: 'a'.repeat(32) }).warnings, [], '32 characters is enough')
  t.same(loadConfig({ ADMIN_TOKEN: 'b'.repeat(64) }).warnings, [])
})
