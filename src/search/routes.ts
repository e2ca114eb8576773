import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { CursorCodec } from '../http/cursor.js'
import { Page, respondWithPage, type Listing } from '../http/pagination.js'
import { PREPARED_ROUTE } from '../http/prepared.js'
import { invalidParameter } from '../http/problem.js'
import { commonProblems, problemResponses } from '../http/responses.js'
import { ref } from '../http/schema.js'
import { matchExpression, queryWords } from './query.js'
import { toSearchHit, type SearchRepository } from './repository.js'
import { MAX_QUERY_LENGTH, MAX_QUERY_WORDS, MAX_RANKED_CANDIDATES, SearchHit, SearchPageMeta, SearchQuery } from './schemas.js'

export interface SearchRoutesOptions {
  search: SearchRepository
  cursors: CursorCodec
}

const SearchPosition = Type.Object({ score: Type.Number(), id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })
// The query is part of the scope: a cursor of one search is refused by another.
const searchListing = (match: string): Listing<typeof SearchPosition> => ({ scope: `search ${match}`, position: SearchPosition })

export const searchRoutes: FastifyPluginAsyncTypebox<SearchRoutesOptions> = async (app, { search, cursors }) => {
  app.get(
    '/search',
    {
      ...PREPARED_ROUTE,
      schema: {
        operationId: 'search',
        summary: 'Search articles, techniques and benefits',
        description: `Finds public articles (title and text), and the techniques and benefits they list (name and description), that contain every word of \`q\`, best match first (a title or name counting more than text: BM25 on SQLite, \`ts_rank\` on PostgreSQL). Each hit has a snippet with the matched words marked. \`q\` is plain text of at most ${MAX_QUERY_LENGTH} characters and ${MAX_QUERY_WORDS} different words. The ${MAX_RANKED_CANDIDATES} newest matching documents are ranked, no more: \`meta.truncated\` is \`true\` when others matched too (add a word to narrow the search). Pages stay in order while the content does not change.`,
        tags: ['Search'],
        querystring: SearchQuery,
        response: { 200: Page(ref(SearchHit), 'A page of hits, best first.', ref(SearchPageMeta)), ...problemResponses(...commonProblems) },
      },
    },
    async (request, reply) =>
      reply.sendPrepared(async () => {
        const words = queryWords(request.query.q)
        if (words.length === 0) throw invalidParameter('query', 'q', 'has nothing to search for: it needs a letter or digit')
        if (words.length > MAX_QUERY_WORDS) throw invalidParameter('query', 'q', `has ${words.length} different words; a search takes at most ${MAX_QUERY_WORDS}`)
        let truncated = false
        const page = await respondWithPage(request, reply, cursors, searchListing(matchExpression(words)), {
          fetch: async (after, limit) => {
            const result = await search.find(words, after, limit)
            truncated = result.truncated
            return result.hits
          },
          positionOf: (row) => ({ score: row.score, id: row.id }),
          toItem: toSearchHit,
        })
        return { ...page, meta: { ...page.meta, truncated } }
      }),
  )
}
