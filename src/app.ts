import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import zlib from 'node:zlib'
import compress from '@fastify/compress'
import cors from '@fastify/cors'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyServerOptions } from 'fastify'
import Type, { type TSchema } from 'typebox'
import { editorialRoutes } from './articles/editorial.js'
import { importComponents, importRoutes } from './articles/imports.js'
import { ArticleRepository } from './articles/repository.js'
import { articleRoutes } from './articles/routes.js'
import { articleComponents } from './articles/schemas.js'
import { viewComponents } from './articles/views.js'
import { Access } from './auth/access.js'
import { ApiKeyRepository } from './auth/keys.js'
import { CatalogRepository } from './catalog/repository.js'
import { catalogRoutes } from './catalog/routes.js'
import { catalogComponents } from './catalog/schemas.js'
import { moderationRoutes } from './comments/moderation.js'
import { CommentRepository } from './comments/repository.js'
import { RelatedArticles, relatedRoutes } from './articles/related.js'
import { commentRoutes } from './comments/routes.js'
import { commentComponents } from './comments/schemas.js'
import type { Config } from './config.js'
import { readSetting } from './db/settings.js'
import type { Migration } from './db/migrate.js'
import type { Store } from './db/store.js'
import { StorageMonitor } from './db/storage.js'
import { discoveryRoutes } from './discovery/routes.js'
import { docsRoutes, openApi } from './docs/plugin.js'
import { FeedRepository } from './feeds/repository.js'
import { feedRoutes } from './feeds/routes.js'
import { feedComponents } from './feeds/schemas.js'
import { healthRoutes } from './health/routes.js'
import { publicCaching, useHttpCaching } from './http/caching.js'
import { serializersOnFirstUse } from './http/compile-on-first-use.js'
import { CursorCodec } from './http/cursor.js'
import { useStrictJsonBodies } from './http/body.js'
import { clientErrorProblem, sendProblem, useProblemResponses, writeRawProblem } from './http/errors.js'
import { IdempotencyStore } from './http/idempotency.js'
import { serverLimits } from './http/limits.js'
import { PageMeta } from './http/pagination.js'
import { HttpProblem, Problem, ValidationIssue } from './http/problem.js'
import { COMPRESS_ABOVE_BYTES, usePreparedAnswers } from './http/prepared.js'
import { problemResponses } from './http/responses.js'
import { useValidators } from './http/validation.js'
import { loggerOptions } from './logging.js'
import { SearchRepository } from './search/repository.js'
import { PreviewRepository } from './previews/repository.js'
import { previewComponents, previewRoutes } from './previews/routes.js'
import { searchRoutes } from './search/routes.js'
import { searchComponents } from './search/schemas.js'
import { SyncRepository } from './sync/repository.js'
import { syncRoutes } from './sync/routes.js'
import { syncComponents } from './sync/schemas.js'
import { eventComponents } from './webhooks/events.js'
import { WebhookRepository } from './webhooks/repository.js'
import { webhookRoutes } from './webhooks/routes.js'
import { webhookSchemas } from './webhooks/schemas.js'
import { DeliveryWorker, type WorkerOptions } from './webhooks/worker.js'

