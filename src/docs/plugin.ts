import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fastifyPlugin from 'fastify-plugin'
import { bearerSecurityScheme } from '../auth/access.js'
import Type from 'typebox'
import { problemTypes, type ProblemType } from '../http/problem.js'
import { problemResponses } from '../http/responses.js'
import { buildExamples, type OperationExamples } from './examples.js'

export interface DocsOptions {
  version: string
}

const tags = [
  { name: 'Articles', description: 'Published articles, their sections, techniques and benefits.' },
  { name: 'Techniques', description: 'Every technique across published articles, keyed by slug.' },
  { name: 'Benefits', description: 'Every benefit across published articles, keyed by slug.' },
  { name: 'Comments', description: 'Reader comments: post one, read the approved ones.' },
  { name: 'Moderation', description: 'Approve, reject and delete comments; needs the admin token.' },
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
        license: { name: 'UNLICENSED', identifier: 'UNLICENSED' },
      },
      tags,
      components: { securitySchemes: bearerSecurityScheme },
    },
    transformObject: (documents) => ('openapiObject' in documents ? withExamples(documents.openapiObject, buildExamples()) : documents.swaggerObject),
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `Schema${index}`) },
  })
}

interface Operation {
  operationId?: string
  responses?: Record<string, { content?: Record<string, { example?: unknown }> }>
}

/** Puts a real example on every operation's success answer and on each problem answer. */
function withExamples<T extends { paths?: object }>(document: T, examples: OperationExamples): T {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>
  for (const pathItem of Object.values(paths)) {
    for (const operation of Object.values(pathItem)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const content = response.content ?? {}
        const example = status.startsWith('2') ? examples.responses[operation.operationId ?? ''] : examples.problems[Number(status)]
        const media = content['application/json'] ?? content['application/problem+json']
        // A copy each time: shared objects would become YAML anchors, which some OpenAPI tools reject.
        if (media && example !== undefined) media.example = structuredClone(example)
      }
    }
  }
  return document
}

export const openApi = fastifyPlugin(openApiDocument, { name: 'openapi-document' })

/** Serves the document (`/openapi.json`, `/openapi.yaml`), the interactive docs and the problem type pages. */
export const docsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { deepLinking: true } })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  app.get('/openapi.yaml', { schema: { hide: true } }, async (_request, reply) => reply.type('application/yaml').send(app.swagger({ yaml: true })))

  app.get(
    '/problems/:type',
    {
      schema: {
        operationId: 'getProblemType',
        summary: 'Describe a problem type',
        description: 'The page that a problem\'s `type` points to: what the problem means and what to do about it.',
        tags: ['Operations'],
        params: Type.Object({ type: Type.Enum(Object.keys(problemTypes) as ProblemType[]) }, { additionalProperties: false }),
        response: {
          200: { description: 'A short HTML page.', content: { 'text/html': { schema: Type.String() } } },
          ...problemResponses('validation-failed'),
        },
      },
    },
    async (request, reply) => {
      const { title, status, about } = problemTypes[request.params.type]
      return reply
        .type('text/html; charset=utf-8')
        .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${status} ${title}</h1><p>${escapeHtml(about)}</p></body></html>`)
    },
  )
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}
