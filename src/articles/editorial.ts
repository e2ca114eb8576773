import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NO_STORE } from '../http/caching.js'
import Type from 'typebox'
import { bearerSecurity, type Access } from '../auth/access.js'
import { assignSectionSlugs, countListItems, numberItems, replaceEntries } from '../content/derive.js'
import type { Section } from '../content/schemas.js'
import { slugify } from '../content/slugify.js'
import type { CursorCodec } from '../http/cursor.js'
import { Page, pageQuery, respondWithPage, type Listing } from '../http/pagination.js'
import { HttpProblem, invalidParameter } from '../http/problem.js'
import { locationUnder, responseHeaders } from '../http/responses.js'
import { ref, SlugParams } from '../http/schema.js'
import { contentOf, type ArticleContent, type ArticleRepository } from './repository.js'
import { revisionRoutes } from './revisions.js'
import { ArticleChanges, ArticleStatus, ArticleSummary, EntryInput, MAX_ARTICLE_LIST_ITEMS, NewArticle, type Article, type SectionInput } from './schemas.js'
import { articleResponse, articleToChange, sendArticle, writeProblems } from './writing.js'

export interface EditorialRoutesOptions {
  articles: ArticleRepository
  access: Access
  cursors: CursorCodec
  now: () => Date
}

const ImportQuery = Type.Object(
  { publish: Type.Optional(Type.Boolean({ default: false, description: 'Publish the article at once instead of keeping it a draft.' })) },
  { additionalProperties: false },
)
const EditorialListQuery = Type.Object(
  { ...pageQuery, status: Type.Optional({ ...ArticleStatus, description: 'Only articles with this status now.' }) },
  { additionalProperties: false },
)
const ChangePosition = Type.Object({ key: Type.String(), id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })
const EntryList = Type.Array(ref(EntryInput), { maxItems: 200, description: 'The whole list, in order; an empty list removes it.' })
const ENTRY_HEADINGS = { techniques: 'Techniques', benefits: 'Benefits' } as const

export const editorialRoutes: FastifyPluginAsyncTypebox<EditorialRoutesOptions> = async (app, { articles, access, cursors, now }) => {
  // Every route here writes content (or shows its history): only for keys with `content:write`, never cached.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', NO_STORE)
  })
  app.addHook('onRequest', access.require('content:write'))
  await app.register(revisionRoutes, { articles, cursors, now })

  /** Creates the article in one transaction with the check that its slug is free. */
  function create(content: ArticleContent): Promise<Article> {
    return articles.transaction(async (articles) => {
      if (await articles.find(content.slug)) throw slugTaken(content.slug)
      await articles.create(content, now())
      return (await articles.find(content.slug))!
    })
  }

  app.get(
    '/editorial/articles',
    {
      schema: {
        operationId: 'listAllArticles',
        summary: 'List every article, drafts and scheduled ones included',
        description:
          'Every article whatever its status, newest change (`updatedAt`) first, without bodies; `status` keeps only drafts, scheduled or published articles. A draft made by `POST /v1/imports` is found here without knowing its slug.',
        tags: ['Editorial'],
        security: bearerSecurity,
        querystring: EditorialListQuery,
        response: { 200: Page(ref(ArticleSummary), 'A page of articles, newest change first.'), ...writeProblems() },
      },
    },
    async (request, reply) => {
      const { status } = request.query
      const listing: Listing<typeof ChangePosition> = { scope: `editorial/articles?${status ?? ''}`, position: ChangePosition }
      return respondWithPage(request, reply, cursors, listing, {
        fetch: (after, limit) => articles.listAll(status, after, limit),
        positionOf: (row) => row.position,
        toItem: (row) => row.article,
      })
    },
  )

  app.post(
    '/articles',
    {
      schema: {
        operationId: 'createArticle',
        summary: 'Create an article',
        description:
          'Creates an article from the content model. The slug comes from the title unless given; summary, word count, techniques and benefits are derived from the sections. A `draft` unless `status` says otherwise.',
        tags: ['Editorial'],
        security: bearerSecurity,
        body: ref(NewArticle),
        response: {
          201: { ...articleResponse('The article as stored.'), headers: { Location: responseHeaders.location, ETag: responseHeaders.etag } },
          ...writeProblems('conflict'),
        },
      },
    },
    async (request, reply) => {
      const { body } = request
      const title = body.title.trim()
      const slug = body.slug ?? slugify(title)
      if (!slug) throw invalidParameter('body', 'title', 'has no letters or digits to make a slug from; give a slug')
      const article = await create({ slug, title, ...publication(body, undefined, now()), sections: toSections(body.sections ?? []) })
      return sendArticle(reply.code(201).header('location', locationUnder(request.url, slug)), article)
    },
  )

  app.patch(
    '/articles/:slug',
    {
      schema: {
        operationId: 'updateArticle',
        summary: 'Change an article',
        description:
          'Changes the given fields and keeps the rest; `sections` replaces the whole body. Publishing, scheduling and unpublishing are changes of `status` (and `publishedAt`). The version it replaces is kept as a revision. With `If-Match`, only the version with that ETag is changed.',
        tags: ['Editorial'],
        security: bearerSecurity,
        params: SlugParams,
        body: ref(ArticleChanges),
        response: { 200: articleResponse('The article after the change.'), ...writeProblems('not-found', 'conflict', 'precondition-failed') },
      },
    },
    async (request, reply) => {
      const changes = request.body
      const article = await articles.transaction(async (articles) => {
        const current = await articleToChange(articles, request, request.params.slug)
        const slug = changes.slug ?? current.slug
        if (slug !== current.slug && (await articles.find(slug))) throw slugTaken(slug)
        await articles.update(
          current.id,
          {
            slug,
            title: changes.title?.trim() ?? current.title,
            ...publication(changes, current, now()),
            sections: changes.sections ? toSections(changes.sections) : current.sections,
          },
          now(),
        )
        return (await articles.find(slug))!
      })
      return sendArticle(reply, article)
    },
  )

  app.delete(
    '/articles/:slug',
    {
      schema: {
        operationId: 'deleteArticle',
        summary: 'Delete an article',
        description: 'Deletes the article with its comments and revisions, for good. With `If-Match`, only the version with that ETag is deleted.',
        tags: ['Editorial'],
        security: bearerSecurity,
        params: SlugParams,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...writeProblems('not-found', 'precondition-failed') },
      },
    },
    async (request, reply) => {
      await articles.transaction(async (articles) => articles.remove((await articleToChange(articles, request, request.params.slug)).id))
      return reply.code(204).send(null)
    },
  )

  for (const kind of ['techniques', 'benefits'] as const) {
    app.put(
      `/articles/:slug/${kind}`,
      {
        schema: {
          operationId: kind === 'techniques' ? 'replaceArticleTechniques' : 'replaceArticleBenefits',
          summary: `Replace an article's ${kind}`,
          description: `Replaces the article's list of ${kind} at once with the given items, in order; positions and slugs are derived from it. The first ${kind} list in the body takes the items (a section "${ENTRY_HEADINGS[kind]}" is added when there is none), and the catalog follows at once.`,
          tags: ['Editorial'],
          security: bearerSecurity,
          params: SlugParams,
          body: EntryList,
          response: { 200: articleResponse('The article after the change.'), ...writeProblems('not-found', 'precondition-failed') },
        },
      },
      async (request, reply) => {
        request.body.forEach(({ name }, index) => requireSlug(name, `${index}/name`))
        const article = await articles.transaction(async (articles) => {
          const current = await articleToChange(articles, request, request.params.slug)
          const sections = replaceEntries(current.sections, kind, numberItems(request.body), ENTRY_HEADINGS[kind])
          requireListItemsBound(sections, 'body')
          await articles.update(current.id, { ...contentOf(current), sections }, now())
          return (await articles.find(current.slug))!
        })
        return sendArticle(reply, article)
      },
    )
  }
}

