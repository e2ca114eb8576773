import { resolve } from 'node:path'
import Type, { type Static } from 'typebox'
import { Value } from 'typebox/value'

// Enough for every article of a large site in all three codings; small next to the server's own RSS.
const DEFAULT_RESPONSE_CACHE_BYTES = 32 * 1024 * 1024
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Environment variables the service reads; every one is listed in the README. */
const Environment = Type.Object({
  PORT: Type.Optional(Type.String({ pattern: '^\\d{1,5}$' })),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_PATH: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_URL: Type.Optional(Type.String()),
  DATABASE_POOL_SIZE: Type.Optional(Type.String({ pattern: '^\\d{1,4}$' })),
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Optional(Type.String({ pattern: '^\\d{1,7}$' })),
  ADMIN_TOKEN: Type.Optional(Type.String({ pattern: '^[\\x21-\\x7e]+$', description: 'visible ASCII, no spaces' })),
  LOG_LEVEL: Type.Optional(Type.Enum([...LOG_LEVELS])),
  CORS_ORIGINS: Type.Optional(Type.String()),
  COMMENT_MODERATION: Type.Optional(Type.Enum(['manual', 'auto'])),
  COMMENT_RATE_LIMIT_PER_MINUTE: Type.Optional(Type.String({ pattern: '^\\d{1,6}$' })),
  TRUST_PROXY: Type.Optional(Type.String({ pattern: '^(true|false|\\d{1,2})$' })),
  CACHE_MAX_AGE: Type.Optional(Type.String({ pattern: '^\\d{1,7}$' })),
  CACHE_STALE_WHILE_REVALIDATE: Type.Optional(Type.String({ pattern: '^\\d{1,7}$' })),
  PUBLIC_URL: Type.Optional(Type.String()),
  RESPONSE_CACHE_BYTES: Type.Optional(Type.String({ pattern: '^\\d{1,10}$' })),
  SITE_ARTICLE_URL: Type.Optional(Type.String()),
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: Type.Optional(Type.Enum(['true', 'false'])),
  REQUEST_TIMEOUT_MS: Type.Optional(Type.String({ pattern: '^\\d{1,7}$' })),
  HEADERS_TIMEOUT_MS: Type.Optional(Type.String({ pattern: '^\\d{1,7}$' })),
  KEEP_ALIVE_TIMEOUT_MS: Type.Optional(Type.String({ pattern: '^\\d{1,7}$' })),
  MAX_CONNECTIONS: Type.Optional(Type.String({ pattern: '^\\d{1,6}$' })),
  BODY_LIMIT_BYTES: Type.Optional(Type.String({ pattern: '^\\d{1,9}$' })),
})

