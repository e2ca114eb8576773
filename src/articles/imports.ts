import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import Type, { type Static } from 'typebox'
import { bearerSecurity, type Access } from '../auth/access.js'
import { NO_STORE } from '../http/caching.js'
import { entityTag } from '../http/conditional.js'
import { HttpProblem } from '../http/problem.js'
import { responseHeaders } from '../http/responses.js'
import { ref, SlugParams } from '../http/schema.js'
import { ImportError, parseArticleWithNotes, type ArticleLimits, type ParseReport } from '../parser/parse.js'
import { articleToChange, writeProblems } from './writing.js'
import { importedContent, type ArticleRepository } from './repository.js'
import { Article, ItemInput, ListInput, MAX_ARTICLE_LIST_ITEMS, NewArticle, ParagraphInput, SectionInput } from './schemas.js'

export interface ImportRoutesOptions {
  articles: ArticleRepository
  access: Access
  now: () => Date
}

/** The most text an import reads: a long article is a few tens of kilobytes. */
export const IMPORT_TEXT_BYTES = 256 * 1024

/** A bound a JSON schema sets (TypeBox's types do not carry them). */
function bound(schema: object, keyword: 'maxItems' | 'maxLength'): number {
  const value = (schema as Record<string, unknown>)[keyword]
  if (typeof value !== 'number') throw new Error(`the schema has no ${keyword}`)
  return value
}

/** An imported article may hold what one sent as JSON may: the same bounds, read from the JSON schemas. */
export const IMPORT_LIMITS: ArticleLimits = {
  sections: bound(NewArticle.properties.sections, 'maxItems'),
  blocksPerSection: bound(SectionInput.properties.blocks, 'maxItems'),
  itemsPerList: bound(ListInput.properties.items, 'maxItems'),
  itemsPerArticle: MAX_ARTICLE_LIST_ITEMS,
  paragraphChars: bound(ParagraphInput.properties.text, 'maxLength'),
  descriptionChars: bound(ItemInput.properties.description, 'maxLength'),
}

export const ImportNote = Type.Object(
  {
    line: Type.Integer({ minimum: 1, description: 'The line of the text it starts on, from 1.', examples: [52] }),
    text: Type.String({ description: 'The line as written (hard-wrapped lines joined), cut after 120 characters.', examples: ['Recommended Posts'] }),
    leftOutAs: Type.Enum(['byline', 'page-chrome'], { description: '`byline`: the author and date under the title; `page-chrome`: the page around the article (related posts, comments, share links).' }),
    reason: Type.String({ description: 'Why the parser took it as such, for a person to judge.' }),
  },
  { $id: 'ImportNote', additionalProperties: false, description: 'A line of the imported text that the article leaves out.' },
)

export const ImportedArticle = Type.Object(
  { ...Article.properties, notes: Type.Array(ref(ImportNote), { description: 'What the parser left out of the text and why, in the order of the text; empty when it kept everything.' }) },
  { $id: 'ImportedArticle', additionalProperties: false, description: 'The article as stored, and what of the text it left out.' },
)

export const importComponents = [ImportNote, ImportedArticle]

const ImportQuery = Type.Object(
  { publish: Type.Optional(Type.Boolean({ default: false, description: 'Publish the article at once instead of keeping it a draft.' })) },
  { additionalProperties: false },
)
const ReplaceQuery = Type.Object(
  { publish: Type.Optional(Type.Boolean({ default: false, description: 'Publish the article too; otherwise its status and publication time stay as they are.' })) },
  { additionalProperties: false },
)
const ArticleText = Type.String({ description: 'The article as plain text, UTF-8, at most 256 KiB.' })
const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'The ETag of the version to replace (from any answer carrying the article); required.' })),
})

const importedResponse = (description: string) => ({ ...ref(ImportedArticle, { description }), headers: { ETag: responseHeaders.etag } })

/** Fastify also parses JSON, and reads text as UTF-8 whatever charset is named: neither may pass for an article text. */
async function requirePlainText(request: FastifyRequest) {
  const contentType = request.headers['content-type'] ?? ''
  const charset = /;\s*charset="?([\w-]+)"?/i.exec(contentType)?.[1]
  if (!/^text\/plain\s*(;|$)/i.test(contentType) || (charset !== undefined && !/^utf-?8$/i.test(charset))) {
    throw new HttpProblem('unsupported-media-type', 'Send the article as `Content-Type: text/plain; charset=utf-8`.')
  }
}

