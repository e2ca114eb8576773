import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { authProblemTypes, bearerSecurity, type Access } from '../auth/access.js'
import type { ArticleRepository } from '../articles/repository.js'
import { ArticleQuery, ArticleView, ArticleViewFields, articleView, SPARSE_JSON, withSparseFieldsets } from '../articles/views.js'
import { NO_STORE } from '../http/caching.js'
import type { CursorCodec } from '../http/cursor.js'
import { ListQuery, Page, respondWithPage, type Listing } from '../http/pagination.js'
import { HttpProblem, notFound } from '../http/problem.js'
import { commonProblems, locationUnder, problemResponses, responseHeaders } from '../http/responses.js'
import { Id, ref, SlugParam, SlugParams, Timestamp } from '../http/schema.js'
import { PREVIEW_TOKEN_EXAMPLE, PREVIEW_TOKEN_PATTERN, type PreviewRepository } from './repository.js'

export interface PreviewRoutesOptions {
  previews: PreviewRepository
  articles: ArticleRepository
  access: Access
  cursors: CursorCodec
  publicUrl: string | undefined
  now: () => Date
}

const HOUR_SECONDS = 3600
const MAX_LIFETIME_SECONDS = 7 * 24 * HOUR_SECONDS

export const Preview = Type.Object(
  {
    id: Type.Integer({ minimum: 1, examples: [1] }),
    createdAt: Timestamp,
    expiresAt: Timestamp,
  },
  { $id: 'Preview', additionalProperties: false, description: 'A preview link of an article; its token is shown only when it is made.' },
)

export const NewPreview = Type.Object(
  {
    ...Preview.properties,
    token: Type.String({ pattern: PREVIEW_TOKEN_PATTERN, description: 'Shown once: whoever holds it reads the article at `GET /v1/previews/{token}` until `expiresAt`.' }),
    url: Type.String({ description: 'Where the token reads the article: absolute when the server has `PUBLIC_URL`, else a path.' }),
  },
  { $id: 'NewPreview', additionalProperties: false, description: 'A new preview link, with its token.' },
)

const PreviewRequest = Type.Object(
  {
    expiresInSeconds: Type.Optional(
      Type.Integer({ minimum: 60, maximum: MAX_LIFETIME_SECONDS, default: HOUR_SECONDS, description: 'How long the link works: 1 hour unless given, at most 7 days.' }),
    ),
  },
  { additionalProperties: false },
)

const PreviewParams = Type.Object({ slug: SlugParam, id: Id }, { additionalProperties: false })
const TokenParams = Type.Object(
  { token: Type.String({ pattern: PREVIEW_TOKEN_PATTERN, description: 'The `token` of a preview link.', examples: [PREVIEW_TOKEN_EXAMPLE] }) },
  { additionalProperties: false },
)

export const previewComponents = [Preview, NewPreview]

/** Editors make and revoke preview links; anyone with a link reads that one article through it, never cached. */
export const previewRoutes: FastifyPluginAsyncTypebox<PreviewRoutesOptions> = async (app, { previews, articles, access, cursors, publicUrl, now }) => {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', NO_STORE)
  })

  app.get(
    '/previews/:token',
    {
      schema: {
        operationId: 'getPreview',
        summary: 'Read an article through a preview link',
        description:
          'The article a preview link was made for, as it is now, whatever its status: for a frontend\'s preview page. Read-only; the token opens nothing else. Answered `private, no-store` and `X-Robots-Tag: noindex`. A token that is unknown, expired or revoked is a 404.',
        tags: ['Previews'],
        params: TokenParams,
        querystring: ArticleQuery,
        response: {
          200: withSparseFieldsets(ref(ArticleView), ref(ArticleViewFields), 'The article.', { 'X-Robots-Tag': { type: 'string', description: '`noindex`: a preview is not for search engines.' } }),
          ...problemResponses('not-found', ...commonProblems),
        },
      },
    },
    async (request, reply) => {
      const article = await previews.article(request.params.token, now())
      if (!article) throw notFound('This preview link is unknown, expired or revoked.')
      if (request.query.fields !== undefined) reply.type(SPARSE_JSON)
      return reply.header('x-robots-tag', 'noindex').send(articleView(article, request.query))
    },
  )

  await app.register(async (scope) => {
    const editors = scope.withTypeProvider<TypeBoxTypeProvider>()
    editors.addHook('onRequest', access.require('content:write'))

    const articleOr404 = async (slug: string) => {
      const article = await articles.find(slug)
      if (!article) throw notFound(`There is no article with the slug "${slug}".`)
      return article
    }

    editors.post(
      '/articles/:slug/previews',
      {
        schema: {
          operationId: 'createPreview',
          summary: 'Make a preview link',
          description:
            'A token that lets anyone holding it read this draft or scheduled article (`GET /v1/previews/{token}`) for `expiresInSeconds` (1 hour unless given, at most 7 days), until it is revoked. Only a digest of the token is stored: it is shown here once. A public article needs no preview: 409.',
          tags: ['Previews'],
          security: bearerSecurity,
          params: SlugParams,
          body: PreviewRequest,
          response: {
            201: { ...ref(NewPreview, { description: 'The preview link.' }), headers: { Location: responseHeaders.location } },
            ...problemResponses('not-found', 'conflict', ...authProblemTypes, ...commonProblems),
          },
        },
      },
      async (request, reply) => {
        const { slug } = request.params
        const article = await articleOr404(slug)
        if (article.status === 'published') throw new HttpProblem('conflict', `The article "${slug}" is public already; preview links are for drafts and scheduled articles.`)
        const { preview, token } = await previews.create(article.id, now(), request.body.expiresInSeconds ?? HOUR_SECONDS)
        reply.code(201).header('location', locationUnder(request.url, preview.id))
        return { ...preview, token, url: `${publicUrl ?? ''}/v1/previews/${token}` }
      },
    )

    editors.get(
      '/articles/:slug/previews',
      {
        schema: {
          operationId: 'listPreviews',
          summary: 'List an article\'s preview links',
          description: 'The preview links of the article that still work (not expired, not revoked), oldest first; without their tokens.',
          tags: ['Previews'],
          security: bearerSecurity,
          params: SlugParams,
          querystring: ListQuery,
          response: { 200: Page(ref(Preview), 'A page of preview links.'), ...problemResponses('not-found', ...authProblemTypes, ...commonProblems) },
        },
      },
      async (request, reply) => {
        const { slug } = request.params
        const article = await articleOr404(slug)
        const listing: Listing<typeof Id> = { scope: `previews/${article.id}`, position: Id }
        return respondWithPage(request, reply, cursors, listing, {
          fetch: (after, limit) => previews.active(article.id, now(), after ?? 0, limit),
          positionOf: (preview) => preview.id,
        })
      },
    )

    editors.delete(
      '/articles/:slug/previews/:id',
      {
        schema: {
          operationId: 'revokePreview',
          summary: 'Revoke a preview link',
          description: 'The link stops working at once. A link that is unknown, expired or revoked already is a 404.',
          tags: ['Previews'],
          security: bearerSecurity,
          params: PreviewParams,
          response: { 204: Type.Null({ description: 'Revoked.' }), ...problemResponses('not-found', ...authProblemTypes, ...commonProblems) },
        },
      },
      async (request, reply) => {
        const { slug, id } = request.params
        if (!(await previews.revoke((await articleOr404(slug)).id, id, now()))) throw notFound(`The article "${slug}" has no working preview link ${id}.`)
        return reply.code(204).send(null)
      },
    )
  })
}
