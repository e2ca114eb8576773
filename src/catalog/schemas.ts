import Type, { type Static } from 'typebox'
import { DEFAULT_PAGE_SIZE } from '../http/pagination.js'
import { ref, SlugParam } from '../http/schema.js'

const entryProperties = {
  slug: SlugParam,
  name: Type.String({ description: 'As the first article to publish it names it.', examples: ['Deep Pressure'] }),
  description: Type.String({ description: 'As the first article to publish it describes it.' }),
  articleCount: Type.Integer({ minimum: 1, description: 'Published articles that list it.', examples: [1] }),
}

export const CatalogEntry = Type.Object(entryProperties, {
  $id: 'CatalogEntry',
  additionalProperties: false,
  description: 'A technique or benefit across all published articles, keyed by slug.',
})

export const CatalogOccurrence = Type.Object(
  {
    articleSlug: SlugParam,
    articleTitle: Type.String({ examples: ['Lower Back Pain Deep Tissue Massage'] }),
    position: Type.Integer({ minimum: 1, description: 'Its place in that article\'s list.' }),
    name: Type.String({ description: 'As that article names it.' }),
    description: Type.String({ description: 'As that article describes it.' }),
  },
  { $id: 'CatalogOccurrence', additionalProperties: false },
)

export const CatalogEntryDetail = Type.Object(
  {
    ...entryProperties,
    articles: Type.Array(ref(CatalogOccurrence), {
      maxItems: DEFAULT_PAGE_SIZE,
      description: `The first ${DEFAULT_PAGE_SIZE} published articles that list it, oldest first; all of them, paged, are at \`articles\` below the entry's path.`,
    }),
  },
  { $id: 'CatalogEntryDetail', additionalProperties: false },
)

/** A cursor's position in an entry's articles. */
export const OccurrencePosition = Type.Object(
  { publishedAt: Type.String({ maxLength: 40 }), articleId: Type.Integer({ minimum: 1 }), position: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
)

export type CatalogEntry = Static<typeof CatalogEntry>
export type CatalogOccurrence = Static<typeof CatalogOccurrence>
export type CatalogEntryDetail = Static<typeof CatalogEntryDetail>

export const catalogComponents = [CatalogEntry, CatalogOccurrence, CatalogEntryDetail]
