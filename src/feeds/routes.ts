import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { baseUrl, linkDependencies } from '../http/base-url.js'
import { httpDate } from '../http/caching.js'
import { PREPARED_ROUTE } from '../http/prepared.js'
import { commonProblems, problemResponses } from '../http/responses.js'
import { ref } from '../http/schema.js'
import { buildFeed, toAtom, toJsonFeed, type Feed } from './formats.js'
import type { FeedRepository } from './repository.js'
import { FEED_SIZE, JsonFeed } from './schemas.js'

export interface FeedRoutesOptions {
  feeds: FeedRepository
  /** The base of absolute URLs; the request's own scheme and host when unset. */
  publicUrl: string | undefined
  /** The website's page of an article (`{slug}` for its slug), where entries link; the API URL when unset. */
  siteArticleUrl: string | undefined
  now: () => Date
}

const ABOUT = `The ${FEED_SIZE} newest public articles, newest first, each with its summary and its body as HTML. Entries link to the article's page on the website when the server sets \`SITE_ARTICLE_URL\` (the API URL second), else to the API; API links are absolute, under \`PUBLIC_URL\` when the server sets it, else under the scheme and host of the request (which must then have a well-formed \`Host\`). Entry ids are stable \`urn:uuid:\` names of the articles. \`Last-Modified\` is the latest change of an entry.`

export const feedRoutes: FastifyPluginAsyncTypebox<FeedRoutesOptions> = async (app, { feeds, publicUrl, siteArticleUrl, now }) => {
  const dependsOn = linkDependencies(publicUrl)
  /** The handler that sends the feed in one format, prepared. */
  const sendFeed = (type: string, format: (feed: Feed) => unknown) => async (request: FastifyRequest, reply: FastifyReply) =>
    reply.sendPrepared(async () => {
      const feed = buildFeed(await feeds.latest(FEED_SIZE), baseUrl(request, publicUrl), now(), siteArticleUrl)
      reply.type(type).header('last-modified', httpDate(feed.updated))
      return format(feed)
    }, dependsOn)
  const headers = { 'Last-Modified': { type: 'string', description: 'The latest change of an entry (an HTTP-date); `If-Modified-Since` compares with it.' } }

  app.get(
    '/feed.json',
    {
      ...PREPARED_ROUTE,
      schema: {
        operationId: 'getJsonFeed',
        summary: 'The newest articles as a JSON Feed',
        description: `${ABOUT} Format: JSON Feed 1.1.`,
        tags: ['Feeds'],
        response: {
          200: { description: 'A JSON Feed.', headers, content: { 'application/feed+json': { schema: ref(JsonFeed) } } },
          ...problemResponses('bad-request', ...commonProblems),
        },
      },
    },
    sendFeed('application/feed+json; charset=utf-8', toJsonFeed),
  )

  app.get(
    '/feed.xml',
    {
      ...PREPARED_ROUTE,
      schema: {
        operationId: 'getAtomFeed',
        summary: 'The newest articles as an Atom feed',
        description: `${ABOUT} Format: Atom 1.0 (RFC 4287), the body in \`content type="html"\`.`,
        tags: ['Feeds'],
        response: {
          200: { description: 'An Atom feed document.', headers, content: { 'application/atom+xml': { schema: Type.String() } } },
          ...problemResponses('bad-request', ...commonProblems),
        },
      },
    },
    sendFeed('application/atom+xml; charset=utf-8', toAtom),
  )
}
