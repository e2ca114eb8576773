import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NO_STORE } from '../http/caching.js'
import Type from 'typebox'
import { authProblemTypes, bearerSecurity, type Access } from '../auth/access.js'
import type { CursorCodec } from '../http/cursor.js'
import { Page, pageQuery, respondWithPage, type Listing } from '../http/pagination.js'
import { notFound } from '../http/problem.js'
import { commonProblems, problemResponses } from '../http/responses.js'
import { Id, ref } from '../http/schema.js'
import type { CommentRepository } from './repository.js'
import { CommentStatus, ModeratedComment } from './schemas.js'

export interface ModerationRoutesOptions {
  comments: CommentRepository
  cursors: CursorCodec
  access: Access
  now: () => Date
}

const IdParams = Type.Object({ id: Id }, { additionalProperties: false })
const ListQuery = Type.Object({ ...pageQuery, status: Type.Optional({ ...CommentStatus, default: 'pending' }) }, { additionalProperties: false })
const StatusChange = Type.Object({ status: CommentStatus }, { additionalProperties: false })
const authProblems = problemResponses(...authProblemTypes, ...commonProblems)

/** Moderation of comments, for keys with the `comments:moderate` scope; answers are never cached. */
export const moderationRoutes: FastifyPluginAsyncTypebox<ModerationRoutesOptions> = async (app, { comments, cursors, access, now }) => {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', NO_STORE)
  })
  // Before the body is read or validated: a stranger learns nothing and costs nothing.
  app.addHook('onRequest', access.require('comments:moderate'))

  app.get(
    '/comments',
    {
      schema: {
        operationId: 'listCommentsForModeration',
        summary: 'List comments by status',
        description: 'Comments of every article with the given status (`pending` by default), oldest first, emails included.',
        tags: ['Moderation'],
        security: bearerSecurity,
        querystring: ListQuery,
        response: { 200: Page(ref(ModeratedComment), 'A page of comments.'), ...authProblems },
      },
    },
    async (request, reply) => {
      const status = request.query.status ?? 'pending'
      const listing: Listing<typeof Id> = { scope: `comments/${status}`, position: Id }
      return respondWithPage(request, reply, cursors, listing, {
        fetch: (after, limit) => comments.listByStatus(status, after ?? 0, limit),
        positionOf: (comment) => comment.id,
      })
    },
  )

  app.patch(
    '/comments/:id',
    {
      schema: {
        operationId: 'moderateComment',
        summary: 'Set a comment\'s status',
        description: 'Approve, reject or mark as spam. The article\'s `commentCount` and the parent\'s `replyCount` follow at once.',
        tags: ['Moderation'],
        security: bearerSecurity,
        params: IdParams,
        body: StatusChange,
        response: { 200: ref(ModeratedComment, { description: 'The comment after the change.' }), ...problemResponses('not-found', ...authProblemTypes, ...commonProblems) },
      },
    },
    async (request) => {
      const comment = await comments.setStatus(request.params.id, request.body.status, now().toISOString())
      if (!comment) throw notFound(`There is no comment ${request.params.id}.`)
      return comment
    },
  )

  app.delete(
    '/comments/:id',
    {
      schema: {
        operationId: 'deleteComment',
        summary: 'Delete a comment',
        description: 'Deletes the comment for good; its replies stay, as top-level comments.',
        tags: ['Moderation'],
        security: bearerSecurity,
        params: IdParams,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...problemResponses('not-found', ...authProblemTypes, ...commonProblems) },
      },
    },
    async (request, reply) => {
      if (!(await comments.delete(request.params.id))) throw notFound(`There is no comment ${request.params.id}.`)
      return reply.code(204).send(null)
    },
  )
}
