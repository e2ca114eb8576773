import Type, { type Static } from 'typebox'
import { PageMeta, pageQuery } from '../http/pagination.js'
import { SlugParam, StringEnum } from '../http/schema.js'

/** Longest query accepted, in characters: enough for a sentence, not for a pasted page. */
export const MAX_QUERY_LENGTH = 200

/**
 * Most distinct words a query may have. Each word costs a pass over its whole posting list (BM25
 * counts the documents that hold it), so the word count bounds the work a query can ask for.
 */
export const MAX_QUERY_WORDS = 6

/**
 * How many matching documents a search ranks at most: the newest ones (the index's rowid order, which
 * FTS5 walks backwards without sorting). A word in every article is thereby answered by ranking this
 * many documents, not every article; the answer says when matches were left out.
 */
export const MAX_RANKED_CANDIDATES = 1000

export const SearchQuery = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: MAX_QUERY_LENGTH,
      description: `Words to find, all of them, each of two or more characters also as the start of a longer word (\`mass\` finds "massage"); case and accents are ignored. Words are letters and digits: anything else separates them, so \`deep-pressure\` is two words, and quotes, \`*\`, \`OR\`, \`NEAR\` and \`-\` are never operators. Needs a letter or digit; at most ${MAX_QUERY_WORDS} different words (a repeated word counts once).`,
      examples: ['deep pressure'],
    }),
    ...pageQuery,
  },
  { additionalProperties: false },
)

export const SearchHitType = StringEnum(['article', 'technique', 'benefit'], { description: 'What matched: an article, or a technique or benefit that an article lists.' })

export const SearchHit = Type.Object(
  {
    type: SearchHitType,
    slug: Type.String({ description: 'The technique\'s or benefit\'s slug (as in `/v1/techniques/{slug}`); for an article, the article\'s own slug.', examples: ['deep-pressure'] }),
    title: Type.String({ description: 'The article\'s title, or the technique\'s or benefit\'s name.', examples: ['Deep Pressure'] }),
    articleSlug: SlugParam,
    snippet: Type.String({
      description:
        'HTML: the passage that matched best, HTML-escaped, with each matched word wrapped in `<mark>` and `</mark>` and `…` where the text was cut. Insert it as HTML; it holds no other tags.',
      examples: ['The <mark>massage</mark> therapist applies firm and sustained <mark>pressure</mark> to release tension and…'],
    }),
  },
  { $id: 'SearchHit', additionalProperties: false, description: 'One place where every word of the query was found.' },
)

export const SearchPageMeta = Type.Object(
  {
    ...PageMeta.properties,
    truncated: Type.Boolean({
      description: `\`true\` when more public documents matched than the ${MAX_RANKED_CANDIDATES} newest, which alone are ranked: the hits come from those. Add a word to narrow the search.`,
      examples: [false],
    }),
  },
  { $id: 'SearchPageMeta', additionalProperties: false },
)

export type SearchHitType = Static<typeof SearchHitType>
export type SearchHit = Static<typeof SearchHit>

export const searchComponents = [SearchHit, SearchPageMeta]