function parseText(text: string): ParseReport {
  try {
    return parseArticleWithNotes(text, IMPORT_LIMITS)
  } catch (error) {
    if (error instanceof ImportError) throw new HttpProblem('unprocessable-content', `The text is not an article: ${error.message}.`)
    throw error
  }
}

function sendImported(reply: FastifyReply, article: Article, report: ParseReport) {
  return reply.header('etag', entityTag(article)).send({ ...article, notes: report.notes })
}

/** Articles written as plain text, through the seed's parser: imported as new, or replacing an article's content. */
export const importRoutes: FastifyPluginAsyncTypebox<ImportRoutesOptions> = async (app, { articles, access, now }) => {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', NO_STORE)
  })
  app.addHook('onRequest', access.require('content:write'))

  app.post(
    '/imports',
    {
      bodyLimit: IMPORT_TEXT_BYTES,
      schema: {
        operationId: 'importArticle',
        summary: 'Import an article from plain text',
        description:
          'Turns a plain-text article (title, byline, introduction, headed sections, numbered `Name: description` lists; page chrome at the end is dropped) into a new draft with the same parser as the seed, or a published article with `publish=true` (at its byline\'s date when it has one that has come). The text has the bounds of a JSON article (sections, paragraphs, items, lengths) and at most 256 KiB. `notes` says which lines were left out and why. An existing slug is a 409: replace an article\'s content with `PUT /v1/articles/{slug}/source`.',
        tags: ['Editorial'],
        security: bearerSecurity,
        consumes: ['text/plain'],
        querystring: ImportQuery,
        body: ArticleText,
        response: {
          201: { ...importedResponse('The imported article, and what of the text it left out.'), headers: { Location: responseHeaders.location, ETag: responseHeaders.etag } },
          ...writeProblems('conflict', 'payload-too-large', 'unsupported-media-type', 'unprocessable-content'),
        },
      },
      preValidation: requirePlainText,
    },
    async (request, reply) => {
      const report = parseText(request.body)
      const { slug } = report.article
      const article = await articles.transaction(async (articles) => {
        if (await articles.find(slug)) throw new HttpProblem('conflict', `Another article has the slug "${slug}"; replace its content with PUT /v1/articles/${slug}/source, or change the title.`)
        const at = now()
        await articles.create(importedContent(report.article, request.query.publish ? 'published' : 'draft', at), at)
        return (await articles.find(slug))!
      })
      return sendImported(reply.code(201).header('location', `${request.url.split('/imports')[0]}/articles/${slug}`), article, report)
    },
  )

  app.put(
    '/articles/:slug/source',
    {
      bodyLimit: IMPORT_TEXT_BYTES,
      schema: {
        operationId: 'replaceArticleFromText',
        summary: 'Replace an article\'s content from plain text',
        description:
          'Parses the text as `POST /v1/imports` does and makes its title, author and body the article\'s, as a new version (the one it replaces is kept as a revision). The slug stays; so do the status and publication time unless `publish=true`. `If-Match` is required: the ETag of the version the text replaces (428 without it, 412 when the article changed since). `notes` says which lines were left out and why.',
        tags: ['Editorial'],
        security: bearerSecurity,
        consumes: ['text/plain'],
        params: SlugParams,
        headers: IfMatchHeaders,
        querystring: ReplaceQuery,
        body: ArticleText,
        response: {
          200: importedResponse('The article after the change, and what of the text it left out.'),
          ...writeProblems('not-found', 'precondition-failed', 'precondition-required', 'payload-too-large', 'unsupported-media-type', 'unprocessable-content'),
        },
      },
      preValidation: requirePlainText,
    },
    async (request, reply) => {
      if (request.headers['if-match'] === undefined) {
        throw new HttpProblem('precondition-required', 'Send `If-Match` with the ETag of the version this text replaces (from GET /v1/articles/{slug} with your key), so that no one else\'s change is lost.')
      }
      const report = parseText(request.body)
      const article = await articles.transaction(async (articles) => {
        const current = await articleToChange(articles, request, request.params.slug)
        const status = request.query.publish || current.status !== 'draft' ? 'published' : 'draft'
        const at = now()
        const content = importedContent(report.article, status, at)
        await articles.update(current.id, { ...content, slug: current.slug, ...(current.status === 'draft' ? {} : { publishedAt: current.publishedAt }) }, at)
        return (await articles.find(current.slug))!
      })
      return sendImported(reply, article, report)
    },
  )
}

export type ImportedArticle = Static<typeof ImportedArticle>
