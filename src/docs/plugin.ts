import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fastifyPlugin from 'fastify-plugin'
import { bearerSecurityScheme } from '../auth/access.js'
import Type from 'typebox'
import { PREPARED_ROUTE } from '../http/prepared.js'
import { problemTypes, type ProblemType } from '../http/problem.js'
import { problemResponses } from '../http/responses.js'
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
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Spa Content API',
        version,
        description:
          'Articles, massage techniques, benefits and reader comments as JSON. Lists are `{ data, meta }` with cursor pagination; every error is an RFC 9457 problem (`application/problem+json`).',
        // Not open source: `identifier` takes an SPDX expression, and npm's `UNLICENSED` is none.
        license: { name: 'UNLICENSED' },
        contact: { name: 'Spa Content API maintainers' },
      },
      // Relative: the API is where the document is served from (Swagger UI's "Try it out" calls the
      // server it is opened on); a generated client is given its base URL.
      servers: [{ url: '/', description: 'The server that serves this document.' }],
      tags,
      components: { securitySchemes: bearerSecurityScheme },
    },
    transformObject: (documents) => ('openapiObject' in documents ? withExamples({ ...documents.openapiObject, webhooks: webhookDocument() }, buildExamples()) : documents.swaggerObject),
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `Schema${index}`) },
  })
}

type Content = Record<string, { example?: unknown }>
interface Operation {
  operationId?: string
  requestBody?: { content?: Content }
  responses?: Record<string, { content?: Content }>
}

/** Puts a real example on every operation's request body, success answer and problem answers. */
function withExamples<T extends { paths?: object }>(document: T, examples: OperationExamples): T {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>
  // A copy each time: shared objects would become YAML anchors, which some OpenAPI tools reject.
  const put = (media: { example?: unknown } | undefined, example: unknown) => {
    if (media && example !== undefined) media.example = structuredClone(example)
  }
  for (const pathItem of Object.values(paths)) {
    for (const operation of Object.values(pathItem)) {
      const id = operation.operationId ?? ''
      for (const media of Object.values(operation.requestBody?.content ?? {})) put(media, examples.requests[id])
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const content = response.content ?? {}
        if (status.startsWith('2')) {
          for (const media of Object.values(content)) put(media, examples.responses[id])
        } else {
          put(content['application/problem+json'], examples.problems[Number(status)])
        }
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
        params: Type.Object({ type: Type.Enum(Object.keys(problemTypes) as ProblemType[], { description: 'The problem type: the last segment of a problem\'s `type`.' }) }, { additionalProperties: false }),
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