export interface Config {
  port: number
  host: string
  databasePath: string
  /** PostgreSQL instead of SQLite: where it is, and how this process uses it; undefined: SQLite at databasePath. */
  postgres: { url: string; poolSize: number; statementTimeoutMs: number; connectTimeoutMs: number } | undefined
  adminToken: string | undefined
  logLevel: (typeof LOG_LEVELS)[number]
  corsOrigins: string[]
  /** `auto` approves new comments at once; `manual` keeps them pending for a moderator. */
  commentModeration: 'manual' | 'auto'
  /** Comments one client may post per minute; 0 turns the limit off. */
  commentRateLimitPerMinute: number
  /** Whether (or through how many proxies) to take the client address from X-Forwarded-For. */
  trustProxy: boolean | number
  /** Seconds a shared cache or browser may reuse a public answer without asking again. */
  cacheMaxAge: number
  /** Seconds after that during which a stale answer may still be served while it is revalidated. */
  cacheStaleWhileRevalidate: number
  /** The URL clients reach the server at, without a trailing slash, for absolute links (feeds); unset: the request's own. */
  publicUrl: string | undefined
  /** Bytes the prepared public answers (every coding of each) may take in memory; 0 prepares nothing ahead. */
  responseCacheBytes: number
  /** The website's page of an article, with `{slug}` (webhook payloads link to it); unset: no site links. */
  siteArticleUrl: string | undefined
  /** Whether webhooks may be sent to loopback, private and link-local addresses (tests, private deployments). */
  webhooksAllowPrivateNetworks: boolean
  /** Milliseconds a client has to send a whole request (headers and body); then 408. */
  requestTimeoutMs: number
  /** Milliseconds a client has to send the request's headers; then 408. At most requestTimeoutMs. */
  headersTimeoutMs: number
  /** Milliseconds an idle kept-alive connection stays open waiting for the next request. */
  keepAliveTimeoutMs: number
  /** Open connections the server accepts at once; more are closed at once. */
  maxConnections: number
  /** The largest request body, in bytes, a route accepts unless it sets a smaller limit of its own. */
  bodyLimitBytes: number
  /** Settings that work but are unwise; the server logs them at start-up. */
  warnings: string[]
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export const DEFAULT_DATABASE_PATH = 'data/content.db'
const MIN_STRONG_TOKEN_LENGTH = 32
const MIN_TIMEOUT_MS = 100
// Below this, an ordinary article could not be written.
const MIN_BODY_LIMIT_BYTES = 16 * 1024

/** Reads and validates the configuration; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const relevant = Object.fromEntries(Object.keys(Environment.properties).filter((key) => env[key] !== undefined && env[key] !== '').map((key) => [key, env[key]]))
  const problems = [...Value.Errors(Environment, relevant)].map((error) => `${error.instancePath.slice(1) || 'environment'} ${error.message}`)
  const values = relevant as Static<typeof Environment>
  const port = Number(values.PORT ?? 3000)
  if (port > 65535) problems.push('PORT must be at most 65535')
  const corsOrigins = (values.CORS_ORIGINS ?? '').split(',').map((origin) => origin.trim()).filter(Boolean)
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`CORS_ORIGINS entry "${origin}" must be an origin like https://example.com`)
  }
  if (values.PUBLIC_URL !== undefined && !isBaseUrl(values.PUBLIC_URL)) {
    problems.push('PUBLIC_URL must be an http(s) URL with no trailing slash, query or fragment, like https://api.spa.example')
  }
  if (values.SITE_ARTICLE_URL !== undefined && !isArticleUrlTemplate(values.SITE_ARTICLE_URL)) {
    problems.push('SITE_ARTICLE_URL must be an http(s) URL holding {slug}, like https://spa.example/blog/{slug}')
  }
  const timeouts = {
    requestTimeoutMs: Number(values.REQUEST_TIMEOUT_MS ?? 30_000),
    headersTimeoutMs: Number(values.HEADERS_TIMEOUT_MS ?? 10_000),
    keepAliveTimeoutMs: Number(values.KEEP_ALIVE_TIMEOUT_MS ?? 5_000),
  }
  for (const [name, value] of [['REQUEST_TIMEOUT_MS', timeouts.requestTimeoutMs], ['HEADERS_TIMEOUT_MS', timeouts.headersTimeoutMs], ['KEEP_ALIVE_TIMEOUT_MS', timeouts.keepAliveTimeoutMs]] as const) {
    // 0 would mean "no timeout": a slow client could hold a connection for ever.
    if (value < MIN_TIMEOUT_MS) problems.push(`${name} must be at least ${MIN_TIMEOUT_MS} (milliseconds)`)
  }
  if (timeouts.headersTimeoutMs > timeouts.requestTimeoutMs) problems.push('HEADERS_TIMEOUT_MS must not be larger than REQUEST_TIMEOUT_MS')
  const maxConnections = Number(values.MAX_CONNECTIONS ?? 1024)
  if (maxConnections < 1) problems.push('MAX_CONNECTIONS must be at least 1')
  const bodyLimitBytes = Number(values.BODY_LIMIT_BYTES ?? 1024 * 1024)
  if (bodyLimitBytes < MIN_BODY_LIMIT_BYTES) problems.push(`BODY_LIMIT_BYTES must be at least ${MIN_BODY_LIMIT_BYTES}`)
  if (values.DATABASE_URL !== undefined && !isPostgresUrl(values.DATABASE_URL)) {
    problems.push('DATABASE_URL must be a PostgreSQL URL like postgres://user:password@host:5432/database')
  }
  const poolSize = Number(values.DATABASE_POOL_SIZE ?? 10)
  if (poolSize < 1) problems.push('DATABASE_POOL_SIZE must be at least 1')
  const statementTimeoutMs = Number(values.DATABASE_STATEMENT_TIMEOUT_MS ?? 5_000)
  if (statementTimeoutMs < MIN_TIMEOUT_MS) problems.push(`DATABASE_STATEMENT_TIMEOUT_MS must be at least ${MIN_TIMEOUT_MS} (milliseconds)`)
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${[...new Set(problems)].join('\n  ')}`)
  const warnings: string[] = []
  if (!values.ADMIN_TOKEN) warnings.push('ADMIN_TOKEN is not set: only API keys made with `npm run keys` authenticate')
  else if (values.ADMIN_TOKEN.length < MIN_STRONG_TOKEN_LENGTH) warnings.push(`ADMIN_TOKEN is shorter than ${MIN_STRONG_TOKEN_LENGTH} characters: use a long random token`)
  const databasePath = values.DATABASE_PATH ?? DEFAULT_DATABASE_PATH
  return {
    port,
    host: values.HOST ?? '127.0.0.1',
    databasePath: databasePath === ':memory:' ? databasePath : resolve(databasePath),
    // A query waits for a connection no longer than a statement may run.
    postgres: values.DATABASE_URL === undefined ? undefined : { url: values.DATABASE_URL, poolSize, statementTimeoutMs, connectTimeoutMs: statementTimeoutMs },
    adminToken: values.ADMIN_TOKEN,
    logLevel: values.LOG_LEVEL ?? 'info',
    corsOrigins,
    commentModeration: values.COMMENT_MODERATION ?? 'manual',
    commentRateLimitPerMinute: Number(values.COMMENT_RATE_LIMIT_PER_MINUTE ?? 5),
    trustProxy: parseTrustProxy(values.TRUST_PROXY),
    cacheMaxAge: Number(values.CACHE_MAX_AGE ?? 60),
    cacheStaleWhileRevalidate: Number(values.CACHE_STALE_WHILE_REVALIDATE ?? 300),
    publicUrl: values.PUBLIC_URL,
    responseCacheBytes: Number(values.RESPONSE_CACHE_BYTES ?? DEFAULT_RESPONSE_CACHE_BYTES),
    siteArticleUrl: values.SITE_ARTICLE_URL,
    webhooksAllowPrivateNetworks: values.WEBHOOKS_ALLOW_PRIVATE_NETWORKS === 'true',
    ...timeouts,
    maxConnections,
    bodyLimitBytes,
    warnings,
  }
}

function isArticleUrlTemplate(value: string): boolean {
  if (!/^https?:\/\/[^/?#{}@\s]+\/[^?#\s]*\{slug\}/.test(value)) return false
  return URL.canParse(value.replace('{slug}', 'slug'))
}

// Paths are appended to it as they are, so it ends in neither `/` nor a query; no user:password either.
function isBaseUrl(value: string): boolean {
  return /^https?:\/\/[^/\s?#@]+(\/[^\s?#]*)?$/.test(value) && !value.endsWith('/') && URL.canParse(value)
}

function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//.test(value) && URL.canParse(value)
}

function parseTrustProxy(value: string | undefined): boolean | number {
  if (value === undefined || value === 'false') return false
  return value === 'true' ? true : Number(value)
}
