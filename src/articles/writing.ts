import type { FastifyReply, FastifyRequest } from 'fastify'
import { authProblemTypes } from '../auth/access.js'
import { entityTag } from '../http/conditional.js'
import { HttpProblem, notFound, type ProblemType } from '../http/problem.js'
import { commonProblems, problemResponses, responseHeaders } from '../http/responses.js'
import { ref } from '../http/schema.js'
import type { ArticleRepository } from './repository.js'
import { Article } from './schemas.js'

/** What the editorial and revision routes share: the answer of a write and the check before one. */

/** The answer of every article write: the article as it now is, with the ETag that a next `If-Match` names. */
export const articleResponse = (description: string) => ({ ...ref(Article, { description }), headers: { ETag: responseHeaders.etag } })

export const writeProblems = (...types: ProblemType[]) => problemResponses(...types, ...authProblemTypes, ...commonProblems)

export function sendArticle(reply: FastifyReply, article: Article) {
  return reply.header('etag', entityTag(article)).send(article)
}

/** The 404 of an editor's request: drafts and scheduled articles count, so it does not say "published". */
export const noArticle = (slug: string) => notFound(`There is no article with the slug "${slug}".`)

/** The article with this slug whatever its status, checked against `If-Match`; a 404 or 412 otherwise. */
export async function articleToChange(articles: ArticleRepository, request: FastifyRequest, slug: string): Promise<Article> {
  const article = await articles.find(slug)
  if (!article) throw noArticle(slug)
  requireArticleMatch(request, article)
  return article
}

/**
 * `If-Match` (RFC 9110 13.1.1) for an article: `*`, or a strong tag of any representation of its
 * current state. Every tag a read of the article gives (any `format`, `fields` or content coding)
 * begins with the opaque part of the article's own tag (see `articleViewTag`), so a tag that begins
 * with it names this version.
 */
function requireArticleMatch(request: FastifyRequest, article: Article): void {
  const header = request.headers['if-match']
  if (header === undefined || header.trim() === '*') return
  const current = entityTag(article)
  const opaque = current.slice(1, -1)
  const names = (tag: string) => tag.startsWith(`"${opaque}`)
  if (!header.split(',').some((tag) => names(tag.trim()))) {
    throw new HttpProblem('precondition-failed', `If-Match does not match the current version, whose ETag is ${current}.`, undefined, { etag: current })
  }
}
