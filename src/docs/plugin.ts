import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fastifyPlugin from 'fastify-plugin'
import { SPARSE_JSON } from '../articles/views.js'
import { bearerSecurityScheme } from '../auth/access.js'
import Type from 'typebox'
import { PREPARED_ROUTE } from '../http/prepared.js'
import { problemTypes, type ProblemType } from '../http/problem.js'
import { problemResponses } from '../http/responses.js'
import { StringEnum } from '../http/schema.js'
import { buildExamples, type OperationExamples } from './examples.js'
import { problemPage } from './problem-page.js'
import { webhookDocument } from '../webhooks/events.js'

export interface DocsOptions {
  version: string
}

const tags = [
  { name: 'Articles', description: 'Published articles, their sections, techniques and benefits.' },
  { name: 'Techniques', description: 'Every technique across published articles, keyed by slug.' },
  { name: 'Benefits', description: 'Every benefit across published articles, keyed by slug.' },
  { name: 'Comments', description: 'Reader comments: post one, read the approved ones.' },
  { name: 'Moderation', description: 'Approve, reject and delete comments; needs a key with `comments:moderate`.' },
  { name: 'Editorial', description: 'Create, import, change, schedule, publish and delete articles, and restore revisions; needs a key with `content:write`.' },
  { name: 'Search', description: 'Full-text search over public articles, techniques and benefits.' },
  { name: 'Feeds', description: 'The latest public articles as JSON Feed and Atom, for feed readers.' },
  { name: 'Sync', description: 'Offline copies for apps: every public article once, then only what changed.' },
  { name: 'Previews', description: 'Preview links: a token that lets its holder read one draft or scheduled article; made and revoked with `content:write`.' },
  { name: 'Webhooks', description: 'Signed notifications of changes (Standard Webhooks 1.0): manage endpoints with `webhooks:manage`; the events are in the document\'s `webhooks` section.' },
  { name: 'Operations', description: 'Health, readiness and the documentation of problem types.' },
]

/**
 * Builds the OpenAPI 3.1 document from the route schemas; registered before the routes so that
 * @fastify/swagger sees every one of them. Shared schemas become `components.schemas` by their `$id`.
 */
const openApiDocument: FastifyPluginAsyncTypebox<DocsOptions> = async (app, { version }) => {
  const examples = await buildExamples()
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Spa Content API',
        version,
        description:
          'Articles, massage techniques, benefits and reader comments as JSON. Lists are `{ data, meta }` with cursor pagination; every error is an RFC 9457 problem (`application/problem+json`).',
        // Not open source (npm's `UNLICENSED`): SPDX names a license of one's own `LicenseRef-…`.
        license: { name: 'UNLICENSED', identifier: 'LicenseRef-Proprietary' },
        contact: { name: 'Spa Content API maintainers' },
      },
      // Relative: the API is where the document is served from (Swagger UI's "Try it out" calls the
      // server it is opened on); a generated client is given its base URL.
      servers: [{ url: '/', description: 'The server that serves this document.' }],
      tags,
      components: { securitySchemes: bearerSecurityScheme },
    },
    transformObject: (documents) =>
      'openapiObject' in documents
        ? withConditionalHeaders(withPublicSecurity(withExamples({ ...documents.openapiObject, webhooks: webhookDocument() }, examples)))
        : documents.swaggerObject,
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `Schema${index}`) },
  })
}

type Content = Record<string, { example?: unknown }>
interface Parameter {
  name: string
  in: string
  required?: boolean
  description?: string
  schema: object
}
interface Operation {
  operationId?: string
  security?: object[]
  parameters?: Parameter[]
  requestBody?: { content?: Content }
  responses?: Record<string, { content?: Content; headers?: Record<string, unknown> }>
}

/** The operations of a map of path items: the document's `paths`, or its `webhooks`. */
const operationsIn = (pathItems: object | undefined) =>
  Object.values((pathItems ?? {}) as Record<string, Record<string, Operation>>).flatMap((pathItem) => Object.values(pathItem))

/** An operation that declares no credentials takes none: it says so with an empty requirement, so no linter or reader has to guess. */
// A webhook event is sent with a signature (`webhook-signature`), not with credentials of the receiver's.
function withPublicSecurity<T extends { paths?: object; webhooks?: object }>(document: T): T {
  for (const operation of [...operationsIn(document.paths), ...operationsIn(document.webhooks)]) operation.security ??= []
  return document
}

