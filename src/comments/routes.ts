import { createHash } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import Type from 'typebox'
import type { ArticleRepository } from '../articles/repository.js'
import { writeTransaction, type SqliteDatabase } from '../db/database.js'
import type { CursorCodec } from '../http/cursor.js'
import { IDEMPOTENCY_KEY, type IdempotencyStore, type StoredAnswer } from '../http/idempotency.js'
import { Page, pageQuery, respondWithPage, type Listing } from '../http/pagination.js'
import { HttpProblem, notFound } from '../http/problem.js'
import { commonProblems, problemResponses, rateLimitHeaders, responseHeaders } from '../http/responses.js'
import { ref, SlugParam } from '../http/schema.js'
import type { CommentRepository } from './repository.js'
import { CreatedComment, HONEYPOT_FIELD, NewComment, PublicComment, type CommentStatus } from './schemas.js'
import { normaliseComment } from './text.js'

export interface CommentRoutesOptions {
  db: SqliteDatabase
  articles: ArticleRepository
  comments: CommentRepository
  idempotency: IdempotencyStore
  cursors: CursorCodec
  moderation: 'manual' | 'auto'
  ratePerMinute: number
  clientHashSalt: string
  now: () => Date
}

export const COMMENT_BODY_LIMIT = 16 * 1024
const DUPLICATE_WINDOW_MS = 10 * 60 * 1000

const SlugParams = Type.Object({ slug: SlugParam }, { additionalProperties: false })
const CommentParams = Type.Object({ slug: SlugParam, id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })
const ListQuery = Type.Object(pageQuery, { additionalProperties: false })
const CreateHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ pattern: IDEMPOTENCY_KEY.source, description: 'Makes a retry safe: the same key with the same body answers as the first time and stores nothing new (24 h).' }),
  ),
})
const CommentPosition = Type.Integer({ minimum: 1 })

/** Reader comments of published articles: post one, read the approved ones. */
export const commentRoutes: FastifyPluginAsyncTypebox<CommentRoutesOptions> = async (app, options) => {
  const { articles, comments, idempotency, cursors, now } = options
  const publishedArticle = (slug: string) => {
    const id = articles.findPublishedId(slug)
    if (id === undefined) throw notFound(`No published article has the slug "${slug}".`)
    return id
  }

  app.post(
    '/articles/:slug/comments',
    {
      bodyLimit: COMMENT_BODY_LIMIT,
      config: options.ratePerMinute > 0 ? { rateLimit: { max: options.ratePerMinute, timeWindow: 60_000 } } : {},
      schema: {
        operationId: 'createComment',
        summary: 'Post a comment',
        description: `Posts a reader comment (plain text) on a published article, or a reply to one of its approved comments. The email is never published. The comment is \`pending\` until a moderator approves it, unless the server auto-approves. Limits: ${COMMENT_BODY_LIMIT / 1024} KiB body; a per-client rate; the same author and text on the same article twice within 10 minutes is a 409.`,
        tags: ['Comments'],
        params: SlugParams,
        headers: CreateHeaders,
        body: ref(NewComment),
        response: {
          201: {
            ...ref(CreatedComment, { description: 'The comment is stored (on disk). `Location` is its public URL once approved.' }),
            headers: { Location: responseHeaders.location, ...(options.ratePerMinute > 0 ? rateLimitHeaders : {}) },
          },
          ...problemResponses('not-found', 'conflict', 'payload-too-large', 'unsupported-media-type', 'idempotency-key-reused', 'too-many-requests', ...commonProblems),
        },
      },
    },
    async (request, reply) => {
      const { slug } = request.params
      const articleId = publishedArticle(slug)
      const fields = normaliseComment(request.body)
      if (Array.isArray(fields)) throw new HttpProblem('validation-failed', `The request is invalid: ${fields.map((f) => `body ${f.name}`).join(', ')}.`, fields)
      const at = now()
      const create = (): StoredAnswer => {
        const parentId = request.body.parentId ?? null
        if (parentId !== null && !comments.findApproved(articleId, parentId)) {
          throw new HttpProblem('validation-failed', 'The request is invalid: body parentId.', [{ in: 'body', name: 'parentId', detail: 'must be an approved comment of this article' }])
        }
        if (comments.isDuplicate(articleId, fields.authorEmail, fields.body, new Date(at.getTime() - DUPLICATE_WINDOW_MS).toISOString())) {
          throw new HttpProblem('conflict', 'You posted the same comment on this article in the last 10 minutes.')
        }
        const status: CommentStatus = request.body[HONEYPOT_FIELD] ? 'spam' : options.moderation === 'auto' ? 'approved' : 'pending'
        const comment = comments.create({ ...fields, articleId, parentId, status, clientHash: clientHash(options.clientHashSalt, request.ip), now: at.toISOString() })
        const { articleSlug: _slug, authorEmail: _email, updatedAt: _updated, ...created } = comment
        return {
          statusCode: 201,
          headers: { location: `/v1/articles/${slug}/comments/${comment.id}` },
          body: (reply as unknown as FastifyReply).serializeInput(created, '201') as string,
        }
      }
      const key = request.headers['idempotency-key']
      const answer = writeTransaction(options.db, () => (key ? idempotency.run('comments', key, { slug, body: request.body }, at, create) : create()))
      // The body is already serialized (by the 201 schema) so that a replay sends the very same bytes.
      const rawReply = reply as unknown as FastifyReply
      return rawReply.code(answer.statusCode).headers(answer.headers).type('application/json; charset=utf-8').send(answer.body)
    },
  )

  app.get(
    '/articles/:slug/comments',
    {
      schema: {
        operationId: 'listComments',
        summary: 'List approved comments',
        description: 'The approved comments of a published article, oldest first; replies point to their parent with `parentId`.',
        tags: ['Comments'],
        params: SlugParams,
        querystring: ListQuery,
        response: { 200: Page(ref(PublicComment), 'A page of approved comments.'), ...problemResponses('not-found', ...commonProblems) },
      },
    },
    async (request, reply) => {
      const { slug } = request.params
      const articleId = publishedArticle(slug)
      const listing: Listing<typeof CommentPosition> = { scope: `articles/${slug}/comments`, position: CommentPosition }
      return respondWithPage(request, reply, cursors, listing, {
        fetch: (after, limit) => comments.listApproved(articleId, after ?? 0, limit),
        positionOf: (comment) => comment.id,
      })
    },
  )

  app.get(
    '/articles/:slug/comments/:id',
    {
      schema: {
        operationId: 'getComment',
        summary: 'Get an approved comment',
        description: 'One approved comment of a published article. Pending, spam and rejected comments are not found.',
        tags: ['Comments'],
        params: CommentParams,
        response: { 200: ref(PublicComment, { description: 'The comment.' }), ...problemResponses('not-found', ...commonProblems) },
      },
    },
    async (request) => {
      const { slug, id } = request.params
      const comment = comments.findApproved(publishedArticle(slug), id)
      if (!comment) throw notFound(`Article "${slug}" has no approved comment ${id}.`)
      return comment
    },
  )
}

function clientHash(salt: string, ip: string): string {
  return createHash('sha256').update(salt).update(ip).digest('hex')
}