export interface AppOptions {
  /** An open, migrated store; the app closes it when it closes. */
  store: Store
  /** The migrations the code has for the store's engine (readiness compares them with the store's ledger). */
  migrations: Migration[]
  config: Config
  /** Overrides the logger built from `config.logLevel`, e.g. `false` or a capturing stream in tests. */
  logger?: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance']
  /** The clock; tests inject one. */
  now?: () => Date
  /** Tunes the webhook delivery worker (tests shorten its timeout and retry schedule). */
  webhooks?: Pick<WorkerOptions, 'timeoutMs' | 'pollIntervalMs' | 'retryDelaysMs' | 'concurrency'>
}

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
const REQUEST_ID = /^[\w.:-]{1,128}$/
const EXPOSED_HEADERS = ['ETag', 'Link', 'Location', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-Request-Id']
const NO_QUERY = Type.Object({}, { additionalProperties: false })
const BODY_PROBLEMS = problemResponses('payload-too-large', 'unsupported-media-type')
const QUERY_PROBLEMS = problemResponses('validation-failed')
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

const sharedSchemas: TSchema[] = [ValidationIssue, Problem, PageMeta, ...articleComponents, ...importComponents, ...viewComponents, ...catalogComponents, ...commentComponents, ...searchComponents, ...feedComponents, ...syncComponents, ...previewComponents, ...webhookSchemas, ...eventComponents]

export async function buildApp(options: AppOptions) {
  const { store, config } = options
  const now = options.now ?? (() => new Date())
  const hops = config.trustProxy
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config.logLevel),
    // A client's x-request-id is kept when it is a sane token; otherwise the server makes one.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ...serverLimits(config),
    // Requests Fastify refuses before routing (a malformed URL) skip the hooks: they get their id and a problem here.
    frameworkErrors: (error, request, reply) => sendProblem(request, reply.header('x-request-id', request.id), new HttpProblem('bad-request', error.message)),
    // A hop count trusts that many proxies in front of the server.
    trustProxy: typeof hops === 'number' ? (_address: string, hop: number) => hop < hops : hops,
    // What Node's parser refuses (oversized headers, garbage) is answered as a problem too.
    clientErrorHandler: (error, socket) => writeRawProblem(socket, clientErrorProblem(error)),
    // Requests that arrive while the server shuts down get a problem from the hook below, not Fastify's plain JSON.
    return503OnClosing: false,
    schemaController: serializersOnFirstUse,
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.server.maxConnections = config.maxConnections
  app.server.on('connect', (_request, socket) => writeRawProblem(socket, new HttpProblem('not-found', 'This server is not a proxy: nothing answers CONNECT.')))

  for (const schema of sharedSchemas) app.addSchema(schema)
  // An API route that declares no query parameters takes none: an unknown one is a 400, as on lists.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1/') && route.schema && !route.schema.querystring) route.schema.querystring = NO_QUERY
    // So does every other documented operation (probes, the API catalog): a 400 its document names.
    if (!route.url.startsWith('/v1/') && route.schema?.operationId && !route.schema.querystring) {
      route.schema.querystring = NO_QUERY
      route.schema.response = { ...QUERY_PROBLEMS, ...(route.schema.response as object) }
    }
    // Any route that reads a body can be sent one too large or of a type it does not read.
    if (route.schema?.body && route.schema.response) route.schema.response = { ...BODY_PROBLEMS, ...(route.schema.response as object) }
  })
  useValidators(app, sharedSchemas)
  useStrictJsonBodies(app)
  const storage = new StorageMonitor(store)
  useProblemResponses(app, (fault) => storage.failed(fault))
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  // The hooks every request runs take a callback, not a promise: on a prepared answer that difference shows.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    // Requests in flight finish; one whose headers arrive after shutdown began is turned away (Fastify adds `Connection: close`).
    done(closing ? new HttpProblem('service-unavailable', 'The server is shutting down; retry the request.', undefined, { 'retry-after': '1' }) : undefined)
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    // A request that was in flight when shutdown began must not leave its connection kept alive: an idle
    // kept-alive connection holds the server open until its timeout, past the shutdown grace period.
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
  app.addHook('onResponse', (request, reply, done) => {
    // A write that succeeded committed: storage works again (readiness stops reporting an old failure).
    if (WRITE_METHODS.has(request.method) && reply.statusCode < 300) storage.succeeded()
    done()
  })

  const caching = { maxAge: config.cacheMaxAge, staleWhileRevalidate: config.cacheStaleWhileRevalidate }
  useHttpCaching(app, caching)
  usePreparedAnswers(app, { generation: store.watchChanges(now), maxBytes: config.responseCacheBytes, cacheControl: publicCaching(caching), cors: config.corsOrigins.length > 0 })
  await app.register(compress, { global: true, threshold: COMPRESS_ABOVE_BYTES, encodings: ['br', 'gzip'], brotliOptions: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } } })
  // Without allowed origins no request does any CORS work (a preflight finds no route: a 404 problem, as with `origin: false`).
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'If-None-Match', 'X-Request-Id'],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    })
  }
  await app.register(openApi, { version })

  const cursors = new CursorCodec(await readSetting(store, 'cursor_secret'))
  const articles = new ArticleRepository(store, now)
  const catalog = new CatalogRepository(store, now)
  const access = new Access(new ApiKeyRepository(store), config.adminToken)
  const comments = new CommentRepository(store)
  const webhooks = new WebhookRepository(store)
  // The outbox is sent from every server process; requests never wait for a delivery.
  const worker = new DeliveryWorker({
    repository: webhooks,
    links: { publicUrl: config.publicUrl, siteArticleUrl: config.siteArticleUrl },
    allowPrivateNetworks: config.webhooksAllowPrivateNetworks,
    now,
    log: app.log,
    ...options.webhooks,
  })
  app.addHook('onReady', async () => worker.start())
  // Stopped once the server no longer accepts connections: waiting for a delivery in flight must not keep
  // the port open during shutdown. The store closes last.
  app.addHook('onClose', async () => {
    await worker.stop()
    await store.close()
  })
  await app.register(healthRoutes, { store, migrations: options.migrations, storage })
  await app.register(docsRoutes)
  await app.register(discoveryRoutes, { publicUrl: config.publicUrl })
  await app.register(
    async (v1) => {
      await v1.register(articleRoutes, { articles, access, cursors })
      await v1.register(editorialRoutes, { articles, access, cursors, now })
      await v1.register(importRoutes, { articles, access, now })
      await v1.register(catalogRoutes, { catalog, cursors })
      await v1.register(relatedRoutes, { related: new RelatedArticles(store, now) })
      await v1.register(commentRoutes, {
        store,
        articles,
        comments,
        idempotency: new IdempotencyStore(store),
        cursors,
        moderation: config.commentModeration,
        ratePerMinute: config.commentRateLimitPerMinute,
        trustProxy: Boolean(hops),
        now,
      })
      await v1.register(moderationRoutes, { comments, cursors, access, now })
      await v1.register(searchRoutes, { search: new SearchRepository(store, now), cursors })
      await v1.register(feedRoutes, { feeds: new FeedRepository(store, now), publicUrl: config.publicUrl, siteArticleUrl: config.siteArticleUrl, now })
      await v1.register(syncRoutes, { sync: new SyncRepository(store, now), cursors })
      await v1.register(webhookRoutes, { webhooks, access, cursors, allowPrivateNetworks: config.webhooksAllowPrivateNetworks, now })
      await v1.register(previewRoutes, { previews: new PreviewRepository(store), articles, access, cursors, publicUrl: config.publicUrl, now })
    },
    { prefix: '/v1' },
  )
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
