import Type, { type Static } from 'typebox'
import { pageQuery } from '../http/pagination.js'
import { SlugParam, StringEnum } from '../http/schema.js'

/** Longest query accepted, in characters: enough for a sentence, not for a pasted page. */
export const MAX_QUERY_LENGTH = 200

export const SearchQuery = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: MAX_QUERY_LENGTH,
      description:
        'Words to find, all of them, each also as the start of a longer word (`mass` finds "massage"); case and accents are ignored. Plain text: quotes, `*`, `OR`, `NEAR` and `-` are searched as words, never as operators. Needs a letter or digit.',
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

export type SearchHitType = Static<typeof SearchHitType>
export type SearchHit = Static<typeof SearchHit>

export const searchComponents = [SearchHit]