const slugTaken = (slug: string) => new HttpProblem('conflict', `Another article has the slug "${slug}"; choose another slug.`)

function requireSlug(name: string | undefined, field: string): void {
  if (name !== undefined && !slugify(name)) throw invalidParameter('body', field, 'has no letters or digits to make a slug from')
}

/** An article's write is bounded (see MAX_ARTICLE_LIST_ITEMS): more list items than that is a 400 naming the bound. */
function requireListItemsBound(sections: Parameters<typeof countListItems>[0], field: string): void {
  const items = countListItems(sections)
  if (items > MAX_ARTICLE_LIST_ITEMS) {
    throw invalidParameter('body', field, `would give the article ${items} list items; an article may hold at most ${MAX_ARTICLE_LIST_ITEMS}, all its lists together`)
  }
}

function toSections(input: SectionInput[]): Section[] {
  requireListItemsBound(input, 'sections')
  input.forEach((section, index) =>
    section.blocks.forEach((block, at) => {
      if (block.type === 'list') block.items.forEach(({ name }, item) => requireSlug(name, `sections/${index}/blocks/${at}/items/${item}/name`))
    }),
  )
  return assignSectionSlugs(
    input.map(({ heading, blocks }) => ({
      ...(heading === undefined ? {} : { heading: heading.trim() }),
      slug: '',
      blocks: blocks.map((block) => (block.type === 'paragraph' ? block : { type: block.type, kind: block.kind, items: numberItems(block.items) })),
    })),
  )
}

/**
 * Where `status` and `publishedAt` leave an article. A scheduled article is stored as published at a
 * future time; a draft has no publication time. A time alone reschedules or backdates what is not a draft.
 */
function publication(
  requested: { status?: ArticleStatus; publishedAt?: string },
  current: Pick<Article, 'status' | 'publishedAt'> | undefined,
  now: Date,
): Pick<ArticleContent, 'status' | 'publishedAt'> {
  const at = now.toISOString()
  const given = requested.publishedAt === undefined ? undefined : canonicalTime(requested.publishedAt)
  const keep = current?.status ?? 'draft'
  const status = requested.status ?? (given === undefined || keep === 'draft' ? keep : given > at ? 'scheduled' : 'published')
  if (status === 'draft') {
    if (given !== undefined) throw invalidParameter('body', 'publishedAt', 'must be left out for a draft')
    return { status: 'draft', publishedAt: null }
  }
  const publishedAt = given ?? (current?.status === status ? current.publishedAt! : status === 'published' ? at : undefined)
  if (publishedAt === undefined) throw invalidParameter('body', 'publishedAt', 'is needed to schedule an article')
  if (status === 'scheduled' && publishedAt <= at) throw invalidParameter('body', 'publishedAt', 'must be in the future to schedule; use status "published" for now')
  if (status === 'published' && publishedAt > at) throw invalidParameter('body', 'publishedAt', 'is in the future; use status "scheduled"')
  return { status: 'published', publishedAt }
}

/** A date-time as the database keeps it (UTC, milliseconds), so that times compare as strings. */
function canonicalTime(text: string): string {
  const time = new Date(text)
  if (Number.isNaN(time.getTime())) throw invalidParameter('body', 'publishedAt', 'is not a date and time that exists')
  return time.toISOString()
}
