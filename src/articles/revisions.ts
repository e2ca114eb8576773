import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { bearerSecurity } from '../auth/access.js'
import type { CursorCodec } from '../http/cursor.js'
import { ListQuery, Page, respondWithPage, type Listing } from '../http/pagination.js'
import { notFound } from '../http/problem.js'
import { Id, ref, SlugParam } from '../http/schema.js'
import { contentOf, type ArticleRepository } from './repository.js'
import { Revision, RevisionSummary } from './schemas.js'
import { articleResponse, articleToChange, noArticle, sendArticle, writeProblems } from './writing.js'

export interface RevisionRoutesOptions {
  articles: ArticleRepository
  cursors: CursorCodec
  now: () => Date
}

const RevisionParams = Type.Object(
  { slug: SlugParam, version: { ...Id, description: 'The article\'s version number: 1 for the article as created, 2 after its first change, …' } },
  { additionalProperties: false },
)
const revisionListing = (slug: string): Listing<typeof Id> => ({ scope: `articles/${slug}/versions`, position: Id })

const noRevision = (slug: string, version: number) => notFound(`The article "${slug}" has no revision of version ${version}.`)

/** An article's earlier versions; registered inside the editorial routes, whose key check they share. */
export const revisionRoutes: FastifyPluginAsyncTypebox<RevisionRoutesOptions> = async (app, { articles, cursors, now }) => {
  /** The article with this slug whatever its status, or a 404. */
  async function articleId(slug: string): Promise<number> {
    const article = await articles.find(slug)
    if (!article) throw noArticle(slug)
    return article.id
  }

  app.get(
    '/articles/:slug/revisions',
    {
      schema: {
        operationId: 'listArticleRevisions',
        summary: 'List an article\'s revisions',
        description: 'The versions the article had before each saved change, newest first, without their bodies.',
        tags: ['Editorial'],
        security: bearerSecurity,
        params: Type.Object({ slug: SlugParam }, { additionalProperties: false }),
        querystring: ListQuery,
        response: { 200: Page(ref(RevisionSummary), 'A page of revisions.'), ...writeProblems('not-found') },
      },
    },
    async (request, reply) => {
      const id = await articleId(request.params.slug)
      return respondWithPage(request, reply, cursors, revisionListing(request.params.slug), {
        fetch: (before, limit) => articles.revisions(id, before, limit),
        positionOf: (revision) => revision.version,
      })
    },
  )

  app.get(
    '/articles/:slug/revisions/:version',
    {
      schema: {
        operationId: 'getArticleRevision',
        summary: 'Get a revision',
        description: 'One earlier version of the article, with its body, by its version number (the `version` of the list).',
        tags: ['Editorial'],
        security: bearerSecurity,
        params: RevisionParams,
        response: { 200: ref(Revision, { description: 'The revision.' }), ...writeProblems('not-found') },
      },
    },
    async (request) => {
      const { slug, version } = request.params
      const revision = await articles.revision(await articleId(slug), version)
      if (!revision) throw noRevision(slug, version)
      return revision
    },
  )

  app.post(
    '/articles/:slug/revisions/:version/restore',
    {
      schema: {
        operationId: 'restoreArticleRevision',
        summary: 'Restore a revision',
        description:
          'Makes the revision\'s title and body the article\'s again, as a new version (the one it replaces becomes a revision too). Status and publication time stay as they are; change them with `PATCH`. With `If-Match`, only the version with that ETag is replaced.',
        tags: ['Editorial'],
        security: bearerSecurity,
        params: RevisionParams,
        response: { 200: articleResponse('The article after the restore.'), ...writeProblems('not-found', 'precondition-failed') },
      },
    },
    async (request, reply) => {
      const { slug, version } = request.params
      const article = await articles.transaction(async (articles) => {
        const current = await articleToChange(articles, request, slug)
        const revision = await articles.revision(current.id, version)
        if (!revision) throw noRevision(slug, version)
        await articles.update(current.id, { ...contentOf(current), title: revision.title, sections: revision.sections }, now())
        return (await articles.find(slug))!
      })
      return sendArticle(reply, article)
    },
  )
}