const CONDITIONAL_HEADERS: Record<string, { status: string; description: string; schema: { type: 'string' } }> = {
  'If-None-Match': {
    status: '304',
    description: 'The `ETag` of the copy the client holds: the answer is a 304 with no body while it is current (any other value gets the full answer).',
    schema: { type: 'string' },
  },
  'If-Match': {
    status: '412',
    description: 'The `ETag` of the version the client read (from any `GET` of the article, in any format, or from a write\'s answer): the write happens only while the article is still that version, a 412 otherwise. A tag that names no current version, well-formed or not, is a 412.',
    schema: { type: 'string' },
  },
}

/**
 * Declares the conditional request headers an operation reads as header parameters, so generated
 * clients expose them: `If-None-Match` where a 304 is documented, `If-Match` where a 412 is. Any
 * text is taken: a value that names no current version is simply no match (a full answer, or a 412).
 */
function withConditionalHeaders<T extends { paths?: object }>(document: T): T {
  for (const operation of operationsIn(document.paths)) {
    for (const [name, { status, description, schema }] of Object.entries(CONDITIONAL_HEADERS)) {
      if (!operation.responses?.[status]) continue
      operation.parameters = [...(operation.parameters ?? []), { name, in: 'header', required: false, description, schema }]
    }
  }
  return document
}

/** Puts a real example on every operation's request body, success answer and problem answers. */
function withExamples<T extends { paths?: object }>(document: T, examples: OperationExamples): T {
  // A copy each time: shared objects would become YAML anchors, which some OpenAPI tools reject.
  const put = (media: { example?: unknown } | undefined, example: unknown) => {
    if (media && example !== undefined) media.example = structuredClone(example)
  }
  for (const operation of operationsIn(document.paths)) {
    const id = operation.operationId ?? ''
    for (const media of Object.values(operation.requestBody?.content ?? {})) put(media, examples.requests[id])
    for (const [status, response] of Object.entries(operation.responses ?? {})) {
      const content = response.content ?? {}
      if (status.startsWith('2')) {
        for (const [type, media] of Object.entries(content)) put(media, (type === SPARSE_JSON ? examples.sparseResponses : examples.responses)[id])
      } else {
        put(content['application/problem+json'], examples.problems[Number(status)])
      }
    }
  }
  return document
}

export const openApi = fastifyPlugin(openApiDocument, { name: 'openapi-document' })

/** Serves the document (`/openapi.json`, `/openapi.yaml`), the interactive docs and the problem type pages. */
export const docsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, transformStaticCSP: docsContentSecurityPolicy, uiConfig: { deepLinking: true } })
  app.get('/openapi.json', { ...PREPARED_ROUTE, schema: { hide: true } }, async (_request, reply) => reply.sendPrepared(() => app.swagger()))
  app.get('/openapi.yaml', { ...PREPARED_ROUTE, schema: { hide: true } }, async (_request, reply) =>
    reply.sendPrepared(() => {
      reply.type('application/yaml')
      return app.swagger({ yaml: true })
    }),
  )

  app.get(
    '/problems/:type',
    {
      schema: {
        operationId: 'getProblemType',
        summary: 'Describe a problem type',
        description: 'The page that a problem\'s `type` points to: what the problem means and what to do about it.',
        tags: ['Operations'],
        params: Type.Object({ type: StringEnum(Object.keys(problemTypes) as ProblemType[], { description: 'The problem type: the last segment of a problem\'s `type`.' }) }, { additionalProperties: false }),
        response: {
          200: { description: 'A short HTML page.', content: { 'text/html': { schema: Type.String() } } },
          ...problemResponses('validation-failed'),
        },
      },
    },
    async (request, reply) => reply.type('text/html; charset=utf-8').send(problemPage(request.params.type)),
  )
}

/** The one inline `<style>` that Swagger UI's bundle inserts (its small logo's SVG); test/docs/browser.test.ts names any other. */
const SWAGGER_UI_INLINE_STYLES = ["'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"]

/**
 * Swagger UI's own static policy with two changes: its inline style is allowed by hash, and
 * `upgrade-insecure-requests` is dropped. Served over plain HTTP on any host but localhost (e.g.
 * `HOST=0.0.0.0` in a container), that directive turns the page's own requests into HTTPS ones and
 * the page stays blank; served over HTTPS it changes nothing, every URL of the page being relative.
 */
export function docsContentSecurityPolicy(policy: string): string {
  return policy
    .split(';')
    .map((directive) => directive.trim())
    .filter((directive) => directive !== '' && directive !== 'upgrade-insecure-requests')
    .map((directive) => (directive.startsWith('style-src ') ? [directive, ...SWAGGER_UI_INLINE_STYLES].join(' ') : directive))
    .join('; ')
}
