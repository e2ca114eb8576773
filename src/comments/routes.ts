import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import Type from 'typebox'
import type { ArticleRepository } from '../articles/repository.js'
import { publishedArticleId } from '../articles/routes.js'
import { readSetting } from '../db/settings.js'
import type { Queries } from '../db/store.js'
import type { CursorCodec } from '../http/cursor.js'
import { IDEMPOTENCY_KEY, type IdempotencyStore, type StoredAnswer } from '../http/idempotency.js'
import { ListQuery, Page, respondWithPage, type Listing } from '../http/pagination.js'
import { PREPARED_ROUTE } from '../http/prepared.js'
import { HttpProblem, notFound, validationFailed } from '../http/problem.js'
import { commonProblems, locationUnder, problemResponses, rateLimitHeaders, responseHeaders, withHeaders } from '../http/responses.js'
import { Id, ref, SlugParam, SlugParams } from '../http/schema.js'
import { ClientNames } from './client.js'
import { RateLimit, rateLimitHeaderValues, type RateLimitState } from './rate-limit.js'
import type { CommentRepository } from './repository.js'
import { CreatedComment, HONEYPOT_FIELD, NewComment, PublicComment, type CommentStatus } from './schemas.js'
import { authorUrlFault, normaliseCommentInput } from './text.js'

export interface CommentRoutesOptions {
  /** Where a comment POST runs its one write transaction. */
  store: Queries
  articles: ArticleRepository
  comments: CommentRepository
  idempotency: IdempotencyStore
  cursors: CursorCodec
  moderation: 'manual' | 'auto'
  ratePerMinute: number
  /** Whether Fastify takes the client address from forwarded headers (TRUST_PROXY). */
  trustProxy: boolean
  now: () => Date
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The opaque name of the client posting a comment (see ClientNames); set on the comment POST route only. */
    commentClient: string
  }
}

export const COMMENT_BODY_LIMIT = 16 * 1024
const DUPLICATE_WINDOW_MS = 10 * 60 * 1000
const RATE_WINDOW_MS = 60 * 1000

const CommentParams = Type.Object({ slug: SlugParam, id: Id }, { additionalProperties: false })
const CreateHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      pattern: IDEMPOTENCY_KEY.source,
      description:
        'Makes a retry safe: the same key with the same body from the same client answers as the first time and stores nothing new (24 h). A key belongs to the client that sent it (its address as the server sees it, IPv6 per /64, kept only as a keyed hash): another client using the same key makes a request of its own and never receives this one\'s answer. Use a new random key (a UUID) per comment.',
    }),
  ),
})

/** Reader comments of published articles: post one, read the approved ones. */
export const commentRoutes: FastifyPluginAsyncTypebox<CommentRoutesOptions> = async (app, options) => {
  const { store, articles, comments, idempotency, cursors, now } = options
  // The rate limit's headers are on every answer of the limited route, whatever its status.
  const limitHeaders = options.ratePerMinute > 0 ? rateLimitHeaders : {}
  const clients = new ClientNames(await readSetting(store, 'client_key_secret'))
  const rateLimit = options.ratePerMinute > 0 ? new RateLimit(store, 'comments', options.ratePerMinute, RATE_WINDOW_MS) : undefined
  let forwardedWithoutTrust = false

  app.decorateRequest('commentClient', '')

  app.post(
    '/articles/:slug/comments',
    {
      bodyLimit: COMMENT_BODY_LIMIT,
      // Before the body is read, so that every answer, a 413 or a 400 included, carries the limit's state.
      onRequest: async (request, reply) => {
        if (!options.trustProxy && !forwardedWithoutTrust && (request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined)) {
          forwardedWithoutTrust = true
          request.log.warn(
            'a comment POST carries X-Forwarded-For or Forwarded, but TRUST_PROXY is off: if a proxy is in front, every client behind it shares one rate limit and one Idempotency-Key scope; set TRUST_PROXY (logged once)',
          )
        }
        request.commentClient = clients.of(request.ip)
        if (rateLimit) reply.headers(rateLimitHeaderValues(await rateLimit.state(request.commentClient, now())))
      },
      // Validation sees the text as it will be stored, so its limits are the stored text's limits.
      preValidation: async (request) => normaliseCommentInput(request.body),
      schema: {
        operationId: 'createComment',
        summary: 'Post a comment',
        description: `Posts a reader comment (plain text) on a published article, or a reply to one of its approved comments. The email is never published. The comment is \`pending\` until a moderator approves it, unless the server auto-approves. Limits: ${COMMENT_BODY_LIMIT / 1024} KiB body; a per-client rate of stored comments (an answer that stores nothing, a replay or a 4xx, does not count); the same author and text on the same article twice within 10 minutes is a 409.`,
        tags: ['Comments'],
        params: SlugParams,
        headers: CreateHeaders,
        body: ref(NewComment),
        response: {
          201: {
            ...ref(CreatedComment, { description: 'The comment is stored (on disk). `Location` is its public URL once approved.' }),
            headers: { Location: responseHeaders.location, ...limitHeaders },
          },
          ...withHeaders(problemResponses('not-found', 'conflict', 'payload-too-large', 'unsupported-media-type', 'idempotency-key-reused', 'too-many-requests', ...commonProblems), limitHeaders),
        },
      },
    },
    async (request, reply) => {
      const { slug } = request.params
      const { parentId = null, authorUrl = null, [HONEYPOT_FIELD]: honeypot, ...text } = request.body
      const urlFault = authorUrl === null ? undefined : authorUrlFault(authorUrl)
      if (urlFault) throw validationFailed([{ in: 'body', name: 'authorUrl', detail: urlFault }])
      // The answer is serialized by the 201 schema once, when first made, so that a replay sends the very
      // same bytes; the typed reply only knows objects, hence the plain one.
      const plainReply = reply as unknown as FastifyReply
      const client = request.commentClient
      const at = now()
      const key = request.headers['idempotency-key']
      // The normalised fields, in a fixed order: a retry is the same request whatever its key order or spacing.
      const fingerprint = [slug, text.authorName, text.authorEmail, text.body, parentId, authorUrl, honeypot ?? null]
      // One write transaction holds every read that decides the write (the article, the limit, the parent, the
      // duplicate, the key) and the write: only a stored comment counts, and a 201 is sent once it is committed.
      // On SQLite it shares one commit (one fsync) with the comments posted at the same moment; on
      // PostgreSQL it is serializable and may run again, so it only returns what the answer needs.
      const { answer, limitState } = await store.transaction(async (tx) => {
        const txComments = comments.in(tx)
        const txLimit = rateLimit?.in(tx)
        await txComments.lockForWriting()
        const articleId = await publishedArticleId(articles.in(tx), slug)
        let limitState: RateLimitState | undefined
        const create = async (): Promise<StoredAnswer> => {
          await txLimit?.check(client, at)
          if (parentId !== null && !(await txComments.findApproved(articleId, parentId))) {
            throw validationFailed([{ in: 'body', name: 'parentId', detail: 'must be an approved comment of this article' }])
          }
          if (await txComments.isDuplicate(articleId, text.authorEmail, text.body, new Date(at.getTime() - DUPLICATE_WINDOW_MS).toISOString())) {
            throw new HttpProblem('conflict', 'You posted the same comment on this article in the last 10 minutes.')
          }
          const visibleStatus: CommentStatus = options.moderation === 'auto' ? 'approved' : 'pending'
          const comment = await txComments.create({ ...text, authorUrl, articleId, parentId, status: honeypot ? 'spam' : visibleStatus, now: at.toISOString() })
          limitState = await txLimit?.count(client, at)
          return {
            statusCode: 201,
            headers: { location: locationUnder(request.url, comment.id) },
            // A caught bot is told what a person would be told.
            body: plainReply.serializeInput({ ...comment, status: visibleStatus }, '201') as string,
          }
        }
        const answer = key ? await idempotency.in(tx).run('comments', client, key, fingerprint, at, create) : await create()
        return { answer, limitState }
      })
      if (limitState) plainReply.headers(rateLimitHeaderValues(limitState))
      return plainReply.code(answer.statusCode).headers(answer.headers).type('application/json; charset=utf-8').send(answer.body)
    },
  )

  app.get(
    '/articles/:slug/comments',
    {
      ...PREPARED_ROUTE,
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
    async (request, reply) =>
      reply.sendPrepared(async () => {
        const { slug } = request.params
        const articleId = await publishedArticleId(articles, slug)
        const listing: Listing<typeof Id> = { scope: `articles/${slug}/comments`, position: Id }
        return respondWithPage(request, reply, cursors, listing, {
          fetch: (after, limit) => comments.listApproved(articleId, after ?? 0, limit),
          positionOf: (comment) => comment.id,
        })
      }),
  )

  app.get(
    '/articles/:slug/comments/:id',
    {
      ...PREPARED_ROUTE,
      schema: {
        operationId: 'getComment',
        summary: 'Get an approved comment',
        description: 'One approved comment of a published article. Pending, spam and rejected comments are not found.',
        tags: ['Comments'],
        params: CommentParams,
        response: { 200: ref(PublicComment, { description: 'The comment.' }), ...problemResponses('not-found', ...commonProblems) },
      },
    },
    async (request, reply) =>
      reply.sendPrepared(async () => {
        const { slug, id } = request.params
        const comment = await comments.findApproved(await publishedArticleId(articles, slug), id)
        if (!comment) throw notFound(`Article "${slug}" has no approved comment ${id}.`)
        return comment
      }),
  )
}

